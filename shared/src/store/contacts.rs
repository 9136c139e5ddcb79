//! Voters' contact details ([`crate::seal`]): sealed into an opinion when it is saved,
//! opened when shown with the key this device holds, erased by destroying the key.
//! Record keys travel with sync (docs/PROTOCOL.md, "Record keys"); a key made or erased
//! here stays `pending` until a response acknowledges it.

use super::*;
use crate::protocol::{KeyAck, MAX_KEYS_PER_MESSAGE, WireKey};
use crate::seal::{self, KEY_BYTES};

/// What saving an opinion does with record keys, in the save's transaction.
#[derive(Default)]
pub(super) struct Sealing {
    /// A key made for this save: (key id, document, key).
    new_key: Option<(String, String, [u8; KEY_BYTES])>,
    /// A key erased by this save (its details were removed): (key id, document).
    erase: Option<(String, String)>,
}

impl Sealing {
    pub(super) fn keep(self, tx: &Transaction<'_>) -> Result<(), Error> {
        if let Some((key_id, doc_id, key)) = self.new_key {
            tx.execute(
                "INSERT INTO record_keys (key_id, doc_id, key, pending) VALUES (?1, ?2, ?3, 1)",
                params![key_id, doc_id, &key[..]],
            )?;
        }
        if let Some((key_id, doc_id)) = self.erase {
            erase_key(tx, &key_id, &doc_id, true)?;
        }
        Ok(())
    }
}

/// Seals `o`'s details ([`seal::seal_opinion`]); a new key is kept with the save.
pub(super) fn seal_new(
    o: &mut Opinion,
    key: Option<(String, [u8; KEY_BYTES])>,
    doc_id: &str,
) -> Sealing {
    Sealing {
        new_key: seal::seal_opinion(o, key)
            .filter(|(_, _, fresh)| *fresh)
            .map(|(key_id, key, _)| (key_id, doc_id.to_owned(), key)),
        erase: None,
    }
}

/// Marks `key_id` erased: the key is overwritten (the store runs with `secure_delete`)
/// and, when `pending`, the erasure waits to be sent.
pub(super) fn erase_key(
    tx: &Connection,
    key_id: &str,
    doc_id: &str,
    pending: bool,
) -> Result<(), Error> {
    tx.execute(
        "INSERT INTO record_keys (key_id, doc_id, key, pending) VALUES (?1, ?2, NULL, ?3)
         ON CONFLICT (key_id) DO UPDATE SET key = NULL, pending = excluded.pending",
        params![key_id, doc_id, pending],
    )?;
    Ok(())
}

/// Takes erased keys' old pages out of the write-ahead log, so that the files keep no
/// copy of them (the main file's were zeroed by `secure_delete`); for the device's store
/// and the server's database alike. Best effort, after the erasure is committed: a busy
/// log (a backup reading it) is logged, and the next erasure's checkpoint takes those
/// pages.
pub fn forget_erased_pages(conn: &Connection) {
    let busy: rusqlite::Result<i64> =
        conn.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |r| r.get(0));
    if !matches!(busy, Ok(0)) {
        tracing::warn!("an erased key's log pages wait for the next checkpoint");
    }
}

impl Store {
    /// The sealing for an edit of `stored` into `o` (name and phone as typed): unchanged
    /// details keep what is stored; removed ones erase the key; changed ones are sealed
    /// again, under the same key while this device holds it.
    pub(super) fn seal_edited(
        &self,
        o: &mut Opinion,
        stored: &Opinion,
        doc_id: &str,
    ) -> Result<Sealing, Error> {
        let shown = match self.voter_contact(&o.id)? {
            VoterContact::Shown { name, phone } => (name, phone),
            _ => (String::new(), String::new()),
        };
        if (o.voter_name.as_str(), o.voter_phone.as_str()) == (&shown.0, &shown.1) {
            o.voter_name.clone_from(&stored.voter_name);
            o.voter_phone.clone_from(&stored.voter_phone);
            o.contact.clone_from(&stored.contact);
            return Ok(Sealing::default());
        }
        let old_key = stored.contact.as_deref().and_then(seal::key_id_of);
        if o.voter_name.is_empty() && o.voter_phone.is_empty() {
            o.contact = None;
            return Ok(Sealing {
                new_key: None,
                erase: old_key.map(|id| (id.to_owned(), doc_id.to_owned())),
            });
        }
        let held = match old_key {
            Some(id) => self.key(id)?.map(|k| (id.to_owned(), k)),
            None => None,
        };
        Ok(seal_new(o, held, doc_id))
    }

    /// The key `key_id` if this device holds it (not erased, arrived).
    fn key(&self, key_id: &str) -> Result<Option<[u8; KEY_BYTES]>, Error> {
        Ok(self
            .key_row(key_id)?
            .flatten()
            .and_then(|k| k.try_into().ok()))
    }

    /// `key_id`'s row: `None` when unknown here (not arrived), `Some(None)` erased.
    fn key_row(&self, key_id: &str) -> Result<Option<Option<Vec<u8>>>, Error> {
        Ok(self
            .conn
            .query_row(
                "SELECT key FROM record_keys WHERE key_id = ?1",
                [key_id],
                |r| r.get(0),
            )
            .optional()?)
    }

    /// What this device can show of opinion `id`'s voter details.
    pub fn voter_contact(&self, id: &str) -> Result<VoterContact, Error> {
        let o = self.opinion_record(id)?;
        if let Some(sealed) = &o.contact {
            let Some(key_id) = seal::key_id_of(sealed) else {
                return Ok(VoterContact::Waiting);
            };
            return Ok(match self.key_row(key_id)? {
                None => VoterContact::Waiting,
                Some(None) => VoterContact::Erased,
                Some(Some(key)) => match seal::open(&key, sealed) {
                    Some(c) => VoterContact::Shown {
                        name: c.name,
                        phone: c.phone,
                    },
                    None => VoterContact::Waiting,
                },
            });
        }
        // Written in the clear by a build before sealing.
        if !o.voter_name.is_empty() || !o.voter_phone.is_empty() {
            return Ok(VoterContact::Shown {
                name: o.voter_name,
                phone: o.voter_phone,
            });
        }
        Ok(VoterContact::None)
    }

    /// Withdraws the voter's consent on their behalf: the key of the details is erased
    /// here at once and on the server and every device with the next syncs. Details
    /// written in the clear by an older build are cleared from the record (its history
    /// keeps them: see ARCHITECTURE.md, "Personal data").
    pub fn withdraw_consent(&mut self, id: &str) -> Result<(), Error> {
        let mut o = self.opinion_record(id)?;
        let doc_id = write::doc_of(&self.conn, &o.record_key())?.ok_or(Error::NotFound)?;
        check_write_access(&self.conn, &doc_id)?;
        let key_id = o
            .contact
            .as_deref()
            .and_then(seal::key_id_of)
            .map(str::to_owned);
        let legacy = !o.voter_name.is_empty() || !o.voter_phone.is_empty();
        if legacy {
            o.voter_name.clear();
            o.voter_phone.clear();
            o.consent = false;
        }
        self.save_with(&o, |tx| match &key_id {
            Some(key_id) => erase_key(tx, key_id, &doc_id, true),
            None => Ok(()),
        })?;
        forget_erased_pages(&self.conn);
        Ok(())
    }

    /// The key cursor, and the keys and erasures to send (the documents set aside
    /// excepted: their records did not reach the server).
    pub(super) fn keys_to_send(&self) -> Result<(u64, Vec<WireKey>), Error> {
        let cursor = get_meta(&self.conn, "key_cursor")?
            .and_then(|c| c.parse().ok())
            .unwrap_or(0);
        let keys = self.query(
            &format!(
                "SELECT key_id, doc_id, key FROM record_keys
                 WHERE pending = 1 AND (key IS NULL OR doc_id NOT IN
                     (SELECT doc_id FROM outbox WHERE refused IS NOT NULL))
                 ORDER BY rowid LIMIT {MAX_KEYS_PER_MESSAGE}"
            ),
            [],
            |r| {
                Ok(WireKey {
                    key_id: r.get(0)?,
                    doc_id: r.get(1)?,
                    key: r.get(2)?,
                })
            },
        )?;
        Ok((cursor, keys))
    }
}

/// Applies the key part of a sync response in its transaction: what the server
/// acknowledged is no longer pending, keys received are kept, erasures erase. Returns
/// whether any key was erased (the caller then forgets the erased pages).
pub(super) fn apply_keys(
    tx: &Connection,
    acknowledged: &[KeyAck],
    keys: &[WireKey],
    cursor: u64,
) -> Result<bool, Error> {
    let before: u64 = get_meta(tx, "key_cursor")?
        .and_then(|c| c.parse().ok())
        .unwrap_or(0);
    if cursor < before {
        // The server went back (restored from a backup): it may have lost keys and
        // erasures this device gave it. Send them all again; it takes each once.
        tx.execute("UPDATE record_keys SET pending = 1 WHERE pending = 0", [])?;
    }
    for ack in acknowledged {
        tx.execute(
            "UPDATE record_keys SET pending = 0
             WHERE key_id = ?1 AND pending = 1 AND (key IS NULL) = ?2",
            params![ack.key_id, ack.erased],
        )?;
    }
    let mut erased = false;
    for k in keys {
        if !seal::is_key_id(&k.key_id) {
            continue;
        }
        match &k.key {
            // An erased or already held key id never takes a key again.
            Some(key) if key.len() == KEY_BYTES => {
                tx.execute(
                    "INSERT OR IGNORE INTO record_keys (key_id, doc_id, key, pending)
                     VALUES (?1, ?2, ?3, 0)",
                    params![k.key_id, k.doc_id, key],
                )?;
            }
            Some(_) => {}
            None => {
                erase_key(tx, &k.key_id, &k.doc_id, false)?;
                erased = true;
            }
        }
    }
    set_meta(tx, "key_cursor", &cursor.to_string())?;
    Ok(erased)
}
