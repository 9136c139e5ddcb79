//! Deputy suggestions and livelihood leads.

use super::*;

impl Store {
    /// Records a deputy suggestion formed from opinions; returns its id.
    pub fn create_suggestion(
        &mut self,
        input: &SuggestionInput,
        today: NaiveDate,
    ) -> Result<String, Error> {
        let mut s = input.validate(today).map_err(Error::Invalid)?;
        let mut errors = Vec::new();
        self.must_exist(&mut errors, Field::Station, "stations", Some(&s.station_id))?;
        for id in &s.deputy_ids {
            self.must_exist(&mut errors, Field::Deputies, "deputies", Some(id))?;
        }
        for id in &s.opinion_ids {
            self.must_exist(&mut errors, Field::Opinions, "opinions", Some(id))?;
        }
        self.must_exist(
            &mut errors,
            Field::Department,
            "departments",
            s.department_id.as_deref(),
        )?;
        errors.dedup();
        refuse(errors)?;
        s.id = new_id();
        self.save(&s)?;
        Ok(s.id)
    }

    /// Records a livelihood-project lead formed from opinions; returns its id.
    pub fn create_lead(&mut self, input: &LeadInput, today: NaiveDate) -> Result<String, Error> {
        let mut l = input.validate(today).map_err(Error::Invalid)?;
        let mut errors = Vec::new();
        self.must_exist(&mut errors, Field::Station, "stations", Some(&l.station_id))?;
        for id in &l.opinion_ids {
            self.must_exist(&mut errors, Field::Opinions, "opinions", Some(id))?;
        }
        errors.dedup();
        refuse(errors)?;
        l.id = new_id();
        self.save(&l)?;
        Ok(l.id)
    }

    /// Deputy suggestions, newest first.
    pub fn suggestions(&self) -> Result<Vec<DeputySuggestion>, Error> {
        self.query(
            "SELECT id, station_id, date, title, content, deputy_ids, opinion_ids,
                    department_id, supervised FROM suggestions ORDER BY date DESC, rowid DESC",
            [],
            |r| {
                Ok(DeputySuggestion {
                    id: r.get(0)?,
                    station_id: r.get(1)?,
                    date: r.get(2)?,
                    title: r.get(3)?,
                    content: r.get(4)?,
                    deputy_ids: from_json(&r.get::<_, String>(5)?)?,
                    opinion_ids: from_json(&r.get::<_, String>(6)?)?,
                    department_id: r.get(7)?,
                    supervised: r.get(8)?,
                })
            },
        )
    }

    /// Livelihood leads, newest first.
    pub fn leads(&self) -> Result<Vec<LivelihoodLead>, Error> {
        self.query(
            "SELECT id, station_id, date, title, content, opinion_ids FROM leads
             ORDER BY date DESC, rowid DESC",
            [],
            |r| {
                Ok(LivelihoodLead {
                    id: r.get(0)?,
                    station_id: r.get(1)?,
                    date: r.get(2)?,
                    title: r.get(3)?,
                    content: r.get(4)?,
                    opinion_ids: from_json(&r.get::<_, String>(5)?)?,
                })
            },
        )
    }
}
