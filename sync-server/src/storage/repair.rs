//! Heads and repair: a device compares its documents with the server's, and where they
//! differ (a server restored from a backup, a change lost) runs Automerge's sync protocol
//! on the document, one stateless step per request.

use shared::doc::DocId;
use shared::model::Access;
use shared::protocol::{
    DocHeads, HeadsResponse, MAX_DOCUMENTS_PER_HEADS, RepairRequest, RepairResponse,
};

use super::sync::{NewActor, build_document, insert_change, stored_changes, too_deep};
use super::{Caller, MAX_HEADS_BYTES, StorageError, Store, check_doc_access};

impl Store {
    /// The server's heads of each of `doc_ids` the caller reads (none for the others,
    /// as for a document that does not exist).
    pub fn heads(
        &self,
        caller: &Caller,
        doc_ids: &[String],
    ) -> Result<HeadsResponse, StorageError> {
        if doc_ids.len() > MAX_DOCUMENTS_PER_HEADS {
            return Err(StorageError::BadRequest(format!(
                "at most {MAX_DOCUMENTS_PER_HEADS} documents per request"
            )));
        }
        let mut unique = std::collections::HashSet::new();
        // Read in one transaction (each document once, up to the budget); built outside.
        let mut raw: Vec<(String, Option<Vec<Vec<u8>>>)> = Vec::new();
        {
            let tx = self.backend.read()?;
            let mut budget = MAX_HEADS_BYTES;
            for doc_id in doc_ids {
                if !unique.insert(doc_id.as_str()) {
                    continue;
                }
                let readable = match check_doc_access(&*tx, caller, doc_id, Access::Read) {
                    Ok(_) => true,
                    Err(StorageError::Refused { .. }) => false,
                    Err(e) => return Err(e),
                };
                if !readable {
                    raw.push((doc_id.clone(), None));
                    continue;
                }
                let changes = stored_changes(&*tx, doc_id)?;
                let size: usize = changes.iter().map(Vec::len).sum();
                // Over the budget, the rest are left out: not compared this time.
                if size > budget {
                    break;
                }
                budget -= size;
                raw.push((doc_id.clone(), Some(changes)));
            }
        }
        let mut heads = Vec::with_capacity(raw.len());
        for (doc_id, changes) in raw {
            let mut hashes: Vec<String> = match changes {
                None => vec![],
                Some(changes) => match build_document(changes) {
                    Ok(mut doc) => doc.get_heads().iter().map(ToString::to_string).collect(),
                    // Changes stored before reuses were refused can make a document that
                    // does not build: left out, so the rest of the batch is checked.
                    Err(StorageError::Core(_)) => {
                        tracing::warn!(doc_id, "document does not build; not compared");
                        continue;
                    }
                    Err(e) => return Err(e),
                },
            };
            hashes.sort();
            heads.push(DocHeads {
                doc_id,
                heads: hashes,
            });
        }
        Ok(HeadsResponse { heads })
    }

    /// One step of Automerge's sync protocol on one document the caller reads: applies
    /// the changes the message carries (the caller must write the document) and answers
    /// with the server's message. The server keeps no sync state between steps: every
    /// message carries the sender's heads and a summary of what it has, which is enough.
    pub fn repair(
        &self,
        caller: &Caller,
        req: &RepairRequest,
    ) -> Result<RepairResponse, StorageError> {
        use automerge::sync::{Message, State, SyncDoc as _};
        // The message is read without inflating anything, the caller's access checked,
        // and only then its chunks inflated, within the request's budget.
        let message = crate::wire::parse_repair_message(&req.message)?;
        let needed = if message.changes.is_empty() {
            Access::Read
        } else {
            Access::Write
        };
        let id = DocId::parse(&req.doc_id)
            .ok_or_else(|| StorageError::BadRequest("unknown document id".into()))?;
        let stored = {
            let tx = self.backend.read()?;
            check_doc_access(&*tx, caller, &req.doc_id, needed)?;
            stored_changes(&*tx, &req.doc_id)?
        };
        crate::wire::check_repair_chunks(&message)?;
        let mut doc = build_document(stored)?;
        let before = doc.get_heads();
        let mut state = State::new();
        crate::wire::unpanicked("a sync message", || {
            doc.sync().receive_sync_message(&mut state, message)
        })?
        .map_err(|e| StorageError::BadRequest(format!("sync message: {e}")))?;
        let new = doc.get_changes(&before);
        if !new.is_empty() {
            let deep = crate::wire::check_depth(&new, &mut |obj| crate::wire::depth_in(&doc, obj))?;
            if let Err(deep) = deep {
                return Err(too_deep(&req.doc_id, deep));
            }
            self.check_records(&id, &mut doc, &before)?;
            let tx = self.backend.write()?;
            check_doc_access(&*tx, caller, &req.doc_id, Access::Write)?;
            tx.insert_doc(&id)?;
            for change in &new {
                insert_change(
                    &*tx,
                    &req.doc_id,
                    change,
                    &caller.device_id,
                    NewActor::StaysFree,
                )?
                .map_err(|reason| StorageError::Refused {
                    doc_id: req.doc_id.clone(),
                    reason,
                })?;
            }
            tx.commit()?;
        }
        let reply = doc.sync().generate_sync_message(&mut state);
        Ok(RepairResponse {
            message: reply.map(Message::encode),
        })
    }
}
