//! Activities: write, read, list.

use super::*;

impl Store {
    /// Validates `input` and records a new activity; returns its id. The activity form's
    /// draft is cleared in the same transaction.
    pub fn create_activity(
        &mut self,
        input: &ActivityInput,
        today: NaiveDate,
    ) -> Result<String, Error> {
        let mut a = input.validate(today).map_err(Error::Invalid)?;
        self.check_activity(&a)?;
        a.id = new_id();
        // The new-activity form's draft goes in the same transaction.
        self.forget = Some(DRAFT_KEY.to_owned());
        self.save(&a)?;
        Ok(a.id)
    }

    /// Validates `input` and writes it over activity `id`; only changed fields are
    /// recorded. The station cannot change: it decides who may see the record.
    pub fn update_activity(
        &mut self,
        id: &str,
        input: &ActivityInput,
        today: NaiveDate,
    ) -> Result<(), Error> {
        let mut a = input.validate(today).map_err(Error::Invalid)?;
        let stored = self.activity_record(id)?;
        if stored.station_id != a.station_id {
            return Err(Error::Invalid(vec![FieldError::new(
                Field::Station,
                Problem::Locked,
            )]));
        }
        self.check_activity(&a)?;
        a.id = id.to_owned();
        // What this build does not show (photos are added by their own command) is kept.
        self.save(&a)?;
        Ok(())
    }

    pub(super) fn check_activity(&self, a: &Activity) -> Result<(), Error> {
        let mut errors = Vec::new();
        self.must_exist(&mut errors, Field::Station, "stations", Some(&a.station_id))?;
        for id in &a.deputy_ids {
            self.must_exist(&mut errors, Field::Deputies, "deputies", Some(id))?;
        }
        self.must_exist(
            &mut errors,
            Field::Campaign,
            "campaigns",
            a.campaign_id.as_deref(),
        )?;
        self.must_exist(&mut errors, Field::Draft, "drafts", a.draft_id.as_deref())?;
        errors.dedup();
        refuse(errors)
    }

    /// One activity as the edit form shows it.
    pub fn activity(&self, id: &str) -> Result<ActivityInput, Error> {
        Ok(ActivityInput::from(&self.activity_record(id)?))
    }

    /// One activity from its projection row.
    pub fn activity_record(&self, id: &str) -> Result<Activity, Error> {
        self.conn
            .query_row(
                "SELECT id, kind, station_id, date, deputy_ids, guests, voters_received, online,
                        location, summary, photos, campaign_id, draft_id
                 FROM activities WHERE id = ?1",
                [id],
                |r| {
                    Ok(Activity {
                        id: r.get(0)?,
                        kind: enum_from(&r.get::<_, String>(1)?)?,
                        station_id: r.get(2)?,
                        date: r.get(3)?,
                        deputy_ids: from_json(&r.get::<_, String>(4)?)?,
                        guests: r.get(5)?,
                        voters_received: r.get(6)?,
                        online: r.get(7)?,
                        location: r.get(8)?,
                        summary: r.get(9)?,
                        photos: from_json(&r.get::<_, String>(10)?)?,
                        campaign_id: r.get(11)?,
                        draft_id: r.get(12)?,
                    })
                },
            )
            .optional()?
            .ok_or(Error::NotFound)
    }

    /// Activities matching `filter`, newest first, from the projection.
    pub fn list_activities(&self, filter: &ActivityFilter) -> Result<Vec<ActivitySummary>, Error> {
        let names = self.names("deputies")?;
        let limit = filter.limit.map_or(-1, i64::from);
        let filtered = Filtered::new(filter);
        let mut params = filtered.params();
        params.push((":limit", &limit));
        self.query(
            &format!(
                "SELECT a.id, a.kind, a.station_id, COALESCE(s.name, a.station_id), a.date,
                        a.deputy_ids, a.voters_received, a.online, a.summary,
                        EXISTS (SELECT 1 FROM outbox o WHERE o.record_key = 'activity:' || a.id)
                 {FILTERED} ORDER BY a.date DESC, a.rowid DESC LIMIT :limit"
            ),
            params.as_slice(),
            |r| {
                let ids: Vec<String> = from_json(&r.get::<_, String>(5)?)?;
                Ok(ActivitySummary {
                    id: r.get(0)?,
                    kind: enum_from(&r.get::<_, String>(1)?)?,
                    station_id: r.get(2)?,
                    station_name: r.get(3)?,
                    date: r.get(4)?,
                    deputy_names: ids
                        .iter()
                        .map(|id| names.get(id).cloned().unwrap_or_else(|| id.clone()))
                        .collect(),
                    voters_received: r.get(6)?,
                    online: r.get(7)?,
                    summary: r.get(8)?,
                    pending_sync: r.get(9)?,
                })
            },
        )
    }

    /// How many activities `filter` selects and the voters they received, all of them
    /// (its `limit` is ignored): the register's totals while it shows the first rows.
    pub fn activity_totals(&self, filter: &ActivityFilter) -> Result<ActivityTotals, Error> {
        let filtered = Filtered::new(filter);
        let params = filtered.params();
        let mut stmt = self.conn.prepare_cached(&format!(
            "SELECT count(*), COALESCE(sum(a.voters_received), 0) {FILTERED}"
        ))?;
        let (records, voters): (i64, i64) =
            stmt.query_row(params.as_slice(), |r| Ok((r.get(0)?, r.get(1)?)))?;
        Ok(ActivityTotals {
            records: records.unsigned_abs(),
            voters: voters.unsigned_abs(),
        })
    }
}

/// The register's filter over `activities a` (and its station `s`), with the named
/// parameters of [`Filtered::params`].
const FILTERED: &str = "FROM activities a LEFT JOIN stations s ON s.id = a.station_id
     WHERE (:kind IS NULL OR a.kind = :kind)
       AND (:station IS NULL OR a.station_id = :station)
       AND (:from IS NULL OR a.date >= :from) AND (:to IS NULL OR a.date <= :to)
       AND (:subdistrict IS NULL OR s.subdistrict_id = :subdistrict)
       AND (:deputy IS NULL OR a.id IN (
             SELECT activity_id FROM activity_deputies WHERE deputy_id = :deputy))
       AND (:level IS NULL OR a.id IN (
             SELECT ad.activity_id FROM activity_deputies ad
             JOIN deputies d ON d.id = ad.deputy_id, json_each(d.levels) l
             WHERE l.value = :level))
       AND (:campaign IS NULL OR a.campaign_id = :campaign)
       AND (:draft IS NULL OR a.draft_id = :draft)
       AND (:online IS NULL OR a.online = :online)";

/// A filter's values as [`FILTERED`] binds them.
struct Filtered<'a> {
    filter: &'a ActivityFilter,
    kind: Option<String>,
    level: Option<String>,
}

impl<'a> Filtered<'a> {
    fn new(filter: &'a ActivityFilter) -> Filtered<'a> {
        Filtered {
            filter,
            kind: filter.kind.map(enum_str),
            level: filter.level.map(enum_str),
        }
    }

    /// The named parameters of [`FILTERED`].
    fn params(&self) -> Vec<(&'static str, &dyn rusqlite::ToSql)> {
        let f = self.filter;
        vec![
            (":kind", &self.kind),
            (":station", &f.station_id),
            (":from", &f.from),
            (":to", &f.to),
            (":subdistrict", &f.subdistrict_id),
            (":deputy", &f.deputy_id),
            (":level", &self.level),
            (":campaign", &f.campaign_id),
            (":draft", &f.draft_id),
            (":online", &f.online),
        ]
    }
}
