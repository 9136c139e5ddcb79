//! Consistency: every record's projection row against its document.

use super::*;

impl Store {
    /// Checks the store is consistent: SQLite's own integrity check passes, and every
    /// record in every document has a projection row equal to it that names its document.
    pub fn verify(&self) -> Result<(), Error> {
        let check: String = self
            .conn
            .query_row("PRAGMA integrity_check", [], |r| r.get(0))?;
        if check != "ok" {
            return Err(Error::Corrupt(format!("integrity check: {check}")));
        }
        let ids: Vec<String> = self.query("SELECT id FROM documents", [], |r| r.get(0))?;
        for doc_id in ids {
            let Some(stored) = load_document(&self.conn, &doc_id, &self.actor)? else {
                continue;
            };
            for key in doc::record_keys(&stored.doc) {
                let Some(record) = AnyRecord::read(&stored.doc, &key)? else {
                    continue;
                };
                // A record that does not belong where it sits is never projected.
                if DocId::parse(&doc_id).is_none_or(|id| !record.belongs_in(&id, &key)) {
                    continue;
                }
                let indexed: Option<String> = doc_of(&self.conn, &key)?;
                let projected_equal = match &record {
                    AnyRecord::Activity(a) => self.activity_record(&a.id).ok().as_ref() == Some(a),
                    AnyRecord::Opinion(o) => self.opinion_record(&o.id).ok().as_ref() == Some(o),
                    AnyRecord::Referral(r) => self.referral_record(&r.id).ok().as_ref() == Some(r),
                    _ => true,
                };
                if indexed.as_deref() != Some(doc_id.as_str()) || !projected_equal {
                    return Err(Error::Corrupt(format!(
                        "projection of {key} differs from {doc_id}"
                    )));
                }
            }
        }
        Ok(())
    }

    /// A record as its document holds it (tools and tests compare it with the projection).
    pub fn activity_from_document(&self, id: &str) -> Result<Activity, Error> {
        let key = format!("activity:{id}");
        let doc_id: String = doc_of(&self.conn, &key)?.ok_or(Error::NotFound)?;
        let stored = load_document(&self.conn, &doc_id, &self.actor)?.ok_or(Error::NotFound)?;
        doc::read_record(&stored.doc, id)?.ok_or(Error::NotFound)
    }
}
