//! Legislative consultation (征求立法意见): a draft regulation, its articles with the
//! opinions gathered on each, and bulk entry of a stack of paper forms — station, date
//! and article stay chosen, each save clears only the text, ready for the next form.

use leptos::prelude::*;
use leptos::task::spawn_local;
use shared::{ArticleCount, DraftRegulation, Field, FieldError, OpinionCategory, OpinionInput};

use crate::i18n::{t, tf, tn};
use crate::{Ctx, api, today};

/// The bulk entry form's draft.
const DRAFT: &str = "consultation";

#[component]
pub fn ConsultationPage() -> impl IntoView {
    let ctx = expect_context::<Ctx>();
    let drafts = RwSignal::new(Vec::<DraftRegulation>::new());
    let draft_id = RwSignal::new(String::new());
    let counts = RwSignal::new(Vec::<ArticleCount>::new());
    // Again whenever the data may have changed (a save, a sync).
    Effect::new(move |_| {
        ctx.data_version.track();
        spawn_local(async move {
            if let Ok(d) = api::drafts().await {
                if draft_id.get_untracked().is_empty()
                    && let Some(first) = d.first()
                {
                    draft_id.set(first.id.clone());
                }
                drafts.set(d);
            }
        });
    });
    let reload_counts = move || {
        let id = draft_id.get_untracked();
        if id.is_empty() {
            return;
        }
        spawn_local(async move {
            if let Ok(c) = api::article_counts(&id).await {
                counts.set(c);
            }
        });
    };
    Effect::new(move |_| {
        draft_id.track();
        ctx.data_version.track();
        reload_counts();
    });
    let draft = move || drafts.get().into_iter().find(|d| d.id == draft_id.get());
    let count_of = move |article: &str| {
        counts
            .get()
            .iter()
            .find(|c| c.article_id == article)
            .map_or(0, |c| c.opinions)
    };
    // The article the next paper form is about ("" for the draft as a whole).
    let article_id = RwSignal::new(String::new());
    view! {
        <section aria-labelledby="consultation-title">
            <h2 id="consultation-title">{t("consultation.title")}</h2>
            <Show
                when=move || !drafts.get().is_empty()
                fallback=|| view! { <p class="empty">{t("consultation.empty")}</p> }
            >
                <div class="field">
                    <label for="draft">{t("field.draft")}</label>
                    <select
                        id="draft"
                        on:change=move |ev| {
                            draft_id.set(event_target_value(&ev));
                            article_id.set(String::new());
                        }
                    >
                        <For
                            each=move || drafts.get()
                            key=|d| d.id.clone()
                            children=move |d: DraftRegulation| {
                                let id = d.id.clone();
                                view! {
                                    <option value=d.id.clone() selected=move || draft_id.get() == id>
                                        {d.title.clone()}
                                    </option>
                                }
                            }
                        />
                    </select>
                    <p class="hint">
                        {move || {
                            draft()
                                .map(|d| {
                                    tf(
                                        "consultation.window",
                                        &[("opens", &d.opens.to_string()), ("closes", &d.closes.to_string())],
                                    )
                                })
                        }}
                    </p>
                </div>
                <ol class="articles" id="articles">
                    {move || {
                        draft()
                            .map(|d| d.articles)
                            .unwrap_or_default()
                            .into_iter()
                            .map(|a| {
                                let id = a.id.clone();
                                let chosen = id.clone();
                                let counted = id.clone();
                                view! {
                                    <li
                                        data-article=a.id.clone()
                                        class:chosen=move || article_id.get() == chosen
                                    >
                                        <button
                                            type="button"
                                            class="article"
                                            on:click=move |_| article_id.set(id.clone())
                                        >
                                            <span class="number">
                                                {tf("consultation.article", &[("n", &a.number.to_string())])}
                                            </span>
                                            <span class="text">{a.text.clone()}</span>
                                            <span class="count">
                                                {move || tn("consultation.count", u64::from(count_of(&counted)), &[])}
                                            </span>
                                        </button>
                                    </li>
                                }
                            })
                            .collect_view()
                    }}
                </ol>
                <Show
                    when=move || !ctx.stations.get().is_empty()
                    fallback=|| view! { <p class="hint">{t("consultation.read_only")}</p> }
                >
                    <BulkEntry
                        draft=Signal::derive(draft)
                        article_id=article_id
                        on_saved=move || ctx.saved()
                    />
                </Show>
            </Show>
        </section>
    }
}

/// Fast repeated entry: one paper form after another.
#[component]
fn BulkEntry(
    draft: Signal<Option<DraftRegulation>>,
    article_id: RwSignal<String>,
    on_saved: impl Fn() + Copy + Send + Sync + 'static,
) -> impl IntoView {
    let ctx = expect_context::<Ctx>();
    let station_id = RwSignal::new(
        ctx.stations
            .get_untracked()
            .first()
            .map(|s| s.id.clone())
            .unwrap_or_default(),
    );
    let date = RwSignal::new(today());
    let content = RwSignal::new(String::new());
    let entered = RwSignal::new(0u32);
    let errors = RwSignal::new(Vec::<FieldError>::new());
    let message = RwSignal::new(None::<(bool, String)>);
    let saving = RwSignal::new(false);
    // The form being typed survives closing the app (station, date, article, text).
    crate::form::keep_draft(
        DRAFT.to_owned(),
        move || OpinionInput {
            station_id: station_id.get(),
            date: date.get(),
            content: content.get(),
            article_id: article_id.get(),
            ..OpinionInput::default()
        },
        |i| !i.content.trim().is_empty(),
        move |d: OpinionInput| {
            if !d.station_id.is_empty() {
                station_id.set(d.station_id);
            }
            if !d.date.is_empty() {
                date.set(d.date);
            }
            article_id.set(d.article_id);
            content.set(d.content);
        },
    );
    let error_for = move |field: Field| crate::form::error_for(errors, field);
    let invalid = move |field: Field| crate::form::invalid(errors, field);
    let required = crate::form::required;
    let save = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let Some(draft) = draft.get_untracked() else {
            return;
        };
        let input = OpinionInput {
            station_id: station_id.get_untracked(),
            date: date.get_untracked(),
            categories: vec![OpinionCategory::Legislation],
            content: content.get_untracked(),
            draft_id: draft.id,
            article_id: article_id.get_untracked(),
            ..OpinionInput::default()
        };
        crate::form::submit(
            saving,
            errors,
            move |m| message.set(Some((false, m))),
            async move { api::save_opinion(None, &input, Some(DRAFT)).await },
            move |_| {
                content.set(String::new());
                entered.update(|n| *n += 1);
                message.set(Some((
                    true,
                    tn(
                        "consultation.saved",
                        u64::from(entered.get_untracked()),
                        &[],
                    ),
                )));
                on_saved();
                // Straight on to the next form.
                if let Some(el) = web_sys::window()
                    .and_then(|w| w.document())
                    .and_then(|d| d.get_element_by_id("bulk-content"))
                    .and_then(|e| wasm_bindgen::JsCast::dyn_into::<web_sys::HtmlElement>(e).ok())
                {
                    let _ = el.focus();
                }
            },
        );
    };
    let article_label = move || {
        let chosen = article_id.get();
        draft
            .get()
            .and_then(|d| d.articles.into_iter().find(|a| a.id == chosen))
            .map_or_else(
                || t("consultation.whole"),
                |a| tf("consultation.article", &[("n", &a.number.to_string())]),
            )
    };
    view! {
        <form class="form card" id="bulk-entry" on:submit=save novalidate aria-labelledby="bulk-title">
            <h3 id="bulk-title">{t("consultation.bulk_title")}</h3>
            <p class="hint">{t("consultation.bulk_hint")}</p>
            {move || {
                message
                    .get()
                    .map(|(ok, m)| {
                        view! {
                            <p class="message" class:ok=ok class:error=!ok role="status" id="bulk-message">
                                {m}
                            </p>
                        }
                    })
            }}
            <crate::form::StationSelect
                id="bulk-station"
                value=station_id
                stations=ctx.stations
                errors=errors
            />
            <crate::form::DateField id="bulk-date" value=date errors=errors/>
            <div class="field" class:invalid=invalid(Field::Article)>
                <span class="label">{t("field.article")}</span>
                <p id="bulk-article" class="chosen-article">
                    {article_label}
                    <button type="button" class="link" on:click=move |_| article_id.set(String::new())>
                        {t("consultation.choose_whole")}
                    </button>
                </p>
                {error_for(Field::Article)}
            </div>
            <div class="field" class:invalid=invalid(Field::Content)>
                <label for="bulk-content">{t("field.content")} {required()}</label>
                <textarea
                    id="bulk-content"
                    rows="4"
                    prop:value=move || content.get()
                    on:input=move |ev| content.set(event_target_value(&ev))
                ></textarea>
                {error_for(Field::Content)}
            </div>
            <button id="bulk-save" class="primary" type="submit" disabled=move || saving.get()>
                {t("consultation.save_next")}
            </button>
        </form>
    }
}
