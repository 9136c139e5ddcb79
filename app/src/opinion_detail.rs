//! One opinion's detail: its timeline, the referral to a department, the feedback to
//! the voter, and the voter's contact (shown, or its consent withdrawn on their behalf).

use leptos::prelude::*;
use leptos::task::spawn_local;
use leptos_router::hooks::use_navigate;
use shared::{
    AppError, Department, FeedbackInput, Field, FieldError, ReferralInput, Satisfaction,
    TimelineStep, VoterContact,
};

use crate::i18n::{app_error, snake, t};
use crate::links::Link;
use crate::opinions::{satisfaction_label, status_label};
use crate::{Ctx, api, go, today};

/// One opinion's timeline, with what can be done next: refer it to a department, and
/// record the feedback given to the voter.
#[component]
pub fn OpinionDetail(
    id: String,
    on_changed: impl Fn() + Copy + Send + Sync + 'static,
    on_close: impl Fn() + Copy + Send + Sync + 'static,
) -> impl IntoView {
    let ctx = expect_context::<Ctx>();
    let id = StoredValue::new(id);
    let steps = RwSignal::new(Vec::<TimelineStep>::new());
    let contact = RwSignal::new(VoterContact::None);
    let confirming = RwSignal::new(false);
    let departments = RwSignal::new(Vec::<Department>::new());
    let department = RwSignal::new(String::new());
    let deadline = RwSignal::new(String::new());
    let feedback = RwSignal::new(String::new());
    let satisfaction = RwSignal::new(None::<Satisfaction>);
    let errors = RwSignal::new(Vec::<FieldError>::new());
    let message = RwSignal::new(None::<String>);
    let load = move || {
        spawn_local(async move {
            let id = id.get_value();
            steps.set(api::opinion_timeline(&id).await.unwrap_or_default());
            contact.set(api::voter_contact(&id).await.unwrap_or(VoterContact::None));
        })
    };
    // Again whenever the data may have changed (a save, a sync).
    Effect::new(move |_| {
        ctx.data_version.track();
        load();
    });
    spawn_local(async move {
        departments.set(api::departments().await.unwrap_or_default());
    });
    let outcome = move |result: Result<(), AppError>| match result {
        Ok(()) => {
            errors.set(vec![]);
            message.set(None);
            department.set(String::new());
            deadline.set(String::new());
            feedback.set(String::new());
            satisfaction.set(None);
            on_changed();
            // The new step is what the user wants to see.
            set_timeout(
                || {
                    if let Some(timeline) = web_sys::window()
                        .and_then(|w| w.document())
                        .and_then(|d| d.query_selector("#timeline").ok().flatten())
                    {
                        timeline.scroll_into_view();
                    }
                },
                std::time::Duration::from_millis(50),
            );
        }
        Err(AppError::Invalid { fields }) => {
            errors.set(fields);
            message.set(Some(t("form.invalid")));
        }
        Err(e) => message.set(Some(app_error(&e))),
    };
    // What is typed into the referral and feedback forms survives closing the app.
    let referral_form = format!("referral:{}", id.get_value());
    let feedback_form = format!("feedback:{}", id.get_value());
    crate::form::keep_draft(
        referral_form.clone(),
        move || ReferralInput {
            opinion_id: id.get_value(),
            department_id: department.get(),
            deadline: deadline.get(),
            ..ReferralInput::default()
        },
        |i| !i.department_id.is_empty() || !i.deadline.trim().is_empty(),
        move |d: ReferralInput| {
            department.set(d.department_id);
            deadline.set(d.deadline);
        },
    );
    crate::form::keep_draft(
        feedback_form.clone(),
        move || FeedbackInput {
            opinion_id: id.get_value(),
            date: String::new(),
            text: feedback.get(),
            satisfaction: satisfaction.get(),
        },
        |f| !f.text.trim().is_empty() || f.satisfaction.is_some(),
        move |d: FeedbackInput| {
            feedback.set(d.text);
            satisfaction.set(d.satisfaction);
        },
    );
    let referral_form = StoredValue::new(referral_form);
    let feedback_form = StoredValue::new(feedback_form);
    let refer = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let input = ReferralInput {
            opinion_id: id.get_value(),
            department_id: department.get_untracked(),
            deadline: deadline.get_untracked(),
            ..ReferralInput::default()
        };
        let form = referral_form.get_value();
        spawn_local(
            async move { outcome(api::refer_opinion(&input, Some(&form)).await.map(|_| ())) },
        );
    };
    let feed_back = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let input = FeedbackInput {
            opinion_id: id.get_value(),
            date: today(),
            text: feedback.get_untracked(),
            satisfaction: satisfaction.get_untracked(),
        };
        let form = feedback_form.get_value();
        spawn_local(async move { outcome(api::record_feedback(&input, Some(&form)).await) });
    };
    let withdraw = move |_| {
        confirming.set(false);
        spawn_local(async move { outcome(api::withdraw_consent(&id.get_value()).await) });
    };
    let error_for = move |field: Field| crate::form::error_for(errors, field);
    let invalid = move |field: Field| crate::form::invalid(errors, field);
    let required = crate::form::required;
    // Forming a deputy suggestion or a livelihood lead from this opinion: the form opens
    // with it ticked.
    let navigate = StoredValue::new_local(use_navigate());
    let form_from = move |kind: &'static str| {
        let href = Link::new("/suggestions")
            .with("new", kind)
            .with("opinion", id.get_value())
            .href();
        navigate.with_value(|n| go(n, &href));
    };
    // The voter's name and phone, opened here only for the station's eyes; the
    // station may withdraw consent on the voter's behalf (after a confirmation).
    let contact_view = move || {
        let withdrawable = match contact.get() {
            VoterContact::None => return None,
            VoterContact::Erased => {
                return Some(
                    view! { <p class="hint">{t("opinions.contact_erased")}</p> }.into_any(),
                );
            }
            VoterContact::Waiting => {
                view! { <p class="hint">{t("opinions.contact_waiting")}</p> }.into_any()
            }
            VoterContact::Shown { name, phone } => view! {
                <p>
                    <span class="label">{t("opinions.contact")}</span> " " {name} " " {phone}
                </p>
            }
            .into_any(),
        };
        Some(
            view! {
                {withdrawable}
                <Show
                    when=move || confirming.get()
                    fallback=move || {
                        view! {
                            <button class="link danger" id="withdraw-consent" on:click=move |_| confirming.set(true)>
                                {t("opinions.withdraw")}
                            </button>
                        }
                    }
                >
                    <div class="confirm" role="alertdialog" aria-labelledby="withdraw-question">
                        <p id="withdraw-question">{t("opinions.withdraw_confirm")}</p>
                        <button class="danger" id="withdraw-yes" on:click=withdraw>
                            {t("opinions.withdraw_yes")}
                        </button>
                        <button class="secondary" id="withdraw-no" on:click=move |_| confirming.set(false)>
                            {t("opinions.withdraw_no")}
                        </button>
                    </div>
                </Show>
            }
            .into_any(),
        )
    };
    view! {
        <section class="card detail" aria-labelledby="detail-title">
            <div class="section-head">
                <h3 id="detail-title">{t("opinions.detail")}</h3>
                <button class="link" id="detail-close" on:click=move |_| on_close()>
                    {t("opinions.back")}
                </button>
            </div>
            {move || {
                message
                    .get()
                    .map(|m| view! { <p class="message error" role="status">{m}</p> })
            }}
            <ol class="timeline" id="timeline">
                {move || {
                    steps
                        .get()
                        .into_iter()
                        .map(|s| {
                            let status = snake(&s.status);
                            view! {
                                <li class=format!("step step-{status}")>
                                    <p class="when">
                                        <span class=format!("status status-{status}")>
                                            {status_label(s.status)}
                                        </span>
                                        " " {s.date.to_string()} " "
                                        {s.department.clone().unwrap_or_default()}
                                    </p>
                                    <p>{s.text.clone()}</p>
                                    {s.deadline
                                        .map(|d| {
                                            view! {
                                                <p class="hint">
                                                    {t("opinions.deadline")} " " {d.to_string()}
                                                </p>
                                            }
                                        })}
                                    {s.satisfaction
                                        .map(|x| view! { <p class="hint">{satisfaction_label(x)}</p> })}
                                </li>
                            }
                        })
                        .collect_view()
                }}
            </ol>
            <div class="voter-contact" id="voter-contact">{contact_view}</div>
            <Show when=move || !ctx.stations.get().is_empty()>
                <div class="buttons form-from">
                    <button
                        type="button"
                        class="secondary"
                        id="opinion-to-suggestion"
                        on:click=move |_| form_from("suggestion")
                    >
                        {t("opinions.to_suggestion")}
                    </button>
                    <button
                        type="button"
                        class="secondary"
                        id="opinion-to-lead"
                        on:click=move |_| form_from("lead")
                    >
                        {t("opinions.to_lead")}
                    </button>
                </div>
            </Show>
            <form class="form" on:submit=refer novalidate aria-labelledby="refer-title">
                <h4 id="refer-title">{t("opinions.refer_title")}</h4>
                <div class="field" class:invalid=invalid(Field::Department)>
                    <label for="department">{t("field.department")} {required()}</label>
                    <select
                        id="department"
                        prop:value=move || department.get()
                        on:change=move |ev| department.set(event_target_value(&ev))
                    >
                        <option value="">{t("opinions.choose_department")}</option>
                        <For
                            each=move || departments.get()
                            key=|d| d.id.clone()
                            children=move |d: Department| {
                                view! { <option value=d.id.clone()>{d.name.clone()}</option> }
                            }
                        />
                    </select>
                    {error_for(Field::Department)}
                </div>
                <div class="field" class:invalid=invalid(Field::Deadline)>
                    <label for="deadline">{t("field.deadline")} {required()}</label>
                    <input
                        id="deadline"
                        type="date"
                        prop:value=move || deadline.get()
                        on:input=move |ev| deadline.set(event_target_value(&ev))
                    />
                    {error_for(Field::Deadline)}
                </div>
                <button type="submit" id="refer" class="secondary">{t("opinions.refer")}</button>
            </form>
            <form class="form" on:submit=feed_back novalidate aria-labelledby="feedback-title">
                <h4 id="feedback-title">{t("opinions.feedback_title")}</h4>
                <div class="field" class:invalid=invalid(Field::Feedback)>
                    <label for="feedback">{t("field.feedback")} {required()}</label>
                    <textarea
                        id="feedback"
                        rows="3"
                        prop:value=move || feedback.get()
                        on:input=move |ev| feedback.set(event_target_value(&ev))
                    ></textarea>
                    {error_for(Field::Feedback)}
                </div>
                <div class="field">
                    <label for="satisfaction">{t("field.satisfaction")}</label>
                    <select
                        id="satisfaction"
                        prop:value=move || satisfaction.get().map(|x| snake(&x)).unwrap_or_default()
                        on:change=move |ev| {
                            let v = event_target_value(&ev);
                            satisfaction
                                .set(
                                    Satisfaction::ALL
                                        .into_iter()
                                        .find(|s| snake(s) == v),
                                );
                        }
                    >
                        <option value="">{t("opinions.no_satisfaction")}</option>
                        {Satisfaction::ALL
                            .into_iter()
                            .map(|x| view! { <option value=snake(&x)>{satisfaction_label(x)}</option> })
                            .collect_view()}
                    </select>
                </div>
                <button type="submit" id="feedback-save" class="secondary">
                    {t("opinions.feedback_save")}
                </button>
            </form>
        </section>
    }
}
