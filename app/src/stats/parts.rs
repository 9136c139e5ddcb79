//! The statistics screen's pieces: the period's kinds, the metrics, the figure cards and
//! figures, the switches and the colours.

use super::*;

/// How the period is chosen.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum PeriodKind {
    Month,
    Quarter,
    Year,
    Campaign,
    Draft,
    Dates,
}

impl PeriodKind {
    pub(super) const ALL: [PeriodKind; 6] = [
        PeriodKind::Month,
        PeriodKind::Quarter,
        PeriodKind::Year,
        PeriodKind::Campaign,
        PeriodKind::Draft,
        PeriodKind::Dates,
    ];

    pub(super) fn value(self) -> &'static str {
        match self {
            PeriodKind::Month => "month",
            PeriodKind::Quarter => "quarter",
            PeriodKind::Year => "year",
            PeriodKind::Campaign => "campaign",
            PeriodKind::Draft => "draft",
            PeriodKind::Dates => "dates",
        }
    }

    pub(super) fn label(self) -> String {
        t(&format!("stats.period.{}", self.value()))
    }
}

/// Which figure the place bars show.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum PlaceMetric {
    Activities,
    Voters,
}

/// Which figure the monthly line shows.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum MonthMetric {
    Activities,
    Attendances,
    Voters,
    Opinions,
}

/// A link to `path` (the activity or the opinion list) with the query's filters.
pub(super) fn base(path: &str, q: &StatsQuery) -> Link {
    Link::new(path)
        .opt("from", q.from)
        .opt("to", q.to)
        .opt("campaign", q.campaign_id.clone())
        .opt("draft", q.draft_id.clone())
        .opt("subdistrict", q.subdistrict_id.clone())
        .opt("station", q.station_id.clone())
}

/// Days as the figures show them: whole, or to one decimal.
pub(super) fn days(d: f64) -> String {
    if (d - d.round()).abs() < 0.05 {
        format!("{}", d.round() as i64)
    } else {
        format!("{d:.1}")
    }
}

/// A figure card: its number, what it counts, and its parts, each a link to the records.
pub(super) fn card(
    id: &'static str,
    label: String,
    value: String,
    href: String,
    parts: Vec<(String, String, String)>,
    alert: bool,
) -> AnyView {
    let parts = (!parts.is_empty()).then(|| {
        view! {
            <p class="parts">
                {parts
                    .into_iter()
                    .map(|(pid, text, href)| view! { <a id=pid href=href>{text}</a> })
                    .collect_view()}
            </p>
        }
    });
    view! {
        <div class="figure" class:alert=alert>
            <a class="figure-main" id=id href=href>
                <span class="count">{value}</span>
                <span class="what">{label}</span>
            </a>
            {parts}
        </div>
    }
    .into_any()
}

/// The figure cards of `s`.
pub(super) fn figures(s: &Statistics) -> AnyView {
    let q = &s.query;
    let f = &s.totals;
    let acts = || base("/activities", q);
    let ops = || base("/opinions", q);
    let sugs = || base("/suggestions", q);
    let level = |counts: &[(DeputyLevel, u64)], prefix: &'static str| {
        counts
            .iter()
            .map(|(l, n)| {
                let name = snake(l);
                (
                    format!("{prefix}-{name}"),
                    tf(&format!("stats.sub.{name}"), &[("n", &count(*n))]),
                    acts().with("level", name).href(),
                )
            })
            .collect::<Vec<_>>()
    };
    let answered = ops().with("status", "answered,fed_back").href();
    let n = count;
    let cards = vec![
        card(
            "stats-figure-activities",
            t("stats.fig.activities"),
            n(f.activities),
            acts().href(),
            vec![],
            false,
        ),
        card(
            "stats-figure-attendances",
            t("stats.fig.attendances"),
            n(f.attendances),
            acts().href(),
            level(&s.attendances_by_level, "stats-figure-attendances"),
            false,
        ),
        card(
            "stats-figure-deputies",
            t("stats.fig.deputies"),
            n(f.deputies),
            acts().href(),
            level(&s.deputies_by_level, "stats-figure-deputies"),
            false,
        ),
        card(
            "stats-figure-voters",
            t("stats.fig.voters"),
            n(f.voters()),
            acts().href(),
            vec![
                (
                    "stats-figure-voters-on-site".to_owned(),
                    tf("stats.sub.on_site", &[("n", &n(f.voters_on_site))]),
                    acts().with("online", "false").href(),
                ),
                (
                    "stats-figure-voters-online".to_owned(),
                    tf("stats.sub.online", &[("n", &n(f.voters_online))]),
                    acts().with("online", "true").href(),
                ),
            ],
            false,
        ),
        card(
            "stats-figure-opinions",
            t("stats.fig.opinions"),
            n(f.opinions),
            ops().href(),
            vec![(
                "stats-figure-opinions-online".to_owned(),
                tf("stats.sub.opinions_online", &[("n", &n(f.opinions_online))]),
                ops().with("online", "true").href(),
            )],
            false,
        ),
        card(
            "stats-figure-answered",
            t("stats.fig.answered"),
            n(f.answered),
            answered.clone(),
            vec![],
            false,
        ),
        card(
            "stats-figure-overdue",
            t("stats.fig.overdue"),
            n(f.overdue),
            ops().with("overdue", "1").href(),
            vec![],
            f.overdue > 0,
        ),
        card(
            "stats-figure-median",
            t("stats.fig.median"),
            s.median_days_to_answer
                .map_or_else(|| t("stats.none"), |d| tf("stats.days", &[("n", &days(d))])),
            answered,
            vec![],
            false,
        ),
        card(
            "stats-figure-suggestions",
            t("stats.fig.suggestions"),
            n(f.suggestions),
            sugs().href(),
            vec![(
                "stats-figure-supervised".to_owned(),
                tf(
                    "stats.sub.supervised",
                    &[("n", &n(s.supervised_suggestions))],
                ),
                sugs().with("supervised", "1").href(),
            )],
            false,
        ),
        card(
            "stats-figure-leads",
            t("stats.fig.leads"),
            n(f.leads),
            sugs().with("tab", "leads").href(),
            vec![],
            false,
        ),
    ];
    // The levels' figures count a deputy of several levels at each: say so beside them.
    view! {
        <div class="figures" id="stats-figures">{cards}</div>
        <p class="hint" id="stats-level-note">{t("stats.note.levels")}</p>
    }
    .into_any()
}

/// Buttons choosing one of `options` (`{prefix}-{value}` ids).
pub(super) fn switch<T: Copy + PartialEq + Send + Sync + 'static>(
    prefix: &'static str,
    label: String,
    options: Vec<(T, &'static str, String)>,
    value: RwSignal<T>,
) -> impl IntoView {
    view! {
        <div class="switch" role="group" aria-label=label id=prefix>
            {options
                .into_iter()
                .map(|(v, name, text)| {
                    view! {
                        <button
                            type="button"
                            id=format!("{prefix}-{name}")
                            class:on=move || value.get() == v
                            aria-pressed=move || (value.get() == v).to_string()
                            on:click=move |_| value.set(v)
                        >
                            {text}
                        </button>
                    }
                })
                .collect_view()}
        </div>
    }
}

/// The colour of an opinion status in the charts (as its badge).
pub(super) fn status_color(s: OpinionStatus) -> &'static str {
    match s {
        OpinionStatus::Recorded => "#8c959f",
        OpinionStatus::Referred => "#1f4fa8",
        OpinionStatus::InProgress => "#d4820f",
        OpinionStatus::Answered => "#1a7f37",
        OpinionStatus::FedBack => "#0e4d22",
    }
}

pub(super) fn satisfaction_color(s: Satisfaction) -> &'static str {
    match s {
        Satisfaction::Satisfied => "#1a7f37",
        Satisfaction::BasicallySatisfied => "#7fb04f",
        Satisfaction::Dissatisfied => "#c8102e",
    }
}

/// The newest date among `dates` (`YYYY-MM-DD`).
pub(super) fn newest(dates: impl IntoIterator<Item = String>) -> Option<String> {
    dates.into_iter().max()
}

/// A choice of one place among `places` (id, name), or all of them ("" in `chosen`);
/// `on_choose` hears a choice before it is made (to reset what depends on it).
#[component]
pub(super) fn PlaceChoice(
    id: &'static str,
    label: String,
    all: String,
    places: Signal<Vec<(String, String)>>,
    chosen: RwSignal<String>,
    on_choose: Callback<()>,
) -> impl IntoView {
    view! {
        <label class="wide">
            <span>{label}</span>
            <select
                id=id
                on:change=move |ev| {
                    on_choose.run(());
                    chosen.set(event_target_value(&ev));
                }
            >
                <option value="" selected=move || chosen.get().is_empty()>{all}</option>
                {move || {
                    places
                        .get()
                        .into_iter()
                        .map(|(id, name)| {
                            let this = id.clone();
                            view! {
                                <option value=id selected=move || chosen.get() == this>
                                    {name}
                                </option>
                            }
                        })
                        .collect_view()
                }}
            </select>
        </label>
    }
}
