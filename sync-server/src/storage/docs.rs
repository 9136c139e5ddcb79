//! Documents kept in memory between requests, each with the sequence number up to
//! which it holds every stored change: a request applies only the changes stored since
//! (read in a read transaction, applied outside it), so reading a document costs no
//! build once warm. Each instance keeps its own copies; what another instance stored
//! arrives with the next read, as any stored change does.

use std::collections::HashMap;
use std::sync::Mutex;

use automerge::{AutoCommit, Change};

use super::{StorageError, Store};

/// The most documents kept in memory; past it the cache starts over.
const CACHED_DOCS: usize = 512;

/// A document in memory and the sequence number it holds every stored change up to.
type CachedDoc = std::sync::Arc<Mutex<(u64, AutoCommit)>>;

/// The documents one storage keeps in memory, by id.
#[derive(Default)]
pub(crate) struct DocCache(Mutex<HashMap<String, CachedDoc>>);

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
        let entry = {
            let mut docs = self.cached_docs();
            if docs.len() >= CACHED_DOCS && !docs.contains_key(doc_id) {
                docs.clear();
            }
            docs.entry(doc_id.to_owned()).or_default().clone()
        };
        let mut held = entry.lock().unwrap_or_else(|p| p.into_inner());
        let (seq, doc) = &mut *held;
        let newer = self.backend().read()?.doc_changes(doc_id, *seq)?;
        let upto = newer.last().map_or(*seq, |(s, _)| *s);
        let changes = newer
            .into_iter()
            .map(|(_, b)| Change::from_bytes(b))
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| StorageError::Internal(format!("a stored change: {e}")))?;
        doc.apply_changes(changes)
            .map_err(|e| StorageError::Internal(format!("stored changes: {e}")))?;
        // Changes this copy makes itself (a submission) come back with a later read:
        // applying a change twice does nothing.
        *seq = upto;
        Ok(f(doc))
    }

    /// Forgets the copy of `doc_id` in memory (it holds a change that was not stored).
    pub(crate) fn forget_doc(&self, doc_id: &str) {
        self.cached_docs().remove(doc_id);
    }

    fn cached_docs(&self) -> std::sync::MutexGuard<'_, HashMap<String, CachedDoc>> {
        self.docs.0.lock().unwrap_or_else(|p| p.into_inner())
    }
}
