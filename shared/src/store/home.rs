//! The home screen's figures.

use super::*;

impl Store {
    /// What the signed-in account should do now (see [`Home`]), as of `today`.
    pub fn home(&self, today: NaiveDate) -> Result<Home, Error> {
        use chrono::Datelike as _;
        let month_start = today.with_day(1).unwrap_or(today);
        let quarter_start =
            NaiveDate::from_ymd_opt(today.year(), (today.month0() / 3) * 3 + 1, 1).unwrap_or(today);
        let year_start = NaiveDate::from_ymd_opt(today.year(), 1, 1).unwrap_or(today);
        let own_deputy = self.session()?.and_then(|s| s.account.deputy_id);
        let mut rhythm = Vec::new();
        for station in self.writable_stations()? {
            for deputy in self.deputies(&station.id)? {
                let attended = |rhythm: Rhythm, since: NaiveDate| -> Result<bool, Error> {
                    Ok(self.conn.query_row(
                        "SELECT EXISTS (SELECT 1 FROM activity_deputies
                          WHERE deputy_id = ?3 AND date >= ?1 AND date <= ?2
                            AND kind IN (SELECT value FROM json_each(?4)))",
                        params![since, today, deputy.id, rhythm_kinds(rhythm)],
                        |r| r.get(0),
                    )?)
                };
                rhythm.push(DeputyRhythm {
                    month: attended(Rhythm::Month, month_start)?,
                    quarter: attended(Rhythm::Quarter, quarter_start)?,
                    year: attended(Rhythm::Year, year_start)?,
                    deputy_id: deputy.id,
                    name: deputy.name,
                    station_name: station.name.clone(),
                });
            }
        }
        // The deputy's own line first.
        rhythm.sort_by_key(|r| Some(&r.deputy_id) != own_deputy.as_ref());
        let opinions = self.list_opinions(&OpinionFilter::default(), today)?;
        let count =
            |f: &dyn Fn(&OpinionSummary) -> bool| opinions.iter().filter(|o| f(o)).count() as u64;
        Ok(Home {
            rhythm,
            to_refer: count(&|o| o.status == OpinionStatus::Recorded),
            to_feed_back: count(&|o| o.status == OpinionStatus::Answered),
            overdue: count(&|o| o.overdue),
            pending_records: self.pending_records()?,
            recent: self.list_activities(&ActivityFilter {
                limit: Some(5),
                ..ActivityFilter::default()
            })?,
        })
    }
}

/// The kinds keeping `rhythm`, as a JSON list of their names (for `json_each`).
pub(super) fn rhythm_kinds(rhythm: Rhythm) -> String {
    let kinds: Vec<String> = ActivityKind::keeping(rhythm)
        .into_iter()
        .map(enum_str)
        .collect();
    to_json(&kinds)
}
