//! Sessions (a device signed in to an account, found by its token's hash, believed for a
//! while without the database) and account administration (the admin commands, tests).

use shared::model::{Account, Role, ScopeKind};
use shared::protocol::SetUpCode;

use super::backend::{AccountChange, AccountRow, Sessions};
use super::{
    Caller, DeviceSession, NewAccount, NewSession, SESSION_CACHE_SECS, SESSION_TOUCH_INTERVAL,
    SessionCache, StorageError, Store,
};

impl Store {
    /// Starts a session for a device whose password was checked; the device's earlier
    /// sessions end.
    pub fn open_session(&self, s: &NewSession) -> Result<Account, StorageError> {
        let tx = self.backend.write()?;
        // A device id is one account's: another account's changes under it would be
        // left out of this account's pulls (a device never receives its own changes).
        if tx.device_of_other_account(&s.device_id, s.account_id)? {
            return Err(StorageError::DeviceTaken);
        }
        tx.end_sessions(Sessions::AccountDevice(s.account_id, &s.device_id))?;
        tx.insert_session(s)?;
        let account = tx
            .account(s.account_id)?
            .ok_or_else(|| StorageError::NotFound("no such account".into()))?;
        tx.commit()?;
        // The device's earlier session ended.
        self.forget_sessions();
        Ok(account)
    }

    /// Who holds the token hashed as `token_hash` at `now` (unix seconds); `None` when
    /// the token is unknown, expired or revoked, or the account is disabled. A session in
    /// use is extended to `now + ttl`.
    pub fn caller(
        &self,
        token_hash: &[u8],
        now: i64,
        ttl: i64,
    ) -> Result<Option<Caller>, StorageError> {
        let found = self.backend.read()?.session(token_hash, now)?;
        let Some(found) = found else {
            return Ok(None);
        };
        let mut expires_at = found.expires_at;
        if now - found.last_seen >= SESSION_TOUCH_INTERVAL {
            expires_at = now.saturating_add(ttl);
            let tx = self.backend.write()?;
            tx.extend_session(token_hash, now, expires_at)?;
            tx.commit()?;
        }
        let caller = Caller {
            account: found.account,
            device_id: found.device_id,
        };
        let mut sessions = self.sessions();
        if sessions.len() >= 100_000 {
            sessions.clear();
        }
        let until = expires_at.min(now.saturating_add(SESSION_CACHE_SECS));
        sessions.insert(token_hash.to_vec(), (caller.clone(), until));
        Ok(Some(caller))
    }

    /// The caller behind `token_hash` if [`Store::caller`] found it within the last
    /// [`SESSION_CACHE_SECS`] and no session has ended in this process since: no database,
    /// no lock, for every request's first step.
    pub fn known_caller(&self, token_hash: &[u8], now: i64) -> Option<Caller> {
        match self.sessions().get(token_hash) {
            Some((caller, until)) if now < *until => Some(caller.clone()),
            _ => None,
        }
    }

    /// Ends the session of `token_hash` (signing out).
    pub fn close_session(&self, token_hash: &[u8]) -> Result<(), StorageError> {
        self.end_sessions(Sessions::Token(token_hash))?;
        Ok(())
    }

    fn sessions(&self) -> std::sync::MutexGuard<'_, SessionCache> {
        self.sessions.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Ends sessions, and forgets every session found before in this process.
    fn end_sessions(&self, which: Sessions<'_>) -> Result<usize, StorageError> {
        let tx = self.backend.write()?;
        let ended = tx.end_sessions(which)?;
        tx.commit()?;
        self.sessions().clear();
        Ok(ended)
    }

    fn forget_sessions(&self) {
        self.sessions().clear();
    }

    /// Creates an account with `password` (Argon2id-hashed here). The scope must name a
    /// station, street/town or department the server knows, as the role requires.
    pub fn create_account(&self, new: &NewAccount, password: &str) -> Result<(), StorageError> {
        let username = new.username.trim();
        if !(3..=32).contains(&username.len())
            || !username
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b"._-".contains(&b))
        {
            return Err(StorageError::BadRequest(
                "a user name is 3–32 of a–z, 0–9, '.', '_' and '-'".into(),
            ));
        }
        let display_name = new.display_name.trim();
        if display_name.is_empty() || display_name.chars().count() > 40 {
            return Err(StorageError::BadRequest(
                "a display name has 1–40 characters".into(),
            ));
        }
        let hash = crate::auth::hash_password(password)?;
        let tx = self.backend.write()?;
        let scope = new.scope_id.as_deref();
        let known = match (new.role.scope_kind(), scope) {
            (ScopeKind::District, None) => true,
            (ScopeKind::Station, Some(id)) => tx.subdistrict_of(id)?.is_some(),
            (ScopeKind::Subdistrict, Some(id)) => tx.subdistrict_exists(id)?,
            (ScopeKind::Department, Some(id)) => tx.department_exists(id)?,
            _ => false,
        };
        if !known {
            return Err(StorageError::BadRequest(format!(
                "a {} account needs {}",
                new.role.as_str(),
                match new.role.scope_kind() {
                    ScopeKind::District => "no scope",
                    ScopeKind::Station => "the id of a known station",
                    ScopeKind::Subdistrict => "the id of a known street or town",
                    ScopeKind::Department => "the id of a known department",
                }
            )));
        }
        if new.deputy_id.is_some() && new.role != Role::Deputy {
            return Err(StorageError::BadRequest(
                "only a deputy's account names a deputy".into(),
            ));
        }
        let inserted = tx.insert_account(&AccountRow {
            username,
            display_name,
            role: new.role.as_str(),
            scope_id: scope,
            deputy_id: new.deputy_id.as_deref(),
            password_hash: &hash,
            created_at: chrono::Utc::now().timestamp(),
        })?;
        if !inserted {
            return Err(StorageError::Conflict(format!("{username} exists")));
        }
        tx.commit()
    }

    /// Disables an account: its devices are signed out at once and it cannot sign in.
    pub fn disable_account(&self, username: &str) -> Result<(), StorageError> {
        self.change_account_and_sign_out(username, AccountChange::Disable)
    }

    /// Sets a new password; every device of the account must sign in again.
    pub fn reset_password(&self, username: &str, password: &str) -> Result<(), StorageError> {
        let hash = crate::auth::hash_password(password)?;
        self.change_account_and_sign_out(username, AccountChange::Password(&hash))
    }

    /// Changes `username`'s account and ends all of its sessions, in one transaction.
    fn change_account_and_sign_out(
        &self,
        username: &str,
        change: AccountChange<'_>,
    ) -> Result<(), StorageError> {
        let tx = self.backend.write()?;
        let id = tx
            .account_id(username)?
            .ok_or_else(|| StorageError::NotFound(format!("no account {username}")))?;
        tx.change_account(id, change)?;
        tx.end_sessions(Sessions::Account(id))?;
        tx.commit()?;
        self.forget_sessions();
        Ok(())
    }

    /// Issues a one-time set-up code for `username`'s account, replacing any earlier one:
    /// what a new phone takes instead of a password, once, within
    /// [`crate::auth::SETUP_CODE_TTL`] of `now`. Only its hash is kept. The code as the
    /// user gets it (`<user name>.<secret>`).
    pub fn issue_setup_code(&self, username: &str, now: i64) -> Result<String, StorageError> {
        let code = crate::auth::new_setup_code(username)?;
        let hash = crate::auth::token_hash(&code.secret);
        let expires_at = now.saturating_add(crate::api::ttl_seconds(crate::auth::SETUP_CODE_TTL));
        let tx = self.backend.write()?;
        let id = tx
            .account_id(username)?
            .ok_or_else(|| StorageError::NotFound(format!("no account {username}")))?;
        tx.set_setup_code(id, Some((&hash, expires_at)))?;
        tx.commit()?;
        Ok(code.to_string())
    }

    /// Takes set-up code `code` (as issued, typed or scanned) on device `device_id`, with
    /// the password its user chose: the account's password becomes it, the code is used
    /// up, and the account's other devices must sign in again; the account's id. A code
    /// that is unknown, used, expired or of a disabled account is
    /// [`StorageError::Unauthorized`], a device id of another account
    /// [`StorageError::DeviceTaken`], a password too short a bad request; each changes
    /// nothing.
    pub fn redeem_setup_code(
        &self,
        code: &str,
        password: &str,
        device_id: &str,
        now: i64,
    ) -> Result<i64, StorageError> {
        let code = SetUpCode::parse(code).ok_or(StorageError::Unauthorized)?;
        let hash = crate::auth::hash_password(password)?;
        let tx = self.backend.write()?;
        let Some((id, stored, expires_at)) = tx.setup_code(&code.username)? else {
            return Err(StorageError::Unauthorized);
        };
        if stored != crate::auth::token_hash(&code.secret) || now >= expires_at {
            return Err(StorageError::Unauthorized);
        }
        if tx.device_of_other_account(device_id, id)? {
            return Err(StorageError::DeviceTaken);
        }
        tx.change_account(id, AccountChange::Password(&hash))?;
        tx.set_setup_code(id, None)?;
        tx.end_sessions(Sessions::Account(id))?;
        tx.commit()?;
        self.forget_sessions();
        Ok(id)
    }

    /// Every account, with whether it is disabled.
    pub fn accounts(&self) -> Result<Vec<(Account, bool)>, StorageError> {
        self.backend.read()?.accounts()
    }

    /// The devices signed in (or once signed in) to `username`, or to any account.
    pub fn devices(&self, username: Option<&str>) -> Result<Vec<DeviceSession>, StorageError> {
        self.backend.read()?.devices(username)
    }

    /// Signs a device out of every account (a lost phone). Returns how many sessions ended.
    pub fn revoke_device(&self, device_id: &str) -> Result<usize, StorageError> {
        self.end_sessions(Sessions::Device(device_id))
    }
}
