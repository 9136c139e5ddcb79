//! A department's screen (承办单位): the opinions referred to it, newest deadline first
//! pressure first, and the answer form. A department sees what was referred (never the
//! voter's name or phone) and writes only its answers.

use leptos::prelude::*;
use leptos::task::spawn_local;
use shared::{AnswerInput, AnswerStatus, Field, FieldError, ReferralSummary};

use crate::i18n::{count, enum_label, join, labelled, snake, t, tf, tn};
use crate::paging::{MoreButton, Pager};
use crate::{Ctx, api, today};

#[component]
pub fn InboxPage() -> impl IntoView {
    let ctx = expect_context::<Ctx>();
    // The whole inbox (the core's `department_inbox` takes no limit yet), and the page of
    // it shown.
    let all = RwSignal::new(Vec::<ReferralSummary>::new());
    let list = RwSignal::new(Vec::<ReferralSummary>::new());
    let pager = Pager::new();
    // What to show: words to look for, which referrals, and in which order.
    let search = RwSignal::new(String::new());
    let show = RwSignal::new(Listed::Pending);
    let newest_first = RwSignal::new(false);
    // The referrals the choices select (all of them, in order), and the page shown.
    let selected = Memo::new(move |_| {
        let words = search.get();
        let words: Vec<&str> = words.split_whitespace().collect();
        let mut picked: Vec<ReferralSummary> = all.with(|all| {
            all.iter()
                .filter(|r| show.get().keeps(r) && words.iter().all(|w| mentions(r, w)))
                .cloned()
                .collect()
        });
        if newest_first.get() {
            picked.sort_by(|a, b| (b.referred_on, &b.id).cmp(&(a.referred_on, &a.id)));
        }
        picked
    });
    Effect::new(move |_| {
        let shown = pager.shown();
        list.set(pager.page(selected.get(), shown));
    });
    // Another choice starts from the first page.
    Effect::new(move |seen: Option<()>| {
        search.track();
        show.track();
        newest_first.track();
        if seen.is_some() {
            pager.reset();
        }
    });
    // What the last save did (the answered referral may leave the list shown).
    let saved = RwSignal::new(None::<String>);
    let loaded = RwSignal::new(false);
    // The referral whose answer form is open.
    let answering = RwSignal::new(None::<String>);
    let department = move || {
        ctx.status
            .get()
            .and_then(|s| s.account)
            .and_then(|a| a.scope_id)
    };
    let reload = move || {
        let Some(department) = department() else {
            return;
        };
        spawn_local(async move {
            if let Ok(l) = api::department_inbox(&department).await {
                all.set(l);
            }
            loaded.set(true);
        })
    };
    // Again whenever the data may have changed (a save, a sync).
    Effect::new(move |_| {
        ctx.data_version.track();
        reload();
    });
    view! {
        <section aria-labelledby="inbox-title">
            <div class="section-head">
                <h2 id="inbox-title">{t("inbox.title")}</h2>
            </div>
            <div class="filters">
                <label class="grow">
                    <span>{t("inbox.search")}</span>
                    <input
                        id="inbox-search"
                        type="search"
                        placeholder=t("inbox.search_hint")
                        prop:value=move || search.get()
                        on:input=move |ev| search.set(event_target_value(&ev))
                    />
                </label>
                <label>
                    <span>{t("inbox.show")}</span>
                    <select
                        id="inbox-show"
                        on:change=move |ev| show.set(Listed::of(&event_target_value(&ev)))
                    >
                        {Listed::ALL
                            .into_iter()
                            .map(|s| {
                                view! {
                                    <option value=s.value() selected=move || show.get() == s>
                                        {t(&format!("inbox.show.{}", s.value()))}
                                    </option>
                                }
                            })
                            .collect_view()}
                    </select>
                </label>
                <label>
                    <span>{t("inbox.order")}</span>
                    <select
                        id="inbox-order"
                        on:change=move |ev| newest_first.set(event_target_value(&ev) == "newest")
                    >
                        <option value="deadline" selected=move || !newest_first.get()>
                            {t("inbox.order.deadline")}
                        </option>
                        <option value="newest" selected=move || newest_first.get()>
                            {t("inbox.order.newest")}
                        </option>
                    </select>
                </label>
            </div>
            {move || {
                saved
                    .get()
                    .map(|m| view! { <p class="message ok" role="status" id="inbox-saved">{m}</p> })
            }}
            <p class="totals" id="inbox-totals">
                {move || {
                    loaded
                        .get()
                        .then(|| {
                            selected.with(|sel| {
                                let overdue = sel.iter().filter(|r| r.overdue).count() as u64;
                                let n = tn("list.records", sel.len() as u64, &[]);
                                if overdue > 0 {
                                    tf("inbox.totals_overdue", &[("records", &n), ("overdue", &count(overdue))])
                                } else {
                                    n
                                }
                            })
                        })
                }}
            </p>
            <Show
                when=move || !list.get().is_empty()
                fallback=move || {
                    loaded
                        .get()
                        .then(|| {
                            let key = if all.with(Vec::is_empty) { "inbox.empty" } else { "inbox.none_match" };
                            view! { <p class="empty">{t(key)}</p> }
                        })
                }
            >
                <ul class="records" id="inbox">
                    <For
                        each=move || list.get()
                        key=|r| (r.id.clone(), r.answer_status, r.answer.clone(), r.overdue)
                        children=move |r: ReferralSummary| {
                            let id = r.id.clone();
                            let open = id.clone();
                            let referral_id = id.clone();
                            let answer_key = if r.answer_status.is_some() {
                                "inbox.update"
                            } else {
                                "inbox.answer"
                            };
                            let status_key = r
                                .answer_status
                                .map_or_else(|| "referred".to_owned(), |s| snake(&s));
                            let cats = r
                                .categories
                                .iter()
                                .map(|c| enum_label("category", c))
                                .collect::<Vec<_>>();
                            let cats = join(&cats);
                            // How the confirmation names it: its first words.
                            let excerpt = {
                                let mut e: String = r.content.chars().take(20).collect();
                                if r.content.chars().count() > 20 {
                                    e.push('\u{2026}');
                                }
                                StoredValue::new(e)
                            };
                            view! {
                                <li class="record" data-id=r.id.clone()>
                                    <div class="record-head">
                                        <span class="date">{r.referred_on.to_string()}</span>
                                        <span class=format!("status status-{status_key}")>
                                            {t(&format!("status.{status_key}"))}
                                        </span>
                                        {r.overdue
                                            .then(|| view! { <span class="status overdue">{t("opinions.overdue")}</span> })}
                                    </div>
                                    <p class="station">{r.station_name.clone()} " · " {cats}</p>
                                    <p class="summary">{r.content.clone()}</p>
                                    {(!r.note.is_empty())
                                        .then(|| view! { <p class="note">{labelled("inbox.note", &r.note)}</p> })}
                                    <p class="deadline">
                                        {labelled("opinions.deadline", &r.deadline.to_string())}
                                    </p>
                                    {r.answer
                                        .clone()
                                        .filter(|a| !a.is_empty())
                                        .map(|a| view! { <p class="answer">{labelled("field.answer", &a)}</p> })}
                                    <Show
                                        when=move || answering.get().as_deref() == Some(id.as_str())
                                        fallback=move || {
                                            let open = open.clone();
                                            view! {
                                                <button
                                                    class="secondary answer-open"
                                                    on:click=move |_| answering.set(Some(open.clone()))
                                                >
                                                    {t(answer_key)}
                                                </button>
                                            }
                                        }
                                    >
                                        <AnswerForm
                                            referral_id=referral_id.clone()
                                            on_saved=move || {
                                                answering.set(None);
                                                saved.set(Some(tf("inbox.saved", &[("content", &excerpt.get_value())])));
                                                ctx.saved();
                                            }
                                            on_cancel=move || answering.set(None)
                                        />
                                    </Show>
                                </li>
                            }
                        }
                    />
                </ul>
                <MoreButton id="inbox-more" pager=pager/>
            </Show>
        </section>
    }
}

/// Which referrals the inbox shows.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Listed {
    /// Not answered yet (none, or in progress).
    Pending,
    /// Past their deadline and not answered.
    Overdue,
    Answered,
    All,
}

impl Listed {
    const ALL: [Listed; 4] = [
        Listed::Pending,
        Listed::Overdue,
        Listed::Answered,
        Listed::All,
    ];

    fn value(self) -> &'static str {
        match self {
            Listed::Pending => "pending",
            Listed::Overdue => "overdue",
            Listed::Answered => "answered",
            Listed::All => "all",
        }
    }

    fn of(value: &str) -> Listed {
        Listed::ALL
            .into_iter()
            .find(|s| s.value() == value)
            .unwrap_or(Listed::Pending)
    }

    fn keeps(self, r: &ReferralSummary) -> bool {
        let answered = r.answer_status == Some(AnswerStatus::Answered);
        match self {
            Listed::Pending => !answered,
            Listed::Overdue => r.overdue,
            Listed::Answered => answered,
            Listed::All => true,
        }
    }
}

/// Whether the referral mentions `word` (its content, station, note, categories or
/// answer; letters in any case).
fn mentions(r: &ReferralSummary, word: &str) -> bool {
    let word = word.to_lowercase();
    let has = |text: &str| text.to_lowercase().contains(&word);
    has(&r.content)
        || has(&r.station_name)
        || has(&r.note)
        || r.answer.as_deref().is_some_and(has)
        || r.categories.iter().any(|c| has(&enum_label("category", c)))
}

#[component]
fn AnswerForm(
    referral_id: String,
    on_saved: impl Fn() + Copy + Send + Sync + 'static,
    on_cancel: impl Fn() + Copy + Send + Sync + 'static,
) -> impl IntoView {
    let status = RwSignal::new(AnswerStatus::Answered);
    let date = RwSignal::new(today());
    let text = RwSignal::new(String::new());
    let errors = RwSignal::new(Vec::<FieldError>::new());
    let message = RwSignal::new(None::<String>);
    let saving = RwSignal::new(false);
    // An answer half written survives closing the app.
    let draft = {
        let referral_id = referral_id.clone();
        crate::form::keep_draft(
            format!("answer:{referral_id}"),
            move || AnswerInput {
                referral_id: referral_id.clone(),
                status: status.get(),
                date: date.get(),
                text: text.get(),
            },
            |i| !i.text.trim().is_empty(),
            move |d: AnswerInput| {
                status.set(d.status);
                if !d.date.is_empty() {
                    date.set(d.date);
                }
                text.set(d.text);
            },
        )
    };
    let forget_draft = move || draft.forget();
    let error_for = move |field: Field| crate::form::error_for(errors, field);
    let invalid = move |field: Field| crate::form::invalid(errors, field);
    let required = crate::form::required;
    let save = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let input = AnswerInput {
            referral_id: referral_id.clone(),
            status: status.get_untracked(),
            date: date.get_untracked(),
            text: text.get_untracked(),
        };
        crate::form::submit(
            saving,
            errors,
            move |m| message.set(Some(m)),
            async move {
                let form = format!("answer:{}", input.referral_id);
                api::answer_referral(&input, Some(&form)).await
            },
            move |_| {
                forget_draft();
                on_saved();
            },
        );
    };
    view! {
        <form class="form card" id="answer-form" on:submit=save novalidate>
            <h3>{t("inbox.answer_title")}</h3>
            {move || {
                message
                    .get()
                    .map(|m| view! { <p class="message error" role="status" id="answer-message">{m}</p> })
            }}
            <fieldset class="field">
                <legend>{t("field.status")} {required()}</legend>
                <div class="chips">
                    {[AnswerStatus::InProgress, AnswerStatus::Answered]
                        .into_iter()
                        .map(|s| {
                            view! {
                                <label class="chip">
                                    <input
                                        type="radio"
                                        name="answer-status"
                                        value=snake(&s)
                                        prop:checked=move || status.get() == s
                                        on:change=move |_| status.set(s)
                                    />
                                    <span>{enum_label("status", &s)}</span>
                                </label>
                            }
                        })
                        .collect_view()}
                </div>
            </fieldset>
            <crate::form::DateField id="answer-date" value=date errors=errors/>
            <div class="field" class:invalid=invalid(Field::Answer)>
                <label for="answer-text">
                    {t("field.answer")}
                    {move || (status.get() == AnswerStatus::Answered).then(required)}
                </label>
                <textarea
                    id="answer-text"
                    rows="4"
                    prop:value=move || text.get()
                    on:input=move |ev| text.set(event_target_value(&ev))
                ></textarea>
                {error_for(Field::Answer)}
            </div>
            <crate::form::SaveOrCancel
                save_id="answer-save"
                label=t("inbox.answer_save")
                saving=saving
                draft=draft
                on_cancel=on_cancel
            />
        </form>
    }
}
