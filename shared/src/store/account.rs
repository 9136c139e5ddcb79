//! The signed-in account, and wiping another account's data.

use super::*;

/// The signed-in account of this device: kept in the encrypted store (the token is as
/// good as a password until it expires or is revoked).
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Session {
    pub server_url: String,
    pub token: String,
    pub account: crate::model::Account,
}

impl std::fmt::Debug for Session {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Session")
            .field("server_url", &self.server_url)
            .field("account", &self.account)
            .finish_non_exhaustive()
    }
}

pub(super) const SESSION_KEY: &str = "session";

/// Whose data this store holds (`user@server`), kept after sign-out.
pub(super) const OWNER_KEY: &str = "owner";

/// Tables other than the record kinds' projections that hold data received or written
/// under one account; emptied, with every kind's table, when another account signs in.
const ACCOUNT_TABLES: &[&str] = &[
    "documents",
    "outbox",
    "waiting_changes",
    "meetings",
    "photos",
    "photo_parts",
    "record_keys",
    "activity_deputies",
];

/// Every table emptied when another account signs in: [`ACCOUNT_TABLES`] and the
/// projection table of every kind in the registry.
pub(super) fn data_tables() -> impl Iterator<Item = &'static str> {
    ACCOUNT_TABLES
        .iter()
        .copied()
        .chain(crate::registry::KINDS.iter().map(|k| k.table))
}

pub(super) fn owner_of(username: &str, server_url: &str) -> String {
    format!("{username}@{server_url}")
}

/// Whether signing in as `owner` removes the data the store holds:
/// [`Error::UnsentChanges`] when it would but some of it is not sent yet.
pub(super) fn must_wipe(conn: &Connection, owner: &str) -> Result<bool, Error> {
    let previous = get_meta(conn, OWNER_KEY)?;
    let unsent: i64 = conn.query_row(
        "SELECT (SELECT COUNT(*) FROM outbox)
              + (SELECT COUNT(*) FROM photos
                 WHERE uploaded IN (0, -1) AND data IS NOT NULL AND doc_id != '')
              + (SELECT COUNT(*) FROM record_keys WHERE pending != 0)",
        [],
        |r| r.get(0),
    )?;
    // Another account's data goes; so does data from before accounts (no owner), unless
    // it holds unsent records of this device's user, which are theirs to send.
    match previous.as_deref() {
        Some(p) if p == owner => Ok(false),
        Some(_) if unsent > 0 => Err(Error::UnsentChanges),
        Some(_) => Ok(true),
        None => Ok(unsent == 0),
    }
}

impl Store {
    /// The signed-in session, if any.
    pub fn session(&self) -> Result<Option<Session>, Error> {
        Ok(get_meta(&self.conn, SESSION_KEY)?.and_then(|s| serde_json::from_str(&s).ok()))
    }

    /// The device id to sign in to `server_url` as `username` with: this store's own,
    /// or, when signing in would remove the data of the account that used the device
    /// before (see [`Store::set_session`]), a new one, so the new account's changes can
    /// never reuse an Automerge (actor, sequence number) the server holds from the old.
    /// [`Error::UnsentChanges`] when the old account's changes are not all sent.
    pub fn device_id_for_sign_in(&self, server_url: &str, username: &str) -> Result<String, Error> {
        Ok(if must_wipe(&self.conn, &owner_of(username, server_url))? {
            ActorId::random().to_hex_string()
        } else {
            self.device_id()
        })
    }

    /// Keeps `session` (opened for `device_id`, from [`Store::device_id_for_sign_in`])
    /// as this device's. When it is another account (or server) than the one whose data
    /// the store holds, that data is removed first, so one person never sees another's
    /// records, but only if none of it is waiting to be sent: then
    /// [`Error::UnsentChanges`] and nothing changes. The store then writes as
    /// `device_id`. Changes the server refused before are offered again.
    pub fn set_session(&mut self, session: &Session, device_id: &str) -> Result<(), Error> {
        let owner = owner_of(&session.account.username, &session.server_url);
        let tx = self.conn.transaction()?;
        let wipe = must_wipe(&tx, &owner)?;
        let actor = ActorId::try_from(device_id)
            .map_err(|_| Error::Protocol(format!("bad device id {device_id:?}")))?;
        if wipe {
            for table in data_tables() {
                tx.execute(&format!("DELETE FROM {table}"), [])?;
            }
            tx.execute(
                "DELETE FROM meta WHERE key IN ('cursor', 'key_cursor', 'bootstrap', 'last_sync',
                                                'last_sync_error', 'verify_after', 'verify_at')
                                     OR key LIKE 'draft.%'",
                [],
            )?;
            set_meta(&tx, "actor", &actor.to_hex_string())?;
        } else if actor != self.actor {
            return Err(Error::Protocol(
                "the device id changes only with the account".into(),
            ));
        }
        tx.execute("UPDATE outbox SET refused = NULL", [])?;
        tx.execute("UPDATE record_keys SET pending = 1 WHERE pending = 2", [])?;
        set_meta(&tx, OWNER_KEY, &owner)?;
        set_meta(&tx, SESSION_KEY, &to_json(session))?;
        tx.commit()?;
        self.actor = actor;
        self.cache.clear();
        Ok(())
    }

    /// Forgets the session (signing out); the data stays for the same account's return.
    pub fn clear_session(&self) -> Result<(), Error> {
        self.conn
            .execute("DELETE FROM meta WHERE key = ?1", [SESSION_KEY])?;
        Ok(())
    }
}
