//! What comes in: a sync response merged into documents and projections.

use super::*;

/// What a response brought for one document: whole documents, then changes (bytes).
type Received<'a> = (Vec<&'a [u8]>, Vec<&'a [u8]>);

/// One document's share of a sync response, before merging.
pub(super) struct Merge<'a> {
    doc_id: &'a str,
    stored: StoredDoc,
    /// Whole documents received (saved by the server), as bytes.
    whole: Vec<&'a [u8]>,
    /// The received changes, as bytes.
    raw: Vec<&'a [u8]>,
    /// Changes received earlier that were waiting for their dependencies.
    waiting: Vec<Change>,
    /// Keep the merged document in the cache. A large catch-up touches each document
    /// once: caching it would only evict what is useful, and dropping thousands of
    /// documents would fall to the writer thread.
    keep: bool,
}

/// A document after merging: what to store and what to project.
pub(super) struct Merged<'a> {
    doc_id: &'a str,
    stored: StoredDoc,
    /// Changes now part of the document (to append to its stored bytes).
    applied: Vec<Change>,
    /// Changes still missing a dependency (to keep in `waiting_changes`).
    waiting: Vec<Change>,
    /// The records the applied changes touched, read back.
    records: Vec<(String, Result<Option<AnyRecord>, Error>)>,
    /// `stored.bytes` is ready to store as it is (a whole document as received, or
    /// bytes finished on the worker thread).
    stored_whole: bool,
    /// Put the document in the cache after the commit.
    keep: bool,
}

/// Stores one merged document: its waiting changes, its new bytes, the projection of the
/// records it touched; and notes it for the cache.
pub(super) fn write_merged(
    tx: &Transaction<'_>,
    mut m: Merged<'_>,
    report: &mut SyncReport,
    touched: &mut Vec<(String, StoredDoc)>,
) -> Result<(), Error> {
    for c in &m.waiting {
        tx.prepare_cached(
            "INSERT OR IGNORE INTO waiting_changes (doc_id, hash, bytes) VALUES (?1, ?2, ?3)",
        )?
        .execute(params![m.doc_id, c.hash().to_string(), c.raw_bytes()])?;
    }
    if m.stored_whole || !m.applied.is_empty() {
        let family = DocId::parse(m.doc_id)
            .map(|d| d.family().as_str())
            .unwrap_or_default();
        if m.stored_whole {
            store_bytes(tx, m.doc_id, family, &m.stored)?;
        } else {
            persist(tx, m.doc_id, family, &mut m.stored, &m.applied)?;
        }
        for (key, record) in &m.records {
            match record {
                Ok(Some(record)) => {
                    project(tx, m.doc_id, record)?;
                    report.updated_records += 1;
                }
                // A record kind from a newer app is kept but not shown.
                Ok(None) => {}
                Err(e) => {
                    tracing::warn!(doc_id = m.doc_id, key, error = %e, "record not projected")
                }
            }
        }
    }
    // A document holding changes queued for missing dependencies is not cached.
    if m.keep && m.waiting.is_empty() && !m.stored.bytes.is_empty() {
        touched.push((m.doc_id.to_owned(), m.stored));
    }
    Ok(())
}

pub(super) fn merge(m: Merge<'_>) -> Result<Merged<'_>, Error> {
    let Merge {
        doc_id,
        mut stored,
        whole,
        raw,
        waiting,
        keep,
    } = m;
    let mut heads_before = stored.doc.get_heads();
    // Changes that whole documents brought (to append to the stored bytes).
    let mut from_whole: Vec<Change> = Vec::new();
    let mut loaded_whole = false;
    for bytes in whole {
        let mut received = AutoCommit::load(bytes)
            .map_err(|e| Error::Protocol(format!("undecodable document: {e}")))?;
        if stored.bytes.is_empty() && !loaded_whole {
            // New here (the bootstrap case): the document as saved is what we store.
            let actor = stored.doc.get_actor().clone();
            stored = StoredDoc {
                doc: received.with_actor(actor),
                bytes: bytes.to_vec(),
                tail: 0,
            };
            heads_before = vec![];
        } else {
            let before = stored.doc.get_heads();
            stored.doc.merge(&mut received)?;
            from_whole.extend(stored.doc.get_changes(&before));
        }
        loaded_whole = true;
    }
    let is_new = stored.bytes.is_empty();
    let mut fresh = waiting;
    for bytes in raw {
        fresh.push(
            Change::from_bytes(bytes.to_vec())
                .map_err(|e| Error::Protocol(format!("undecodable change: {e}")))?,
        );
    }
    let doc = &mut stored.doc;
    let mut seen = HashSet::new();
    fresh.retain(|c| {
        seen.insert(c.hash()) && (is_new || doc.get_change_meta_by_hash(&c.hash()).is_none())
    });
    if !fresh.is_empty() && doc.apply_changes(fresh.iter().cloned()).is_err() {
        // A change that does not apply (e.g. a device restored from an old backup
        // reusing a sequence number) must not stop this device syncing. Start again from
        // what is stored and apply one by one; what does not apply waits aside in
        // `waiting_changes`, kept, never dropped.
        tracing::warn!(doc_id, "a received change does not apply; set aside");
        let actor = doc.get_actor().clone();
        *doc = if stored.bytes.is_empty() {
            AutoCommit::new().with_actor(actor)
        } else {
            doc::load(&stored.bytes, &actor)?
        };
        if !from_whole.is_empty() {
            doc.apply_changes(from_whole.iter().cloned())?;
        }
        for c in &fresh {
            let _ = doc.apply_changes([c.clone()]);
        }
    }
    // What the document now holds is applied; the rest (missing dependencies, or not
    // applicable) waits.
    let (mut applied, waiting): (Vec<Change>, Vec<Change>) = if doc.get_missing_deps(&[]).is_empty()
        && fresh
            .iter()
            .all(|c| doc.get_change_meta_by_hash(&c.hash()).is_some())
    {
        (fresh, Vec::new())
    } else {
        fresh
            .into_iter()
            .partition(|c| doc.get_change_meta_by_hash(&c.hash()).is_some())
    };
    applied.splice(0..0, from_whole);
    let parsed = DocId::parse(doc_id);
    let records = if applied.is_empty() && !loaded_whole {
        vec![]
    } else {
        changed_keys(doc, &heads_before)
            .into_iter()
            .map(|key| {
                let record = AnyRecord::read(doc, &key).and_then(|r| match (r, &parsed) {
                    (Some(r), Some(id)) if !r.belongs_in(id, &key) => {
                        Err(Error::Corrupt(format!("{key} does not belong in {doc_id}")))
                    }
                    (r, _) => Ok(r),
                });
                (key, record)
            })
            .collect()
    };
    // Only what was received whole, nothing on top: store it as it came.
    let mut stored_whole = loaded_whole && heads_before.is_empty() && applied.is_empty();
    if !keep {
        // Not to be cached: finish the bytes and drop the document here, on the worker.
        if !stored_whole && !applied.is_empty() {
            append_or_compact(&mut stored, &applied);
            stored_whole = true;
        }
        stored.doc = AutoCommit::new();
    }
    Ok(Merged {
        doc_id,
        stored,
        applied,
        waiting,
        records,
        stored_whole,
        keep,
    })
}

/// The root keys of records that changed between `before` and the document's heads.
pub(super) fn changed_keys(doc: &mut AutoCommit, before: &[automerge::ChangeHash]) -> Vec<String> {
    if before.is_empty() {
        return doc::record_keys(doc);
    }
    let after = doc.get_heads();
    let mut keys: Vec<String> = Vec::new();
    for patch in doc.diff(before, &after) {
        let root_key = match patch.path.first() {
            Some((_, automerge::Prop::Map(k))) => Some(k.clone()),
            Some(_) => None,
            None => match &patch.action {
                automerge::PatchAction::PutMap { key, .. } => Some(key.clone()),
                _ => None,
            },
        };
        if let Some(k) = root_key.filter(|k| k.contains(':') && !keys.contains(k)) {
            keys.push(k);
        }
    }
    keys
}

/// Removes and returns the changes of `doc_id` still waiting for their dependencies.
pub(super) fn take_waiting(tx: &Connection, doc_id: &str) -> Result<Vec<Change>, Error> {
    let bytes: Vec<Vec<u8>> = tx
        .prepare_cached("SELECT bytes FROM waiting_changes WHERE doc_id = ?1")?
        .query_map([doc_id], |r| r.get(0))?
        .collect::<Result<_, _>>()?;
    if bytes.is_empty() {
        return Ok(vec![]);
    }
    tx.prepare_cached("DELETE FROM waiting_changes WHERE doc_id = ?1")?
        .execute([doc_id])?;
    bytes
        .into_iter()
        .map(|b| Change::from_bytes(b).map_err(|e| Error::Corrupt(e.to_string())))
        .collect()
}

/// The reference data as the changes of its documents, the way the server sends them.
pub fn directory_changes(dir: &Directory) -> Result<Vec<WireChange>, Error> {
    Ok(doc::directory_documents(dir)?
        .into_iter()
        .flat_map(|(id, mut d)| {
            let family = id.family().as_str();
            d.get_changes(&[])
                .into_iter()
                .map(|c| WireChange {
                    doc_id: id.to_string(),
                    kind: family.into(),
                    bytes: c.raw_bytes().to_vec(),
                })
                .collect::<Vec<_>>()
        })
        .collect())
}

impl Store {
    pub(super) fn cursor(&self) -> Result<u64, Error> {
        Ok(get_meta(&self.conn, "cursor")?
            .and_then(|c| c.parse().ok())
            .unwrap_or(0))
    }

    /// Applies a server response in one transaction: merges the received changes into
    /// their documents and projections, drops acknowledged changes from the outbox and
    /// moves the cursor. Changes are grouped by document, so a document is loaded, merged
    /// and stored once per response however many of its changes arrive; the Automerge
    /// work (decode, merge, read the touched records) runs on all cores, one document per
    /// task, and the SQLite writes follow on this thread.
    pub fn apply_sync_response(&mut self, resp: &SyncResponse) -> Result<SyncReport, Error> {
        // Per document: whole documents received (bootstrap), then changes.
        let mut by_doc: BTreeMap<&str, Received<'_>> = BTreeMap::new();
        let wire = resp
            .documents
            .iter()
            .map(|d| (&d.doc_id, &d.bytes, true))
            .chain(resp.changes.iter().map(|c| (&c.doc_id, &c.bytes, false)));
        for (doc_id, bytes, whole) in wire {
            if DocId::parse(doc_id).is_none() {
                // A document family from a newer server: not for this build.
                tracing::warn!(doc_id, "unknown document id; skipped");
                continue;
            }
            let entry = by_doc.entry(doc_id.as_str()).or_default();
            if whole {
                entry.0.push(bytes);
            } else {
                entry.1.push(bytes);
            }
        }
        let tx = self.conn.transaction()?;
        let any_waiting: bool =
            tx.query_row("SELECT EXISTS (SELECT 1 FROM waiting_changes)", [], |r| {
                r.get(0)
            })?;
        let mut work = Vec::with_capacity(by_doc.len());
        for (doc_id, (whole, raw)) in by_doc {
            let stored = match self.cache.remove(doc_id) {
                Some(s) => s,
                None => load_document(&tx, doc_id, &self.actor)?
                    .unwrap_or_else(|| StoredDoc::new(&self.actor)),
            };
            // Changes that arrived before their dependencies wait in `waiting_changes`
            // until those arrive; none is ever dropped.
            let waiting = if any_waiting {
                take_waiting(&tx, doc_id)?
            } else {
                Vec::new()
            };
            work.push(Merge {
                doc_id,
                stored,
                whole,
                raw,
                waiting,
                keep: true,
            });
        }
        if work.len() > CACHED_DOCS / 4 {
            work.iter_mut().for_each(|m| m.keep = false);
        }
        let mut report = SyncReport {
            received_changes: resp.changes.len() as u64,
            received_documents: resp.documents.len() as u64,
            ..SyncReport::default()
        };
        // Documents to cache once the transaction commits.
        let mut touched: Vec<(String, StoredDoc)> = Vec::new();
        // Merging runs on the machine's cores while this thread writes what they finish.
        crate::platform::each_in_parallel(work, merge, |m| {
            write_merged(&tx, m?, &mut report, &mut touched)
        })?;
        for ack in &resp.acknowledged {
            report.sent_changes += tx.execute(
                "DELETE FROM outbox WHERE doc_id = ?1 AND hash = ?2",
                params![ack.doc_id, ack.hash],
            )? as u64;
        }
        set_meta(&tx, "cursor", &resp.cursor.to_string())?;
        match &resp.bootstrap {
            Some(b) => set_meta(&tx, "bootstrap", &to_json(b))?,
            None => {
                tx.execute("DELETE FROM meta WHERE key = 'bootstrap'", [])?;
            }
        }
        let erased =
            contacts::apply_keys(&tx, &resp.acknowledged_keys, &resp.keys, resp.key_cursor)?;
        tx.commit()?;
        if erased {
            contacts::forget_erased_pages(&self.conn);
        }
        for (doc_id, stored) in touched {
            cache_put(&mut self.cache, doc_id, stored);
        }
        Ok(report)
    }

    /// Receives `dir` the way a sync delivers the reference documents. For tools, tests
    /// and benchmarks that run without a server; the app gets its directory by sync.
    pub fn receive_directory(&mut self, dir: &Directory) -> Result<(), Error> {
        let response = SyncResponse {
            acknowledged: vec![],
            cursor: self.cursor()?,
            changes: directory_changes(dir)?,
            more: false,
            key_cursor: self.keys_to_send()?.0,
            ..Default::default()
        };
        self.apply_sync_response(&response)?;
        Ok(())
    }
}
