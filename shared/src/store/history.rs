//! A record's history, as the user reads it.

use super::*;

/// Which field of a form a record's JSON key is, for history entries.
pub(super) fn field_of(key: &str) -> Option<Field> {
    Some(match key {
        "kind" => Field::Kind,
        "station_id" => Field::Station,
        "date" | "referred_on" => Field::Date,
        "deputy_ids" => Field::Deputies,
        "guests" => Field::Guests,
        "voters_received" => Field::VotersReceived,
        "online" => Field::Online,
        "location" => Field::Location,
        "summary" => Field::Summary,
        "photos" => Field::Photos,
        "campaign_id" => Field::Campaign,
        "draft_id" => Field::Draft,
        "categories" => Field::Categories,
        "content" => Field::Content,
        "voter_name" => Field::VoterName,
        "voter_phone" => Field::VoterPhone,
        "consent" => Field::Consent,
        "received_by" => Field::ReceivedBy,
        "activity_id" => Field::Activity,
        "article_id" => Field::Article,
        "opinion_ids" => Field::Opinions,
        "department_id" => Field::Department,
        "deadline" => Field::Deadline,
        "note" => Field::Note,
        "status" => Field::Status,
        "text" => Field::Answer,
        "feedback" | "feedback_date" => Field::Feedback,
        "satisfaction" => Field::Satisfaction,
        "title" => Field::Title,
        "supervised" => Field::Supervised,
        _ => return None,
    })
}

/// The fields that differ between two versions of a record, with ids shown as names.
pub(super) fn field_changes(
    before: Option<&serde_json::Value>,
    after: &serde_json::Value,
    names: &HashMap<String, String>,
) -> Vec<FieldChange> {
    let show = |v: &serde_json::Value| -> String {
        let one = |v: &serde_json::Value| match v {
            serde_json::Value::String(s) => names.get(s).cloned().unwrap_or_else(|| s.clone()),
            serde_json::Value::Null => String::new(),
            other => other.to_string(),
        };
        match v {
            serde_json::Value::Array(items) => items.iter().map(one).collect::<Vec<_>>().join("、"),
            other => one(other),
        }
    };
    let Some(fields) = after.as_object() else {
        return vec![];
    };
    let mut changes: Vec<FieldChange> = Vec::new();
    for (key, new) in fields {
        let Some(field) = field_of(key) else { continue };
        let old = before.and_then(|b| b.get(key));
        if old == Some(new) {
            continue;
        }
        // Voter name and phone are personal data: a history says they changed, never
        // what they were.
        let hidden = matches!(field, Field::VoterName | Field::VoterPhone);
        let (old, new) = if hidden {
            (old.map(|_| String::new()), String::new())
        } else {
            (old.map(show), show(new))
        };
        if before.is_none() && !hidden && (new.is_empty() || new == "false") {
            continue; // an empty or unticked field at creation is not news
        }
        if changes.iter().any(|c| c.field == field) {
            continue; // feedback date and text are one line
        }
        changes.push(FieldChange {
            field,
            old,
            new,
            hidden,
        });
    }
    changes
}

impl Store {
    /// The history of a record (`kind` is its key prefix: `activity`, `opinion`…), newest
    /// first: who changed which field, when, from what to what, from Automerge's history.
    pub fn history(&self, kind: &str, id: &str) -> Result<Vec<HistoryEntry>, Error> {
        let key = format!("{kind}:{id}");
        let doc_id: String = doc_of(&self.conn, &key)?.ok_or(Error::NotFound)?;
        let mut stored = load_document(&self.conn, &doc_id, &self.actor)?.ok_or(Error::NotFound)?;
        let doc = &mut stored.doc;
        let revisions = match kind {
            "activity" => doc::record_history::<Activity>(doc, id)?,
            "opinion" => doc::record_history::<Opinion>(doc, id)?,
            "referral" => doc::record_history::<Referral>(doc, id)?,
            "answer" => doc::record_history::<Answer>(doc, id)?,
            "suggestion" => doc::record_history::<DeputySuggestion>(doc, id)?,
            "lead" => doc::record_history::<LivelihoodLead>(doc, id)?,
            _ => return Err(Error::NotFound),
        };
        let mut names = self.names("stations")?;
        names.extend(self.names("deputies")?);
        names.extend(self.names("departments")?);
        names.extend(self.names("campaigns")?);
        let me = self.device_id();
        let mut entries: Vec<HistoryEntry> = revisions
            .into_iter()
            .map(|rev| HistoryEntry {
                time: rev.time,
                by_this_device: rev.actor == me,
                device: rev.actor,
                created: rev.before.is_none(),
                changes: field_changes(rev.before.as_ref(), &rev.after, &names),
            })
            .collect();
        entries.reverse();
        Ok(entries)
    }
}
