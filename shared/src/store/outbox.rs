//! The outbox: what goes out, what was set aside, and the sync status.

use super::*;

/// Outbox rows that may go out: none of a document the server refused a change of
/// (later changes depend on the refused one, and would be stuck on every other device).
pub(super) const SENDABLE: &str =
    "doc_id NOT IN (SELECT doc_id FROM outbox WHERE refused IS NOT NULL)";

impl Store {
    /// Records with changes waiting to be sent (not counting refused ones).
    pub fn pending_records(&self) -> Result<u64, Error> {
        self.count_records(SENDABLE)
    }

    /// Records with changes the server refused (see [`Store::set_aside`]): still on the
    /// device, not sent again until the next sign-in.
    pub fn refused_records(&self) -> Result<u64, Error> {
        self.count_records(&format!("NOT ({SENDABLE})"))
    }

    pub(super) fn count_records(&self, condition: &str) -> Result<u64, Error> {
        Ok(self
            .conn
            .query_row(
                &format!(
                    "SELECT COUNT(DISTINCT COALESCE(record_key, doc_id)) FROM outbox
                     WHERE {condition}"
                ),
                [],
                |r| r.get::<_, i64>(0),
            )?
            .unsigned_abs())
    }

    /// Sets aside every change of `doc_id` the server refused with the error code
    /// `reason`: they stay in the outbox (nothing entered is lost) but are not sent again,
    /// so the rest of the outbox gets through. Signing in again sends them once more.
    /// Returns how many changes were set aside.
    pub fn set_aside(&self, doc_id: &str, reason: &str) -> Result<usize, Error> {
        let changes = self.conn.execute(
            "UPDATE outbox SET refused = ?2 WHERE doc_id = ?1 AND refused IS NULL",
            params![doc_id, reason],
        )?;
        // Its record keys likewise (pending 2 is set aside); an erasure only when the
        // account may not write the document at all: otherwise it goes on its own.
        let access = matches!(
            reason,
            crate::protocol::error::NOT_FOUND | crate::protocol::error::READ_ONLY
        );
        let keys = self.conn.execute(
            "UPDATE record_keys SET pending = 2
             WHERE doc_id = ?1 AND pending = 1 AND (key IS NOT NULL OR ?2)",
            params![doc_id, access],
        )?;
        Ok(changes + keys)
    }

    /// Sets aside photo `hash` of `doc_id`, which the server refused: kept, not sent.
    pub fn set_aside_photo(&self, hash: &str, doc_id: &str) -> Result<(), Error> {
        self.conn.execute(
            "UPDATE photos SET uploaded = -1 WHERE hash = ?1 AND doc_id = ?2 AND uploaded = 0",
            params![hash, doc_id],
        )?;
        Ok(())
    }

    /// Gives up the changes and photos the server refused, at the user's explicit
    /// request (after asking them): they can never be sent by this account, and they keep
    /// another account from signing in on this device. The records stay on the device.
    /// Returns how many changes were dropped.
    pub fn discard_refused(&self) -> Result<usize, Error> {
        let tx = self.conn.unchecked_transaction()?;
        let dropped = tx.execute(&format!("DELETE FROM outbox WHERE NOT ({SENDABLE})"), [])?;
        tx.execute("DELETE FROM photos WHERE uploaded = -1", [])?;
        tx.execute("UPDATE record_keys SET pending = 0 WHERE pending = 2", [])?;
        tx.commit()?;
        Ok(dropped)
    }

    /// How many documents this device holds (for benchmarks and tools).
    pub fn document_count(&self) -> Result<usize, Error> {
        let n: i64 = self
            .conn
            .query_row("SELECT COUNT(*) FROM documents", [], |r| r.get(0))?;
        Ok(usize::try_from(n).unwrap_or(0))
    }

    /// Changes waiting in the outbox to be sent (not counting refused ones).
    pub fn outbox_len(&self) -> Result<usize, Error> {
        let n: i64 = self.conn.query_row(
            &format!("SELECT COUNT(*) FROM outbox WHERE {SENDABLE}"),
            [],
            |r| r.get(0),
        )?;
        Ok(usize::try_from(n).unwrap_or(0))
    }

    /// The next request to send: the cursor and the oldest unacknowledged changes, at
    /// most [`MAX_CHANGES_PER_REQUEST`] of them and about [`MAX_REQUEST_CHANGE_BYTES`]
    /// of change bytes, so a device back from weeks of bulk entry still gets through
    /// the server's body limit; the sync loop sends the rest next.
    pub fn sync_request(&self) -> Result<SyncRequest, Error> {
        self.sync_request_of_at_most(MAX_CHANGES_PER_REQUEST)
    }

    /// [`Store::sync_request`] with at most `most` changes (at least one): after the
    /// server refused a request as too large (its changes inflate past 32 MiB or hold
    /// over 400,000 operations together), the sync sends fewer at a time.
    pub fn sync_request_of_at_most(&self, most: usize) -> Result<SyncRequest, Error> {
        let most = most.clamp(1, MAX_CHANGES_PER_REQUEST);
        let mut bytes = 0usize;
        let mut changes = self.query(
            &format!(
                "SELECT doc_id, kind, bytes FROM outbox WHERE {SENDABLE} ORDER BY rowid LIMIT ?1"
            ),
            [most as i64],
            |r| {
                Ok(WireChange {
                    doc_id: r.get(0)?,
                    kind: r.get(1)?,
                    bytes: r.get(2)?,
                })
            },
        )?;
        // Always at least one change, however large, so the outbox drains.
        let fits = changes
            .iter()
            .take_while(|c| {
                bytes += c.bytes.len();
                bytes <= MAX_REQUEST_CHANGE_BYTES
            })
            .count()
            .max(1);
        changes.truncate(fits);
        let (key_cursor, keys) = self.keys_to_send()?;
        Ok(SyncRequest {
            device_id: self.device_id(),
            cursor: self.cursor()?,
            changes,
            bootstrap: get_meta(&self.conn, "bootstrap")?
                .and_then(|b| serde_json::from_str(&b).ok()),
            key_cursor,
            keys,
        })
    }

    /// Notes a successful sync at `now` (RFC 3339) and clears the last error.
    pub fn record_sync_success(&self, now: &str) -> Result<(), Error> {
        set_meta(&self.conn, "last_sync", now)?;
        self.conn
            .execute("DELETE FROM meta WHERE key = 'last_sync_error'", [])?;
        Ok(())
    }

    /// Notes a failed sync.
    pub fn record_sync_error(&self, error: &AppError) -> Result<(), Error> {
        set_meta(
            &self.conn,
            "last_sync_error",
            &serde_json::to_string(error).map_err(|e| Error::Corrupt(e.to_string()))?,
        )
    }

    pub fn sync_status(&self) -> Result<SyncStatus, Error> {
        let session = self.session()?;
        Ok(SyncStatus {
            server_url: session
                .as_ref()
                .map(|s| s.server_url.clone())
                .unwrap_or_default(),
            account: session.map(|s| s.account),
            last_success: get_meta(&self.conn, "last_sync")?,
            pending_records: self.pending_records()?,
            refused_records: self.refused_records()?,
            pending_photos: self.pending_uploads()?.len() as u64,
            last_error: get_meta(&self.conn, "last_sync_error")?
                .and_then(|e| serde_json::from_str(&e).ok()),
        })
    }
}
