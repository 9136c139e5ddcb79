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

use shared::access::ReadScope;
use shared::doc::DocId;
use shared::model::Access;
use shared::protocol::{KeyAck, MAX_KEYS_PER_MESSAGE, WireKey};
use shared::seal::{KEY_BYTES, is_key_id};

use super::backend::Tx;
use super::{Caller, Refusal, StorageError, doc_access};

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
    tx: &dyn Tx,
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
        match doc_access(tx, &caller.account, &id)? {
            Access::None => return Err(refused(Refusal::NotFound)),
            Access::Read => return Err(refused(Refusal::ReadOnly)),
            Access::Write => {}
        }
        tx.insert_doc(&id)?;
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
    tx: &dyn Tx,
    key_id: &str,
    doc_id: &str,
    key: &[u8],
) -> Result<(), StorageError> {
    tx.insert_key(key_id, doc_id, Some(key), tx.last_key_seq()? + 1)?;
    Ok(())
}

/// Erases `key_id` (of `doc_id` when known: an erasure for another document's key id is
/// ignored). The backend then drops old copies of the key's bytes
/// ([`super::Backend::after_erase`]) once committed. Returns whether a key was erased now.
pub(crate) fn erase(tx: &dyn Tx, key_id: &str, doc_id: Option<&str>) -> Result<bool, StorageError> {
    let held = tx.key_state(key_id)?;
    let seq = tx.last_key_seq()? + 1;
    match (held, doc_id) {
        (Some((held_doc, _)), Some(doc)) if held_doc != doc => Ok(false),
        (Some((_, false)), _) => Ok(false),
        (Some((held_doc, true)), _) => {
            tx.clear_key(key_id, &held_doc, seq)?;
            Ok(true)
        }
        // Erased before its key arrived: the key, if it comes, is refused.
        (None, Some(doc)) => {
            tx.insert_key(key_id, doc, None, seq)?;
            Ok(false)
        }
        (None, None) => Ok(false),
    }
}

/// The keys and erasures after `cursor` of documents `scope` reads, at most
/// [`MAX_KEYS_PER_MESSAGE`]; the next cursor; whether more wait. Like the change cursor,
/// the key cursor moves only with what the caller may see.
pub(crate) fn pull(
    tx: &dyn Tx,
    scope: &ReadScope,
    cursor: u64,
) -> Result<(Vec<WireKey>, u64, bool), StorageError> {
    // A cursor past every key this server holds was given by the server before it was
    // restored from a backup: start over (the device then sends its own keys again).
    let highest = tx.last_key_seq()?;
    let cursor = if cursor > highest { 0 } else { cursor };
    if cursor == highest {
        // Nothing given or erased since: an idle sync asks nothing more.
        return Ok((Vec::new(), cursor, false));
    }
    let rows = tx.keys_after(scope, cursor, MAX_KEYS_PER_MESSAGE + 1)?;
    let (mut keys, mut last, mut more) = (Vec::new(), cursor, false);
    for (seq, key) in rows {
        if keys.len() == MAX_KEYS_PER_MESSAGE {
            more = true;
            break;
        }
        last = seq;
        keys.push(key);
    }
    if !more {
        last = last.max(tx.last_key_seq_of(scope)?);
    }
    Ok((keys, last, more))
}
