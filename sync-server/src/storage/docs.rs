//! Documents kept in memory between requests, each with the sequence number up to
//! which it holds every stored change: a request applies only the changes stored since
//! (read in a read transaction, applied outside it), so reading a document costs no
//! build once warm. Each instance keeps its own copies; what another instance stored
//! arrives with the next read, as any stored change does.

use std::collections::HashMap;
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};

use automerge::{AutoCommit, Change};

use super::{StorageError, Store};

/// The most documents kept in memory; past it the cache starts over.
const CACHED_DOCS: usize = 512;

/// The most change bytes the documents kept in memory hold together; past it the cache
/// starts over. A document larger than a quarter of it is not kept at all. Without it,
/// an account pushing 28 MB into each of many months (the most one request allows)
/// would have the server hold all of them.
pub const CACHED_BYTES: usize = 128 * 1024 * 1024;

/// A document in memory, the sequence number it holds every stored change up to, and
/// the bytes of the changes it holds.
type CachedDoc = std::sync::Arc<Mutex<(u64, AutoCommit, usize)>>;

/// The documents one storage keeps in memory, by id, and the change bytes they hold
/// together (about: it is counted up as documents grow and zeroed as the cache starts
/// over).
#[derive(Default)]
pub(crate) struct DocCache(Mutex<HashMap<String, CachedDoc>>, AtomicUsize);

impl Store {
    /// Runs `f` on document `doc_id` with every stored change: the copy in memory
    /// plus what was stored since (read in a read transaction, applied outside it).
    /// One request at a time per document; others wait for it rather than build their
    /// own copy.
    pub(crate) fn with_doc<T>(
        &self,
        doc_id: &str,
        f: impl FnOnce(&mut AutoCommit) -> T,
    ) -> Result<T, StorageError> {
        let total = &self.docs.1;
        let entry = {
            let mut docs = self.cached_docs();
            let full = docs.len() >= CACHED_DOCS || total.load(Ordering::Relaxed) > CACHED_BYTES;
            if full && !docs.contains_key(doc_id) {
                docs.clear();
                total.store(0, Ordering::Relaxed);
            }
            docs.entry(doc_id.to_owned()).or_default().clone()
        };
        let mut held = entry.lock().unwrap_or_else(|p| p.into_inner());
        let (seq, doc, bytes) = &mut *held;
        let newer = self.backend().read()?.doc_changes(doc_id, *seq)?;
        let upto = newer.last().map_or(*seq, |(s, _)| *s);
        let added: usize = newer.iter().map(|(_, b)| b.len()).sum();
        let changes = newer
            .into_iter()
            .map(|(_, b)| Change::from_bytes(b))
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| StorageError::Internal(format!("a stored change: {e}")))?;
        doc.apply_changes(changes)
            .map_err(|e| StorageError::Internal(format!("stored changes: {e}")))?;
        *bytes += added;
        total.fetch_add(added, Ordering::Relaxed);
        // Changes this copy makes itself (a submission) come back with a later read:
        // applying a change twice does nothing.
        *seq = upto;
        let out = f(doc);
        let size = *bytes;
        drop(held);
        if size > CACHED_BYTES / 4 {
            // Too large to keep: built again when next asked for.
            if self.cached_docs().remove(doc_id).is_some() {
                self.uncount(size);
            }
        } else if total.load(Ordering::Relaxed) > CACHED_BYTES {
            // Over the budget: start over, keeping this one, unless it was forgotten
            // meanwhile (it may hold a change that was not stored).
            let mut docs = self.cached_docs();
            let still = docs
                .get(doc_id)
                .is_some_and(|kept| std::sync::Arc::ptr_eq(kept, &entry));
            docs.clear();
            if still {
                docs.insert(doc_id.to_owned(), entry.clone());
                total.store(size, Ordering::Relaxed);
            } else {
                total.store(0, Ordering::Relaxed);
            }
        }
        Ok(out)
    }

    /// Takes `size` bytes off the count of what the cache holds.
    fn uncount(&self, size: usize) {
        let _ = self
            .docs
            .1
            .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |t| {
                Some(t.saturating_sub(size))
            });
    }

    /// Forgets the copy of `doc_id` in memory (it holds a change that was not stored).
    pub(crate) fn forget_doc(&self, doc_id: &str) {
        let removed = self.cached_docs().remove(doc_id);
        // Its bytes, unless a request is working on it (then counted until the cache
        // starts over).
        if let Some(entry) = removed
            && let Ok(held) = entry.try_lock()
        {
            self.uncount(held.2);
        }
    }

    /// The change bytes of the documents kept in memory, about (for tests).
    pub fn cached_doc_bytes(&self) -> usize {
        self.docs.1.load(Ordering::Relaxed)
    }

    fn cached_docs(&self) -> std::sync::MutexGuard<'_, HashMap<String, CachedDoc>> {
        self.docs.0.lock().unwrap_or_else(|p| p.into_inner())
    }
}
