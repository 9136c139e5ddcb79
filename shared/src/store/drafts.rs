//! Form drafts and device settings, kept in `meta` (encrypted like records).

use super::*;

/// Where the new-activity form's draft is kept (in the encrypted store, like records).
pub(super) const DRAFT_KEY: &str = "draft.activity";

/// The language setting (JSON of [`Language`]).
pub(super) const LANGUAGE_KEY: &str = "language";

/// The meta key of form `form`'s draft; only the app's forms have one (a kind's
/// [`RecordForm`] is named by the kind's prefix).
pub(super) fn form_draft_key(form: &str) -> Result<String, Error> {
    let known = match form.split_once(':') {
        None => {
            matches!(form, "opinion" | "consultation")
                || crate::registry::kind(form).is_some_and(|k| k.form.is_some())
        }
        Some(("answer" | "referral" | "feedback", id)) => doc::is_valid_id(id),
        Some(_) => false,
    };
    if known {
        Ok(format!("draft.{form}"))
    } else {
        Err(Error::Protocol(format!("no form {form:?}")))
    }
}

impl Store {
    /// The language this device shows (a device setting: it stays when another account
    /// signs in).
    pub fn language(&self) -> Result<Language, Error> {
        Ok(get_meta(&self.conn, LANGUAGE_KEY)?
            .and_then(|l| serde_json::from_str(&l).ok())
            .unwrap_or_default())
    }

    pub fn set_language(&self, language: Language) -> Result<(), Error> {
        set_meta(&self.conn, LANGUAGE_KEY, &to_json(&language))
    }

    /// Keeps what the new-activity form holds, so nothing typed is lost if the app closes
    /// before it is saved. A form with nothing typed in it clears the draft.
    pub fn save_draft(&self, input: &ActivityInput) -> Result<(), Error> {
        let typed = !input.voters_received.trim().is_empty()
            || !input.summary.trim().is_empty()
            || !input.location.trim().is_empty()
            || !input.guests.trim().is_empty()
            || !input.deputy_ids.is_empty();
        if typed {
            set_meta(&self.conn, DRAFT_KEY, &to_json(input))
        } else {
            self.conn
                .execute("DELETE FROM meta WHERE key = ?1", [DRAFT_KEY])?;
            Ok(())
        }
    }

    /// The new-activity form's draft, if one is kept.
    pub fn draft(&self) -> Result<Option<ActivityInput>, Error> {
        Ok(get_meta(&self.conn, DRAFT_KEY)?.and_then(|d| serde_json::from_str(&d).ok()))
    }

    /// Keeps what is typed into form `form` (`opinion`, `consultation`,
    /// `answer:<referral id>`, `referral:<opinion id>` or `feedback:<opinion id>`) as JSON, so closing the app mid-form loses nothing; an
    /// empty `draft` forgets it (after a save). Encrypted like everything in the store.
    pub fn save_form_draft(&self, form: &str, draft: &str) -> Result<(), Error> {
        let key = form_draft_key(form)?;
        if draft.trim().is_empty() {
            self.conn
                .execute("DELETE FROM meta WHERE key = ?1", [key])?;
            Ok(())
        } else {
            set_meta(&self.conn, &key, draft)
        }
    }

    /// The draft kept for form `form`, if any.
    pub fn form_draft(&self, form: &str) -> Result<Option<String>, Error> {
        get_meta(&self.conn, &form_draft_key(form)?)
    }

    /// Runs `write` (a save from form `form`) so that the transaction that saves its record
    /// also forgets the form's draft: a crash after the save never brings the record back
    /// as a draft, and a refused save keeps the draft. `None` writes as `write` alone.
    pub fn saving_form<T>(
        &mut self,
        form: Option<&str>,
        write: impl FnOnce(&mut Store) -> Result<T, Error>,
    ) -> Result<T, Error> {
        self.forget = form.map(form_draft_key).transpose()?;
        let result = write(self);
        self.forget = None;
        result
    }
}
