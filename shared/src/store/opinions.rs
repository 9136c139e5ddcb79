//! Opinions and their handling: intake, referral, answers, feedback, inbox, timeline.

use super::*;

impl Store {
    /// Validates `input` and records a new opinion; returns its id.
    pub fn create_opinion(
        &mut self,
        input: &OpinionInput,
        today: NaiveDate,
    ) -> Result<String, Error> {
        let mut o = input.validate(today).map_err(Error::Invalid)?;
        self.check_opinion(&o)?;
        o.id = new_id();
        let home = self.home_of(&o)?;
        let sealing = contacts::seal_new(&mut o, None, &home.to_string());
        self.save_with(&o, |tx| sealing.keep(tx))?;
        Ok(o.id)
    }

    /// Validates `input` and writes it over opinion `id`, keeping its feedback.
    pub fn update_opinion(
        &mut self,
        id: &str,
        input: &OpinionInput,
        today: NaiveDate,
    ) -> Result<(), Error> {
        let new = input.validate(today).map_err(Error::Invalid)?;
        let stored = self.opinion_record(id)?;
        if stored.station_id != new.station_id {
            return Err(Error::Invalid(vec![FieldError::new(
                Field::Station,
                Problem::Locked,
            )]));
        }
        self.check_opinion(&new)?;
        let mut o = Opinion {
            id: id.to_owned(),
            feedback_date: stored.feedback_date,
            feedback: stored.feedback.clone(),
            satisfaction: stored.satisfaction,
            channel: stored.channel,
            ..new
        };
        let doc_id = write::doc_of(&self.conn, &o.record_key())?.ok_or(Error::NotFound)?;
        let sealing = self.seal_edited(&mut o, &stored, &doc_id)?;
        self.save_with(&o, |tx| sealing.keep(tx))?;
        Ok(())
    }

    pub(super) fn check_opinion(&self, o: &Opinion) -> Result<(), Error> {
        let mut errors = Vec::new();
        self.must_exist(&mut errors, Field::Station, "stations", Some(&o.station_id))?;
        self.must_exist(
            &mut errors,
            Field::ReceivedBy,
            "deputies",
            o.received_by.as_deref(),
        )?;
        self.must_exist(
            &mut errors,
            Field::Activity,
            "activities",
            o.activity_id.as_deref(),
        )?;
        self.must_exist(&mut errors, Field::Draft, "drafts", o.draft_id.as_deref())?;
        if let (Some(draft), Some(article)) = (&o.draft_id, &o.article_id) {
            let known = self
                .drafts()?
                .iter()
                .any(|d| &d.id == draft && d.articles.iter().any(|a| &a.id == article));
            if !known {
                errors.push(FieldError::new(Field::Article, Problem::Unknown));
            }
        }
        refuse(errors)
    }

    /// One opinion as the edit form shows it.
    pub fn opinion(&self, id: &str) -> Result<OpinionInput, Error> {
        let mut input = OpinionInput::from(&self.opinion_record(id)?);
        if let VoterContact::Shown { name, phone } = self.voter_contact(id)? {
            (input.voter_name, input.voter_phone) = (name, phone);
        }
        Ok(input)
    }

    /// One opinion from its projection row (with the voter's details, if kept).
    pub fn opinion_record(&self, id: &str) -> Result<Opinion, Error> {
        self.conn
            .query_row(
                "SELECT id, station_id, date, categories, content, voter_name, voter_phone,
                        consent, received_by, activity_id, draft_id, article_id,
                        feedback_date, feedback, satisfaction, contact, channel
                 FROM opinions WHERE id = ?1",
                [id],
                |r| {
                    Ok(Opinion {
                        id: r.get(0)?,
                        station_id: r.get(1)?,
                        date: r.get(2)?,
                        categories: from_json(&r.get::<_, String>(3)?)?,
                        content: r.get(4)?,
                        voter_name: r.get(5)?,
                        voter_phone: r.get(6)?,
                        consent: r.get(7)?,
                        received_by: r.get(8)?,
                        activity_id: r.get(9)?,
                        draft_id: r.get(10)?,
                        article_id: r.get(11)?,
                        feedback_date: r.get(12)?,
                        feedback: r.get(13)?,
                        satisfaction: r
                            .get::<_, Option<String>>(14)?
                            .map(|s| enum_from(&s))
                            .transpose()?,
                        contact: r.get(15)?,
                        channel: r
                            .get::<_, Option<String>>(16)?
                            .map(|s| enum_from(&s))
                            .transpose()?,
                    })
                },
            )
            .optional()?
            .ok_or(Error::NotFound)
    }

    /// Opinions matching `filter`, newest first, each with its derived status. `today`
    /// decides what is overdue.
    pub fn list_opinions(
        &self,
        filter: &OpinionFilter,
        today: NaiveDate,
    ) -> Result<Vec<OpinionSummary>, Error> {
        let limit = filter.limit.map_or(-1, i64::from);
        let filtered = OpinionsFiltered::new(filter, today);
        let mut params = filtered.params();
        params.push((":limit", &limit));
        self.query(
            &format!(
                "{OPINIONS_WITH_STATUS}
                 SELECT v.id, v.station_id, COALESCE(s.name, v.station_id), v.date, v.categories,
                        v.content, v.status, d.name, v.deadline,
                        v.status IN ('referred', 'in_progress') AND v.deadline < :today,
                        v.satisfaction,
                        EXISTS (SELECT 1 FROM outbox o WHERE o.record_key = 'opinion:' || v.id),
                        v.channel IS 'online'
                 {OPINIONS_FILTERED} ORDER BY v.date DESC, v.rid DESC LIMIT :limit"
            ),
            params.as_slice(),
            |r| {
                Ok(OpinionSummary {
                    id: r.get(0)?,
                    station_id: r.get(1)?,
                    station_name: r.get(2)?,
                    date: r.get(3)?,
                    categories: from_json(&r.get::<_, String>(4)?)?,
                    content: r.get(5)?,
                    status: enum_from(&r.get::<_, String>(6)?)?,
                    department: r.get(7)?,
                    deadline: r.get(8)?,
                    overdue: r.get(9)?,
                    satisfaction: r
                        .get::<_, Option<String>>(10)?
                        .map(|s| enum_from(&s))
                        .transpose()?,
                    pending_sync: r.get(11)?,
                    online: r.get(12)?,
                })
            },
        )
    }

    /// How many opinions `filter` selects, and how many of them are overdue, all of them
    /// (its `limit` is ignored): the list's "共 N 条" while it shows the first rows.
    pub fn opinion_totals(
        &self,
        filter: &OpinionFilter,
        today: NaiveDate,
    ) -> Result<OpinionTotals, Error> {
        let filtered = OpinionsFiltered::new(filter, today);
        let params = filtered.params();
        let mut stmt = self.conn.prepare_cached(&format!(
            "{OPINIONS_WITH_STATUS}
             SELECT count(*), COALESCE(sum(v.status IN ('referred', 'in_progress')
                                            AND v.deadline < :today), 0)
             {OPINIONS_FILTERED}"
        ))?;
        let (records, overdue): (i64, i64) =
            stmt.query_row(params.as_slice(), |r| Ok((r.get(0)?, r.get(1)?)))?;
        Ok(OpinionTotals {
            records: records.unsigned_abs(),
            overdue: overdue.unsigned_abs(),
        })
    }

    /// Refers an opinion to a department with a deadline (交办); returns the referral id.
    /// The referral carries the content the department reads, never the voter's details.
    pub fn refer_opinion(
        &mut self,
        input: &ReferralInput,
        today: NaiveDate,
    ) -> Result<String, Error> {
        let (department_id, deadline, content, note) =
            input.validate(today).map_err(Error::Invalid)?;
        let mut errors = Vec::new();
        let opinion = match self.opinion_record(input.opinion_id.trim()) {
            Ok(o) => Some(o),
            Err(Error::NotFound) => {
                errors.push(FieldError::new(Field::Opinion, Problem::Unknown));
                None
            }
            Err(e) => return Err(e),
        };
        self.must_exist(
            &mut errors,
            Field::Department,
            "departments",
            Some(&department_id),
        )?;
        let Some(opinion) = opinion.filter(|_| errors.is_empty()) else {
            return Err(Error::Invalid(errors));
        };
        let referral = Referral {
            id: new_id(),
            station_id: opinion.station_id.clone(),
            opinion_id: opinion.id.clone(),
            department_id: department_id.clone(),
            referred_on: today,
            deadline,
            categories: opinion.categories.clone(),
            content: if content.is_empty() {
                opinion.content.clone()
            } else {
                content
            },
            note,
        };
        self.save(&referral)?;
        Ok(referral.id)
    }

    /// Records (or updates) the department's answer to a referral: the latest answer this
    /// device knows is edited in place, so a department keeps one answer per referral.
    /// Returns the answer id.
    pub fn answer_referral(
        &mut self,
        input: &AnswerInput,
        today: NaiveDate,
    ) -> Result<String, Error> {
        let (date, text) = input.validate(today).map_err(Error::Invalid)?;
        let referral = match self.referral_record(input.referral_id.trim()) {
            Err(Error::NotFound) => {
                return Err(Error::Invalid(vec![FieldError::new(
                    Field::Referral,
                    Problem::Unknown,
                )]));
            }
            other => other?,
        };
        let existing: Option<String> = self
            .conn
            .query_row(
                "SELECT id FROM answers WHERE referral_id = ?1 ORDER BY date DESC, rowid DESC LIMIT 1",
                [&referral.id],
                |r| r.get(0),
            )
            .optional()?;
        let answer = Answer {
            id: existing.unwrap_or_else(new_id),
            referral_id: referral.id.clone(),
            opinion_id: referral.opinion_id.clone(),
            station_id: referral.station_id.clone(),
            department_id: referral.department_id.clone(),
            status: input.status,
            date,
            text,
        };
        self.save(&answer)?;
        Ok(answer.id)
    }

    pub(super) fn referral_record(&self, id: &str) -> Result<Referral, Error> {
        self.conn
            .query_row(
                "SELECT id, opinion_id, station_id, department_id, referred_on, deadline,
                        categories, content, note FROM referrals WHERE id = ?1",
                [id],
                |r| {
                    Ok(Referral {
                        id: r.get(0)?,
                        opinion_id: r.get(1)?,
                        station_id: r.get(2)?,
                        department_id: r.get(3)?,
                        referred_on: r.get(4)?,
                        deadline: r.get(5)?,
                        categories: from_json(&r.get::<_, String>(6)?)?,
                        content: r.get(7)?,
                        note: r.get(8)?,
                    })
                },
            )
            .optional()?
            .ok_or(Error::NotFound)
    }

    /// Records the feedback given to the voter (反馈) and the voter's satisfaction.
    pub fn record_feedback(
        &mut self,
        input: &FeedbackInput,
        today: NaiveDate,
    ) -> Result<(), Error> {
        let (date, text) = input.validate(today).map_err(Error::Invalid)?;
        let mut o = match self.opinion_record(input.opinion_id.trim()) {
            Err(Error::NotFound) => {
                return Err(Error::Invalid(vec![FieldError::new(
                    Field::Opinion,
                    Problem::Unknown,
                )]));
            }
            other => other?,
        };
        o.feedback_date = Some(date);
        o.feedback = text;
        o.satisfaction = input.satisfaction;
        self.save(&o)?;
        Ok(())
    }

    /// The referrals to `department_id`, soonest deadline first, with the latest answer.
    pub fn department_inbox(
        &self,
        department_id: &str,
        today: NaiveDate,
    ) -> Result<Vec<ReferralSummary>, Error> {
        self.query(
            "WITH a AS (SELECT referral_id, status, text, MAX(date || id)
                        FROM answers GROUP BY referral_id)
             SELECT r.id, r.opinion_id, COALESCE(s.name, r.station_id), r.department_id,
                    r.referred_on, r.deadline, r.categories, r.content, r.note, a.status,
                    a.text, COALESCE(a.status, '') != 'answered' AND r.deadline < ?2
             FROM referrals r LEFT JOIN a ON a.referral_id = r.id
                  LEFT JOIN stations s ON s.id = r.station_id
             WHERE r.department_id = ?1
             ORDER BY COALESCE(a.status, '') = 'answered', r.deadline, r.referred_on, r.id",
            params![department_id, today],
            |r| {
                Ok(ReferralSummary {
                    id: r.get(0)?,
                    opinion_id: r.get(1)?,
                    station_name: r.get(2)?,
                    department_id: r.get(3)?,
                    referred_on: r.get(4)?,
                    deadline: r.get(5)?,
                    categories: from_json(&r.get::<_, String>(6)?)?,
                    content: r.get(7)?,
                    note: r.get(8)?,
                    answer_status: r
                        .get::<_, Option<String>>(9)?
                        .map(|s| enum_from(&s))
                        .transpose()?,
                    answer: r.get(10)?,
                    overdue: r.get(11)?,
                })
            },
        )
    }

    /// The opinion's timeline, oldest first: recorded, each referral, each answer, the
    /// feedback.
    pub fn opinion_timeline(&self, id: &str) -> Result<Vec<TimelineStep>, Error> {
        let o = self.opinion_record(id)?;
        let depts = self.names("departments")?;
        let dept = |id: String| Some(depts.get(&id).cloned().unwrap_or(id));
        let mut steps = vec![TimelineStep {
            status: OpinionStatus::Recorded,
            date: o.date,
            department: None,
            text: o.content.clone(),
            deadline: None,
            satisfaction: None,
        }];
        steps.extend(self.query(
            "SELECT referred_on, department_id, content, deadline FROM referrals
             WHERE opinion_id = ?1 ORDER BY referred_on, id",
            [id],
            |r| {
                Ok(TimelineStep {
                    status: OpinionStatus::Referred,
                    date: r.get(0)?,
                    department: dept(r.get(1)?),
                    text: r.get(2)?,
                    deadline: r.get(3)?,
                    satisfaction: None,
                })
            },
        )?);
        steps.extend(self.query(
            "SELECT date, department_id, text, status FROM answers
             WHERE opinion_id = ?1 ORDER BY date, id",
            [id],
            |r| {
                let status: AnswerStatus = enum_from(&r.get::<_, String>(3)?)?;
                Ok(TimelineStep {
                    status: match status {
                        AnswerStatus::InProgress => OpinionStatus::InProgress,
                        AnswerStatus::Answered => OpinionStatus::Answered,
                    },
                    date: r.get(0)?,
                    department: dept(r.get(1)?),
                    text: r.get(2)?,
                    deadline: None,
                    satisfaction: None,
                })
            },
        )?);
        if let Some(date) = o.feedback_date {
            steps.push(TimelineStep {
                status: OpinionStatus::FedBack,
                date,
                department: None,
                text: o.feedback,
                deadline: None,
                satisfaction: o.satisfaction,
            });
        }
        // Stable: same-day steps keep their order of the handling chain.
        steps.sort_by_key(|s| (s.date, s.status));
        Ok(steps)
    }
}

/// The opinions with their derived status (`v`), as [`OPINIONS_FILTERED`] reads them.
const OPINIONS_WITH_STATUS: &str = concat!("WITH ", opinions_with_status!());

/// The opinion list's filter over `v` (and its station `s`, its department `d`), with the
/// named parameters of [`OpinionsFiltered::params`].
const OPINIONS_FILTERED: &str = "FROM v LEFT JOIN stations s ON s.id = v.station_id
                LEFT JOIN departments d ON d.id = v.dept
         WHERE (:station IS NULL OR v.station_id = :station)
           AND (:status IS NULL OR v.status = :status)
           AND (:statuses = '[]' OR v.status IN (SELECT value FROM json_each(:statuses)))
           AND (:department IS NULL OR v.dept = :department)
           AND (:draft IS NULL OR v.draft_id = :draft)
           AND (NOT :overdue
                OR (v.status IN ('referred', 'in_progress') AND v.deadline < :today))
           AND (:from IS NULL OR v.date >= :from) AND (:to IS NULL OR v.date <= :to)
           AND (:subdistrict IS NULL OR s.subdistrict_id = :subdistrict)
           AND (:category IS NULL OR EXISTS (
                 SELECT 1 FROM json_each(v.categories) c WHERE c.value = :category))
           AND (:campaign IS NULL OR v.activity_id IN (
                 SELECT id FROM activities WHERE campaign_id = :campaign))
           AND (:satisfaction IS NULL OR v.satisfaction = :satisfaction)
           AND (:online IS NULL OR (v.channel IS 'online') = :online)
           AND (:deputy IS NULL OR v.received_by = :deputy OR v.activity_id IN (
                 SELECT activity_id FROM activity_deputies WHERE deputy_id = :deputy))
           AND NOT EXISTS (
                 -- Every word of the search, in the content, the station or the department.
                 SELECT 1 FROM json_each(:words) w
                 WHERE instr(lower(v.content), lower(w.value)) = 0
                   AND instr(lower(COALESCE(s.name, '')), lower(w.value)) = 0
                   AND instr(lower(COALESCE(d.name, '')), lower(w.value)) = 0)";

/// A filter's values as [`OPINIONS_FILTERED`] binds them.
struct OpinionsFiltered<'a> {
    filter: &'a OpinionFilter,
    today: NaiveDate,
    status: Option<String>,
    statuses: String,
    category: Option<String>,
    satisfaction: Option<String>,
    words: String,
}

impl<'a> OpinionsFiltered<'a> {
    fn new(filter: &'a OpinionFilter, today: NaiveDate) -> OpinionsFiltered<'a> {
        let words: Vec<&str> = filter.words.split_whitespace().collect();
        OpinionsFiltered {
            filter,
            today,
            status: filter.status.map(enum_str),
            statuses: to_json(
                &filter
                    .statuses
                    .iter()
                    .copied()
                    .map(enum_str)
                    .collect::<Vec<_>>(),
            ),
            category: filter.category.map(enum_str),
            satisfaction: filter.satisfaction.map(enum_str),
            words: to_json(&words),
        }
    }

    /// The named parameters of [`OPINIONS_FILTERED`] (and `:today`).
    fn params(&self) -> Vec<(&'static str, &dyn rusqlite::ToSql)> {
        let f = self.filter;
        vec![
            (":today", &self.today),
            (":station", &f.station_id),
            (":status", &self.status),
            (":statuses", &self.statuses),
            (":department", &f.department_id),
            (":draft", &f.draft_id),
            (":overdue", &f.overdue_only),
            (":from", &f.from),
            (":to", &f.to),
            (":subdistrict", &f.subdistrict_id),
            (":category", &self.category),
            (":campaign", &f.campaign_id),
            (":satisfaction", &self.satisfaction),
            (":online", &f.online),
            (":deputy", &f.deputy_id),
            (":words", &self.words),
        ]
    }
}
