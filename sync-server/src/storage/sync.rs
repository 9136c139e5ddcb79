//! A sync: pushed changes checked (scope, records, actors and sequence numbers) and
//! stored, then what the caller reads and has not seen: changes after its cursor, or a
//! bootstrap of whole documents for a new device.

use automerge::{AutoCommit, Change};
use shared::access::{ReadScope, read_scope};
use shared::doc::DocId;
use shared::model::Access;
use shared::protocol::{
    Ack, Bootstrap, MAX_CHANGES_PER_RESPONSE, MAX_DOCUMENTS_PER_RESPONSE, SyncRequest,
    SyncResponse, WireChange, WireDocument,
};

use super::backend::{NewChange, Tx};
use super::{Caller, MAX_RESPONSE_BYTES, Refusal, StorageError, Store, doc_access};

impl Store {
    /// Handles one sync request atomically for `caller`: checks every document id against
    /// the caller's scope, validates and stores the pushed changes, then reads what the
    /// caller may see and has not seen. Nothing is stored if any change is refused.
    /// A transaction is open only to read and write the
    /// database: changes are decoded before, and documents built after (a bootstrap) or
    /// before (records checked) it. A sync that pushes nothing only reads.
    pub fn sync(&self, caller: &Caller, req: &SyncRequest) -> Result<SyncResponse, StorageError> {
        if req.device_id != caller.device_id {
            return Err(StorageError::BadRequest(
                "the device id is not the one this session was opened for".into(),
            ));
        }
        let ids = crate::wire::doc_ids(req)?;
        super::keys::check_form(&req.keys)?;
        self.check_before_inflating(caller, req, &ids)?;
        let decoded = crate::wire::decode_changes_of(req, ids)?;
        self.check_pushed_records(caller, &decoded)?;
        let pushes = !decoded.is_empty() || !req.keys.is_empty();
        let tx = if pushes {
            self.backend.write()?
        } else {
            self.backend.read()?
        };
        let mut acknowledged = Vec::with_capacity(decoded.len());
        // Each document's access once (a request holds up to 1,000 changes).
        let mut accessed = std::collections::HashMap::new();
        for (wire, (id, change)) in req.changes.iter().zip(&decoded) {
            let refused = |reason| StorageError::Refused {
                doc_id: wire.doc_id.clone(),
                reason,
            };
            let access = match accessed.get(wire.doc_id.as_str()) {
                Some(access) => *access,
                None => {
                    let access = doc_access(&*tx, &caller.account, id)?;
                    accessed.insert(wire.doc_id.as_str(), access);
                    access
                }
            };
            match access {
                // The same answer whether or not the document exists.
                Access::None => return Err(refused(Refusal::NotFound)),
                Access::Read => return Err(refused(Refusal::ReadOnly)),
                Access::Write => {}
            }
            tx.insert_doc(id)?;
            insert_change(&*tx, &wire.doc_id, change, &req.device_id, NewActor::Binds)?
                .map_err(refused)?;
            acknowledged.push(Ack {
                doc_id: wire.doc_id.clone(),
                hash: change.hash().to_string(),
            });
        }
        let acknowledged_keys = super::keys::push(&*tx, caller, &req.keys)?;
        let erased = acknowledged_keys.iter().any(|a| a.erased);
        let scope = read_scope(&caller.account);
        let (keys, key_cursor, more_keys) = super::keys::pull(&*tx, &scope, req.key_cursor)?;
        let with_keys = |mut r: SyncResponse| {
            r.acknowledged_keys = acknowledged_keys;
            r.keys = keys;
            r.key_cursor = key_cursor;
            r.more |= more_keys;
            r
        };
        if req.cursor == 0 {
            let upto = match &req.bootstrap {
                Some(b) => b.upto,
                None => tx.last_seq(&scope)?,
            };
            if upto > 0 {
                let after = req.bootstrap.as_ref().map_or("", |b| b.after.as_str());
                let page = bootstrap_page(&*tx, &scope, upto, after)?;
                tx.commit()?;
                if erased {
                    self.backend.after_erase();
                }
                return page.finish(acknowledged).map(with_keys);
            }
        }
        // The highest number the caller reads, in the same snapshot: when it is the
        // cursor, there is nothing to pull (an idle sync asks nothing more).
        let last = tx.last_seq(&scope)?;
        let rows = if last > req.cursor {
            tx.changes_after(
                &scope,
                req.cursor,
                &req.device_id,
                MAX_CHANGES_PER_RESPONSE + 1,
            )?
        } else {
            Vec::new()
        };
        let mut changes = Vec::new();
        let (mut bytes, mut last_seq, mut more) = (0usize, None, false);
        for (seq, change) in rows {
            if changes.len() == MAX_CHANGES_PER_RESPONSE
                || (!changes.is_empty() && bytes + change.bytes.len() > MAX_RESPONSE_BYTES)
            {
                more = true;
                break;
            }
            bytes += change.bytes.len();
            last_seq = Some(seq);
            changes.push(change);
        }
        let cursor = match last_seq {
            Some(seq) if more => seq,
            // Everything after the cursor that the caller reads is in `changes` or is
            // its own. The cursor moves to the last change the caller reads, never past
            // others' writes it cannot see: how often they write is not its business.
            _ => last.max(req.cursor),
        };
        tx.commit()?;
        if erased {
            self.backend.after_erase();
        }
        Ok(with_keys(SyncResponse {
            acknowledged,
            cursor,
            changes,
            more,
            ..SyncResponse::default()
        }))
    }

    /// What can be refused before any change is inflated, from the document ids and
    /// the changes' headers ([`crate::wire::change_header`]): the caller must write
    /// every document pushed to, and no new change may carry another device's actor.
    /// So a request into another station's documents costs its sender nothing of the
    /// server's memory. (A change stored already under that actor and sequence number
    /// may be a retry: [`check_change`] decides once it is decoded.)
    fn check_before_inflating(
        &self,
        caller: &Caller,
        req: &SyncRequest,
        ids: &[DocId],
    ) -> Result<(), StorageError> {
        if req.changes.is_empty() {
            return Ok(());
        }
        let tx = self.backend.read()?;
        let mut docs = std::collections::HashSet::new();
        let mut actors: std::collections::HashMap<Vec<u8>, bool> = std::collections::HashMap::new();
        for (wire, id) in req.changes.iter().zip(ids) {
            let refused = |reason| StorageError::Refused {
                doc_id: wire.doc_id.clone(),
                reason,
            };
            if docs.insert(wire.doc_id.as_str()) {
                match doc_access(&*tx, &caller.account, id)? {
                    Access::None => return Err(refused(Refusal::NotFound)),
                    Access::Read => return Err(refused(Refusal::ReadOnly)),
                    Access::Write => {}
                }
            }
            let header = crate::wire::change_header(&wire.bytes)?;
            let foreign = match actors.get(&header.actor) {
                Some(foreign) => *foreign,
                None => {
                    let foreign = tx
                        .actor_device(&header.actor)?
                        .is_some_and(|owner| owner != caller.device_id);
                    actors.insert(header.actor.clone(), foreign);
                    foreign
                }
            };
            if foreign
                && tx
                    .change_hash_at(&wire.doc_id, &header.actor, header.seq)?
                    .is_none()
            {
                return Err(refused(Refusal::ForeignActor));
            }
        }
        Ok(())
    }

    /// Checks the records that `decoded` touches ([`shared::validate`]), against each
    /// document as stored: read in a transaction, built and checked outside it. The
    /// caller writes each document ([`Store::check_before_inflating`] checked it, so a
    /// refusal says no more than the scope check would).
    fn check_pushed_records(
        &self,
        caller: &Caller,
        decoded: &[(DocId, Change)],
    ) -> Result<(), StorageError> {
        let mut by_doc: std::collections::BTreeMap<String, (DocId, Vec<Change>)> =
            std::collections::BTreeMap::new();
        for (id, change) in decoded {
            if shared::validate::checked(id.family()) {
                by_doc
                    .entry(id.to_string())
                    .or_insert_with(|| (id.clone(), vec![]))
                    .1
                    .push(change.clone());
            }
        }
        for (doc_id, (id, changes)) in by_doc {
            {
                let tx = self.backend.read()?;
                // Refusals of actors and sequence numbers come first: such a change may
                // not even apply to the document. Two changes of this request that share
                // an actor and sequence number are refused the same way.
                let refused = |reason| StorageError::Refused {
                    doc_id: doc_id.clone(),
                    reason,
                };
                let mut pushed = std::collections::HashMap::new();
                for change in &changes {
                    let key = (change.actor_id().clone(), change.seq());
                    if let Some(other) = pushed.insert(key, change.hash())
                        && other != change.hash()
                    {
                        return Err(refused(Refusal::SequenceReused));
                    }
                    check_change(&*tx, &doc_id, change, &caller.device_id)?.map_err(refused)?;
                }
            }
            // The stored document as kept in memory; the pushed changes go into a copy,
            // since they may yet be refused. From the diff cursor, finding the records
            // they touch reads only what they changed.
            self.with_doc(&doc_id, |stored| {
                // Values nested past the limit are refused before Automerge builds them.
                let deep = crate::wire::check_depth(&changes, &mut |obj| {
                    crate::wire::depth_in(stored, obj)
                })?;
                if let Err(deep) = deep {
                    return Err(too_deep(&doc_id, deep));
                }
                let mut doc = stored.clone();
                doc.update_diff_cursor();
                let before = doc.get_heads();
                crate::wire::unpanicked("a change", || doc.apply_changes(changes))?
                    .map_err(|e| StorageError::BadRequest(format!("{doc_id}: {e}")))?;
                self.check_records(&id, &mut doc, &before)
            })??;
        }
        Ok(())
    }

    /// Checks the records of `doc` (document `id`) touched since `before`.
    pub(super) fn check_records(
        &self,
        id: &DocId,
        doc: &mut AutoCommit,
        before: &[automerge::ChangeHash],
    ) -> Result<(), StorageError> {
        if !shared::validate::checked(id.family()) {
            return Ok(());
        }
        let doc_id = id.to_string();
        if !doc.get_missing_deps(&[]).is_empty() {
            return Err(StorageError::BadRequest(format!(
                "{doc_id}: a change depends on one the server does not have"
            )));
        }
        let keys = shared::validate::touched_keys(doc, before);
        // Answers are checked against the station's referrals to the department.
        let referral_docs = match id {
            DocId::Answers {
                department,
                station,
                ..
            } => {
                let raw: Vec<Vec<Vec<u8>>> = {
                    let tx = self.backend.read()?;
                    tx.doc_ids(
                        shared::doc::DocFamily::Referrals,
                        Some(station),
                        Some(department),
                    )?
                    .iter()
                    .map(|id| stored_changes(&*tx, id))
                    .collect::<Result<_, _>>()?
                };
                raw.into_iter()
                    .map(build_document)
                    .collect::<Result<Vec<_>, _>>()?
            }
            _ => vec![],
        };
        let mut referral = |rid: &str| {
            referral_docs.iter().find_map(|d| {
                shared::doc::read_record::<shared::model::Referral>(d, rid)
                    .ok()
                    .flatten()
            })
        };
        shared::validate::check_records(id, doc, &keys, &mut referral).map_err(|invalid| {
            StorageError::InvalidRecord {
                doc_id,
                record: invalid.record,
                reason: invalid.reason,
            }
        })
    }
}

/// The refusal of a value nested too deep.
pub(super) fn too_deep(doc_id: &str, deep: crate::wire::TooDeep) -> StorageError {
    StorageError::InvalidRecord {
        doc_id: doc_id.to_owned(),
        record: deep.record,
        reason: format!(
            "values nest {} deep, deeper than {} levels",
            deep.depth,
            crate::wire::MAX_DEPTH
        ),
    }
}

/// The stored changes of document `doc_id`, in arrival order.
pub(super) fn stored_changes(tx: &dyn Tx, doc_id: &str) -> Result<Vec<Vec<u8>>, StorageError> {
    Ok(tx
        .doc_changes(doc_id, 0)?
        .into_iter()
        .map(|(_, bytes)| bytes)
        .collect())
}

/// A document built from stored changes (empty if there are none). Call it outside a
/// transaction: a large document takes a while.
pub(super) fn build_document(stored: Vec<Vec<u8>>) -> Result<AutoCommit, StorageError> {
    let changes: Vec<Change> = stored
        .into_iter()
        .map(|bytes| {
            Change::from_bytes(bytes).map_err(|e| {
                StorageError::from(shared::Error::Corrupt(format!("stored change: {e}")))
            })
        })
        .collect::<Result<_, _>>()?;
    let mut doc = AutoCommit::new();
    doc.apply_changes(changes)
        .map_err(|e| StorageError::from(shared::Error::from(e)))?;
    Ok(doc)
}

/// Whether a new actor becomes the device's that stores a change with it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum NewActor {
    /// A push: the device's own changes.
    Binds,
    /// A repair, which may relay changes of other devices that a restored server lost:
    /// a new actor stays unbound, for its own device to claim with its next push.
    StaysFree,
}

/// What the server holds of a change pushed by a device.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Held {
    /// Stored already (a retry).
    Stored,
    /// New; whether its actor is bound (to this device) yet.
    New { actor_bound: bool },
}

/// Whether `device_id` may store `change` in `doc_id`: refused when its actor is
/// another device's, or when the document holds another change with the same actor and
/// sequence number.
fn check_change(
    tx: &dyn Tx,
    doc_id: &str,
    change: &Change,
    device_id: &str,
) -> Result<Result<Held, Refusal>, StorageError> {
    let actor = change.actor_id().to_bytes();
    let held = tx.change_hash_at(doc_id, actor, change.seq())?;
    if held.as_deref() == Some(change.hash().to_string().as_str()) {
        return Ok(Ok(Held::Stored));
    }
    let actor_bound = match tx.actor_device(actor)? {
        Some(owner) if owner != device_id => return Ok(Err(Refusal::ForeignActor)),
        Some(_) => true,
        None => false,
    };
    if held.is_some() {
        return Ok(Err(Refusal::SequenceReused));
    }
    Ok(Ok(Held::New { actor_bound }))
}

/// Stores `change` pushed by `device_id` unless the document has it already; refused
/// (nothing stored) as [`check_change`] says.
pub(crate) fn insert_change(
    tx: &dyn Tx,
    doc_id: &str,
    change: &Change,
    device_id: &str,
    new_actor: NewActor,
) -> Result<Result<(), Refusal>, StorageError> {
    let actor_bound = match check_change(tx, doc_id, change, device_id)? {
        Err(refusal) => return Ok(Err(refusal)),
        Ok(Held::Stored) => return Ok(Ok(())),
        Ok(Held::New { actor_bound }) => actor_bound,
    };
    let actor = change.actor_id().to_bytes();
    if !actor_bound && new_actor == NewActor::Binds {
        tx.bind_actor(actor, device_id)?;
    }
    tx.append_change(&NewChange {
        doc_id,
        hash: &change.hash().to_string(),
        device_id,
        bytes: change.raw_bytes(),
        actor,
        actor_seq: change.seq(),
    })?;
    Ok(Ok(()))
}

/// One page of a bootstrap as read from the database: each document's stored changes.
/// [`BootstrapPage::finish`] builds the documents, outside the transaction.
struct BootstrapPage {
    raw: Vec<(String, String, Vec<Vec<u8>>)>,
    upto: u64,
    /// Documents are left after this page (the last one sent is the next's start).
    more_documents: bool,
    /// Changes are waiting after `upto` (the last page only).
    more_changes: bool,
}

impl BootstrapPage {
    fn finish(self, acknowledged: Vec<Ack>) -> Result<SyncResponse, StorageError> {
        let after = self
            .raw
            .last()
            .map(|(id, _, _)| id.clone())
            .unwrap_or_default();
        let (documents, changes) = save_documents(self.raw)?;
        if self.more_documents {
            return Ok(SyncResponse {
                acknowledged,
                cursor: 0,
                documents,
                changes,
                more: true,
                bootstrap: Some(Bootstrap {
                    upto: self.upto,
                    after,
                }),
                ..SyncResponse::default()
            });
        }
        Ok(SyncResponse {
            acknowledged,
            cursor: self.upto,
            documents,
            changes,
            more: self.more_changes,
            ..SyncResponse::default()
        })
    }
}

/// The next page of a bootstrap: whole documents in id order after `after`, at most
/// [`MAX_DOCUMENTS_PER_RESPONSE`] and about [`MAX_RESPONSE_BYTES`] of changes. The last
/// page moves the cursor to `upto`: every change up to it is in some document sent.
/// Documents whose changes a bootstrap page reads at once.
const BOOTSTRAP_READ_GROUP: usize = 25;

fn bootstrap_page(
    tx: &dyn Tx,
    scope: &ReadScope,
    upto: u64,
    after: &str,
) -> Result<BootstrapPage, StorageError> {
    let ids = tx.docs_after(scope, after, MAX_DOCUMENTS_PER_RESPONSE + 1)?;
    let mut more_documents = false;
    let mut raw = Vec::with_capacity(ids.len());
    let mut bytes = 0usize;
    // The changes of a few documents at a time (one round trip each on PostgreSQL), so
    // the byte budget still stops the page before much more is read.
    'page: for group in ids.chunks(BOOTSTRAP_READ_GROUP) {
        let names: Vec<&str> = group.iter().map(|(id, _)| id.as_str()).collect();
        let changes = tx.changes_of_docs(&names)?;
        for ((doc_id, kind), changes) in group.iter().zip(changes) {
            if raw.len() == MAX_DOCUMENTS_PER_RESPONSE
                || (!raw.is_empty() && bytes > MAX_RESPONSE_BYTES)
            {
                more_documents = true;
                break 'page;
            }
            bytes += changes.iter().map(Vec::len).sum::<usize>();
            raw.push((doc_id.clone(), kind.clone(), changes));
        }
    }
    let more_changes = !more_documents && tx.last_seq(scope)? > upto;
    Ok(BootstrapPage {
        raw,
        upto,
        more_documents,
        more_changes,
    })
}

/// Builds and saves each document from its stored changes, on all cores. A document
/// whose changes do not make one (a device restored from an old backup can send two
/// different changes with one sequence number) goes out as its changes instead, so one
/// bad change never stops every bootstrap; the client sets aside what does not apply.
fn save_documents(
    raw: Vec<(String, String, Vec<Vec<u8>>)>,
) -> Result<(Vec<WireDocument>, Vec<WireChange>), StorageError> {
    let save = |(doc_id, kind, changes): (String, String, Vec<Vec<u8>>)| {
        let built = changes
            .iter()
            .map(|b| Change::from_bytes(b.clone()))
            .collect::<Result<Vec<_>, _>>()
            .ok()
            .and_then(|cs| {
                let mut doc = AutoCommit::new();
                doc.apply_changes(cs).ok().map(|()| doc.save())
            });
        match built {
            Some(bytes) => Ok(WireDocument {
                doc_id,
                kind,
                bytes,
            }),
            None => {
                tracing::warn!(
                    doc_id,
                    "stored changes do not make a document; sent as changes"
                );
                Err(changes
                    .into_iter()
                    .map(|bytes| WireChange {
                        doc_id: doc_id.clone(),
                        kind: kind.clone(),
                        bytes,
                    })
                    .collect::<Vec<_>>())
            }
        }
    };
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    let chunk = raw.len().div_ceil(threads).max(1);
    let mut chunks: Vec<Vec<_>> = Vec::new();
    let mut raw = raw.into_iter().peekable();
    while raw.peek().is_some() {
        chunks.push(raw.by_ref().take(chunk).collect());
    }
    std::thread::scope(|scope| {
        let handles: Vec<_> = chunks
            .into_iter()
            .map(|c| scope.spawn(move || c.into_iter().map(save).collect::<Vec<_>>()))
            .collect();
        let (mut documents, mut changes) = (Vec::new(), Vec::new());
        for h in handles {
            let part = h
                .join()
                .map_err(|_| shared::Error::Corrupt("a save thread panicked".into()))?;
            for result in part {
                match result {
                    Ok(d) => documents.push(d),
                    Err(cs) => changes.extend(cs),
                }
            }
        }
        Ok((documents, changes))
    })
}
