//! Repair: document heads compared with the server's, and Automerge's sync protocol.

use super::*;

impl Store {
    /// Up to `limit` documents after `after` (by id) with nothing waiting in the outbox,
    /// with their heads (sorted hex): what to compare with the server's.
    pub fn documents_to_verify(
        &self,
        after: &str,
        limit: usize,
    ) -> Result<Vec<(String, Vec<String>)>, Error> {
        let ids: Vec<String> = self.query(
            "SELECT id FROM documents d WHERE id > ?1
               AND NOT EXISTS (SELECT 1 FROM outbox o WHERE o.doc_id = d.id)
             ORDER BY id LIMIT ?2",
            params![after, limit as i64],
            |r| r.get(0),
        )?;
        ids.into_iter()
            .map(|id| {
                let mut heads: Vec<String> = self
                    .document(&id)?
                    .get_heads()
                    .iter()
                    .map(ToString::to_string)
                    .collect();
                heads.sort();
                Ok((id, heads))
            })
            .collect()
    }

    /// The next Automerge sync message for repairing `doc_id` with the server, or `None`
    /// when this device has nothing more to say.
    pub fn repair_message(
        &self,
        doc_id: &str,
        state: &mut automerge::sync::State,
    ) -> Result<Option<Vec<u8>>, Error> {
        use automerge::sync::SyncDoc as _;
        Ok(self
            .document(doc_id)?
            .sync()
            .generate_sync_message(state)
            .map(automerge::sync::Message::encode))
    }

    /// Takes the server's sync message for `doc_id`: the changes it brings are applied
    /// as received changes are (document, projection, waiting changes). Returns how many
    /// changes were new here.
    pub fn receive_repair_message(
        &mut self,
        doc_id: &str,
        state: &mut automerge::sync::State,
        message: &[u8],
    ) -> Result<u64, Error> {
        use automerge::sync::SyncDoc as _;
        let message = automerge::sync::Message::decode(message)
            .map_err(|e| Error::Protocol(format!("sync message: {e}")))?;
        let family = DocId::parse(doc_id)
            .ok_or_else(|| Error::Protocol(format!("unknown document {doc_id}")))?
            .family();
        let mut doc = self.document(doc_id)?;
        let before = doc.get_heads();
        doc.sync().receive_sync_message(state, message)?;
        let changes: Vec<WireChange> = doc
            .get_changes(&before)
            .iter()
            .map(|c| WireChange {
                doc_id: doc_id.to_owned(),
                kind: family.as_str().to_owned(),
                bytes: c.raw_bytes().to_vec(),
            })
            .collect();
        if changes.is_empty() {
            return Ok(0);
        }
        let response = SyncResponse {
            cursor: self.cursor()?,
            changes,
            bootstrap: get_meta(&self.conn, "bootstrap")?
                .and_then(|b| serde_json::from_str(&b).ok()),
            ..Default::default()
        };
        Ok(self.apply_sync_response(&response)?.received_changes)
    }

    /// Where the rolling check of documents against the server stands: the last
    /// document id checked and when (unix seconds) the last round ran.
    pub fn verify_position(&self) -> Result<(String, i64), Error> {
        Ok((
            get_meta(&self.conn, "verify_after")?.unwrap_or_default(),
            get_meta(&self.conn, "verify_at")?
                .and_then(|t| t.parse().ok())
                .unwrap_or(0),
        ))
    }

    pub fn set_verify_position(&self, after: &str, at: i64) -> Result<(), Error> {
        set_meta(&self.conn, "verify_after", after)?;
        set_meta(&self.conn, "verify_at", &at.to_string())
    }
}
