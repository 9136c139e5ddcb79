//! What the protocol needs from a database: transactions of small reads and writes,
//! nothing of the sync protocol itself. The protocol (`storage::sync`, `repair`,
//! `photos`, `sessions`, `keys`, `directory`, `public::store`) is written once over
//! [`Backend`] and [`Tx`]; a backend (`storage::sqlite`, `storage::postgres`) only
//! stores and finds rows, its statements written once for both in `storage::sql`. Errors
//! cross as [`StorageError::Backend`], which names no engine.
//!
//! ## The one ordering guarantee: sequence numbers are seen in order
//! A device's cursor is the highest change sequence number it has read, and a pull asks
//! for what is above it. That is correct only if a reader never sees a sequence number
//! while a smaller one can still appear. Every backend must therefore:
//! - assign change and key sequence numbers only inside a [`Backend::write`]
//!   transaction, and let one such transaction run at a time, from before it assigns its
//!   first number until it commits or rolls back (SQLite: one connection and `BEGIN
//!   IMMEDIATE`; a server database: a lock taken by the transaction's first statement
//!   and released at its end);
//! - read a whole [`Backend::read`] transaction from one snapshot.
//!
//! Then the numbers committed at any moment are all that were ever assigned below the
//! highest of them (minus rolled-back ones, which nobody sees): the writers ran one after
//! another and each committed before the next assigned. A snapshot sees a prefix of that
//! order, so its highest visible number has every lower one visible too, and a cursor
//! taken from it never passes a change that commits later. A write transaction sees the
//! same: while it holds the turn nobody else can commit numbers.

use shared::access::ReadScope;
use shared::doc::{DocFamily, DocId};
use shared::model::Account;
use shared::protocol::{WireChange, WireKey};

use super::{Credentials, DeviceSession, NewSession, StorageError};

/// A database the protocol runs on.
pub trait Backend: Send + Sync + 'static {
    /// A transaction that may write; one at a time (see the module's guarantee).
    fn write(&self) -> Result<Box<dyn Tx + '_>, StorageError>;

    /// A transaction that only reads, from one snapshot.
    fn read(&self) -> Result<Box<dyn Tx + '_>, StorageError>;

    /// Writes a consistent copy of the database to the new file `to`, while the server
    /// keeps serving, where the backend can (SQLite); others have their own tools.
    fn backup_to(&self, to: &std::path::Path) -> Result<(), StorageError> {
        Err(StorageError::BadRequest(format!(
            "this database is backed up with its own tools, not into {}",
            to.display()
        )))
    }

    /// A record key was erased and committed: a backend whose files keep old copies of
    /// pages (SQLite's write-ahead log) gets rid of them here.
    fn after_erase(&self) {}

    /// Connections of the backend's pool in use and in all, for the metrics.
    fn pool_use(&self) -> (usize, usize) {
        (0, 1)
    }
}

/// A new change to store.
pub struct NewChange<'a> {
    pub doc_id: &'a str,
    pub hash: &'a str,
    pub device_id: &'a str,
    pub bytes: &'a [u8],
    pub actor: &'a [u8],
    pub actor_seq: u64,
}

/// A chunk of an upload in progress.
pub struct NewChunk<'a> {
    pub hash: &'a str,
    pub doc_id: &'a str,
    pub offset: u64,
    pub data: &'a [u8],
    pub received_at: i64,
    /// The whole file's size.
    pub size: u64,
    pub username: &'a str,
    pub device_id: &'a str,
}

/// What one account and device have uploaded and stored, for quotas.
#[derive(Clone, Copy, Debug, Default)]
pub struct UploadUsage {
    pub device_uploads: u64,
    pub account_uploads: u64,
    /// The sizes the account's unfinished uploads declared (each fixed by its first
    /// chunk).
    pub account_reserved_bytes: u64,
    pub device_stored_bytes: u64,
    pub account_stored_bytes: u64,
}

/// A session as stored.
pub struct SessionRow {
    pub account: Account,
    pub device_id: String,
    pub last_seen: i64,
    pub expires_at: i64,
}

/// Which sessions to end.
#[derive(Clone, Copy, Debug)]
pub enum Sessions<'a> {
    Token(&'a [u8]),
    /// One account's sessions on one device.
    AccountDevice(i64, &'a str),
    Account(i64),
    Device(&'a str),
}

/// An account row to insert (the password already hashed).
pub struct AccountRow<'a> {
    pub username: &'a str,
    pub display_name: &'a str,
    pub role: &'a str,
    pub scope_id: Option<&'a str>,
    pub deputy_id: Option<&'a str>,
    pub password_hash: &'a str,
    pub created_at: i64,
}

/// A change to an account.
#[derive(Clone, Copy, Debug)]
pub enum AccountChange<'a> {
    Disable,
    Password(&'a str),
}

/// A voter's submission from the public pages: where its tracking code leads.
pub struct PublicOpinion {
    pub station_id: String,
    pub doc_id: String,
    pub opinion_id: String,
    pub key_id: Option<String>,
}

/// One transaction. Dropped without [`Tx::commit`], it rolls back.
pub trait Tx {
    fn commit(self: Box<Self>) -> Result<(), StorageError>;

    // The scope tables: stations with their street or town, departments.
    fn subdistrict_of(&self, station: &str) -> Result<Option<String>, StorageError>;
    fn put_station(&self, id: &str, subdistrict_id: &str) -> Result<(), StorageError>;
    fn put_department(&self, id: &str) -> Result<(), StorageError>;
    fn department_exists(&self, id: &str) -> Result<bool, StorageError>;
    fn subdistrict_exists(&self, id: &str) -> Result<bool, StorageError>;
    /// Sorted.
    fn station_ids(&self) -> Result<Vec<String>, StorageError>;
    fn department_ids(&self) -> Result<Vec<String>, StorageError>;

    // Documents and their changes.
    /// Records document `id` (if new) with its station and department, which reads
    /// are filtered by.
    fn insert_doc(&self, id: &DocId) -> Result<(), StorageError>;
    fn doc_exists(&self, doc_id: &str) -> Result<bool, StorageError>;
    /// The ids of the documents of `family`, of `station` and `department` when given.
    fn doc_ids(
        &self,
        family: DocFamily,
        station: Option<&str>,
        department: Option<&str>,
    ) -> Result<Vec<String>, StorageError>;
    fn any_doc(&self, family: DocFamily) -> Result<bool, StorageError>;
    /// A document's changes with sequence numbers above `after`, in sequence order.
    fn doc_changes(&self, doc_id: &str, after: u64) -> Result<Vec<(u64, Vec<u8>)>, StorageError>;
    /// Every change of each of `doc_ids`, in sequence order, one list per id in the order
    /// given: what [`Tx::doc_changes`] gives one by one, which a backend across a network
    /// answers in one round trip.
    fn changes_of_docs(&self, doc_ids: &[&str]) -> Result<Vec<Vec<Vec<u8>>>, StorageError>;
    /// A document's highest sequence number (0 for none).
    fn doc_last_seq(&self, doc_id: &str) -> Result<u64, StorageError>;
    /// The hash of the change of `doc_id` with this actor and sequence number.
    fn change_hash_at(
        &self,
        doc_id: &str,
        actor: &[u8],
        actor_seq: u64,
    ) -> Result<Option<String>, StorageError>;
    /// The device an actor is bound to.
    fn actor_device(&self, actor: &[u8]) -> Result<Option<String>, StorageError>;
    fn bind_actor(&self, actor: &[u8], device_id: &str) -> Result<(), StorageError>;
    /// Stores a change under the next sequence number unless the document has its hash;
    /// returns whether it was stored.
    fn append_change(&self, change: &NewChange<'_>) -> Result<bool, StorageError>;
    fn change_count(&self) -> Result<u64, StorageError>;
    /// The highest sequence number of the documents `scope` reads (0 for none).
    fn last_seq(&self, scope: &ReadScope) -> Result<u64, StorageError>;
    /// Up to `limit` changes above `cursor` of documents `scope` reads, except those
    /// `except_device` stored, in sequence order.
    fn changes_after(
        &self,
        scope: &ReadScope,
        cursor: u64,
        except_device: &str,
        limit: usize,
    ) -> Result<Vec<(u64, WireChange)>, StorageError>;
    /// Up to `limit` (id, family) of documents `scope` reads, ids after `after`, in id
    /// order.
    fn docs_after(
        &self,
        scope: &ReadScope,
        after: &str,
        limit: usize,
    ) -> Result<Vec<(String, String)>, StorageError>;

    // Record keys.
    /// The highest key sequence number (0 for none).
    fn last_key_seq(&self) -> Result<u64, StorageError>;
    /// The document of key `key_id` and whether the key is still held (not erased).
    fn key_state(&self, key_id: &str) -> Result<Option<(String, bool)>, StorageError>;
    /// Inserts key `key_id` (`None`: erased before it arrived) unless the id exists, and
    /// marks its document's keys changed at `seq`. Returns whether it was inserted.
    fn insert_key(
        &self,
        key_id: &str,
        doc_id: &str,
        key: Option<&[u8]>,
        seq: u64,
    ) -> Result<bool, StorageError>;
    /// Erases the key of `key_id` (of document `doc_id`) at `seq`.
    fn clear_key(&self, key_id: &str, doc_id: &str, seq: u64) -> Result<(), StorageError>;
    /// The highest key sequence number of the documents `scope` reads.
    fn last_key_seq_of(&self, scope: &ReadScope) -> Result<u64, StorageError>;
    /// Up to `limit` keys above `cursor` of documents `scope` reads, in sequence order.
    fn keys_after(
        &self,
        scope: &ReadScope,
        cursor: u64,
        limit: usize,
    ) -> Result<Vec<(u64, WireKey)>, StorageError>;

    // Photos: files by content hash, linked to documents; uploads in chunks.
    fn drop_uploads_before(&self, received_before: i64) -> Result<(), StorageError>;
    /// The size of file `hash` if it is linked to `doc_id`.
    fn linked_file_size(&self, hash: &str, doc_id: &str) -> Result<Option<u64>, StorageError>;
    fn upload_received(&self, hash: &str, doc_id: &str) -> Result<u64, StorageError>;
    /// The size an unfinished upload declared with its first chunk.
    fn upload_size(&self, hash: &str, doc_id: &str) -> Result<Option<u64>, StorageError>;
    fn upload_usage(&self, username: &str, device_id: &str) -> Result<UploadUsage, StorageError>;
    fn put_chunk(&self, chunk: &NewChunk<'_>) -> Result<(), StorageError>;
    /// The upload's chunks joined in order, and removed.
    fn take_upload(&self, hash: &str, doc_id: &str) -> Result<Vec<u8>, StorageError>;
    /// Stores a file (unless held) and links it to `doc_id`.
    fn put_file(
        &self,
        hash: &str,
        data: &[u8],
        doc_id: &str,
        username: &str,
        device_id: &str,
    ) -> Result<(), StorageError>;
    /// `len` bytes of file `hash` from `start`.
    fn file_bytes(&self, hash: &str, start: u64, len: u64) -> Result<Vec<u8>, StorageError>;

    // Accounts and sessions.
    fn credentials(
        &self,
        username: &str,
        device_id: &str,
    ) -> Result<Option<Credentials>, StorageError>;
    /// Whether `device_id` has a session of an account other than `account_id`.
    fn device_of_other_account(
        &self,
        device_id: &str,
        account_id: i64,
    ) -> Result<bool, StorageError>;
    fn insert_session(&self, session: &NewSession) -> Result<(), StorageError>;
    /// Ends sessions; returns how many were open.
    fn end_sessions(&self, which: Sessions<'_>) -> Result<usize, StorageError>;
    /// The open session of `token_hash` at `now` of an enabled account.
    fn session(&self, token_hash: &[u8], now: i64) -> Result<Option<SessionRow>, StorageError>;
    fn extend_session(
        &self,
        token_hash: &[u8],
        now: i64,
        expires_at: i64,
    ) -> Result<(), StorageError>;
    fn account(&self, id: i64) -> Result<Option<Account>, StorageError>;
    fn account_id(&self, username: &str) -> Result<Option<i64>, StorageError>;
    /// Returns false when the user name is taken.
    fn insert_account(&self, row: &AccountRow<'_>) -> Result<bool, StorageError>;
    /// Sets (or, with `None`, clears) the account's set-up code: its hash and expiry.
    fn set_setup_code(&self, id: i64, code: Option<(&[u8], i64)>) -> Result<(), StorageError>;
    /// The set-up code of `username`'s account, if it is enabled and has one: the
    /// account's id, the code's hash and its expiry.
    fn setup_code(&self, username: &str) -> Result<Option<(i64, Vec<u8>, i64)>, StorageError>;
    fn change_account(&self, id: i64, change: AccountChange<'_>) -> Result<(), StorageError>;
    /// Every account, by user name, with whether it is disabled.
    fn accounts(&self) -> Result<Vec<(Account, bool)>, StorageError>;
    fn devices(&self, username: Option<&str>) -> Result<Vec<DeviceSession>, StorageError>;

    // The voters' public pages.
    fn put_public_opinion(
        &self,
        code_hash: &[u8],
        opinion: &PublicOpinion,
        created_at: i64,
    ) -> Result<(), StorageError>;
    fn public_opinion(&self, code_hash: &[u8]) -> Result<Option<PublicOpinion>, StorageError>;
}
