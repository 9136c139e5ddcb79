//! The reference documents (district, streets and towns, consultations) and the scope
//! tables that follow them; the demo district's year of records.

use std::collections::HashSet;

use automerge::AutoCommit;
use shared::doc::{self, DocFamily, DocId};
use shared::model::Directory;

use super::backend::Tx;
use super::sync::{NewActor, build_document, insert_change, stored_changes};
use super::{StorageError, Store};
use crate::wire::SERVER_DEVICE;

impl Store {
    /// Writes the reference documents (district, subdistricts, consultations) from `dir`
    /// if the server has none yet. Returns whether it wrote anything.
    pub fn load_directory_if_missing(&self, dir: &Directory) -> Result<bool, StorageError> {
        let tx = self.backend.write()?;
        let exists = tx.doc_exists(&DocId::District.to_string())?;
        let scopes_known = !tx.station_ids()?.is_empty();
        if exists && scopes_known {
            return Ok(false);
        }
        // The scope tables follow the directory loaded; a database from before accounts
        // (directory loaded, tables empty) gets them filled from the same data.
        write_scope_tables(&*tx, dir)?;
        if exists {
            tx.commit()?;
            return Ok(false);
        }
        for (id, mut d) in doc::directory_documents(dir)? {
            store_server_changes(&*tx, &id, &d.get_changes(&[]))?;
        }
        tx.commit()?;
        Ok(true)
    }

    /// Loads `dir` as the directory (streets and towns, stations, staff, deputies,
    /// departments, campaigns, drafts): new records are added and changed ones updated
    /// in the reference documents, as changes every device receives with its next sync,
    /// and the tables scopes are checked against follow. Records missing from `dir` stay
    /// (a station that closed keeps its history). Returns how many changes were written
    /// (none when nothing differs).
    pub fn load_directory(&self, dir: &Directory) -> Result<usize, StorageError> {
        let tx = self.backend.write()?;
        // One new actor per load: its changes can never reuse another's numbers.
        let actor = automerge::ActorId::random();
        let mut docs = std::collections::BTreeMap::new();
        let mut before = std::collections::HashMap::new();
        for family in DocFamily::ALL.into_iter().filter(|f| f.is_shared()) {
            for id in tx.doc_ids(family, None, None)? {
                let Some(doc_id) = DocId::parse(&id) else {
                    continue;
                };
                let mut doc = build_document(stored_changes(&*tx, &id)?)?;
                doc.set_actor(actor.clone());
                before.insert(doc_id.clone(), doc.get_heads());
                docs.insert(doc_id, doc);
            }
        }
        doc::write_directory(dir, &mut docs, || {
            AutoCommit::new().with_actor(actor.clone())
        })?;
        let mut written = 0;
        for (id, mut doc) in docs {
            let heads = before.get(&id).cloned().unwrap_or_default();
            let changes = doc.get_changes(&heads);
            if changes.is_empty() {
                continue;
            }
            written += changes.len();
            store_server_changes(&*tx, &id, &changes)?;
        }
        write_scope_tables(&*tx, dir)?;
        tx.commit()?;
        Ok(written)
    }

    /// Writes `records` (a generated year, [`shared::demo::haidian::year`]) as the
    /// server's own changes, one per document (a station's month, a department's
    /// referrals or answers of a station's year), with the keys of the voters' contact
    /// details sealed into them, if the server holds no station document yet. Every
    /// station and department the records name must be in the directory loaded; nothing
    /// is written otherwise. Returns how many documents were written (none when the
    /// server holds station documents already).
    pub fn load_records_if_missing(
        &self,
        records: &shared::demo::haidian::YearRecords,
    ) -> Result<usize, StorageError> {
        if self.backend.read()?.any_doc(DocFamily::Station)? {
            return Ok(0);
        }
        // Built outside the transaction: thousands of documents take a while.
        let year = shared::demo::documents::year_documents(records)?;
        let tx = self.backend.write()?;
        if tx.any_doc(DocFamily::Station)? {
            return Ok(0);
        }
        let stations: HashSet<String> = tx.station_ids()?.into_iter().collect();
        let departments: HashSet<String> = tx.department_ids()?.into_iter().collect();
        let written = year.documents.len();
        for (id, mut d) in year.documents {
            if let Some(s) = id.station_id().filter(|s| !stations.contains(*s)) {
                return Err(StorageError::BadRequest(format!(
                    "the records name station {s}, which the directory loaded does not have"
                )));
            }
            if let Some(x) = id.department_id().filter(|x| !departments.contains(*x)) {
                return Err(StorageError::BadRequest(format!(
                    "the records name department {x}, which the directory loaded does not have"
                )));
            }
            store_server_changes(&*tx, &id, &d.get_changes(&[]))?;
        }
        for (id, key_id, key) in &year.keys {
            super::keys::give(&*tx, key_id, &id.to_string(), key)?;
        }
        tx.commit()?;
        Ok(written)
    }
}

/// Stores the server's own `changes` to document `id`.
pub(crate) fn store_server_changes(
    tx: &dyn Tx,
    id: &DocId,
    changes: &[automerge::Change],
) -> Result<(), StorageError> {
    let doc_id = id.to_string();
    tx.insert_doc(id)?;
    for c in changes {
        insert_change(tx, &doc_id, c, SERVER_DEVICE, NewActor::Binds)?.map_err(|reason| {
            StorageError::Refused {
                doc_id: doc_id.clone(),
                reason,
            }
        })?;
    }
    Ok(())
}

/// The tables scopes are checked against, from `dir`: each station's street or town,
/// and the departments.
fn write_scope_tables(tx: &dyn Tx, dir: &Directory) -> Result<(), StorageError> {
    for station in &dir.stations {
        tx.put_station(&station.id, &station.subdistrict_id)?;
    }
    for department in &dir.departments {
        tx.put_department(&department.id)?;
    }
    Ok(())
}
