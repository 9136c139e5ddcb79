//! Projection: a record's row in the table the UI lists from.

use super::*;

/// The projection table of each record kind (key prefix).
pub(super) fn table_of(prefix: &str) -> Option<&'static str> {
    Some(match prefix {
        "activity" => "activities",
        "opinion" => "opinions",
        "suggestion" => "suggestions",
        "lead" => "leads",
        "referral" => "referrals",
        "answer" => "answers",
        "subdistrict" => "subdistricts",
        "department" => "departments",
        "campaign" => "campaigns",
        "station" => "stations",
        "staff" => "station_staff",
        "deputy" => "deputies",
        "draft" => "drafts",
        _ => return None,
    })
}

/// Updates the projection row of `record` (held by document `doc_id`).
pub(super) fn project(tx: &Connection, doc_id: &str, record: &AnyRecord) -> Result<(), Error> {
    let (sql, values): (&str, Vec<rusqlite::types::Value>) = {
        use rusqlite::types::Value as V;
        let s = |s: &str| V::Text(s.to_owned());
        let o = |s: &Option<String>| s.as_deref().map_or(V::Null, s_of);
        fn s_of(s: &str) -> rusqlite::types::Value {
            rusqlite::types::Value::Text(s.to_owned())
        }
        let d = |d: &NaiveDate| V::Text(d.to_string());
        let j = |v: &dyn erased::Json| V::Text(v.json());
        let i = |n: i64| V::Integer(n);
        let b = |x: bool| V::Integer(i64::from(x));
        match record {
            AnyRecord::Activity(a) => (
                "INSERT OR REPLACE INTO activities (doc_id, id, kind, station_id, date, deputy_ids,
                     guests, voters_received, online, location, summary, photos, campaign_id,
                     draft_id, attendances)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15)",
                vec![
                    s(&a.id), s(&enum_str(a.kind)), s(&a.station_id), d(&a.date),
                    j(&a.deputy_ids), s(&a.guests), i(a.voters_received.into()), b(a.online),
                    s(&a.location), s(&a.summary), j(&a.photos), o(&a.campaign_id),
                    o(&a.draft_id), i(a.deputy_ids.len() as i64),
                ],
            ),
            AnyRecord::Opinion(x) => (
                "INSERT OR REPLACE INTO opinions (doc_id, id, station_id, date, categories, content,
                     voter_name, voter_phone, consent, received_by, activity_id, draft_id,
                     article_id, feedback_date, feedback, satisfaction)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16)",
                vec![
                    s(&x.id), s(&x.station_id), d(&x.date), j(&x.categories), s(&x.content),
                    s(&x.voter_name), s(&x.voter_phone), b(x.consent), o(&x.received_by),
                    o(&x.activity_id), o(&x.draft_id), o(&x.article_id),
                    x.feedback_date.as_ref().map_or(V::Null, d), s(&x.feedback),
                    x.satisfaction.map_or(V::Null, |v| s(&enum_str(v))),
                ],
            ),
            AnyRecord::Referral(x) => (
                "INSERT OR REPLACE INTO referrals (doc_id, id, opinion_id, station_id, department_id,
                     referred_on, deadline, categories, content, note)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
                vec![
                    s(&x.id), s(&x.opinion_id), s(&x.station_id), s(&x.department_id),
                    d(&x.referred_on), d(&x.deadline), j(&x.categories), s(&x.content),
                    s(&x.note),
                ],
            ),
            AnyRecord::Answer(x) => (
                "INSERT OR REPLACE INTO answers (doc_id, id, referral_id, opinion_id, station_id,
                     department_id, status, date, text)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
                vec![
                    s(&x.id), s(&x.referral_id), s(&x.opinion_id), s(&x.station_id),
                    s(&x.department_id), s(&enum_str(x.status)), d(&x.date), s(&x.text),
                ],
            ),
            AnyRecord::DeputySuggestion(x) => (
                "INSERT OR REPLACE INTO suggestions (doc_id, id, station_id, date, title, content,
                     deputy_ids, opinion_ids, department_id, supervised)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
                vec![
                    s(&x.id), s(&x.station_id), d(&x.date), s(&x.title), s(&x.content),
                    j(&x.deputy_ids), j(&x.opinion_ids), o(&x.department_id), b(x.supervised),
                ],
            ),
            AnyRecord::LivelihoodLead(x) => (
                "INSERT OR REPLACE INTO leads (doc_id, id, station_id, date, title, content, opinion_ids)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
                vec![
                    s(&x.id), s(&x.station_id), d(&x.date), s(&x.title), s(&x.content),
                    j(&x.opinion_ids),
                ],
            ),
            AnyRecord::Subdistrict(x) => (
                "INSERT OR REPLACE INTO subdistricts (doc_id, id, name, kind) VALUES (?1, ?2, ?3, ?4)",
                vec![s(&x.id), s(&x.name), s(&enum_str(x.kind))],
            ),
            AnyRecord::Station(x) => (
                "INSERT OR REPLACE INTO stations (doc_id, id, name, kind, subdistrict_id)
                 VALUES (?1, ?2, ?3, ?4, ?5)",
                vec![s(&x.id), s(&x.name), s(&enum_str(x.kind)), s(&x.subdistrict_id)],
            ),
            AnyRecord::StationStaff(x) => (
                "INSERT OR REPLACE INTO station_staff (doc_id, id, station_id, name, post)
                 VALUES (?1, ?2, ?3, ?4, ?5)",
                vec![s(&x.id), s(&x.station_id), s(&x.name), s(&x.post)],
            ),
            AnyRecord::Deputy(x) => (
                "INSERT OR REPLACE INTO deputies (doc_id, id, name, levels, station_id)
                 VALUES (?1, ?2, ?3, ?4, ?5)",
                vec![s(&x.id), s(&x.name), j(&x.levels), s(&x.station_id)],
            ),
            AnyRecord::Department(x) => (
                "INSERT OR REPLACE INTO departments (doc_id, id, name) VALUES (?1, ?2, ?3)",
                vec![s(&x.id), s(&x.name)],
            ),
            AnyRecord::Campaign(x) => (
                "INSERT OR REPLACE INTO campaigns (doc_id, id, name, activity_kind, starts, ends,
                     station_ids) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
                vec![
                    s(&x.id), s(&x.name), s(&enum_str(x.activity_kind)), d(&x.starts),
                    d(&x.ends), j(&x.station_ids),
                ],
            ),
            AnyRecord::DraftRegulation(x) => (
                "INSERT OR REPLACE INTO drafts (doc_id, id, title, opens, closes, articles)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                vec![s(&x.id), s(&x.title), d(&x.opens), d(&x.closes), j(&x.articles)],
            ),
        }
    };
    let values = std::iter::once(rusqlite::types::Value::Text(doc_id.to_owned())).chain(values);
    tx.prepare_cached(sql)?
        .execute(rusqlite::params_from_iter(values))?;
    Ok(())
}

/// Lists and other nested values are kept in projection rows as JSON.
pub(super) mod erased {
    pub trait Json {
        fn json(&self) -> String;
    }
    impl<T: serde::Serialize> Json for T {
        fn json(&self) -> String {
            super::to_json(self)
        }
    }
}
