//! A deputy's duty record (代表履职档案) for a year: the rhythm of "月进站、季回家、年述职"
//! month by month, the year's figures (each opening its records), the suggestions put
//! forward and the activities attended; the yearly report opens from here.

use leptos::prelude::*;
use leptos::task::spawn_local;
use leptos_router::hooks::use_params_map;
use shared::{ActivitySummary, DutyRecord};

use crate::i18n::{app_error, enum_label, join, kind_label, t, tf};
use crate::links::{Link, month_range, quarter_range, year_name, year_range, ymd};
use crate::{Ctx, api, today};

/// How a month or quarter of the rhythm stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Mark {
    Kept,
    Missed,
    /// Not yet come: neither kept nor missed.
    Future,
}

impl Mark {
    fn of(kept: bool, elapsed: bool) -> Mark {
        if kept {
            Mark::Kept
        } else if elapsed {
            Mark::Missed
        } else {
            Mark::Future
        }
    }

    fn class(self) -> &'static str {
        match self {
            Mark::Kept => "kept",
            Mark::Missed => "missed",
            Mark::Future => "future",
        }
    }

    fn sign(self) -> &'static str {
        match self {
            Mark::Kept => "\u{2713}",
            Mark::Missed => "\u{2014}",
            Mark::Future => "",
        }
    }
}

#[component]
pub fn DutyPage() -> impl IntoView {
    let ctx = expect_context::<Ctx>();
    let params = use_params_map();
    let (this_year, _, _) = ymd(&today()).unwrap_or((2022, 1, 1));
    let deputy = Memo::new(move |_| params.with(|p| p.get("id").unwrap_or_default()));
    let year = Memo::new(move |_| {
        params
            .with(|p| p.get("year").and_then(|y| y.parse::<i32>().ok()))
            .unwrap_or(this_year)
    });
    let record = RwSignal::new(None::<DutyRecord>);
    let message = RwSignal::new(None::<String>);
    // Again whenever the deputy or year changes, or the data may have changed.
    Effect::new(move |_| {
        ctx.data_version.track();
        let (id, y) = (deputy.get(), year.get());
        spawn_local(async move {
            let result = api::duty_record(&id, y).await;
            // A later choice may have been made meanwhile.
            if deputy.try_get_untracked().as_ref() != Some(&id)
                || year.try_get_untracked() != Some(y)
            {
                return;
            }
            match result {
                Ok(r) => {
                    message.set(None);
                    record.set(Some(r));
                }
                Err(e) => {
                    record.set(None);
                    message.set(Some(app_error(&e)));
                }
            }
        });
    });

    let body = move || {
        let r = record.get()?;
        let y = r.year;
        let (elapsed_months, elapsed_quarters) =
            today().parse().ok().map_or((12, 4), |d| r.elapsed(d));
        let (from, to) = year_range(y);
        // The deputy's records of the year (or of a part of it).
        let activities = |from: &str, to: &str| {
            Link::new("/activities")
                .with("deputy", r.deputy_id.clone())
                .with("dname", r.name.clone())
                .with("from", from)
                .with("to", to)
        };
        let opinions = Link::new("/opinions")
            .with("deputy", r.deputy_id.clone())
            .with("dname", r.name.clone())
            .with("from", from.clone())
            .with("to", to.clone());
        let suggestions = Link::new("/suggestions")
            .with("deputy", r.deputy_id.clone())
            .with("from", from.clone())
            .with("to", to.clone());
        let levels: Vec<String> = r.levels.iter().map(|l| enum_label("level", l)).collect();
        let months = (1..=12u32)
            .map(|m| {
                let mark = Mark::of(r.months[m as usize - 1], (m as usize) <= elapsed_months);
                let label = tf(
                    &format!("duty.month_{}", mark.class()),
                    &[("month", &m.to_string())],
                );
                let (a, b) = month_range(y, m);
                let href = (mark != Mark::Future).then(|| activities(&a, &b).href());
                cell(
                    format!("duty-month-{m}"),
                    mark,
                    label,
                    tf("period.month_short", &[("month", &m.to_string())]),
                    href,
                )
            })
            .collect_view();
        let quarters = (1..=4u32)
            .map(|q| {
                let mark = Mark::of(r.quarters[q as usize - 1], (q as usize) <= elapsed_quarters);
                let label = tf(
                    &format!("duty.quarter_{}", mark.class()),
                    &[("quarter", &t(&format!("period.q{q}")))],
                );
                let (a, b) = quarter_range(y, q);
                let href = (mark != Mark::Future).then(|| activities(&a, &b).href());
                cell(
                    format!("duty-quarter-{q}"),
                    mark,
                    label,
                    t(&format!("period.quarter_short{q}")),
                    href,
                )
            })
            .collect_view();
        let year_mark = Mark::of(r.duty_report, elapsed_months >= 12);
        let year_label = if r.duty_report {
            t("duty.year_kept")
        } else {
            t("duty.year_missing")
        };
        let year_title = year_label.clone();
        let voters = r.voters_met;
        let figure = |id: &'static str, n: String, key: &str, href: String| {
            view! {
                <div class="figure">
                    <a class="figure-main" id=id href=href>
                        <span class="count">{n}</span>
                        <span class="what">{t(key)}</span>
                    </a>
                </div>
            }
        };
        let suggestion_items = r
            .suggestions
            .iter()
            .map(|(date, title, supervised)| {
                view! {
                    <li>
                        <span class="date">{date.to_string()}</span>
                        " "
                        {title.clone()}
                        {supervised
                            .then(|| view! { <span class="badge supervised">{t("suggestions.supervised")}</span> })}
                    </li>
                }
            })
            .collect_view();
        let no_suggestions = r.suggestions.is_empty();
        let activity_items = r
            .activities
            .iter()
            .map(|a: &ActivitySummary| {
                view! {
                    <li class="record" data-id=a.id.clone()>
                        <div class="record-head">
                            <span class="date">{a.date.to_string()}</span>
                            <span class="kind">{kind_label(a.kind)}</span>
                            <span class="station">{a.station_name.clone()}</span>
                        </div>
                        <p class="voters">
                            {tf("list.voters", &[("n", &a.voters_received.to_string())])}
                        </p>
                        <p class="summary">{a.summary.clone()}</p>
                        <a class="link" href=crate::links::href(&format!("/activities/{}", a.id))>{t("duty.open_activity")}</a>
                    </li>
                }
            })
            .collect_view();
        let no_activities = r.activities.is_empty();
        let report_label = if r.report_id.is_some() {
            t("duty.report_saved")
        } else {
            t("duty.report_write")
        };
        Some(view! {
            <h2 id="duty-name">{r.name.clone()}</h2>
            <p class="duty-who" id="duty-levels">
                {join(&levels)} " · " <span class="station">{r.station_name.clone()}</span>
            </p>
            <nav class="year-switch" aria-label=t("duty.year_switch")>
                <a id="duty-prev" class="secondary" href=crate::links::href(&format!("/deputy/{}/{}", r.deputy_id, y - 1))>
                    "‹ " {year_name(y - 1)}
                </a>
                <span id="duty-year" class="year">{year_name(y)}</span>
                {(y < this_year)
                    .then(|| {
                        view! {
                            <a id="duty-next" class="secondary" href=crate::links::href(&format!("/deputy/{}/{}", r.deputy_id, y + 1))>
                                {year_name(y + 1)} " ›"
                            </a>
                        }
                    })}
            </nav>
            <h3>{t("duty.months")}</h3>
            <div class="marks months" id="duty-months">{months}</div>
            <h3>{t("duty.quarters")}</h3>
            <div class="marks quarters" id="duty-quarters">{quarters}</div>
            <h3>{t("duty.year")}</h3>
            <p
                id="duty-year-report"
                class=format!("year-mark {}", year_mark.class())
                title=year_title
            >
                <span aria-hidden="true">{year_mark.sign()}</span>
                " "
                {year_label}
            </p>
            <p class="report-link">
                <a id="duty-report" class="secondary" href=crate::links::href(&format!("/report/{}/{y}", r.deputy_id))>
                    {report_label}
                </a>
            </p>
            <div class="figures" id="duty-figures">
                {figure(
                    "duty-figure-activities",
                    r.activities.len().to_string(),
                    "duty.fig.activities",
                    activities(&from, &to).href(),
                )}
                {figure(
                    "duty-figure-voters",
                    voters.to_string(),
                    "duty.fig.voters",
                    activities(&from, &to).href(),
                )}
                {figure("duty-figure-opinions", r.opinions.to_string(), "duty.fig.opinions", opinions.href())}
                {figure(
                    "duty-figure-answered",
                    r.opinions_answered.to_string(),
                    "duty.fig.answered",
                    opinions.clone().with("status", "answered,fed_back").href(),
                )}
                {figure(
                    "duty-figure-suggestions",
                    r.suggestions.len().to_string(),
                    "duty.fig.suggestions",
                    suggestions.href(),
                )}
            </div>
            <h3>{t("duty.suggestions")}</h3>
            {if no_suggestions {
                view! { <p class="empty">{t("duty.no_suggestions")}</p> }.into_any()
            } else {
                view! { <ul class="plain" id="duty-suggestions">{suggestion_items}</ul> }.into_any()
            }}
            <h3>{t("duty.activities")}</h3>
            {if no_activities {
                view! { <p class="empty">{t("duty.no_activities")}</p> }.into_any()
            } else {
                view! { <ul class="records" id="duty-activities">{activity_items}</ul> }.into_any()
            }}
        })
    };
    view! {
        <section aria-labelledby="duty-name" id="duty">
            {move || message.get().map(|m| view! { <p class="message error" role="alert">{m}</p> })}
            {body}
        </section>
    }
}

/// One month or quarter of the rhythm: its name, its mark, what the mark means (for
/// screen readers and as a tooltip), and a link to its activities once it has come.
fn cell(id: String, mark: Mark, label: String, name: String, href: Option<String>) -> AnyView {
    let class = format!("mark {}", mark.class());
    let inner = view! {
        <span class="when">{name}</span>
        <span class="sign" aria-hidden="true">{mark.sign()}</span>
    };
    match href {
        Some(href) => view! {
            <a id=id class=class href=href title=label.clone() aria-label=label>
                {inner}
            </a>
        }
        .into_any(),
        None => view! {
            <span id=id class=class title=label.clone() aria-label=label>
                {inner}
            </span>
        }
        .into_any(),
    }
}
