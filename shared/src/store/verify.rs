//! Consistency: every record's projection row against its document.

use super::*;

impl Store {
    /// Checks the store is consistent: SQLite's own integrity check passes; every record
    /// of every kind in every document has a projection row, in its kind's table, that
    /// names that document and equals the record column by column; and no projection row
    /// of any kind stands for a record its document does not hold.
    pub fn verify(&self) -> Result<(), Error> {
        let check: String = self
            .conn
            .query_row("PRAGMA integrity_check", [], |r| r.get(0))?;
        if check != "ok" {
            return Err(Error::Corrupt(format!("integrity check: {check}")));
        }
        let mut held: HashSet<String> = HashSet::new();
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
                let kind = record.kind();
                let mut expected = vec![rusqlite::types::Value::Text(doc_id.clone())];
                expected.extend(record.row());
                let projected = self.projection_row(kind, record.id())?;
                if projected.as_ref() != Some(&expected) {
                    return Err(Error::Corrupt(format!(
                        "projection of {key} differs from {doc_id}"
                    )));
                }
                held.insert(key);
            }
        }
        for kind in crate::registry::KINDS {
            let ids: Vec<String> =
                self.query(&format!("SELECT id FROM {}", kind.table), [], |r| r.get(0))?;
            if let Some(id) = ids
                .iter()
                .find(|id| !held.contains(&format!("{}:{id}", kind.prefix)))
            {
                return Err(Error::Corrupt(format!(
                    "{} row {id} has no record in a document",
                    kind.table
                )));
            }
        }
        // Who attended what, as the activities' rows say, both ways.
        let differ: i64 = self.conn.query_row(
            "SELECT (SELECT COUNT(*) FROM (
                 SELECT j.value, a.date, a.id, a.station_id, a.kind
                 FROM activities a, json_each(a.deputy_ids) j
                 EXCEPT SELECT deputy_id, date, activity_id, station_id, kind
                 FROM activity_deputies))
             + (SELECT COUNT(*) FROM (
                 SELECT deputy_id, date, activity_id, station_id, kind FROM activity_deputies
                 EXCEPT SELECT j.value, a.date, a.id, a.station_id, a.kind
                 FROM activities a, json_each(a.deputy_ids) j))",
            [],
            |r| r.get(0),
        )?;
        if differ != 0 {
            return Err(Error::Corrupt(format!(
                "{differ} attendance rows differ from their activities"
            )));
        }
        Ok(())
    }

    /// The projection row of record `id` of `kind`: `doc_id`, then its columns.
    fn projection_row(
        &self,
        kind: &crate::registry::KindInfo,
        id: &str,
    ) -> Result<Option<Vec<rusqlite::types::Value>>, Error> {
        let n = kind.columns.len() + 1;
        let sql = format!(
            "SELECT doc_id, {} FROM {} WHERE id = ?1",
            kind.columns.join(", "),
            kind.table
        );
        Ok(self
            .conn
            .query_row(&sql, [id], |r| {
                (0..n)
                    .map(|i| r.get::<_, rusqlite::types::Value>(i))
                    .collect()
            })
            .optional()?)
    }

    /// A record as its document holds it (tools and tests compare it with the projection).
    pub fn activity_from_document(&self, id: &str) -> Result<Activity, Error> {
        let key = format!("activity:{id}");
        let doc_id: String = doc_of(&self.conn, &key)?.ok_or(Error::NotFound)?;
        let stored = load_document(&self.conn, &doc_id, &self.actor)?.ok_or(Error::NotFound)?;
        doc::read_record(&stored.doc, id)?.ok_or(Error::NotFound)
    }
}
