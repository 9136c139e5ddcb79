//! The activity form: any kind, new or edit, with the record's change history when
//! editing.

use leptos::prelude::*;
use leptos::task::spawn_local;
use leptos_router::hooks::{use_navigate, use_params_map};
use shared::{ActivityInput, ActivityKind, Field, FieldError, HistoryEntry, MAX_SUMMARY_CHARS};

use crate::history::History;
use crate::i18n::{app_error, kind_label, t, tf};
use crate::{Ctx, Tab, api, form, go, photos, today};

#[component]
pub fn ActivityForm() -> impl IntoView {
    let ctx = expect_context::<Ctx>();
    let navigate = StoredValue::new_local(use_navigate());
    // The activity being edited (`/activities/:id`); `None` for a new one.
    let params = use_params_map();
    let editing = Memo::new(move |_| params.with(|p| p.get("id")));
    let new_record = editing.get_untracked().is_none();
    let kind = RwSignal::new(ActivityKind::VoterMeeting);
    let online = RwSignal::new(false);
    let location = RwSignal::new(String::new());
    // Fields this form does not edit (guests, campaign, draft) ride along, so saving an
    // edit never clears them.
    let rest = RwSignal::new(ActivityInput::default());
    let photos = RwSignal::new(Vec::<String>::new());
    // A new record: the first station, today, and the signed-in deputy ("me") ticked.
    let station_id = RwSignal::new(
        ctx.stations
            .get_untracked()
            .first()
            .map(|s| s.id.clone())
            .unwrap_or_default(),
    );
    // The roster follows the chosen station.
    let roster = form::roster_of(station_id);
    let date = RwSignal::new(today());
    let deputy_ids = RwSignal::new(if new_record {
        ctx.status
            .get_untracked()
            .and_then(|s| s.account)
            .and_then(|a| a.deputy_id)
            .into_iter()
            .collect()
    } else {
        vec![]
    });
    let voters = RwSignal::new(String::new());
    let summary = RwSignal::new(String::new());
    let errors = RwSignal::new(Vec::<FieldError>::new());
    let message = RwSignal::new(None::<(bool, String)>);
    let saving = RwSignal::new(false);
    let history = RwSignal::new(Vec::<HistoryEntry>::new());

    // What the form holds, as the core takes it (tracked: read it with `untrack` outside
    // effects).
    let input = move || ActivityInput {
        kind: kind.get(),
        station_id: station_id.get(),
        date: date.get(),
        deputy_ids: deputy_ids.get(),
        voters_received: voters.get(),
        online: online.get(),
        location: location.get(),
        summary: summary.get(),
        photos: photos.get(),
        ..rest.get()
    };
    // Puts a stored record or a draft into the form's fields.
    let fill = move |input: ActivityInput| {
        kind.set(input.kind);
        online.set(input.online);
        location.set(input.location.clone());
        station_id.set(input.station_id.clone());
        date.set(input.date.clone());
        deputy_ids.set(input.deputy_ids.clone());
        voters.set(input.voters_received.clone());
        summary.set(input.summary.clone());
        photos.set(input.photos.clone());
        rest.set(input);
    };
    // A new record's draft: what was typed before the app closed comes back, and every
    // change is kept again. (An edit keeps none: the record itself is kept.)
    let draft = form::keep_draft_in(
        if new_record {
            form::DraftSlot::Activity
        } else {
            form::DraftSlot::Off
        },
        input,
        |i| {
            !i.voters_received.trim().is_empty()
                || !i.summary.trim().is_empty()
                || !i.location.trim().is_empty()
                || !i.guests.trim().is_empty()
                || !i.deputy_ids.is_empty()
        },
        fill,
    );
    // The record being edited.
    Effect::new(move |_| {
        let Some(id) = editing.get() else {
            return;
        };
        errors.set(vec![]);
        message.set(None);
        spawn_local(async move {
            match api::get_activity(&id).await {
                Ok(m) => {
                    fill(m);
                    draft.mark_clean();
                }
                Err(e) => message.set(Some((false, app_error(&e)))),
            }
        });
    });
    // Its history, again whenever the data may have changed (a sync brings another
    // device's edits; the fields keep what is being typed).
    Effect::new(move |_| {
        ctx.data_version.track();
        let Some(id) = editing.get() else {
            return;
        };
        spawn_local(async move {
            history.set(api::history("activity", &id).await.unwrap_or_default());
        });
    });
    // A new device learns its stations on first sync: pick one when they arrive.
    Effect::new(move |_| {
        let stations = ctx.stations.get();
        if station_id.get_untracked().is_empty()
            && let Some(s) = stations.first()
        {
            station_id.set(s.id.clone());
        }
    });

    let error_for = move |field: Field| crate::form::error_for(errors, field);
    let invalid = move |field: Field| crate::form::invalid(errors, field);

    let to_list = move || navigate.with_value(|n| go(n, Tab::List.path()));
    let save = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let input = untrack(input);
        let editing = editing.get_untracked();
        form::submit(
            saving,
            errors,
            move |m| {
                message.set(Some((false, m)));
                // The summary of what to fix sits at the top of the form.
                if let Some(w) = web_sys::window() {
                    w.scroll_to_with_x_and_y(0.0, 0.0);
                }
            },
            // Saving a new record forgets its draft in the same transaction.
            async move { api::save_activity(editing.as_deref(), &input).await },
            // The register marks the record saved and brings it into view.
            move |id| {
                ctx.saved();
                navigate.with_value(|n| go(n, &format!("{}?saved={id}", Tab::List.path())));
            },
        );
    };

    let title = move || {
        if editing.get().is_some() {
            t("form.title.edit")
        } else {
            t("form.title.new")
        }
    };
    let save_label = if new_record {
        t("form.save")
    } else {
        t("form.save_edit")
    };
    let required = crate::form::required;

    view! {
        <form class="form" on:submit=save novalidate aria-labelledby="form-title">
            <h2 id="form-title">{title}</h2>
            {move || {
                message
                    .get()
                    .map(|(ok, text)| {
                        view! {
                            <p class="message" class:ok=ok class:error=!ok role="status" id="form-message">
                                {text}
                            </p>
                        }
                    })
            }}
            <div class="field">
                <label for="kind">{t("form.kind")} {required()}</label>
                <select
                    id="kind"
                    on:change=move |ev| {
                        let v = event_target_value(&ev);
                        if let Some(k) = ActivityKind::ALL.into_iter().find(|k| kind_key(*k) == v) {
                            kind.set(k);
                        }
                    }
                >
                    {ActivityKind::ALL
                        .into_iter()
                        .map(|k| {
                            view! {
                                <option value=kind_key(k) selected=move || kind.get() == k>
                                    {kind_label(k)}
                                </option>
                            }
                        })
                        .collect_view()}
                </select>
            </div>
            <form::StationSelect
                id="station"
                value=station_id
                stations=ctx.stations
                errors=errors
                on_change=Callback::new(move |_| deputy_ids.set(vec![]))
            />
            <form::DateField id="date" value=date errors=errors/>
            <fieldset class="field" class:invalid=invalid(Field::Deputies)>
                <legend>{t("form.deputies")} {required()}</legend>
                <Show
                    when=move || !roster.get().is_empty()
                    fallback=|| view! { <p class="hint">{t("form.deputies.none")}</p> }
                >
                    <form::DeputyChips id="deputies" roster=roster chosen=deputy_ids/>
                </Show>
                {error_for(Field::Deputies)}
            </fieldset>
            <div class="field" class:invalid=invalid(Field::VotersReceived)>
                <label for="voters">{t("form.voters")} {required()}</label>
                <input
                    id="voters"
                    type="text"
                    inputmode="numeric"
                    autocomplete="off"
                    prop:value=move || voters.get()
                    on:input=move |ev| voters.set(event_target_value(&ev))
                />
                // Counting heads at the door: one tap per few voters.
                <div class="quick-count" role="group" aria-label=t("form.voters")>
                    {[1u32, 5, 10]
                        .into_iter()
                        .map(|n| {
                            view! {
                                <button
                                    type="button"
                                    class="chip-button"
                                    id=format!("voters-plus-{n}")
                                    on:click=move |_| {
                                        voters.update(|v| {
                                            let now: u32 = v.trim().parse().unwrap_or(0);
                                            *v = now.saturating_add(n).to_string();
                                        })
                                    }
                                >
                                    {format!("+{n}")}
                                </button>
                            }
                        })
                        .collect_view()}
                </div>
                {error_for(Field::VotersReceived)}
            </div>
            <div class="field check">
                <label>
                    <input
                        id="online"
                        type="checkbox"
                        prop:checked=move || online.get()
                        on:change=move |ev| online.set(event_target_checked(&ev))
                    />
                    {t("form.online")}
                </label>
            </div>
            <div class="field" class:invalid=invalid(Field::Location)>
                <label for="location">{t("form.location")}</label>
                <input
                    id="location"
                    type="text"
                    autocomplete="off"
                    prop:value=move || location.get()
                    on:input=move |ev| location.set(event_target_value(&ev))
                />
                {error_for(Field::Location)}
            </div>
            <div class="field" class:invalid=invalid(Field::Summary)>
                <label for="summary">{t("form.summary")} {required()}</label>
                <textarea
                    id="summary"
                    rows="4"
                    placeholder=t("form.summary.placeholder")
                    prop:value=move || summary.get()
                    on:input=move |ev| summary.set(event_target_value(&ev))
                ></textarea>
                <p class="counter">
                    {move || {
                        tf(
                            "form.summary.count",
                            &[
                                ("n", &summary.get().trim().chars().count().to_string()),
                                ("max", &MAX_SUMMARY_CHARS.to_string()),
                            ],
                        )
                    }}
                </p>
                {error_for(Field::Summary)}
            </div>
            <photos::PhotoField
                photos=photos
                activity_id=Signal::derive(move || editing.get())
                errors=errors
            />
            <form::SaveOrCancel
                save_id="save"
                label=save_label
                saving=saving
                draft=draft
                on_cancel=to_list
            />
            <Show when=move || !history.get().is_empty()>
                <History entries=history/>
            </Show>
        </form>
    }
}

/// The stable key of an activity kind (its snake_case name), for `<option value>`.
fn kind_key(k: ActivityKind) -> String {
    serde_plain::to_string(&k).unwrap_or_default()
}
