//! A record's history, as the user reads it.

use super::*;

/// The fields that differ between two versions of a record, with ids shown as names.
pub(super) fn field_changes(
    kind: &crate::registry::KindInfo,
    before: Option<&serde_json::Value>,
    after: &serde_json::Value,
    names: &HashMap<String, String>,
) -> Vec<FieldChange> {
    let show = |v: &serde_json::Value| -> Vec<String> {
        let one = |v: &serde_json::Value| match v {
            serde_json::Value::String(s) => names.get(s).cloned().unwrap_or_else(|| s.clone()),
            other => other.to_string(),
        };
        match v {
            serde_json::Value::Array(items) => items.iter().map(one).collect(),
            serde_json::Value::Null => vec![],
            other => vec![one(other)],
        }
    };
    let Some(fields) = after.as_object() else {
        return vec![];
    };
    let mut changes: Vec<FieldChange> = Vec::new();
    // A field left out when empty (`contact`) that was there before was removed.
    let removed = before
        .and_then(|b| b.as_object())
        .into_iter()
        .flatten()
        .filter(|(k, _)| !fields.contains_key(*k))
        .map(|(k, _)| (k, &serde_json::Value::Null));
    for (key, new) in fields.iter().chain(removed) {
        let Some(field) = kind.history_field(key) else {
            continue;
        };
        let old = before.and_then(|b| b.get(key));
        if old == Some(new) {
            continue;
        }
        // Voter name and phone are personal data: a history says they changed, never
        // what they were.
        let hidden = matches!(
            field,
            Field::VoterName | Field::VoterPhone | Field::VoterContact
        );
        let (old, new) = if hidden {
            (old.map(|_| vec![]), vec![])
        } else {
            (old.map(show), show(new))
        };
        if before.is_none() && !hidden && (new.iter().all(String::is_empty) || new == ["false"]) {
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
        let info = crate::registry::kind(kind)
            .filter(|k| !k.history.is_empty())
            .ok_or(Error::NotFound)?;
        let revisions = crate::registry::record_history(kind, doc, id)?.ok_or(Error::NotFound)?;
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
                changes: field_changes(info, rev.before.as_ref(), &rev.after, &names),
            })
            .collect();
        entries.reverse();
        Ok(entries)
    }
}
