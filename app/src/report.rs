//! The yearly duty report editor (年度履职报告): the saved report, or a draft written from
//! the duty record; a title and the text (blank lines separate paragraphs, a line
//! starting with `#` is a heading), previewed as it will print. Saved with its history;
//! exported as PDF (saved first when edited). What is typed and not saved survives
//! closing the app, and a refused save loses nothing.

use leptos::prelude::*;
use leptos::task::spawn_local;
use leptos_router::hooks::use_params_map;
use serde::{Deserialize, Serialize};
use shared::{Field, FieldError, HistoryEntry, YearReportInput, report_sections};

use crate::api::ExportFormat;
use crate::filters::{ExportMessage, Exporter};
use crate::history::History;
use crate::i18n::{app_error, t, tf};
use crate::links::{file_name, ymd};
use crate::{Ctx, api, today};

/// What the report editor keeps of unsaved typing.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
struct ReportDraft {
    input: YearReportInput,
    /// It differs from the report as loaded or last saved.
    edited: bool,
}

#[component]
pub fn ReportPage() -> impl IntoView {
    let params = use_params_map();
    let (this_year, _, _) = ymd(&today()).unwrap_or((2022, 1, 1));
    let deputy = Memo::new(move |_| params.with(|p| p.get("deputy").unwrap_or_default()));
    let year = Memo::new(move |_| {
        params
            .with(|p| p.get("year").and_then(|y| y.parse::<i32>().ok()))
            .unwrap_or(this_year)
    });
    // The report as loaded, the saved report's id, and the deputy's name.
    let loaded = RwSignal::new(None::<(YearReportInput, Option<String>, String)>);
    let message = RwSignal::new(None::<String>);
    // Once per deputy and year: a sync does not overwrite what is being typed.
    Effect::new(move |_| {
        let (id, y) = (deputy.get(), year.get());
        loaded.set(None);
        spawn_local(async move {
            let report = api::year_report(&id, y).await;
            let record = api::duty_record(&id, y).await;
            match (report, record) {
                (Ok(input), Ok(r)) => {
                    message.set(None);
                    loaded.set(Some((input, r.report_id, r.name)));
                }
                (Err(e), _) | (_, Err(e)) => message.set(Some(app_error(&e))),
            }
        });
    });
    view! {
        <section aria-labelledby="report-heading" id="report">
            {move || message.get().map(|m| view! { <p class="message error" role="alert">{m}</p> })}
            {move || {
                loaded
                    .get()
                    .map(|(input, report_id, name)| {
                        view! { <ReportEditor input=input report_id=report_id name=name/> }
                    })
            }}
        </section>
    }
}

#[component]
fn ReportEditor(input: YearReportInput, report_id: Option<String>, name: String) -> impl IntoView {
    let ctx = expect_context::<Ctx>();
    let deputy_id = StoredValue::new(input.deputy_id.clone());
    let year = input.year;
    let title = RwSignal::new(input.title.clone());
    let text = RwSignal::new(input.text.clone());
    // The report as saved (or as drafted by the app, unsaved): what "edited" compares to.
    let saved = RwSignal::new((input.title.clone(), input.text.clone()));
    let report_id = RwSignal::new(report_id);
    let errors = RwSignal::new(Vec::<FieldError>::new());
    let message = RwSignal::new(None::<(bool, String)>);
    let saving = RwSignal::new(false);
    let exporter = Exporter::new();
    let history = RwSignal::new(Vec::<HistoryEntry>::new());
    let show_history = RwSignal::new(false);
    let edited = move || saved.with(|(a, b)| *a != title.get() || *b != text.get());
    let current = move || YearReportInput {
        deputy_id: deputy_id.get_value(),
        year,
        title: title.get(),
        text: text.get(),
    };
    crate::form::keep_draft(
        format!("report:{}:{year}", deputy_id.get_value()),
        move || ReportDraft {
            input: current(),
            edited: edited(),
        },
        |d| d.edited,
        move |d: ReportDraft| {
            if d.edited {
                title.set(d.input.title);
                text.set(d.input.text);
            }
        },
    );
    // The history, once saved (again after each save or sync).
    Effect::new(move |_| {
        ctx.data_version.track();
        let Some(id) = report_id.get() else {
            return;
        };
        if !show_history.get() {
            return;
        }
        spawn_local(async move {
            history.set(api::history("report", &id).await.unwrap_or_default());
        });
    });
    let name = StoredValue::new(name);
    let export = move || {
        let file = file_name(
            &tf(
                "export.file.report",
                &[("name", &name.get_value()), ("year", &year.to_string())],
            ),
            ExportFormat::Pdf.extension(),
        );
        let deputy = deputy_id.get_value();
        exporter.run(ExportFormat::Pdf, async move {
            api::export_report(&deputy, year, &file).await
        });
    };
    let save = move |then_export: bool| {
        let input = untrack(current);
        let kept = (input.title.clone(), input.text.clone());
        message.set(None);
        crate::form::submit(
            saving,
            errors,
            move |m| message.set(Some((false, m))),
            async move { api::save_report(&input).await },
            move |id| {
                report_id.set(Some(id));
                saved.set(kept);
                message.set(Some((true, t("report.saved"))));
                ctx.saved();
                if then_export {
                    export();
                }
            },
        );
    };
    let on_submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        save(false);
    };
    // The PDF is of the saved report: an edited one is saved first.
    let pdf = move |_| {
        if untrack(edited) {
            save(true);
        } else {
            export();
        }
    };
    let error_in = move |field: Field| crate::form::error_in(errors, field, "report");
    let invalid = move |field: Field| crate::form::invalid(errors, field);
    let required = crate::form::required;
    let preview = move || {
        report_sections(&text.get())
            .into_iter()
            .map(|(heading, paragraphs)| {
                view! {
                    {heading.map(|h| view! { <h4>{h}</h4> })}
                    {paragraphs.into_iter().map(|p| view! { <p>{p}</p> }).collect_view()}
                }
            })
            .collect_view()
    };
    let back = crate::links::href(&format!("/deputy/{}/{year}", deputy_id.get_value()));
    view! {
        <div class="section-head">
            <h2 id="report-heading">{t("report.heading")}</h2>
            <a href=back id="report-back" class="link">{t("report.back")}</a>
        </div>
        <form class="form card" on:submit=on_submit novalidate>
            {error_in(Field::Date)}
            {error_in(Field::Deputies)}
            <div class="field" class:invalid=invalid(Field::Title)>
                <label for="report-title">{t("field.title")} {required()}</label>
                <input
                    id="report-title"
                    type="text"
                    prop:value=move || title.get()
                    on:input=move |ev| title.set(event_target_value(&ev))
                />
                {error_in(Field::Title)}
            </div>
            <div class="field" class:invalid=invalid(Field::Content)>
                <label for="report-text">{t("report.text")} {required()}</label>
                <p class="hint" id="report-hint">{t("report.hint")}</p>
                <textarea
                    id="report-text"
                    class="report-text"
                    rows="16"
                    aria-describedby="report-hint"
                    prop:value=move || text.get()
                    on:input=move |ev| text.set(event_target_value(&ev))
                ></textarea>
                <p class="counter">
                    {move || {
                        tf(
                            "form.summary.count",
                            &[
                                ("n", &text.get().chars().count().to_string()),
                                ("max", &shared::MAX_REPORT_CHARS.to_string()),
                            ],
                        )
                    }}
                </p>
                {error_in(Field::Content)}
            </div>
            <div class="buttons report-buttons">
                <button type="submit" id="report-save" class="primary" disabled=move || saving.get()>
                    {move || if saving.get() { t("report.saving") } else { t("form.save") }}
                </button>
                <button
                    type="button"
                    id="report-pdf"
                    class="secondary"
                    disabled=move || exporter.busy() || saving.get()
                    on:click=pdf
                >
                    {exporter.label(ExportFormat::Pdf, "report.pdf")}
                </button>
            </div>
            // Beside the buttons, where the user looks after tapping one (the form is
            // long: a word at its top goes unseen).
            {move || {
                message
                    .get()
                    .map(|(ok, m)| {
                        view! {
                            <p class=if ok { "message ok" } else { "message error" } role="status" id="report-message">
                                {m}
                            </p>
                        }
                    })
            }}
            <ExportMessage exporter=exporter id="report-export-message"/>
            <Show when=move || edited()>
                <p class="hint" id="report-unsaved">{t("report.unsaved")}</p>
            </Show>
        </form>
        <section class="card report-preview" aria-labelledby="report-preview-title">
            <h3 id="report-preview-title">{t("report.preview")}</h3>
            <article id="report-preview">
                <h3 class="report-title">{move || title.get()}</h3>
                {preview}
            </article>
        </section>
        <Show when=move || report_id.get().is_some()>
            <button
                type="button"
                class="link"
                id="report-history"
                aria-expanded=move || show_history.get().to_string()
                on:click=move |_| show_history.update(|s| *s = !*s)
            >
                {move || if show_history.get() { t("report.history_hide") } else { t("report.history") }}
            </button>
            <Show when=move || show_history.get()>
                <History entries=history/>
            </Show>
        </Show>
    }
}
