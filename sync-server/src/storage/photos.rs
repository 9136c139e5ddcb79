//! Photos: each file once by content hash, linked to the documents that refer to it
//! (whose scope decides who reads it); uploads in chunks that resume, with quotas;
//! downloads by byte range.

use shared::model::Access;
use shared::protocol::{BLOB_CHUNK_BYTES, ChunkQuery, MAX_PHOTO_BYTES, UploadState};

use super::backend::{NewChunk, Tx};
use super::{Caller, Quotas, Refusal, StorageError, Store, UPLOAD_KEPT_SECS, check_doc_access};

impl Store {
    /// How much of file `hash` the caller has uploaded for `doc_id`, which it must write.
    pub fn upload_state(
        &self,
        caller: &Caller,
        hash: &str,
        doc_id: &str,
    ) -> Result<UploadState, StorageError> {
        let tx = self.backend.read()?;
        check_file_access(&*tx, caller, hash, doc_id, Access::Write)?;
        upload_state(&*tx, hash, doc_id)
    }

    /// Stores one chunk of file `hash` (`size` bytes in all) for `doc_id`, starting at
    /// `offset`. A chunk the server already holds changes nothing (a retry); one past
    /// what it holds is refused. The last chunk completes the file, once it matches its
    /// hash.
    pub fn upload_chunk(
        &self,
        caller: &Caller,
        hash: &str,
        chunk: &ChunkQuery,
        data: &[u8],
    ) -> Result<UploadState, StorageError> {
        if chunk.size == 0 || chunk.size > MAX_PHOTO_BYTES {
            return Err(StorageError::BadRequest(format!(
                "a file has 1 to {MAX_PHOTO_BYTES} bytes"
            )));
        }
        if data.is_empty() || data.len() as u64 > BLOB_CHUNK_BYTES {
            return Err(StorageError::BadRequest(format!(
                "a chunk has 1 to {BLOB_CHUNK_BYTES} bytes"
            )));
        }
        let end = chunk.offset.saturating_add(data.len() as u64);
        if end > chunk.size {
            return Err(StorageError::BadRequest(
                "the chunk ends past the file".into(),
            ));
        }
        let tx = self.backend.write()?;
        check_file_access(&*tx, caller, hash, &chunk.doc_id, Access::Write)?;
        // Uploads abandoned for a week go, so made-up files cannot fill the disk.
        let now = chrono::Utc::now().timestamp();
        tx.drop_uploads_before(now - UPLOAD_KEPT_SECS)?;
        let state = upload_state(&*tx, hash, &chunk.doc_id)?;
        if state.complete || end <= state.received {
            tx.commit()?;
            return Ok(state); // A retry of what arrived.
        }
        if chunk.offset != state.received {
            return Err(StorageError::Conflict(format!(
                "the upload continues at byte {}",
                state.received
            )));
        }
        // A file's size is what its first chunk said: the quotas reserved it then, and
        // an upload never holds more than it reserved.
        if let Some(size) = tx.upload_size(hash, &chunk.doc_id)?
            && size != chunk.size
        {
            return Err(StorageError::Conflict(format!(
                "the upload was started as a file of {size} bytes"
            )));
        }
        if state.received == 0 {
            check_upload_quotas(&*tx, &self.quotas, caller, chunk.size)?;
        }
        tx.put_chunk(&NewChunk {
            hash,
            doc_id: &chunk.doc_id,
            offset: chunk.offset,
            data,
            received_at: now,
            size: chunk.size,
            username: &caller.account.username,
            device_id: &caller.device_id,
        })?;
        if end < chunk.size {
            tx.commit()?;
            return Ok(UploadState {
                received: end,
                complete: false,
            });
        }
        // The last chunk: the file must be what its name says.
        let file = tx.take_upload(hash, &chunk.doc_id)?;
        if shared::protocol::content_hash(&file) != hash {
            // The chunks go: the device starts again from its own copy.
            tx.commit()?;
            return Err(StorageError::BadRequest(
                "the file does not match its hash; upload it again".into(),
            ));
        }
        tx.put_file(
            hash,
            &file,
            &chunk.doc_id,
            &caller.account.username,
            &caller.device_id,
        )?;
        tx.commit()?;
        Ok(UploadState {
            received: chunk.size,
            complete: true,
        })
    }

    /// Bytes `range` (start, inclusive end) of file `hash`, or all of it, if the caller
    /// reads `doc_id` and `doc_id` refers to the file; with the file's size.
    pub fn download(
        &self,
        caller: &Caller,
        hash: &str,
        doc_id: &str,
        range: Option<(u64, u64)>,
    ) -> Result<(u64, Vec<u8>), StorageError> {
        let tx = self.backend.read()?;
        check_file_access(&*tx, caller, hash, doc_id, Access::Read)?;
        let size = tx
            .linked_file_size(hash, doc_id)?
            .ok_or_else(|| StorageError::NotFound(format!("no file {hash}")))?;
        let (start, end) = range.unwrap_or((0, size.saturating_sub(1)));
        let end = end.min(size.saturating_sub(1));
        if start > end {
            return Err(StorageError::BadRequest(
                "the range is outside the file".into(),
            ));
        }
        let bytes = tx.file_bytes(hash, start, end - start + 1)?;
        Ok((size, bytes))
    }
}

/// The caller must have `needed` on `doc_id`, and `hash` must be a content hash. A
/// document the caller may not read is, as everywhere, not found.
fn check_file_access(
    tx: &dyn Tx,
    caller: &Caller,
    hash: &str,
    doc_id: &str,
    needed: Access,
) -> Result<(), StorageError> {
    if !shared::protocol::is_content_hash(hash) {
        return Err(StorageError::BadRequest(format!(
            "not a content hash: {hash:?}"
        )));
    }
    check_doc_access(tx, caller, doc_id, needed)?;
    // A file is linked only to a document that exists (its record was synced first).
    if !tx.doc_exists(doc_id)? {
        return Err(StorageError::Refused {
            doc_id: doc_id.to_owned(),
            reason: Refusal::NotFound,
        });
    }
    Ok(())
}

/// A new upload of `size` bytes must fit the caller's quotas: unfinished uploads per
/// device and per account, the sizes they declared per account (which cannot change,
/// so they bound what the uploads hold), and stored files per device and per account
/// (counting the new one).
fn check_upload_quotas(
    tx: &dyn Tx,
    quotas: &Quotas,
    caller: &Caller,
    size: u64,
) -> Result<(), StorageError> {
    let used = tx.upload_usage(&caller.account.username, &caller.device_id)?;
    let over = [
        (
            used.device_uploads + 1,
            u64::from(quotas.uploads_per_device),
            "unfinished uploads of this device",
        ),
        (
            used.account_uploads + 1,
            u64::from(quotas.uploads_per_account),
            "unfinished uploads of this account",
        ),
        (
            used.account_reserved_bytes + size,
            quotas.reserved_bytes_per_account,
            "bytes of this account's unfinished uploads",
        ),
        (
            used.device_stored_bytes + size,
            quotas.stored_bytes_per_device,
            "bytes of files stored from this device",
        ),
        (
            used.account_stored_bytes + size,
            quotas.stored_bytes_per_account,
            "bytes of files stored by this account",
        ),
    ]
    .into_iter()
    .find(|(used, limit, _)| used > limit);
    match over {
        Some((_, limit, what)) => Err(StorageError::Quota(format!("at most {limit} {what}"))),
        None => Ok(()),
    }
}

fn upload_state(tx: &dyn Tx, hash: &str, doc_id: &str) -> Result<UploadState, StorageError> {
    if let Some(size) = tx.linked_file_size(hash, doc_id)? {
        return Ok(UploadState {
            received: size,
            complete: true,
        });
    }
    Ok(UploadState {
        received: tx.upload_received(hash, doc_id)?,
        complete: false,
    })
}
