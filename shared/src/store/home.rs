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
                let attended = |kinds: &[ActivityKind], since: NaiveDate| -> Result<bool, Error> {
                    let kinds: Vec<String> = kinds.iter().map(|k| enum_str(*k)).collect();
                    Ok(self.conn.query_row(
                        "SELECT EXISTS (SELECT 1 FROM activities
                          WHERE date >= ?1 AND date <= ?2
                            AND instr(deputy_ids, '\"' || ?3 || '\"') > 0
                            AND kind IN (SELECT value FROM json_each(?4)))",
                        params![since, today, deputy.id, to_json(&kinds)],
                        |r| r.get(0),
                    )?)
                };
                use ActivityKind::*;
                rhythm.push(DeputyRhythm {
                    month: attended(
                        &[
                            VoterMeeting,
                            ReceptionDay,
                            BureauVisit,
                            ProsecutorVisit,
                            LegislativeConsultation,
                        ],
                        month_start,
                    )?,
                    quarter: attended(&[HomeListening], quarter_start)?,
                    year: attended(&[DutyReport], year_start)?,
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
