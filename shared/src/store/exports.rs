//! The views the office works with, as tables and a report (feature `export`): the
//! activity register (代表活动情况登记簿) and the opinions ledger (意见建议台账) with the
//! lists' own filters, the statistics tables, and a deputy's yearly report. Column
//! headings come from the app's locale file (`export.*`).

use super::reports::sentence;
use super::*;
use crate::export::{Cell, ReportPdf, Section, Table};

fn heading(key: &str) -> String {
    sentence(&format!("export.{key}"))
}

/// The figures the statistics screen shows too: a workbook names them as the screen does
/// (`stats.fig.*`), so one figure has one name.
const SCREEN_FIGURES: [&str; 9] = [
    "activities",
    "attendances",
    "deputies",
    "voters",
    "opinions",
    "answered",
    "overdue",
    "suggestions",
    "leads",
];

/// A statistics column's or figure's name: the screen's where it has one.
fn stat_name(key: &str) -> String {
    if SCREEN_FIGURES.contains(&key) {
        sentence(&format!("stats.fig.{key}"))
    } else {
        heading(&format!("stats.{key}"))
    }
}

fn label<T: serde::Serialize>(prefix: &str, v: T) -> String {
    sentence(&format!("{prefix}.{}", enum_str(v)))
}

/// Between the items of a list (、 in Chinese).
fn list_sep() -> String {
    sentence("punct.list_sep")
}

/// A figure of one level: 「代表参加人次（市人大代表）」.
fn by_level(figure: &str, level: DeputyLevel) -> String {
    heading("stats.by_level")
        .replace("{what}", &stat_name(figure))
        .replace("{level}", &label("level", level))
}

impl Store {
    /// The activity register: the activities `filter` lists, oldest first.
    pub fn register_table(&self, filter: &ActivityFilter) -> Result<Table, Error> {
        let mut listed = self.list_activities(filter)?;
        listed.reverse();
        let ids: Vec<&str> = listed.iter().map(|a| a.id.as_str()).collect();
        // What the list does not carry, for the same activities.
        let details: HashMap<String, (String, String, i64, Option<String>)> = self
            .query(
                "SELECT a.id, a.guests, a.location,
                        (SELECT COUNT(*) FROM opinions o WHERE o.activity_id = a.id),
                        c.name
                 FROM activities a LEFT JOIN campaigns c ON c.id = a.campaign_id
                 WHERE a.id IN (SELECT value FROM json_each(?1))",
                [to_json(&ids)],
                |r| Ok((r.get(0)?, (r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?))),
            )?
            .into_iter()
            .collect();
        let mut table = Table::new(
            heading("register.sheet"),
            heading("register.title"),
            [
                "date",
                "station",
                "kind",
                "deputies",
                "attendances",
                "guests",
                "voters",
                "online",
                "location",
                "summary",
                "opinions",
                "campaign",
            ]
            .map(|c| heading(&format!("register.{c}"))),
        );
        for a in listed {
            let (guests, location, opinions, campaign) =
                details.get(&a.id).cloned().unwrap_or_default();
            table.rows.push(vec![
                a.date.into(),
                a.station_name.into(),
                label("kind", a.kind).into(),
                a.deputy_names.join(&list_sep()).into(),
                Cell::Int(a.deputy_names.len() as i64),
                guests.into(),
                a.voters_received.into(),
                if a.online {
                    heading("yes")
                } else {
                    String::new()
                }
                .into(),
                location.into(),
                a.summary.into(),
                opinions.into(),
                campaign.into(),
            ]);
        }
        Ok(table)
    }

    /// The opinions ledger: the opinions `filter` lists, oldest first, with where each
    /// stands as of `today`. No voter's name or phone is in it.
    pub fn ledger_table(&self, filter: &OpinionFilter, today: NaiveDate) -> Result<Table, Error> {
        let mut listed = self.list_opinions(filter, today)?;
        listed.reverse();
        let ids: Vec<&str> = listed.iter().map(|o| o.id.as_str()).collect();
        type Detail = (
            Option<NaiveDate>,
            Option<NaiveDate>,
            Option<f64>,
            Option<NaiveDate>,
            String,
        );
        let details: HashMap<String, Detail> = self
            .query(
                concat!(
                    "WITH ",
                    opinions_with_status!(),
                    " SELECT v.id, v.referred_on, v.answered_on,
                             julianday(v.answered_on) - julianday(v.referred_on),
                             v.feedback_date, v.feedback
                      FROM v WHERE v.id IN (SELECT value FROM json_each(?1))"
                ),
                [to_json(&ids)],
                |r| {
                    Ok((
                        r.get(0)?,
                        (r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?, r.get(5)?),
                    ))
                },
            )?
            .into_iter()
            .collect();
        let mut table = Table::new(
            heading("ledger.sheet"),
            heading("ledger.title"),
            [
                "date",
                "station",
                "channel",
                "categories",
                "content",
                "status",
                "department",
                "referred",
                "deadline",
                "answered",
                "days",
                "overdue",
                "feedback_date",
                "feedback",
                "satisfaction",
            ]
            .map(|c| heading(&format!("ledger.{c}"))),
        );
        for o in listed {
            let (referred, answered, days, feedback_date, feedback) =
                details.get(&o.id).cloned().unwrap_or_default();
            let categories: Vec<String> =
                o.categories.iter().map(|c| label("category", *c)).collect();
            table.rows.push(vec![
                o.date.into(),
                o.station_name.into(),
                heading(if o.online {
                    "ledger.online"
                } else {
                    "ledger.on_site"
                })
                .into(),
                categories.join(&list_sep()).into(),
                o.content.into(),
                label("status", o.status).into(),
                o.department.into(),
                referred.into(),
                o.deadline.into(),
                answered.into(),
                days.map_or(Cell::Empty, |d| Cell::Int(d.round() as i64)),
                if o.overdue {
                    heading("yes")
                } else {
                    String::new()
                }
                .into(),
                feedback_date.into(),
                feedback.into(),
                o.satisfaction.map(|s| label("satisfaction", s)).into(),
            ]);
        }
        Ok(table)
    }

    /// The deputy's saved (or drafted) yearly report, laid out for the PDF.
    pub fn report_document(&self, deputy_id: &str, year: i32) -> Result<ReportPdf, Error> {
        let record = self.duty_record(deputy_id, year)?;
        let report = self.year_report(deputy_id, year)?;
        let levels: Vec<String> = record.levels.iter().map(|l| label("level", *l)).collect();
        Ok(ReportPdf {
            title: report.title,
            subtitle: sentence("report.pdf.subtitle")
                .replace("{name}", &record.name)
                .replace("{levels}", &levels.join(&list_sep()))
                .replace("{station}", &record.station_name),
            station: record.station_name,
            page_label: sentence("report.pdf.page"),
            sections: report_sections(&report.text)
                .into_iter()
                .map(|(heading, paragraphs)| Section {
                    heading,
                    paragraphs,
                })
                .collect(),
        })
    }
}

/// The statistics as tables: the headline figures, by street/town, by station, by
/// month, by kind and level, by category, status and satisfaction, by department.
pub fn statistics_tables(stats: &Statistics, period: &str) -> Vec<Table> {
    let title = |key: &str| format!("{period} {}", heading(&format!("stats.{key}")));
    let mut tables = Vec::new();

    let t = &stats.totals;
    let mut totals = Table::new(
        heading("stats.totals"),
        title("totals"),
        [heading("stats.figure"), heading("stats.value")],
    );
    let figure = |key: &str, v: Cell| vec![Cell::Text(stat_name(key)), v];
    let n = |v: u64| Cell::Int(v as i64);
    totals.rows = vec![
        figure("activities", n(t.activities)),
        figure("attendances", n(t.attendances)),
        figure("deputies", n(t.deputies)),
        figure("voters", n(t.voters())),
        figure("voters_on_site", n(t.voters_on_site)),
        figure("voters_online", n(t.voters_online)),
        figure("opinions", n(t.opinions)),
        figure("opinions_online", n(t.opinions_online)),
        figure("answered", n(t.answered)),
        figure("overdue", n(t.overdue)),
        figure(
            "median_days",
            stats
                .median_days_to_answer
                .map_or(Cell::Empty, Cell::Number),
        ),
        figure("suggestions", n(t.suggestions)),
        figure("supervised", n(stats.supervised_suggestions)),
        figure("leads", n(t.leads)),
    ];
    for (level, count) in &stats.attendances_by_level {
        totals
            .rows
            .push(vec![Cell::Text(by_level("attendances", *level)), n(*count)]);
    }
    for (level, count) in &stats.deputies_by_level {
        totals
            .rows
            .push(vec![Cell::Text(by_level("deputies", *level)), n(*count)]);
    }
    tables.push(totals);

    // The figures of a place, in the screen's order and names; a station's sheet names
    // its street or town first.
    let figure_columns = [
        "activities",
        "attendances",
        "deputies",
        "voters",
        "voters_on_site",
        "voters_online",
        "opinions",
        "opinions_online",
        "answered",
        "overdue",
        "suggestions",
        "leads",
    ]
    .map(stat_name);
    for (key, places, with_street) in [
        ("by_subdistrict", &stats.by_subdistrict, false),
        ("by_station", &stats.by_station, true),
    ] {
        let mut columns = Vec::new();
        if with_street {
            columns.push(sentence("stats.subdistrict"));
        }
        columns.push(heading("stats.place"));
        columns.extend(figure_columns.iter().cloned());
        let mut table = Table::new(heading(&format!("stats.{key}")), title(key), columns);
        for p in places {
            let f = &p.figures;
            let mut row = Vec::new();
            if with_street {
                row.push(p.subdistrict.clone().unwrap_or_default().into());
            }
            row.extend([
                p.name.clone().into(),
                n(f.activities),
                n(f.attendances),
                n(f.deputies),
                n(f.voters()),
                n(f.voters_on_site),
                n(f.voters_online),
                n(f.opinions),
                n(f.opinions_online),
                n(f.answered),
                n(f.overdue),
                n(f.suggestions),
                n(f.leads),
            ]);
            table.rows.push(row);
        }
        tables.push(table);
    }

    let mut months = Table::new(
        heading("stats.by_month"),
        title("by_month"),
        ["month", "activities", "attendances", "voters", "opinions"].map(stat_name),
    );
    for m in &stats.by_month {
        months.rows.push(vec![
            m.month.clone().into(),
            n(m.activities),
            n(m.attendances),
            n(m.voters),
            n(m.opinions),
        ]);
    }
    tables.push(months);

    // Shares: one table of (what, count, share) per breakdown.
    let share_table = |key: &str, rows: Vec<(String, u64)>| {
        let total: u64 = rows.iter().map(|r| r.1).sum();
        let mut table = Table::new(
            heading(&format!("stats.{key}")),
            title(key),
            ["item", "count", "share"].map(|c| heading(&format!("stats.{c}"))),
        );
        for (what, count) in rows {
            let share = if total == 0 {
                Cell::Empty
            } else {
                Cell::Percent(count as f64 / total as f64)
            };
            table.rows.push(vec![what.into(), n(count), share]);
        }
        table
    };
    tables.push(share_table(
        "by_kind",
        stats
            .activities_by_kind
            .iter()
            .map(|(k, c)| (label("kind", *k), *c))
            .collect(),
    ));
    tables.push(share_table(
        "by_category",
        stats
            .opinions_by_category
            .iter()
            .map(|(k, c)| (label("category", *k), *c))
            .collect(),
    ));
    tables.push(share_table(
        "by_status",
        stats
            .opinions_by_status
            .iter()
            .map(|(k, c)| (label("status", *k), *c))
            .collect(),
    ));
    tables.push(share_table(
        "by_satisfaction",
        stats
            .satisfaction
            .iter()
            .map(|(k, c)| (label("satisfaction", *k), *c))
            .collect(),
    ));

    let mut departments = Table::new(
        heading("stats.by_department"),
        title("by_department"),
        // As the screen's table of departments names them.
        [
            heading("stats.department"),
            sentence("stats.dept.referred"),
            sentence("stats.dept.answered"),
            sentence("stats.dept.overdue"),
            sentence("stats.dept.median"),
        ],
    );
    for d in &stats.referrals_by_department {
        departments.rows.push(vec![
            d.name.clone().into(),
            n(d.referred),
            n(d.answered),
            n(d.overdue),
            d.median_days.map_or(Cell::Empty, Cell::Number),
        ]);
    }
    tables.push(departments);
    tables
}
