//! Record keys: the keys that open voters' contact details sealed into opinions
//! ([`shared::seal`]), kept outside the documents so that erasing one erases the details
//! everywhere (docs/PROTOCOL.md, "Record keys").
//!
//! A key belongs to one document (`doc_id`), whose scope decides who may give it (its
//! writers) and who gets it (its readers). Keys are given once and erased once: a key id
//! that exists never takes another key, and an erased one never takes a key again. Each
//! write takes the next key sequence number, which devices use as their key cursor; a
//! document's last one is in `docs.last_key_seq`, so a pull visits only documents whose
//! keys changed, as change pulls do.

use rusqlite::{Connection, OptionalExtension, named_params, params};
use shared::doc::DocId;
use shared::model::{Access, Account};
use shared::protocol::{KeyAck, MAX_KEYS_PER_MESSAGE, WireKey};
use shared::seal::{KEY_BYTES, is_key_id};

use crate::storage::{
    Caller, Refusal, StorageError, doc_access, insert_doc, max_readable, readable,
};

/// Checks the form of pushed keys, before any lock: count, key ids, document ids, sizes.
pub(crate) fn check_form(keys: &[WireKey]) -> Result<(), StorageError> {
    if keys.len() > MAX_KEYS_PER_MESSAGE {
        return Err(StorageError::BadRequest(format!(
            "at most {MAX_KEYS_PER_MESSAGE} keys a request"
        )));
    }
    for k in keys {
        if !is_key_id(&k.key_id) {
            return Err(StorageError::BadRequest(
                "a key id is not 32 hex digits".into(),
            ));
        }
        // Only opinions hold sealed details, and only station documents hold opinions:
        // a key for another family is refused, so departments never get one.
        if !matches!(DocId::parse(&k.doc_id), Some(DocId::Station { .. })) {
            return Err(StorageError::BadRequest(format!(
                "keys belong to station documents, not {:?}",
                k.doc_id
            )));
        }
        if k.key.as_ref().is_some_and(|key| key.len() != KEY_BYTES) {
            return Err(StorageError::BadRequest(format!(
                "a key is {KEY_BYTES} bytes"
            )));
        }
    }
    Ok(())
}

/// Stores the keys and erasures `caller` pushed (already checked by [`check_form`]); the
/// caller must write each one's document. Returns what is acknowledged: everything, as a
/// key id already given or erased is acknowledged without change.
pub(crate) fn push(
    tx: &Connection,
    caller: &Caller,
    keys: &[WireKey],
) -> Result<Vec<KeyAck>, StorageError> {
    let mut acks = Vec::with_capacity(keys.len());
    for k in keys {
        let Some(id) = DocId::parse(&k.doc_id) else {
            continue;
        };
        let refused = |reason| StorageError::Refused {
            doc_id: k.doc_id.clone(),
            reason,
        };
        match doc_access(tx, &caller.account, &id) {
            Access::None => return Err(refused(Refusal::NotFound)),
            Access::Read => return Err(refused(Refusal::ReadOnly)),
            Access::Write => {}
        }
        insert_doc(tx, &id)?;
        match &k.key {
            Some(key) => give(tx, &k.key_id, &k.doc_id, key)?,
            None => {
                erase(tx, &k.key_id, Some(&k.doc_id))?;
            }
        }
        acks.push(KeyAck {
            key_id: k.key_id.clone(),
            erased: k.key.is_none(),
        });
    }
    Ok(acks)
}

/// Gives `key_id` its key, unless the id exists (given, or erased: final either way).
pub(crate) fn give(
    tx: &Connection,
    key_id: &str,
    doc_id: &str,
    key: &[u8],
) -> Result<(), StorageError> {
    let seq = next_seq(tx)?;
    let added = tx
        .prepare_cached(
            "INSERT OR IGNORE INTO record_keys (key_id, doc_id, key, seq) VALUES (?1, ?2, ?3, ?4)",
        )?
        .execute(params![key_id, doc_id, key, seq])?;
    if added > 0 {
        touch(tx, doc_id, seq)?;
    }
    Ok(())
}

/// Erases `key_id` (of `doc_id` when known: an erasure for another document's key id is
/// ignored). The key's bytes are overwritten in the file (`secure_delete`); the caller
/// checkpoints the log afterwards. Returns whether a key was erased now.
pub(crate) fn erase(
    tx: &Connection,
    key_id: &str,
    doc_id: Option<&str>,
) -> Result<bool, StorageError> {
    let held: Option<(String, bool)> = tx
        .prepare_cached("SELECT doc_id, key IS NOT NULL FROM record_keys WHERE key_id = ?1")?
        .query_row([key_id], |r| Ok((r.get(0)?, r.get(1)?)))
        .optional()?;
    let seq = next_seq(tx)?;
    match (held, doc_id) {
        (Some((held_doc, _)), Some(doc)) if held_doc != doc => Ok(false),
        (Some((_, false)), _) => Ok(false),
        (Some((held_doc, true)), _) => {
            tx.prepare_cached("UPDATE record_keys SET key = NULL, seq = ?2 WHERE key_id = ?1")?
                .execute(params![key_id, seq])?;
            touch(tx, &held_doc, seq)?;
            Ok(true)
        }
        // Erased before its key arrived: the key, if it comes, is refused.
        (None, Some(doc)) => {
            tx.prepare_cached(
                "INSERT INTO record_keys (key_id, doc_id, key, seq) VALUES (?1, ?2, NULL, ?3)",
            )?
            .execute(params![key_id, doc, seq])?;
            touch(tx, doc, seq)?;
            Ok(false)
        }
        (None, None) => Ok(false),
    }
}

fn next_seq(tx: &Connection) -> Result<i64, StorageError> {
    Ok(tx
        .prepare_cached("SELECT COALESCE(MAX(seq), 0) + 1 FROM record_keys")?
        .query_row([], |r| r.get(0))?)
}

fn touch(tx: &Connection, doc_id: &str, seq: i64) -> Result<(), StorageError> {
    tx.prepare_cached("UPDATE docs SET last_key_seq = ?2 WHERE id = ?1")?
        .execute(params![doc_id, seq])?;
    Ok(())
}

/// The keys and erasures after `cursor` of documents `account` reads, at most
/// [`MAX_KEYS_PER_MESSAGE`]; the next cursor; whether more wait. Like the change cursor,
/// the key cursor moves only with what the caller may see.
pub(crate) fn pull(
    tx: &Connection,
    account: &Account,
    cursor: u64,
) -> Result<(Vec<WireKey>, u64, bool), StorageError> {
    let cursor = i64::try_from(cursor).unwrap_or(i64::MAX);
    // A cursor past every key this server holds was given by the server before it was
    // restored from a backup: start over (the device then sends its own keys again).
    let highest: i64 = tx
        .prepare_cached("SELECT COALESCE(MAX(seq), 0) FROM record_keys")?
        .query_row([], |r| r.get(0))?;
    let cursor = if cursor > highest { 0 } else { cursor };
    if cursor == highest {
        // Nothing given or erased since: an idle sync asks nothing more.
        return Ok((Vec::new(), u64::try_from(cursor).unwrap_or(0), false));
    }
    let mut stmt = tx.prepare_cached(&format!(
        "SELECT k.seq, k.key_id, k.doc_id, k.key
         FROM docs d INDEXED BY docs_last_key_seq CROSS JOIN record_keys k ON k.doc_id = d.id
         WHERE d.last_key_seq > :cursor AND k.seq > :cursor AND {}
         ORDER BY k.seq LIMIT :limit",
        readable(account.role)
    ))?;
    let mut rows = stmt.query(named_params! {
        ":cursor": cursor,
        ":scope": account.scope_id,
        ":limit": (MAX_KEYS_PER_MESSAGE + 1) as i64,
    })?;
    let (mut keys, mut last, mut more) = (Vec::new(), cursor, false);
    while let Some(r) = rows.next()? {
        if keys.len() == MAX_KEYS_PER_MESSAGE {
            more = true;
            break;
        }
        last = r.get(0)?;
        keys.push(WireKey {
            key_id: r.get(1)?,
            doc_id: r.get(2)?,
            key: r.get(3)?,
        });
    }
    drop(rows);
    drop(stmt);
    if !more {
        let max = max_readable(tx, account, "last_key_seq")?;
        last = last.max(i64::try_from(max).unwrap_or(i64::MAX));
    }
    Ok((keys, u64::try_from(last).unwrap_or(0), more))
}
