//! The document cache and compaction: how a document's bytes are kept (a saved
//! document plus up to 32 appended changes) and loaded.

use super::*;

/// How many documents the cache holds before it is emptied (a month's document is a few
/// kilobytes to a few hundred).
pub(super) const CACHED_DOCS: usize = 256;

pub(super) fn cache_put(cache: &mut HashMap<String, StoredDoc>, doc_id: String, stored: StoredDoc) {
    if cache.len() >= CACHED_DOCS {
        cache.clear();
    }
    cache.insert(doc_id, stored);
}

/// After this many changes appended to a document's stored bytes, the next write saves
/// the whole document compactly instead (see the store benchmark).
pub(super) const COMPACT_AFTER: i64 = 32;

/// A document as stored: its bytes are a saved document followed by `tail` appended
/// changes (Automerge loads such a concatenation as one document). `bytes` is empty for
/// a document not stored yet.
pub(super) struct StoredDoc {
    pub(super) doc: AutoCommit,
    pub(super) bytes: Vec<u8>,
    pub(super) tail: i64,
}

impl StoredDoc {
    pub(super) fn new(actor: &ActorId) -> StoredDoc {
        StoredDoc {
            doc: AutoCommit::new().with_actor(actor.clone()),
            bytes: Vec::new(),
            tail: 0,
        }
    }
}

pub(super) fn load_document(
    conn: &Connection,
    id: &str,
    actor: &ActorId,
) -> Result<Option<StoredDoc>, Error> {
    let row: Option<(Vec<u8>, i64)> = conn
        .prepare_cached("SELECT bytes, tail_changes FROM documents WHERE id = ?1")?
        .query_row([id], |r| Ok((r.get(0)?, r.get(1)?)))
        .optional()?;
    row.map(|(bytes, tail)| {
        Ok(StoredDoc {
            doc: doc::load(&bytes, actor)?,
            bytes,
            tail,
        })
    })
    .transpose()
}

/// Stores `changes` (just applied to `stored.doc`) for document `id`: appended to the
/// stored bytes while the tail is short, otherwise as one compact save of the whole
/// document.
pub(super) fn persist(
    tx: &Connection,
    id: &str,
    family: &str,
    stored: &mut StoredDoc,
    changes: &[Change],
) -> Result<(), Error> {
    append_or_compact(stored, changes);
    store_bytes(tx, id, family, stored)
}

/// Adds `changes` (just applied to `stored.doc`) to the stored bytes, or replaces them
/// with one compact save once the tail would pass [`COMPACT_AFTER`].
pub(super) fn append_or_compact(stored: &mut StoredDoc, changes: &[Change]) {
    let added = changes.len() as i64;
    if stored.tail + added <= COMPACT_AFTER {
        changes
            .iter()
            .for_each(|c| stored.bytes.extend_from_slice(c.raw_bytes()));
        stored.tail += added;
    } else {
        stored.bytes = stored.doc.save();
        stored.tail = 0;
    }
}

pub(super) fn store_bytes(
    tx: &Connection,
    id: &str,
    family: &str,
    stored: &StoredDoc,
) -> Result<(), Error> {
    tx.prepare_cached(
        "INSERT INTO documents (id, kind, bytes, tail_changes) VALUES (?1, ?2, ?3, ?4)
         ON CONFLICT (id) DO UPDATE SET bytes = excluded.bytes,
             tail_changes = excluded.tail_changes",
    )?
    .execute(params![id, family, stored.bytes, stored.tail])?;
    Ok(())
}

impl Store {
    /// Document `doc_id` as stored (empty if this device does not have it).
    pub(super) fn document(&self, doc_id: &str) -> Result<AutoCommit, Error> {
        Ok(match load_document(&self.conn, doc_id, &self.actor)? {
            Some(stored) => stored.doc,
            None => AutoCommit::new().with_actor(self.actor.clone()),
        })
    }
}
