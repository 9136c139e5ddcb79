//! Statistics (统计): the figures of a period — a month, quarter or year, a campaign, a
//! consultation, or chosen dates — for what the account covers: a station's account its
//! station, a coordinator their street or town by station, the district office the
//! district by street and town (or one street or town, by station). Every figure, bar,
//! point and segment opens the records behind it (the activity list or the opinion list,
//! filtered through the address); the deputies of the scope open their duty records; the
//! figures export as an xlsx workbook.

use leptos::prelude::*;
use leptos::task::spawn_local;
use leptos_router::hooks::{use_navigate, use_query_map};
use shared::{
    ActivityFilter, AppError, Campaign, Deputy, DeputyLevel, DraftRegulation, OpinionFilter,
    OpinionStatus, Satisfaction, Station, Statistics, StatsQuery,
};

use crate::charts::{Bar, BarChart, LineChart, PALETTE, Point, Segment, ShareBar};
use crate::ctx::Scope;
use crate::filters::{ExportMessage, Exporter};
use crate::i18n::{app_error, count, enum_label, kind_label, snake, t, tf};
use crate::links::{
    Link, file_name, month_name, month_range, period_name, quarter_range, year_of, year_range, ymd,
};
use crate::{Ctx, api, today};

mod finder;
mod parts;

use finder::DeputyFinder;
use parts::*;

#[component]
pub fn StatsPage() -> impl IntoView {
    let ctx = expect_context::<Ctx>();
    ctx.load_subdistricts();
    let (this_year, this_month, _) = ymd(&today()).unwrap_or((2022, 1, 1));
    // The choices live in the address too (replaced, not added to the history): going
    // back from the records a figure opened finds the same period and place.
    let kept = use_query_map().get_untracked();
    let kept_text = |key: &str| kept.get(key).unwrap_or_default();
    let kept_number = |key: &str| kept.get(key).and_then(|v| v.parse::<u32>().ok());
    let kind = RwSignal::new(
        PeriodKind::ALL
            .into_iter()
            .find(|k| Some(k.value()) == kept.get("period").as_deref())
            .unwrap_or(PeriodKind::Year),
    );
    let year = RwSignal::new(
        kept.get("year")
            .and_then(|y| y.parse().ok())
            .unwrap_or(this_year),
    );
    let month = RwSignal::new(kept_number("month").unwrap_or(this_month));
    let quarter = RwSignal::new(kept_number("quarter").unwrap_or(this_month.div_ceil(3)));
    let campaign = RwSignal::new(kept_text("campaign"));
    let draft = RwSignal::new(kept_text("draft"));
    let from = RwSignal::new(kept_text("from"));
    let to = RwSignal::new(kept_text("to"));
    // The district office's choice of one street or town ("" for the whole district).
    let narrowed = RwSignal::new(kept_text("place"));
    // One station of the street or town shown ("" for all of them).
    let one_station = RwSignal::new(kept_text("station"));
    let navigate = use_navigate();
    Effect::new(move |_| {
        let here = Link::new("/stats")
            .with("period", kind.get().value())
            .with("year", year.get().to_string())
            .with("month", month.get().to_string())
            .with("quarter", quarter.get().to_string())
            .with("campaign", campaign.get())
            .with("draft", draft.get())
            .with("from", from.get())
            .with("to", to.get())
            .with("place", narrowed.get())
            .with("station", one_station.get())
            .href();
        navigate(
            &here,
            leptos_router::NavigateOptions {
                replace: true,
                scroll: false,
                // Whole (under the web app's base): not resolved against it again.
                resolve: false,
                ..Default::default()
            },
        );
    });
    let campaigns = RwSignal::new(Vec::<Campaign>::new());
    let drafts = RwSignal::new(Vec::<DraftRegulation>::new());
    let stations = RwSignal::new(Vec::<Station>::new());
    // The year of the newest record (the default period), found before the first count,
    // and again whenever the data may have changed (the first sync brings the district
    // after the screen opened): the period follows it unless the user chose another.
    let ready = RwSignal::new(false);
    let latest_year = RwSignal::new(this_year);
    Effect::new(move |_| {
        ctx.data_version.track();
        spawn_local(async move {
            let one = Some(1);
            let activity = api::list_activities(&ActivityFilter {
                limit: one,
                ..ActivityFilter::default()
            })
            .await
            .ok()
            .and_then(|l| l.first().map(|a| a.date.to_string()));
            let opinion = api::list_opinions(&OpinionFilter {
                limit: one,
                ..OpinionFilter::default()
            })
            .await
            .ok()
            .and_then(|l| l.first().map(|o| o.date.to_string()));
            if let Some((y, m, _)) =
                newest(activity.into_iter().chain(opinion)).and_then(|d| ymd(&d))
            {
                let untouched = year.get_untracked() == latest_year.get_untracked();
                latest_year.set(y);
                if untouched {
                    year.set(y);
                    month.set(m);
                    quarter.set(m.div_ceil(3));
                }
            }
            let c = api::campaigns().await.unwrap_or_default();
            if !c.iter().any(|x| x.id == campaign.get_untracked()) {
                campaign.set(c.first().map(|x| x.id.clone()).unwrap_or_default());
            }
            campaigns.set(c);
            let d = api::drafts().await.unwrap_or_default();
            if !d.iter().any(|x| x.id == draft.get_untracked()) {
                draft.set(d.first().map(|x| x.id.clone()).unwrap_or_default());
            }
            drafts.set(d);
            stations.set(api::all_stations().await.unwrap_or_default());
            ready.set(true);
        });
    });
    let scope = Memo::new(move |_| ctx.scope());
    // The query of the period and place chosen, or why there is none.
    let query = Memo::new(move |_| -> Result<StatsQuery, String> {
        let window = |(a, b): (String, String)| (a.parse().ok(), b.parse().ok());
        let (from, to, campaign_id, draft_id) = match kind.get() {
            PeriodKind::Month => {
                let (a, b) = window(month_range(year.get(), month.get()));
                (a, b, None, None)
            }
            PeriodKind::Quarter => {
                let (a, b) = window(quarter_range(year.get(), quarter.get()));
                (a, b, None, None)
            }
            PeriodKind::Year => {
                let (a, b) = window(year_range(year.get()));
                (a, b, None, None)
            }
            PeriodKind::Campaign => {
                let id = campaign.get();
                let c = campaigns.with(|cs| cs.iter().find(|c| c.id == id).cloned());
                let Some(c) = c else {
                    return Err(t("stats.no_campaign"));
                };
                (Some(c.starts), Some(c.ends), Some(c.id), None)
            }
            PeriodKind::Draft => {
                let id = draft.get();
                let d = drafts.with(|ds| ds.iter().find(|d| d.id == id).cloned());
                let Some(d) = d else {
                    return Err(t("stats.no_draft"));
                };
                (Some(d.opens), Some(d.closes), None, Some(d.id))
            }
            PeriodKind::Dates => {
                let (a, b) = (from.get(), to.get());
                if !a.is_empty() && !b.is_empty() && a > b {
                    return Err(t("stats.dates_wrong_way"));
                }
                (a.parse().ok(), b.parse().ok(), None, None)
            }
        };
        let chosen = Some(one_station.get()).filter(|s| !s.is_empty());
        let (subdistrict_id, station_id) = match (scope.get(), chosen) {
            (Scope::Station(id), _) => (None, Some(id)),
            (_, Some(station)) => (None, Some(station)),
            (Scope::Subdistrict(id), None) => (Some(id), None),
            (Scope::District, None) => (Some(narrowed.get()).filter(|s| !s.is_empty()), None),
        };
        Ok(StatsQuery {
            from,
            to,
            campaign_id,
            draft_id,
            subdistrict_id,
            station_id,
        })
    });
    // The figures shown: of the last query that could be counted (a wrong choice keeps
    // them, with the reason above).
    let stats = RwSignal::new(None::<Statistics>);
    let error = RwSignal::new(None::<String>);
    let loading = RwSignal::new(false);
    let asked = StoredValue::new(0u64);
    Effect::new(move |_| {
        ctx.data_version.track();
        if !ready.get() {
            return;
        }
        match query.get() {
            Err(why) => error.set(Some(why)),
            Ok(q) => {
                error.set(None);
                loading.set(true);
                asked.update_value(|n| *n += 1);
                let mine = asked.get_value();
                spawn_local(async move {
                    let result = api::statistics(&q).await;
                    // Only the answer to the latest question counts.
                    if asked.try_get_value() != Some(mine) {
                        return;
                    }
                    match result {
                        Ok(s) => stats.set(Some(s)),
                        Err(AppError::Invalid { .. }) => {
                            error.set(Some(t("stats.dates_wrong_way")))
                        }
                        Err(e) => error.set(Some(app_error(&e))),
                    }
                    loading.set(false);
                });
            }
        }
    });

    let station_name = move |id: &str| {
        stations
            .get()
            .into_iter()
            .find(|s| s.id == id)
            .map_or_else(|| id.to_owned(), |s| s.name)
    };
    // Where and when the figures shown are of.
    let place_of = move |q: &StatsQuery| {
        if let Some(st) = &q.station_id {
            station_name(st)
        } else if let Some(sd) = &q.subdistrict_id {
            ctx.subdistrict_name(sd)
        } else {
            t("place.district")
        }
    };
    let period_of = move |q: &StatsQuery| {
        if let Some(c) = q.campaign_id.as_ref().and_then(|id| {
            campaigns
                .get()
                .into_iter()
                .find(|c| &c.id == id)
                .map(|c| c.name)
        }) {
            c
        } else if let Some(d) = q.draft_id.as_ref().and_then(|id| {
            drafts
                .get()
                .into_iter()
                .find(|d| &d.id == id)
                .map(|d| d.title)
        }) {
            d
        } else {
            let (a, b) = (q.from.map(|d| d.to_string()), q.to.map(|d| d.to_string()));
            period_name(a.as_deref(), b.as_deref())
        }
    };

    // Export: the workbook of the figures shown ("海淀区-统计-2022年1月.xlsx").
    let exporter = Exporter::new();
    // Another place or period: the notice of the last export was about other figures.
    Effect::new(move |before: Option<Option<StatsQuery>>| {
        let shown = stats.with(|s| s.as_ref().map(|s| s.query.clone()));
        let before = before.flatten();
        if let (Some(b), Some(now)) = (&before, &shown)
            && b != now
        {
            exporter.forget();
        }
        shown.or(before)
    });
    let export = move |_| {
        let Some(s) = stats.get_untracked() else {
            return;
        };
        let q = s.query;
        let name = untrack(|| {
            file_name(
                &tf(
                    "export.file.stats",
                    &[("place", &place_of(&q)), ("period", &period_of(&q))],
                ),
                "xlsx",
            )
        });
        exporter.run(api::ExportFormat::Xlsx, async move {
            api::export_statistics(&q, &name).await
        });
    };

    let years = move || {
        let hi = this_year.max(latest_year.get());
        let lo = (hi - 9).min(year.get());
        (lo..=hi).rev().collect::<Vec<i32>>()
    };
    let choose_kind = move |value: String| {
        let Some(k) = PeriodKind::ALL.into_iter().find(|k| k.value() == value) else {
            return;
        };
        // Chosen dates start from the period shown.
        if k == PeriodKind::Dates
            && from.get_untracked().is_empty()
            && to.get_untracked().is_empty()
            && let Some(s) = stats.get_untracked()
        {
            from.set(s.query.from.map(|d| d.to_string()).unwrap_or_default());
            to.set(s.query.to.map(|d| d.to_string()).unwrap_or_default());
        }
        kind.set(k);
    };
    let year_select = move || {
        view! {
            <label>
                <span>{t("stats.year")}</span>
                <select
                    id="stats-year"
                    on:change=move |ev| {
                        if let Ok(y) = event_target_value(&ev).parse() {
                            year.set(y);
                        }
                    }
                >
                    {move || {
                        years()
                            .into_iter()
                            .map(|y| {
                                view! {
                                    <option value=y.to_string() selected=move || year.get() == y>
                                        {crate::links::year_name(y)}
                                    </option>
                                }
                            })
                            .collect_view()
                    }}
                </select>
            </label>
        }
    };
    let period_fields = move || {
        match kind.get() {
        PeriodKind::Month => view! {
            {year_select()}
            <label>
                <span>{t("stats.month")}</span>
                <select
                    id="stats-month"
                    on:change=move |ev| {
                        if let Ok(m) = event_target_value(&ev).parse() {
                            month.set(m);
                        }
                    }
                >
                    {(1..=12u32)
                        .map(|m| {
                            view! {
                                <option value=m.to_string() selected=move || month.get() == m>
                                    {tf("period.month_short", &[("month", &m.to_string())])}
                                </option>
                            }
                        })
                        .collect_view()}
                </select>
            </label>
        }
        .into_any(),
        PeriodKind::Quarter => view! {
            {year_select()}
            <label>
                <span>{t("stats.quarter")}</span>
                <select
                    id="stats-quarter"
                    on:change=move |ev| {
                        if let Ok(q) = event_target_value(&ev).parse() {
                            quarter.set(q);
                        }
                    }
                >
                    {(1..=4u32)
                        .map(|q| {
                            view! {
                                <option value=q.to_string() selected=move || quarter.get() == q>
                                    {t(&format!("period.quarter_short{q}"))}
                                </option>
                            }
                        })
                        .collect_view()}
                </select>
            </label>
        }
        .into_any(),
        PeriodKind::Year => year_select().into_any(),
        PeriodKind::Campaign => view! {
            <label class="wide">
                <span>{t("field.campaign")}</span>
                <select id="stats-campaign" on:change=move |ev| campaign.set(event_target_value(&ev))>
                    {move || {
                        campaigns
                            .get()
                            .into_iter()
                            .map(|c| {
                                let id = c.id.clone();
                                view! {
                                    <option value=c.id.clone() selected=move || campaign.get() == id>
                                        {c.name.clone()}
                                    </option>
                                }
                            })
                            .collect_view()
                    }}
                </select>
            </label>
        }
        .into_any(),
        PeriodKind::Draft => view! {
            <label class="wide">
                <span>{t("field.draft")}</span>
                <select id="stats-draft" on:change=move |ev| draft.set(event_target_value(&ev))>
                    {move || {
                        drafts
                            .get()
                            .into_iter()
                            .map(|d| {
                                let id = d.id.clone();
                                view! {
                                    <option value=d.id.clone() selected=move || draft.get() == id>
                                        {d.title.clone()}
                                    </option>
                                }
                            })
                            .collect_view()
                    }}
                </select>
            </label>
        }
        .into_any(),
        PeriodKind::Dates => view! {
            <label>
                <span>{t("filter.from")}</span>
                <input
                    id="stats-from"
                    type="date"
                    prop:value=move || from.get()
                    on:input=move |ev| from.set(event_target_value(&ev))
                />
            </label>
            <label>
                <span>{t("filter.to")}</span>
                <input
                    id="stats-to"
                    type="date"
                    prop:value=move || to.get()
                    on:input=move |ev| to.set(event_target_value(&ev))
                />
            </label>
        }
        .into_any(),
    }
    };

    // The charts.
    let place_metric = RwSignal::new(PlaceMetric::Activities);
    let month_metric = RwSignal::new(MonthMetric::Activities);
    let places_chart = move || {
        let s = stats.get()?;
        let q = s.query.clone();
        let by_subdistrict = q.subdistrict_id.is_none() && q.station_id.is_none();
        let (places, key) = if by_subdistrict {
            (s.by_subdistrict, "subdistrict")
        } else {
            (s.by_station, "station")
        };
        if places.len() < 2 {
            return None;
        }
        let metric = place_metric.get();
        let bars = places
            .into_iter()
            .map(|p| Bar {
                label: if p.name.is_empty() {
                    t("stats.unknown_place")
                } else {
                    p.name
                },
                value: match metric {
                    PlaceMetric::Activities => p.figures.activities,
                    PlaceMetric::Voters => p.figures.voters(),
                },
                href: (!p.id.is_empty()).then(|| base("/activities", &q).with(key, p.id).href()),
            })
            .collect();
        let what = match metric {
            PlaceMetric::Activities => t("stats.what.activities"),
            PlaceMetric::Voters => t("stats.what.voters"),
        };
        let title = if by_subdistrict {
            tf("stats.chart.by_subdistrict", &[("what", &what)])
        } else {
            tf("stats.chart.by_station", &[("what", &what)])
        };
        Some(view! { <BarChart id="stats-chart-places" title=title bars=bars/> })
    };
    let months_chart = move || {
        let s = stats.get()?;
        if s.by_month.len() < 2 {
            return None;
        }
        let q = s.query.clone();
        let metric = month_metric.get();
        let one_year = s.by_month.first().and_then(|m| year_of(&m.month))
            == s.by_month.last().and_then(|m| year_of(&m.month));
        let points = s
            .by_month
            .iter()
            .filter_map(|m| {
                let (y, mo) = (year_of(&m.month)?, m.month.get(5..7)?.parse::<u32>().ok()?);
                let (first, last) = month_range(y, mo);
                // The month within the period.
                let first = q.from.map_or(first.clone(), |f| f.to_string().max(first));
                let last = q.to.map_or(last.clone(), |t| t.to_string().min(last));
                let path = if metric == MonthMetric::Opinions {
                    "/opinions"
                } else {
                    "/activities"
                };
                Some(Point {
                    short: if one_year {
                        tf("period.month_short", &[("month", &mo.to_string())])
                    } else {
                        m.month.clone()
                    },
                    label: month_name(y, mo),
                    value: match metric {
                        MonthMetric::Activities => m.activities,
                        MonthMetric::Attendances => m.attendances,
                        MonthMetric::Voters => m.voters,
                        MonthMetric::Opinions => m.opinions,
                    },
                    href: Some(base(path, &q).with("from", first).with("to", last).href()),
                })
            })
            .collect();
        let what = match metric {
            MonthMetric::Activities => t("stats.what.activities"),
            MonthMetric::Attendances => t("stats.what.attendances"),
            MonthMetric::Voters => t("stats.what.voters"),
            MonthMetric::Opinions => t("stats.what.opinions"),
        };
        Some(view! {
            <LineChart
                id="stats-chart-months"
                title=tf("stats.chart.by_month", &[("what", &what)])
                points=points
            />
        })
    };
    // The switches stay put while their chart is drawn again (focus stays on them).
    let has_places = move || {
        stats.with(|s| {
            s.as_ref().is_some_and(|s| {
                let q = &s.query;
                if q.subdistrict_id.is_none() && q.station_id.is_none() {
                    s.by_subdistrict.len() >= 2
                } else {
                    s.by_station.len() >= 2
                }
            })
        })
    };
    let has_months = move || stats.with(|s| s.as_ref().is_some_and(|s| s.by_month.len() >= 2));
    let share_charts = move || {
        let s = stats.get()?;
        let q = &s.query;
        let kinds: Vec<Segment> = s
            .activities_by_kind
            .iter()
            .enumerate()
            .map(|(i, (k, n))| Segment {
                label: kind_label(*k),
                value: *n,
                color: PALETTE[i % PALETTE.len()],
                href: Some(base("/activities", q).with("kind", snake(k)).href()),
            })
            .collect();
        let categories: Vec<Segment> = s
            .opinions_by_category
            .iter()
            .enumerate()
            .map(|(i, (c, n))| Segment {
                label: enum_label("category", c),
                value: *n,
                color: PALETTE[i % PALETTE.len()],
                href: Some(base("/opinions", q).with("category", snake(c)).href()),
            })
            .collect();
        let statuses: Vec<Segment> = s
            .opinions_by_status
            .iter()
            .map(|(st, n)| Segment {
                label: enum_label("status", st),
                value: *n,
                color: status_color(*st),
                href: Some(base("/opinions", q).with("status", snake(st)).href()),
            })
            .collect();
        let satisfaction: Vec<Segment> = s
            .satisfaction
            .iter()
            .map(|(x, n)| Segment {
                label: enum_label("satisfaction", x),
                value: *n,
                color: satisfaction_color(*x),
                href: Some(base("/opinions", q).with("satisfaction", snake(x)).href()),
            })
            .collect();
        Some(view! {
            <ShareBar id="stats-chart-kinds" title=t("stats.chart.kinds") segments=kinds/>
            <ShareBar
                id="stats-chart-categories"
                title=t("stats.chart.categories")
                segments=categories
                note=t("stats.note.categories")
            />
            <ShareBar id="stats-chart-statuses" title=t("stats.chart.statuses") segments=statuses/>
            <ShareBar
                id="stats-chart-satisfaction"
                title=t("stats.chart.satisfaction")
                segments=satisfaction
            />
        })
    };
    let departments_table = move || {
        let s = stats.get()?;
        let q = s.query.clone();
        let rows = s.referrals_by_department;
        if rows.is_empty() {
            return Some(view! { <p class="empty">{t("stats.no_referrals")}</p> }.into_any());
        }
        let rows = rows
            .into_iter()
            .map(|d| {
                let ops = || base("/opinions", &q).with("department", d.id.clone());
                view! {
                    <tr data-department=d.id.clone()>
                        <th scope="row">{d.name.clone()}</th>
                        <td>
                            <a href=ops().href()>{d.referred.to_string()}</a>
                        </td>
                        <td>
                            <a href=ops().with("status", "answered,fed_back").href()>
                                {d.answered.to_string()}
                            </a>
                        </td>
                        <td class:alert={d.overdue > 0}>
                            <a href=ops().with("overdue", "1").href()>{d.overdue.to_string()}</a>
                        </td>
                        <td>{d.median_days.map_or_else(|| t("stats.none"), days)}</td>
                    </tr>
                }
            })
            .collect_view();
        Some(
            view! {
                <div class="table-scroll">
                    <table
                        class="progress departments"
                        id="stats-departments"
                        aria-labelledby="stats-departments-title"
                    >
                        <thead>
                            <tr>
                                <th scope="col">{t("field.department")}</th>
                                <th scope="col">{t("stats.dept.referred")}</th>
                                <th scope="col">{t("stats.dept.answered")}</th>
                                <th scope="col">{t("stats.dept.overdue")}</th>
                                <th scope="col">{t("stats.dept.median")}</th>
                            </tr>
                        </thead>
                        <tbody>{rows}</tbody>
                    </table>
                </div>
            }
            .into_any(),
        )
    };

    // The deputies of the scope, each opening their duty record.
    let scope_stations = Signal::derive(move || {
        let all = stations.get();
        let keep = |s: &Station| match scope.get() {
            Scope::Station(id) => s.id == id,
            Scope::Subdistrict(sd) => s.subdistrict_id == sd,
            Scope::District => {
                let sd = narrowed.get();
                sd.is_empty() || s.subdistrict_id == sd
            }
        };
        all.into_iter()
            .filter(keep)
            .map(|s| (s.id, s.name))
            .collect::<Vec<_>>()
    });
    let record_year = Signal::derive(move || match kind.get() {
        PeriodKind::Month | PeriodKind::Quarter | PeriodKind::Year => year.get(),
        _ => stats
            .get()
            .and_then(|s| s.query.from)
            .and_then(|d| year_of(&d.to_string()))
            .unwrap_or(this_year),
    });

    let is_district = move || scope.get() == Scope::District;
    view! {
        <section aria-labelledby="stats-title" id="stats">
            <h2 id="stats-title">{t("stats.title")}</h2>
            <div class="filters stats-filters">
                <label>
                    <span>{t("stats.period")}</span>
                    <select id="stats-period" on:change=move |ev| choose_kind(event_target_value(&ev))>
                        {PeriodKind::ALL
                            .into_iter()
                            .map(|k| {
                                view! {
                                    <option value=k.value() selected=move || kind.get() == k>
                                        {k.label()}
                                    </option>
                                }
                            })
                            .collect_view()}
                    </select>
                </label>
                {period_fields}
                <Show when=is_district>
                    <PlaceChoice
                        id="stats-subdistrict"
                        label=t("stats.subdistrict")
                        all=t("place.district")
                        places=ctx.subdistricts.into()
                        chosen=narrowed
                        on_choose=Callback::new(move |()| one_station.set(String::new()))
                    />
                </Show>
                <Show when=move || match scope.get() {
                    Scope::Subdistrict(_) => true,
                    Scope::District => !narrowed.get().is_empty(),
                    Scope::Station(_) => false,
                }>
                    <PlaceChoice
                        id="stats-station"
                        label=t("stats.station")
                        all=t("stats.all_stations")
                        places=scope_stations
                        chosen=one_station
                        on_choose=Callback::new(|()| {})
                    />
                </Show>
            </div>
            {move || {
                error
                    .get()
                    .map(|e| view! { <p class="message error" role="alert" id="stats-error">{e}</p> })
            }}
            <div class="section-head">
                <p class="stats-scope" id="stats-scope" aria-live="polite">
                    {move || {
                        stats
                            .get()
                            .map(|s| {
                                tf(
                                    "stats.scope",
                                    &[("place", &place_of(&s.query)), ("period", &period_of(&s.query))],
                                )
                            })
                    }}
                    <Show when=move || loading.get()>
                        <span class="hint">" " {t("stats.loading")}</span>
                    </Show>
                </p>
                <button
                    type="button"
                    id="stats-export"
                    class="secondary"
                    disabled=move || exporter.busy() || stats.get().is_none()
                    on:click=export
                >
                    {exporter.label(api::ExportFormat::Xlsx, "export.xlsx")}
                </button>
            </div>
            <ExportMessage exporter=exporter id="stats-export-message"/>
            {move || stats.get().map(|s| figures(&s))}
            <div class="charts">
                <Show when=has_places>
                    <section class="chart-box">
                        {switch(
                            "stats-places-metric",
                            t("stats.chart.show"),
                            vec![
                                (PlaceMetric::Activities, "activities", t("stats.metric.activities")),
                                (PlaceMetric::Voters, "voters", t("stats.metric.voters")),
                            ],
                            place_metric,
                        )}
                        {places_chart}
                    </section>
                </Show>
                <Show when=has_months>
                    <section class="chart-box">
                        {switch(
                            "stats-months-metric",
                            t("stats.chart.show"),
                            vec![
                                (MonthMetric::Activities, "activities", t("stats.metric.activities")),
                                (MonthMetric::Attendances, "attendances", t("stats.metric.attendances")),
                                (MonthMetric::Voters, "voters", t("stats.metric.voters")),
                                (MonthMetric::Opinions, "opinions", t("stats.metric.opinions")),
                            ],
                            month_metric,
                        )}
                        {months_chart}
                    </section>
                </Show>
                {share_charts}
            </div>
            <h3 id="stats-departments-title">{t("stats.departments")}</h3>
            {departments_table}
            <DeputyFinder stations=scope_stations year=record_year/>
        </section>
    }
}

#[cfg(test)]
mod tests;
