//! The yearly duty report (年度履职报告): drafted from the duty record, edited, saved as
//! a record with its history.

use super::*;

/// A text of the app's own locale file (the draft's sentences are `report.draft.*`, with
/// `{name}` placeholders).
pub(super) fn sentence(key: &str) -> String {
    static TEXTS: std::sync::OnceLock<HashMap<String, String>> = std::sync::OnceLock::new();
    TEXTS
        .get_or_init(|| {
            serde_json::from_str(include_str!("../../../app/locales/zh-CN.json"))
                .unwrap_or_default()
        })
        .get(key)
        .cloned()
        .unwrap_or_default()
}

/// `sentence(key)` with each `{name}` replaced by its value.
fn fill(key: &str, values: &[(&str, String)]) -> String {
    let mut s = sentence(&format!("report.draft.{key}"));
    for (name, value) in values {
        s = s.replace(&format!("{{{name}}}"), value);
    }
    s
}

impl Store {
    /// The report the deputy has for `year`, if saved; otherwise a draft written from
    /// the duty record (not saved until [`Store::save_report`]).
    pub fn year_report(&self, deputy_id: &str, year: i32) -> Result<YearReportInput, Error> {
        let record = self.duty_record(deputy_id, year)?;
        if let Some(id) = &record.report_id {
            let (title, text): (String, String) = self.conn.query_row(
                "SELECT title, text FROM reports WHERE id = ?1",
                [id],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )?;
            return Ok(YearReportInput {
                deputy_id: deputy_id.to_owned(),
                year,
                title,
                text,
            });
        }
        Ok(self.draft_report(&record))
    }

    /// A draft of the report: the year's figures and highlights as paragraphs.
    pub fn draft_report(&self, record: &DutyRecord) -> YearReportInput {
        let kinds = self.names_of_kinds(record);
        let levels: Vec<String> = record
            .levels
            .iter()
            .map(|l| sentence(&format!("level.{}", enum_str(*l))))
            .collect();
        let months = record.months.iter().filter(|m| **m).count();
        let quarters = record.quarters.iter().filter(|q| **q).count();
        let mut text = Vec::new();
        text.push(fill(
            "opening",
            &[
                ("name", record.name.clone()),
                ("levels", levels.join(&sentence("punct.list_sep"))),
                ("station", record.station_name.clone()),
                ("year", record.year.to_string()),
            ],
        ));
        text.push(format!("# {}", sentence("report.draft.heading.activities")));
        text.push(fill(
            "activities",
            &[
                ("n", record.activities.len().to_string()),
                ("kinds", kinds),
                ("voters", group_digits(record.voters_met)),
            ],
        ));
        text.push(fill(
            "rhythm",
            &[
                ("months", months.to_string()),
                ("quarters", quarters.to_string()),
            ],
        ));
        text.push(format!("# {}", sentence("report.draft.heading.opinions")));
        text.push(fill(
            "opinions",
            &[
                ("n", record.opinions.to_string()),
                ("answered", record.opinions_answered.to_string()),
            ],
        ));
        if !record.suggestions.is_empty() {
            let titles: Vec<String> = record
                .suggestions
                .iter()
                .take(3)
                .map(|(_, t, _)| fill("suggestion_title", &[("title", t.clone())]))
                .collect();
            text.push(fill(
                "suggestions",
                &[
                    ("n", record.suggestions.len().to_string()),
                    ("titles", titles.join(&sentence("punct.list_sep"))),
                ],
            ));
        }
        let highlights: Vec<&ActivitySummary> = record
            .activities
            .iter()
            .filter(|a| !a.summary.trim().is_empty())
            .take(3)
            .collect();
        if !highlights.is_empty() {
            text.push(format!("# {}", sentence("report.draft.heading.highlights")));
            for a in highlights {
                text.push(fill(
                    "highlight",
                    &[
                        (
                            "date",
                            fill(
                                "date",
                                &[
                                    ("m", a.date.format("%-m").to_string()),
                                    ("d", a.date.format("%-d").to_string()),
                                ],
                            ),
                        ),
                        ("summary", a.summary.trim().to_owned()),
                    ],
                ));
            }
        }
        text.push(format!("# {}", sentence("report.draft.heading.next")));
        text.push(sentence("report.draft.next"));
        YearReportInput {
            deputy_id: record.deputy_id.clone(),
            year: record.year,
            title: fill(
                "title",
                &[
                    ("name", record.name.clone()),
                    ("year", record.year.to_string()),
                ],
            ),
            text: text.join("\n\n"),
        }
    }

    /// Saves the deputy's report for the year: a new record the first time, an edit of
    /// the same record after. Returns its id.
    pub fn save_report(
        &mut self,
        input: &YearReportInput,
        today: NaiveDate,
    ) -> Result<String, Error> {
        input.check().map_err(Error::Invalid)?;
        let (station_id,): (String,) = self
            .conn
            .query_row(
                "SELECT station_id FROM deputies WHERE id = ?1",
                [&input.deputy_id],
                |r| Ok((r.get(0)?,)),
            )
            .optional()?
            .ok_or_else(|| {
                Error::Invalid(vec![FieldError::new(Field::Deputies, Problem::Unknown)])
            })?;
        let existing: Option<(String, String, NaiveDate)> = self
            .conn
            .query_row(
                "SELECT id, station_id, date FROM reports WHERE deputy_id = ?1 AND year = ?2
                 ORDER BY date, id LIMIT 1",
                params![input.deputy_id, input.year],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
            )
            .optional()?;
        let (id, station_id, date) = existing.unwrap_or((new_id(), station_id, today));
        let report = YearReport {
            id,
            deputy_id: input.deputy_id.clone(),
            station_id,
            year: input.year,
            date,
            title: input.title.trim().to_owned(),
            text: input.text.trim().to_owned(),
        };
        self.save(&report)?;
        Ok(report.id)
    }

    /// The kinds of the activities attended, most frequent first, as 「接待选民日3次」.
    fn names_of_kinds(&self, record: &DutyRecord) -> String {
        let mut counts: Vec<(ActivityKind, usize)> = Vec::new();
        for a in &record.activities {
            match counts.iter_mut().find(|(k, _)| *k == a.kind) {
                Some((_, n)) => *n += 1,
                None => counts.push((a.kind, 1)),
            }
        }
        counts.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
        counts
            .iter()
            .map(|(k, n)| {
                fill(
                    "kind_count",
                    &[
                        ("kind", sentence(&format!("kind.{}", enum_str(*k)))),
                        ("n", n.to_string()),
                    ],
                )
            })
            .collect::<Vec<_>>()
            .join(&sentence("punct.list_sep"))
    }
}

/// 4655 → "4,655".
fn group_digits(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}
