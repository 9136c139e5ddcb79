//! The device's local store: one SQLite file holding the Automerge documents, the
//! projection tables the UI lists from, and the outbox of changes the server has not
//! acknowledged.
//!
//! Every write is one SQLite transaction that updates the document, the projection rows
//! and the outbox together, so a crash leaves either all of it or none. The outbox row of
//! a change is deleted only when a server response acknowledges that change. The UI never
//! loads a document to list or count: it reads the projection tables. Documents are
//! buckets of records (see [`crate::doc`]); each projection row says which bucket holds
//! its record (`doc_id`).

use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::Path;

use automerge::{ActorId, AutoCommit, Change};
use chrono::NaiveDate;
use rusqlite::{Connection, OptionalExtension, Transaction, params};
use rusqlite_migration::{M, Migrations};
use serde::{Deserialize, Serialize};

use crate::Error;
use crate::doc::{self, AnyRecord, DocId, Record};
use crate::key::StoreKey;
use crate::model::*;
use crate::protocol::{MAX_PHOTO_BYTES, SyncRequest, SyncResponse, WireChange, content_hash};

/// Append-only: never edit a migration that has shipped; add a new one.
const MIGRATIONS: &[M<'static>] = &[
    M::up(
        "CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
     CREATE TABLE documents (
         id TEXT PRIMARY KEY,
         kind TEXT NOT NULL,
         bytes BLOB NOT NULL
     );
     CREATE TABLE outbox (
         doc_id TEXT NOT NULL,
         hash TEXT NOT NULL,
         kind TEXT NOT NULL,
         bytes BLOB NOT NULL,
         PRIMARY KEY (doc_id, hash)
     );
     CREATE TABLE stations (
         id TEXT PRIMARY KEY,
         name TEXT NOT NULL,
         kind TEXT NOT NULL,
         subdistrict_id TEXT NOT NULL
     );
     CREATE TABLE deputies (
         id TEXT PRIMARY KEY,
         name TEXT NOT NULL,
         levels TEXT NOT NULL,
         station_id TEXT NOT NULL
     );
     CREATE INDEX deputies_station ON deputies(station_id);
     CREATE TABLE meetings (
         id TEXT PRIMARY KEY,
         station_id TEXT NOT NULL,
         date TEXT NOT NULL,
         deputy_ids TEXT NOT NULL,
         voters_received INTEGER NOT NULL,
         summary TEXT NOT NULL
     );
     -- Ends in the rowid, so it serves ORDER BY date DESC, rowid DESC without sorting.
     CREATE INDEX meetings_date ON meetings(date);",
    ),
    // Changes received before the changes they depend on; applied when those arrive.
    M::up(
        "CREATE TABLE waiting_changes (
             doc_id TEXT NOT NULL,
             hash TEXT NOT NULL,
             bytes BLOB NOT NULL,
             PRIMARY KEY (doc_id, hash)
         );",
    ),
    // Documents are stored as a saved document plus appended changes.
    M::up("ALTER TABLE documents ADD COLUMN tail_changes INTEGER NOT NULL DEFAULT 0;"),
    // Schema 2: documents are buckets of records (doc.rs). The v1 `meetings` table stays
    // unused; `stations` and `deputies` keep their columns.
    M::up(
        "CREATE TABLE record_index (key TEXT PRIMARY KEY, doc_id TEXT NOT NULL);
         ALTER TABLE outbox ADD COLUMN record_key TEXT;
         CREATE INDEX outbox_record ON outbox(record_key);
         CREATE TABLE subdistricts (id TEXT PRIMARY KEY, name TEXT NOT NULL, kind TEXT NOT NULL);
         CREATE TABLE station_staff (
             id TEXT PRIMARY KEY, station_id TEXT NOT NULL, name TEXT NOT NULL,
             post TEXT NOT NULL);
         CREATE TABLE departments (id TEXT PRIMARY KEY, name TEXT NOT NULL);
         CREATE TABLE campaigns (
             id TEXT PRIMARY KEY, name TEXT NOT NULL, activity_kind TEXT NOT NULL,
             starts TEXT NOT NULL, ends TEXT NOT NULL, station_ids TEXT NOT NULL);
         CREATE TABLE drafts (
             id TEXT PRIMARY KEY, title TEXT NOT NULL, opens TEXT NOT NULL,
             closes TEXT NOT NULL, articles TEXT NOT NULL);
         CREATE TABLE activities (
             id TEXT PRIMARY KEY, kind TEXT NOT NULL, station_id TEXT NOT NULL,
             date TEXT NOT NULL, deputy_ids TEXT NOT NULL, guests TEXT NOT NULL,
             voters_received INTEGER NOT NULL, online INTEGER NOT NULL,
             location TEXT NOT NULL, summary TEXT NOT NULL, photos TEXT NOT NULL,
             campaign_id TEXT, draft_id TEXT, attendances INTEGER NOT NULL);
         -- Each ends in the rowid, so it serves ORDER BY date DESC, rowid DESC unsorted.
         CREATE INDEX activities_date ON activities(date);
         CREATE INDEX activities_station_date ON activities(station_id, date);
         CREATE INDEX activities_kind_date ON activities(kind, date);
         CREATE INDEX activities_campaign ON activities(campaign_id)
             WHERE campaign_id IS NOT NULL;
         CREATE TABLE opinions (
             id TEXT PRIMARY KEY, station_id TEXT NOT NULL, date TEXT NOT NULL,
             categories TEXT NOT NULL, content TEXT NOT NULL, voter_name TEXT NOT NULL,
             voter_phone TEXT NOT NULL, consent INTEGER NOT NULL, received_by TEXT,
             activity_id TEXT, draft_id TEXT, article_id TEXT, feedback_date TEXT,
             feedback TEXT NOT NULL, satisfaction TEXT);
         CREATE INDEX opinions_date ON opinions(date);
         CREATE INDEX opinions_station_date ON opinions(station_id, date);
         CREATE INDEX opinions_activity ON opinions(activity_id) WHERE activity_id IS NOT NULL;
         CREATE INDEX opinions_article ON opinions(draft_id, article_id)
             WHERE draft_id IS NOT NULL;
         CREATE TABLE referrals (
             id TEXT PRIMARY KEY, opinion_id TEXT NOT NULL, station_id TEXT NOT NULL,
             department_id TEXT NOT NULL, referred_on TEXT NOT NULL, deadline TEXT NOT NULL,
             categories TEXT NOT NULL, content TEXT NOT NULL, note TEXT NOT NULL);
         CREATE INDEX referrals_opinion ON referrals(opinion_id);
         CREATE INDEX referrals_department ON referrals(department_id, deadline);
         CREATE TABLE answers (
             id TEXT PRIMARY KEY, referral_id TEXT NOT NULL, opinion_id TEXT NOT NULL,
             station_id TEXT NOT NULL, department_id TEXT NOT NULL, status TEXT NOT NULL,
             date TEXT NOT NULL, text TEXT NOT NULL);
         CREATE INDEX answers_referral ON answers(referral_id);
         CREATE INDEX answers_opinion ON answers(opinion_id);
         CREATE TABLE suggestions (
             id TEXT PRIMARY KEY, station_id TEXT NOT NULL, date TEXT NOT NULL,
             title TEXT NOT NULL, content TEXT NOT NULL, deputy_ids TEXT NOT NULL,
             opinion_ids TEXT NOT NULL, department_id TEXT, supervised INTEGER NOT NULL);
         CREATE INDEX suggestions_date ON suggestions(date);
         CREATE TABLE leads (
             id TEXT PRIMARY KEY, station_id TEXT NOT NULL, date TEXT NOT NULL,
             title TEXT NOT NULL, content TEXT NOT NULL, opinion_ids TEXT NOT NULL);
         CREATE INDEX leads_date ON leads(date);",
    ),
    // The index is looked up by key only: one b-tree instead of a table and its index.
    M::up(
        "CREATE TABLE record_index_new (key TEXT PRIMARY KEY, doc_id TEXT NOT NULL)
             WITHOUT ROWID;
         INSERT INTO record_index_new SELECT key, doc_id FROM record_index;
         DROP TABLE record_index;
         ALTER TABLE record_index_new RENAME TO record_index;",
    ),
    // Which document holds a record moves into the record's own projection row: one
    // b-tree write per received record instead of two (~10% of apply + project).
    M::up(
        "
         ALTER TABLE activities ADD COLUMN doc_id TEXT;
         ALTER TABLE opinions ADD COLUMN doc_id TEXT;
         ALTER TABLE suggestions ADD COLUMN doc_id TEXT;
         ALTER TABLE leads ADD COLUMN doc_id TEXT;
         ALTER TABLE referrals ADD COLUMN doc_id TEXT;
         ALTER TABLE answers ADD COLUMN doc_id TEXT;
         ALTER TABLE subdistricts ADD COLUMN doc_id TEXT;
         ALTER TABLE departments ADD COLUMN doc_id TEXT;
         ALTER TABLE campaigns ADD COLUMN doc_id TEXT;
         ALTER TABLE stations ADD COLUMN doc_id TEXT;
         ALTER TABLE station_staff ADD COLUMN doc_id TEXT;
         ALTER TABLE deputies ADD COLUMN doc_id TEXT;
         ALTER TABLE drafts ADD COLUMN doc_id TEXT;
         UPDATE activities SET doc_id = (SELECT doc_id FROM record_index WHERE key = 'activity:' || activities.id);
         UPDATE opinions SET doc_id = (SELECT doc_id FROM record_index WHERE key = 'opinion:' || opinions.id);
         UPDATE suggestions SET doc_id = (SELECT doc_id FROM record_index WHERE key = 'suggestion:' || suggestions.id);
         UPDATE leads SET doc_id = (SELECT doc_id FROM record_index WHERE key = 'lead:' || leads.id);
         UPDATE referrals SET doc_id = (SELECT doc_id FROM record_index WHERE key = 'referral:' || referrals.id);
         UPDATE answers SET doc_id = (SELECT doc_id FROM record_index WHERE key = 'answer:' || answers.id);
         UPDATE subdistricts SET doc_id = (SELECT doc_id FROM record_index WHERE key = 'subdistrict:' || subdistricts.id);
         UPDATE departments SET doc_id = (SELECT doc_id FROM record_index WHERE key = 'department:' || departments.id);
         UPDATE campaigns SET doc_id = (SELECT doc_id FROM record_index WHERE key = 'campaign:' || campaigns.id);
         UPDATE stations SET doc_id = (SELECT doc_id FROM record_index WHERE key = 'station:' || stations.id);
         UPDATE station_staff SET doc_id = (SELECT doc_id FROM record_index WHERE key = 'staff:' || station_staff.id);
         UPDATE deputies SET doc_id = (SELECT doc_id FROM record_index WHERE key = 'deputy:' || deputies.id);
         UPDATE drafts SET doc_id = (SELECT doc_id FROM record_index WHERE key = 'draft:' || drafts.id);
         DROP TABLE record_index;",
    ),
    // Changes the server refused for their document (outside the account's scope,
    // read-only, a reused sequence number): kept, but not sent again until the next
    // sign-in. The reason is the server's error code.
    M::up("ALTER TABLE outbox ADD COLUMN refused TEXT;"),
    // Photos, by content hash, per document that refers to them (the server checks
    // uploads and downloads against that document's scope). `data` is NULL until a photo
    // taken elsewhere is downloaded; `photo_parts` holds a download in progress.
    M::up(
        "CREATE TABLE photos (
             hash TEXT NOT NULL,
             doc_id TEXT NOT NULL,
             size INTEGER NOT NULL,
             data BLOB,
             uploaded INTEGER NOT NULL DEFAULT 0,
             PRIMARY KEY (hash, doc_id)
         );
         CREATE TABLE photo_parts (
             hash TEXT NOT NULL,
             offset INTEGER NOT NULL,
             data BLOB NOT NULL,
             PRIMARY KEY (hash, offset)
         ) WITHOUT ROWID;",
    ),
];

/// The most changes one sync request carries.
pub const MAX_CHANGES_PER_REQUEST: usize = 1000;
/// About the most change bytes one sync request carries (base64 in JSON makes this
/// ~5.4 MiB on the wire, well under the server's 16 MiB limit).
pub const MAX_REQUEST_CHANGE_BYTES: usize = 4 * 1024 * 1024;

/// Where the new-activity form's draft is kept (in the encrypted store, like records).
const DRAFT_KEY: &str = "draft.activity";

/// A device's store. One writer: the app holds it behind a mutex.
pub struct Store {
    conn: Connection,
    actor: ActorId,
    /// Documents as last committed, so a write or a merge does not reload its document
    /// from bytes. An entry is taken out while a transaction uses it and put back only
    /// after the commit, so it never holds what a failed transaction wrote.
    cache: HashMap<String, StoredDoc>,
}

/// How many documents the cache holds before it is emptied (a month's document is a few
/// kilobytes to a few hundred).
const CACHED_DOCS: usize = 256;

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store").field("actor", &self.actor).finish()
    }
}

impl Store {
    /// Opens (creating if needed) the encrypted store at `path` with `key` and brings its
    /// schema up to date. A wrong key is [`Error::WrongKey`], and changes nothing.
    pub fn open(path: &Path, key: &StoreKey) -> Result<Store, Error> {
        let mut conn = {
            // SQLCipher sets up its crypto provider on first use, and two threads doing
            // that at once can fail ("An error occurred with PRAGMA key"): key one
            // connection at a time. Opening is rare; this costs nothing that matters.
            static KEYING: std::sync::Mutex<()> = std::sync::Mutex::new(());
            let _one_at_a_time = KEYING.lock().unwrap_or_else(|p| p.into_inner());
            let conn = Connection::open(path)?;
            // A raw 256-bit key, set before anything reads the file.
            conn.execute_batch(&format!("PRAGMA key = \"x'{}'\";", key.to_hex()))?;
            if let Err(e) = conn.query_row("SELECT count(*) FROM sqlite_master", [], |_| Ok(())) {
                return match e.sqlite_error_code() {
                    Some(rusqlite::ErrorCode::NotADatabase) => Err(Error::WrongKey),
                    _ => Err(e.into()),
                };
            }
            conn
        };
        conn.pragma_update(None, "journal_mode", "WAL")?;
        conn.pragma_update(None, "synchronous", "FULL")?;
        conn.pragma_update(None, "foreign_keys", "ON")?;
        Migrations::from_slice(MIGRATIONS).to_latest(&mut conn)?;
        let actor = match get_meta(&conn, "actor")? {
            Some(hex) => ActorId::try_from(hex.as_str())
                .map_err(|_| Error::Corrupt("bad actor id".into()))?,
            None => {
                let actor = ActorId::random();
                set_meta(&conn, "actor", &actor.to_hex_string())?;
                actor
            }
        };
        Ok(Store {
            conn,
            actor,
            cache: HashMap::new(),
        })
    }

    /// This device's id: its Automerge actor, in hex.
    pub fn device_id(&self) -> String {
        self.actor.to_hex_string()
    }

    /// Writes `record` in one transaction (document, projection, index, outbox; and
    /// deletes the meta entry `clear`, e.g. the form's draft), then caches its document.
    fn save<R: Record + Into<AnyRecord>>(
        &mut self,
        record: &R,
        home: Option<DocId>,
        clear: Option<&str>,
    ) -> Result<(), Error> {
        let tx = self.conn.transaction()?;
        let written = write_record(&tx, &self.actor, &mut self.cache, record, home)?;
        if let Some(key) = clear {
            tx.execute("DELETE FROM meta WHERE key = ?1", [key])?;
        }
        tx.commit()?;
        if let Some((doc_id, stored)) = written {
            cache_put(&mut self.cache, doc_id, stored);
        }
        Ok(())
    }

    // -- Reference data ------------------------------------------------------------------

    /// Stations known to this device, by name.
    pub fn stations(&self) -> Result<Vec<Station>, Error> {
        self.query(
            "SELECT id, name, kind, subdistrict_id FROM stations ORDER BY name",
            [],
            |r| {
                Ok(Station {
                    id: r.get(0)?,
                    name: r.get(1)?,
                    kind: enum_from(&r.get::<_, String>(2)?)?,
                    subdistrict_id: r.get(3)?,
                })
            },
        )
    }

    /// The stations the signed-in account records for (its station, or its street's or
    /// town's): what the forms offer. Every station without a session.
    pub fn writable_stations(&self) -> Result<Vec<Station>, Error> {
        let Some(session) = self.session()? else {
            return self.stations();
        };
        let stations = self.stations()?;
        let subdistricts: HashMap<String, String> = stations
            .iter()
            .map(|s| (s.id.clone(), s.subdistrict_id.clone()))
            .collect();
        Ok(stations
            .into_iter()
            .filter(|s| {
                let month = DocId::Station {
                    station: s.id.clone(),
                    year: 2000,
                    month: 1,
                };
                crate::access::access(&session.account, &month, |id| subdistricts.get(id).cloned())
                    == Access::Write
            })
            .collect())
    }

    // -- Settings -------------------------------------------------------------------------

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

    // -- Home -----------------------------------------------------------------------------

    /// What the signed-in account should do now (see [`Home`]), as of `today`.
    pub fn home(&self, today: NaiveDate) -> Result<Home, Error> {
        use chrono::Datelike as _;
        let month_start = today.with_day(1).unwrap_or(today);
        let quarter_start =
            NaiveDate::from_ymd_opt(today.year(), (today.month0() / 3) * 3 + 1, 1).unwrap_or(today);
        let year_start = NaiveDate::from_ymd_opt(today.year(), 1, 1).unwrap_or(today);
        let own_deputy = self.session()?.and_then(|s| s.account.deputy_id);
        let mut rhythm = Vec::new();
        for station in self.writable_stations()? {
            for deputy in self.deputies(&station.id)? {
                let attended = |kinds: &[ActivityKind], since: NaiveDate| -> Result<bool, Error> {
                    let kinds: Vec<String> = kinds.iter().map(|k| enum_str(*k)).collect();
                    Ok(self.conn.query_row(
                        "SELECT EXISTS (SELECT 1 FROM activities
                          WHERE date >= ?1 AND date <= ?2
                            AND instr(deputy_ids, '\"' || ?3 || '\"') > 0
                            AND kind IN (SELECT value FROM json_each(?4)))",
                        params![since, today, deputy.id, to_json(&kinds)],
                        |r| r.get(0),
                    )?)
                };
                use ActivityKind::*;
                rhythm.push(DeputyRhythm {
                    month: attended(
                        &[
                            VoterMeeting,
                            ReceptionDay,
                            BureauVisit,
                            ProsecutorVisit,
                            LegislativeConsultation,
                        ],
                        month_start,
                    )?,
                    quarter: attended(&[HomeListening], quarter_start)?,
                    year: attended(&[DutyReport], year_start)?,
                    deputy_id: deputy.id,
                    name: deputy.name,
                    station_name: station.name.clone(),
                });
            }
        }
        // The deputy's own line first.
        rhythm.sort_by_key(|r| Some(&r.deputy_id) != own_deputy.as_ref());
        let opinions = self.list_opinions(&OpinionFilter::default(), today)?;
        let count =
            |f: &dyn Fn(&OpinionSummary) -> bool| opinions.iter().filter(|o| f(o)).count() as u64;
        Ok(Home {
            rhythm,
            to_refer: count(&|o| o.status == OpinionStatus::Recorded),
            to_feed_back: count(&|o| o.status == OpinionStatus::Answered),
            overdue: count(&|o| o.overdue),
            pending_records: self.pending_records()?,
            recent: self.list_activities(&ActivityFilter {
                limit: Some(5),
                ..ActivityFilter::default()
            })?,
        })
    }

    // -- Photos ---------------------------------------------------------------------------

    /// Keeps a photo just chosen (JPEG, PNG, WebP or HEIC, at most [`MAX_PHOTO_BYTES`]),
    /// refused before anything is stored otherwise, and returns its content hash for a
    /// form to put in the record's `photos` (a form's draft keeps it too). Saving the
    /// record links the photo to the record's document, and the next sync uploads it.
    pub fn stage_photo(&self, bytes: &[u8]) -> Result<String, Error> {
        let problem = if bytes.is_empty() {
            Some(Problem::Required)
        } else if bytes.len() as u64 > MAX_PHOTO_BYTES {
            Some(Problem::TooLarge)
        } else if !is_image(bytes) {
            Some(Problem::Unknown)
        } else {
            None
        };
        if let Some(problem) = problem {
            return Err(Error::Invalid(vec![FieldError::new(
                Field::Photos,
                problem,
            )]));
        }
        let hash = content_hash(bytes);
        self.conn.execute(
            "INSERT OR IGNORE INTO photos (hash, doc_id, size, data, uploaded)
             VALUES (?1, '', ?2, ?3, 0)",
            params![hash, bytes.len() as i64, bytes],
        )?;
        Ok(hash)
    }

    /// Attaches a photo to the saved activity `activity_id` (checked as
    /// [`Store::stage_photo`] checks it) and returns its hash. Attaching the same photo
    /// again changes nothing.
    pub fn add_photo(&mut self, activity_id: &str, bytes: &[u8]) -> Result<String, Error> {
        let mut activity = self.activity_record(activity_id)?;
        let hash = self.stage_photo(bytes)?;
        if !activity.photos.contains(&hash) {
            activity.photos.push(hash.clone());
            self.save(&activity, None, None)?;
        }
        Ok(hash)
    }

    /// A photo's bytes, if this device has them (taken here, or downloaded).
    pub fn photo(&self, hash: &str) -> Result<Option<Vec<u8>>, Error> {
        Ok(self
            .conn
            .query_row(
                "SELECT data FROM photos WHERE hash = ?1 AND data IS NOT NULL LIMIT 1",
                [hash],
                |r| r.get(0),
            )
            .optional()?)
    }

    /// Photos taken on this device that the server does not have yet, oldest first.
    pub fn pending_uploads(&self) -> Result<Vec<PendingUpload>, Error> {
        self.query(
            "SELECT hash, doc_id, size FROM photos
             WHERE uploaded = 0 AND data IS NOT NULL AND doc_id != ''
             ORDER BY rowid",
            [],
            |r| {
                Ok(PendingUpload {
                    hash: r.get(0)?,
                    doc_id: r.get(1)?,
                    size: r.get::<_, i64>(2)?.unsigned_abs(),
                })
            },
        )
    }

    /// `len` bytes of photo `hash` from `offset`, to upload.
    pub fn photo_chunk(&self, hash: &str, offset: u64, len: u64) -> Result<Vec<u8>, Error> {
        Ok(self.conn.query_row(
            "SELECT substr(data, ?2, ?3) FROM photos WHERE hash = ?1 AND data IS NOT NULL LIMIT 1",
            params![hash, offset as i64 + 1, len as i64],
            |r| r.get(0),
        )?)
    }

    /// The server has photo `hash` for `doc_id`: it need not be sent again.
    pub fn mark_uploaded(&self, hash: &str, doc_id: &str) -> Result<(), Error> {
        self.conn.execute(
            "UPDATE photos SET uploaded = 1 WHERE hash = ?1 AND doc_id = ?2",
            params![hash, doc_id],
        )?;
        Ok(())
    }

    /// The document through which this device may download photo `hash` of activity
    /// `activity_id` (the activity must refer to it), and how many of its bytes have
    /// arrived in an interrupted download.
    pub fn photo_download(&self, activity_id: &str, hash: &str) -> Result<(String, u64), Error> {
        let activity = self.activity_record(activity_id)?;
        if !activity.photos.iter().any(|p| p == hash) {
            return Err(Error::NotFound);
        }
        let doc_id: String = self.conn.query_row(
            "SELECT doc_id FROM activities WHERE id = ?1",
            [activity_id],
            |r| r.get(0),
        )?;
        let have: i64 = self.conn.query_row(
            "SELECT COALESCE(SUM(length(data)), 0) FROM photo_parts WHERE hash = ?1",
            [hash],
            |r| r.get(0),
        )?;
        Ok((doc_id, have.unsigned_abs()))
    }

    /// Keeps one downloaded chunk of photo `hash` (starting at `offset`); once `size`
    /// bytes are there and they match the hash, the photo is complete. A download that
    /// does not match is discarded, to be fetched again.
    pub fn save_photo_part(
        &self,
        hash: &str,
        doc_id: &str,
        offset: u64,
        data: &[u8],
        size: u64,
    ) -> Result<bool, Error> {
        let tx = self.conn.unchecked_transaction()?;
        tx.execute(
            "INSERT OR REPLACE INTO photo_parts (hash, offset, data) VALUES (?1, ?2, ?3)",
            params![hash, offset as i64, data],
        )?;
        let have: i64 = tx.query_row(
            "SELECT COALESCE(SUM(length(data)), 0) FROM photo_parts WHERE hash = ?1",
            [hash],
            |r| r.get(0),
        )?;
        if have.unsigned_abs() < size {
            tx.commit()?;
            return Ok(false);
        }
        let mut file = Vec::with_capacity(usize::try_from(size).unwrap_or(0));
        {
            let mut q =
                tx.prepare("SELECT data FROM photo_parts WHERE hash = ?1 ORDER BY offset")?;
            let mut rows = q.query([hash])?;
            while let Some(row) = rows.next()? {
                file.extend_from_slice(row.get_ref(0)?.as_blob().unwrap_or_default());
            }
        }
        tx.execute("DELETE FROM photo_parts WHERE hash = ?1", [hash])?;
        if content_hash(&file) != hash {
            tx.commit()?;
            return Err(Error::Protocol(format!(
                "photo {hash} does not match its hash"
            )));
        }
        tx.execute(
            "INSERT OR REPLACE INTO photos (hash, doc_id, size, data, uploaded)
             VALUES (?1, ?2, ?3, ?4, 1)",
            params![hash, doc_id, file.len() as i64, file],
        )?;
        tx.commit()?;
        Ok(true)
    }

    /// The deputies grouped into `station_id`.
    pub fn deputies(&self, station_id: &str) -> Result<Vec<Deputy>, Error> {
        self.query(
            "SELECT id, name, levels, station_id FROM deputies WHERE station_id = ?1 ORDER BY id",
            [station_id],
            |r| {
                Ok(Deputy {
                    id: r.get(0)?,
                    name: r.get(1)?,
                    levels: from_json(&r.get::<_, String>(2)?)?,
                    station_id: r.get(3)?,
                })
            },
        )
    }

    /// Departments that answer referred opinions, by name.
    pub fn departments(&self) -> Result<Vec<Department>, Error> {
        self.query("SELECT id, name FROM departments ORDER BY name", [], |r| {
            Ok(Department {
                id: r.get(0)?,
                name: r.get(1)?,
            })
        })
    }

    /// Campaigns, newest first.
    pub fn campaigns(&self) -> Result<Vec<Campaign>, Error> {
        self.query(
            "SELECT id, name, activity_kind, starts, ends, station_ids FROM campaigns
             ORDER BY starts DESC",
            [],
            |r| {
                Ok(Campaign {
                    id: r.get(0)?,
                    name: r.get(1)?,
                    activity_kind: enum_from(&r.get::<_, String>(2)?)?,
                    starts: r.get(3)?,
                    ends: r.get(4)?,
                    station_ids: from_json(&r.get::<_, String>(5)?)?,
                })
            },
        )
    }

    /// Draft regulations with their articles, newest first.
    pub fn drafts(&self) -> Result<Vec<DraftRegulation>, Error> {
        self.query(
            "SELECT id, title, opens, closes, articles FROM drafts ORDER BY opens DESC",
            [],
            |r| {
                Ok(DraftRegulation {
                    id: r.get(0)?,
                    title: r.get(1)?,
                    opens: r.get(2)?,
                    closes: r.get(3)?,
                    articles: from_json(&r.get::<_, String>(4)?)?,
                })
            },
        )
    }

    // -- Activities ----------------------------------------------------------------------

    /// Validates `input` and records a new activity; returns its id. The activity form's
    /// draft is cleared in the same transaction.
    pub fn create_activity(
        &mut self,
        input: &ActivityInput,
        today: NaiveDate,
    ) -> Result<String, Error> {
        let mut a = input.validate(today).map_err(Error::Invalid)?;
        self.check_activity(&a)?;
        a.id = new_id();
        let home = DocId::station(&a.station_id, a.date);
        self.save(&a, Some(home), Some(DRAFT_KEY))?;
        Ok(a.id)
    }

    /// Validates `input` and writes it over activity `id`; only changed fields are
    /// recorded. The station cannot change: it decides who may see the record.
    pub fn update_activity(
        &mut self,
        id: &str,
        input: &ActivityInput,
        today: NaiveDate,
    ) -> Result<(), Error> {
        let mut a = input.validate(today).map_err(Error::Invalid)?;
        let stored = self.activity_record(id)?;
        if stored.station_id != a.station_id {
            return Err(Error::Invalid(vec![FieldError::new(
                Field::Station,
                Problem::Locked,
            )]));
        }
        self.check_activity(&a)?;
        a.id = id.to_owned();
        // What this build does not show (photos are added by their own command) is kept.
        self.save(&a, None, None)?;
        Ok(())
    }

    fn check_activity(&self, a: &Activity) -> Result<(), Error> {
        let mut errors = Vec::new();
        self.must_exist(&mut errors, Field::Station, "stations", Some(&a.station_id))?;
        for id in &a.deputy_ids {
            self.must_exist(&mut errors, Field::Deputies, "deputies", Some(id))?;
        }
        self.must_exist(
            &mut errors,
            Field::Campaign,
            "campaigns",
            a.campaign_id.as_deref(),
        )?;
        self.must_exist(&mut errors, Field::Draft, "drafts", a.draft_id.as_deref())?;
        errors.dedup();
        refuse(errors)
    }

    /// One activity as the edit form shows it.
    pub fn activity(&self, id: &str) -> Result<ActivityInput, Error> {
        Ok(ActivityInput::from(&self.activity_record(id)?))
    }

    /// One activity from its projection row.
    pub fn activity_record(&self, id: &str) -> Result<Activity, Error> {
        self.conn
            .query_row(
                "SELECT id, kind, station_id, date, deputy_ids, guests, voters_received, online,
                        location, summary, photos, campaign_id, draft_id
                 FROM activities WHERE id = ?1",
                [id],
                |r| {
                    Ok(Activity {
                        id: r.get(0)?,
                        kind: enum_from(&r.get::<_, String>(1)?)?,
                        station_id: r.get(2)?,
                        date: r.get(3)?,
                        deputy_ids: from_json(&r.get::<_, String>(4)?)?,
                        guests: r.get(5)?,
                        voters_received: r.get(6)?,
                        online: r.get(7)?,
                        location: r.get(8)?,
                        summary: r.get(9)?,
                        photos: from_json(&r.get::<_, String>(10)?)?,
                        campaign_id: r.get(11)?,
                        draft_id: r.get(12)?,
                    })
                },
            )
            .optional()?
            .ok_or(Error::NotFound)
    }

    /// Activities matching `filter`, newest first, from the projection.
    pub fn list_activities(&self, filter: &ActivityFilter) -> Result<Vec<ActivitySummary>, Error> {
        let names = self.names("deputies")?;
        let limit = filter.limit.map_or(-1, i64::from);
        self.query(
            "SELECT a.id, a.kind, a.station_id, COALESCE(s.name, a.station_id), a.date,
                    a.deputy_ids, a.voters_received, a.online, a.summary,
                    EXISTS (SELECT 1 FROM outbox o WHERE o.record_key = 'activity:' || a.id)
             FROM activities a LEFT JOIN stations s ON s.id = a.station_id
             WHERE (?1 IS NULL OR a.kind = ?1) AND (?2 IS NULL OR a.station_id = ?2)
               AND (?3 IS NULL OR a.date >= ?3) AND (?4 IS NULL OR a.date <= ?4)
             ORDER BY a.date DESC, a.rowid DESC LIMIT ?5",
            params![
                filter.kind.map(enum_str),
                filter.station_id,
                filter.from,
                filter.to,
                limit
            ],
            |r| {
                let ids: Vec<String> = from_json(&r.get::<_, String>(5)?)?;
                Ok(ActivitySummary {
                    id: r.get(0)?,
                    kind: enum_from(&r.get::<_, String>(1)?)?,
                    station_id: r.get(2)?,
                    station_name: r.get(3)?,
                    date: r.get(4)?,
                    deputy_names: ids
                        .iter()
                        .map(|id| names.get(id).cloned().unwrap_or_else(|| id.clone()))
                        .collect(),
                    voters_received: r.get(6)?,
                    online: r.get(7)?,
                    summary: r.get(8)?,
                    pending_sync: r.get(9)?,
                })
            },
        )
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

    /// Keeps what is typed into form `form` (`opinion`, `consultation`, or
    /// `answer:<referral id>`) as JSON, so closing the app mid-form loses nothing; an
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

    // -- Opinions and their handling -------------------------------------------------------

    /// Validates `input` and records a new opinion; returns its id.
    pub fn create_opinion(
        &mut self,
        input: &OpinionInput,
        today: NaiveDate,
    ) -> Result<String, Error> {
        let mut o = input.validate(today).map_err(Error::Invalid)?;
        self.check_opinion(&o)?;
        o.id = new_id();
        let home = DocId::station(&o.station_id, o.date);
        self.save(&o, Some(home), None)?;
        Ok(o.id)
    }

    /// Validates `input` and writes it over opinion `id`, keeping its feedback.
    pub fn update_opinion(
        &mut self,
        id: &str,
        input: &OpinionInput,
        today: NaiveDate,
    ) -> Result<(), Error> {
        let new = input.validate(today).map_err(Error::Invalid)?;
        let stored = self.opinion_record(id)?;
        if stored.station_id != new.station_id {
            return Err(Error::Invalid(vec![FieldError::new(
                Field::Station,
                Problem::Locked,
            )]));
        }
        self.check_opinion(&new)?;
        let o = Opinion {
            id: id.to_owned(),
            feedback_date: stored.feedback_date,
            feedback: stored.feedback,
            satisfaction: stored.satisfaction,
            ..new
        };
        self.save(&o, None, None)?;
        Ok(())
    }

    fn check_opinion(&self, o: &Opinion) -> Result<(), Error> {
        let mut errors = Vec::new();
        self.must_exist(&mut errors, Field::Station, "stations", Some(&o.station_id))?;
        self.must_exist(
            &mut errors,
            Field::ReceivedBy,
            "deputies",
            o.received_by.as_deref(),
        )?;
        self.must_exist(
            &mut errors,
            Field::Activity,
            "activities",
            o.activity_id.as_deref(),
        )?;
        self.must_exist(&mut errors, Field::Draft, "drafts", o.draft_id.as_deref())?;
        if let (Some(draft), Some(article)) = (&o.draft_id, &o.article_id) {
            let known = self
                .drafts()?
                .iter()
                .any(|d| &d.id == draft && d.articles.iter().any(|a| &a.id == article));
            if !known {
                errors.push(FieldError::new(Field::Article, Problem::Unknown));
            }
        }
        refuse(errors)
    }

    /// One opinion as the edit form shows it.
    pub fn opinion(&self, id: &str) -> Result<OpinionInput, Error> {
        Ok(OpinionInput::from(&self.opinion_record(id)?))
    }

    /// One opinion from its projection row (with the voter's details, if kept).
    pub fn opinion_record(&self, id: &str) -> Result<Opinion, Error> {
        self.conn
            .query_row(
                "SELECT id, station_id, date, categories, content, voter_name, voter_phone,
                        consent, received_by, activity_id, draft_id, article_id,
                        feedback_date, feedback, satisfaction
                 FROM opinions WHERE id = ?1",
                [id],
                |r| {
                    Ok(Opinion {
                        id: r.get(0)?,
                        station_id: r.get(1)?,
                        date: r.get(2)?,
                        categories: from_json(&r.get::<_, String>(3)?)?,
                        content: r.get(4)?,
                        voter_name: r.get(5)?,
                        voter_phone: r.get(6)?,
                        consent: r.get(7)?,
                        received_by: r.get(8)?,
                        activity_id: r.get(9)?,
                        draft_id: r.get(10)?,
                        article_id: r.get(11)?,
                        feedback_date: r.get(12)?,
                        feedback: r.get(13)?,
                        satisfaction: r
                            .get::<_, Option<String>>(14)?
                            .map(|s| enum_from(&s))
                            .transpose()?,
                    })
                },
            )
            .optional()?
            .ok_or(Error::NotFound)
    }

    /// Opinions matching `filter`, newest first, each with its derived status. `today`
    /// decides what is overdue.
    pub fn list_opinions(
        &self,
        filter: &OpinionFilter,
        today: NaiveDate,
    ) -> Result<Vec<OpinionSummary>, Error> {
        let limit = filter.limit.map_or(-1, i64::from);
        self.query(
            "WITH r AS (
                 -- The latest referral of each opinion (SQLite takes the bare columns
                 -- from the row holding the MAX).
                 SELECT opinion_id, id AS referral_id, department_id, deadline,
                        MAX(referred_on || id)
                 FROM referrals GROUP BY opinion_id),
             a AS (
                 -- The latest answer to each referral.
                 SELECT referral_id, status, MAX(date || id) FROM answers GROUP BY referral_id),
             v AS (
                 SELECT o.rowid AS rid, o.*, r.department_id AS dept, r.deadline AS deadline,
                        CASE WHEN o.feedback_date IS NOT NULL THEN 'fed_back'
                             WHEN a.status = 'answered' THEN 'answered'
                             WHEN a.referral_id IS NOT NULL THEN 'in_progress'
                             WHEN r.opinion_id IS NOT NULL THEN 'referred'
                             ELSE 'recorded' END AS status
                 FROM opinions o LEFT JOIN r ON r.opinion_id = o.id
                      LEFT JOIN a ON a.referral_id = r.referral_id)
             SELECT v.id, v.station_id, COALESCE(s.name, v.station_id), v.date, v.categories,
                    v.content, v.status, d.name, v.deadline,
                    v.status IN ('referred', 'in_progress') AND v.deadline < ?1,
                    v.satisfaction,
                    EXISTS (SELECT 1 FROM outbox o WHERE o.record_key = 'opinion:' || v.id)
             FROM v LEFT JOIN stations s ON s.id = v.station_id
                    LEFT JOIN departments d ON d.id = v.dept
             WHERE (?2 IS NULL OR v.station_id = ?2) AND (?3 IS NULL OR v.status = ?3)
               AND (?4 IS NULL OR v.dept = ?4) AND (?5 IS NULL OR v.draft_id = ?5)
               AND (NOT ?6 OR (v.status IN ('referred', 'in_progress') AND v.deadline < ?1))
             ORDER BY v.date DESC, v.rid DESC LIMIT ?7",
            params![
                today,
                filter.station_id,
                filter.status.map(enum_str),
                filter.department_id,
                filter.draft_id,
                filter.overdue_only,
                limit
            ],
            |r| {
                Ok(OpinionSummary {
                    id: r.get(0)?,
                    station_id: r.get(1)?,
                    station_name: r.get(2)?,
                    date: r.get(3)?,
                    categories: from_json(&r.get::<_, String>(4)?)?,
                    content: r.get(5)?,
                    status: enum_from(&r.get::<_, String>(6)?)?,
                    department: r.get(7)?,
                    deadline: r.get(8)?,
                    overdue: r.get(9)?,
                    satisfaction: r
                        .get::<_, Option<String>>(10)?
                        .map(|s| enum_from(&s))
                        .transpose()?,
                    pending_sync: r.get(11)?,
                })
            },
        )
    }

    /// Refers an opinion to a department with a deadline (交办); returns the referral id.
    /// The referral carries the content the department reads, never the voter's details.
    pub fn refer_opinion(
        &mut self,
        input: &ReferralInput,
        today: NaiveDate,
    ) -> Result<String, Error> {
        let (department_id, deadline, content, note) =
            input.validate(today).map_err(Error::Invalid)?;
        let mut errors = Vec::new();
        let opinion = match self.opinion_record(input.opinion_id.trim()) {
            Ok(o) => Some(o),
            Err(Error::NotFound) => {
                errors.push(FieldError::new(Field::Opinion, Problem::Unknown));
                None
            }
            Err(e) => return Err(e),
        };
        self.must_exist(
            &mut errors,
            Field::Department,
            "departments",
            Some(&department_id),
        )?;
        let Some(opinion) = opinion.filter(|_| errors.is_empty()) else {
            return Err(Error::Invalid(errors));
        };
        let referral = Referral {
            id: new_id(),
            station_id: opinion.station_id.clone(),
            opinion_id: opinion.id.clone(),
            department_id: department_id.clone(),
            referred_on: today,
            deadline,
            categories: opinion.categories.clone(),
            content: if content.is_empty() {
                opinion.content.clone()
            } else {
                content
            },
            note,
        };
        let home = DocId::Referrals {
            department: department_id,
            station: opinion.station_id,
            year: chrono::Datelike::year(&today),
        };
        self.save(&referral, Some(home), None)?;
        Ok(referral.id)
    }

    /// Records (or updates) the department's answer to a referral: the latest answer this
    /// device knows is edited in place, so a department keeps one answer per referral.
    /// Returns the answer id.
    pub fn answer_referral(
        &mut self,
        input: &AnswerInput,
        today: NaiveDate,
    ) -> Result<String, Error> {
        let (date, text) = input.validate(today).map_err(Error::Invalid)?;
        let referral = match self.referral_record(input.referral_id.trim()) {
            Err(Error::NotFound) => {
                return Err(Error::Invalid(vec![FieldError::new(
                    Field::Referral,
                    Problem::Unknown,
                )]));
            }
            other => other?,
        };
        let existing: Option<String> = self
            .conn
            .query_row(
                "SELECT id FROM answers WHERE referral_id = ?1 ORDER BY date DESC, rowid DESC LIMIT 1",
                [&referral.id],
                |r| r.get(0),
            )
            .optional()?;
        let answer = Answer {
            id: existing.unwrap_or_else(new_id),
            referral_id: referral.id.clone(),
            opinion_id: referral.opinion_id.clone(),
            station_id: referral.station_id.clone(),
            department_id: referral.department_id.clone(),
            status: input.status,
            date,
            text,
        };
        let home = DocId::Answers {
            department: referral.department_id,
            station: referral.station_id,
            year: chrono::Datelike::year(&referral.referred_on),
        };
        self.save(&answer, Some(home), None)?;
        Ok(answer.id)
    }

    fn referral_record(&self, id: &str) -> Result<Referral, Error> {
        self.conn
            .query_row(
                "SELECT id, opinion_id, station_id, department_id, referred_on, deadline,
                        categories, content, note FROM referrals WHERE id = ?1",
                [id],
                |r| {
                    Ok(Referral {
                        id: r.get(0)?,
                        opinion_id: r.get(1)?,
                        station_id: r.get(2)?,
                        department_id: r.get(3)?,
                        referred_on: r.get(4)?,
                        deadline: r.get(5)?,
                        categories: from_json(&r.get::<_, String>(6)?)?,
                        content: r.get(7)?,
                        note: r.get(8)?,
                    })
                },
            )
            .optional()?
            .ok_or(Error::NotFound)
    }

    /// Records the feedback given to the voter (反馈) and the voter's satisfaction.
    pub fn record_feedback(
        &mut self,
        input: &FeedbackInput,
        today: NaiveDate,
    ) -> Result<(), Error> {
        let (date, text) = input.validate(today).map_err(Error::Invalid)?;
        let mut o = match self.opinion_record(input.opinion_id.trim()) {
            Err(Error::NotFound) => {
                return Err(Error::Invalid(vec![FieldError::new(
                    Field::Opinion,
                    Problem::Unknown,
                )]));
            }
            other => other?,
        };
        o.feedback_date = Some(date);
        o.feedback = text;
        o.satisfaction = input.satisfaction;
        self.save(&o, None, None)?;
        Ok(())
    }

    /// The referrals to `department_id`, soonest deadline first, with the latest answer.
    pub fn department_inbox(
        &self,
        department_id: &str,
        today: NaiveDate,
    ) -> Result<Vec<ReferralSummary>, Error> {
        self.query(
            "WITH a AS (SELECT referral_id, status, text, MAX(date || id)
                        FROM answers GROUP BY referral_id)
             SELECT r.id, r.opinion_id, COALESCE(s.name, r.station_id), r.department_id,
                    r.referred_on, r.deadline, r.categories, r.content, r.note, a.status,
                    a.text, COALESCE(a.status, '') != 'answered' AND r.deadline < ?2
             FROM referrals r LEFT JOIN a ON a.referral_id = r.id
                  LEFT JOIN stations s ON s.id = r.station_id
             WHERE r.department_id = ?1
             ORDER BY COALESCE(a.status, '') = 'answered', r.deadline, r.referred_on, r.id",
            params![department_id, today],
            |r| {
                Ok(ReferralSummary {
                    id: r.get(0)?,
                    opinion_id: r.get(1)?,
                    station_name: r.get(2)?,
                    department_id: r.get(3)?,
                    referred_on: r.get(4)?,
                    deadline: r.get(5)?,
                    categories: from_json(&r.get::<_, String>(6)?)?,
                    content: r.get(7)?,
                    note: r.get(8)?,
                    answer_status: r
                        .get::<_, Option<String>>(9)?
                        .map(|s| enum_from(&s))
                        .transpose()?,
                    answer: r.get(10)?,
                    overdue: r.get(11)?,
                })
            },
        )
    }

    /// The opinion's timeline, oldest first: recorded, each referral, each answer, the
    /// feedback.
    pub fn opinion_timeline(&self, id: &str) -> Result<Vec<TimelineStep>, Error> {
        let o = self.opinion_record(id)?;
        let depts = self.names("departments")?;
        let dept = |id: String| Some(depts.get(&id).cloned().unwrap_or(id));
        let mut steps = vec![TimelineStep {
            status: OpinionStatus::Recorded,
            date: o.date,
            department: None,
            text: o.content.clone(),
            deadline: None,
            satisfaction: None,
        }];
        steps.extend(self.query(
            "SELECT referred_on, department_id, content, deadline FROM referrals
             WHERE opinion_id = ?1 ORDER BY referred_on, id",
            [id],
            |r| {
                Ok(TimelineStep {
                    status: OpinionStatus::Referred,
                    date: r.get(0)?,
                    department: dept(r.get(1)?),
                    text: r.get(2)?,
                    deadline: r.get(3)?,
                    satisfaction: None,
                })
            },
        )?);
        steps.extend(self.query(
            "SELECT date, department_id, text, status FROM answers
             WHERE opinion_id = ?1 ORDER BY date, id",
            [id],
            |r| {
                let status: AnswerStatus = enum_from(&r.get::<_, String>(3)?)?;
                Ok(TimelineStep {
                    status: match status {
                        AnswerStatus::InProgress => OpinionStatus::InProgress,
                        AnswerStatus::Answered => OpinionStatus::Answered,
                    },
                    date: r.get(0)?,
                    department: dept(r.get(1)?),
                    text: r.get(2)?,
                    deadline: None,
                    satisfaction: None,
                })
            },
        )?);
        if let Some(date) = o.feedback_date {
            steps.push(TimelineStep {
                status: OpinionStatus::FedBack,
                date,
                department: None,
                text: o.feedback,
                deadline: None,
                satisfaction: o.satisfaction,
            });
        }
        // Stable: same-day steps keep their order of the handling chain.
        steps.sort_by_key(|s| (s.date, s.status));
        Ok(steps)
    }

    // -- Suggestions, leads, consultations, campaigns ------------------------------------

    /// Records a deputy suggestion formed from opinions; returns its id.
    pub fn create_suggestion(
        &mut self,
        input: &SuggestionInput,
        today: NaiveDate,
    ) -> Result<String, Error> {
        let mut s = input.validate(today).map_err(Error::Invalid)?;
        let mut errors = Vec::new();
        self.must_exist(&mut errors, Field::Station, "stations", Some(&s.station_id))?;
        for id in &s.deputy_ids {
            self.must_exist(&mut errors, Field::Deputies, "deputies", Some(id))?;
        }
        for id in &s.opinion_ids {
            self.must_exist(&mut errors, Field::Opinions, "opinions", Some(id))?;
        }
        self.must_exist(
            &mut errors,
            Field::Department,
            "departments",
            s.department_id.as_deref(),
        )?;
        errors.dedup();
        refuse(errors)?;
        s.id = new_id();
        let home = DocId::station(&s.station_id, s.date);
        self.save(&s, Some(home), None)?;
        Ok(s.id)
    }

    /// Records a livelihood-project lead formed from opinions; returns its id.
    pub fn create_lead(&mut self, input: &LeadInput, today: NaiveDate) -> Result<String, Error> {
        let mut l = input.validate(today).map_err(Error::Invalid)?;
        let mut errors = Vec::new();
        self.must_exist(&mut errors, Field::Station, "stations", Some(&l.station_id))?;
        for id in &l.opinion_ids {
            self.must_exist(&mut errors, Field::Opinions, "opinions", Some(id))?;
        }
        errors.dedup();
        refuse(errors)?;
        l.id = new_id();
        let home = DocId::station(&l.station_id, l.date);
        self.save(&l, Some(home), None)?;
        Ok(l.id)
    }

    /// Deputy suggestions, newest first.
    pub fn suggestions(&self) -> Result<Vec<DeputySuggestion>, Error> {
        self.query(
            "SELECT id, station_id, date, title, content, deputy_ids, opinion_ids,
                    department_id, supervised FROM suggestions ORDER BY date DESC, rowid DESC",
            [],
            |r| {
                Ok(DeputySuggestion {
                    id: r.get(0)?,
                    station_id: r.get(1)?,
                    date: r.get(2)?,
                    title: r.get(3)?,
                    content: r.get(4)?,
                    deputy_ids: from_json(&r.get::<_, String>(5)?)?,
                    opinion_ids: from_json(&r.get::<_, String>(6)?)?,
                    department_id: r.get(7)?,
                    supervised: r.get(8)?,
                })
            },
        )
    }

    /// Livelihood leads, newest first.
    pub fn leads(&self) -> Result<Vec<LivelihoodLead>, Error> {
        self.query(
            "SELECT id, station_id, date, title, content, opinion_ids FROM leads
             ORDER BY date DESC, rowid DESC",
            [],
            |r| {
                Ok(LivelihoodLead {
                    id: r.get(0)?,
                    station_id: r.get(1)?,
                    date: r.get(2)?,
                    title: r.get(3)?,
                    content: r.get(4)?,
                    opinion_ids: from_json(&r.get::<_, String>(5)?)?,
                })
            },
        )
    }

    /// How many opinions each article of draft `draft_id` has gathered, in article order.
    pub fn article_counts(&self, draft_id: &str) -> Result<Vec<ArticleCount>, Error> {
        let draft = self
            .drafts()?
            .into_iter()
            .find(|d| d.id == draft_id)
            .ok_or(Error::NotFound)?;
        let counts: HashMap<String, u32> = self
            .query(
                "SELECT article_id, COUNT(*) FROM opinions
                 WHERE draft_id = ?1 AND article_id IS NOT NULL GROUP BY article_id",
                [draft_id],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )?
            .into_iter()
            .collect();
        let mut out: Vec<ArticleCount> = draft
            .articles
            .iter()
            .map(|a| ArticleCount {
                article_id: a.id.clone(),
                number: a.number,
                opinions: counts.get(&a.id).copied().unwrap_or(0),
            })
            .collect();
        out.sort_by_key(|a| a.number);
        Ok(out)
    }

    /// Each target station's progress in campaign `id`: the activities tagged with the
    /// campaign, or of its kind within its window at the station.
    pub fn campaign_progress(&self, id: &str) -> Result<Vec<CampaignProgress>, Error> {
        let c = self
            .campaigns()?
            .into_iter()
            .find(|c| c.id == id)
            .ok_or(Error::NotFound)?;
        let stations = self.names("stations")?;
        c.station_ids
            .iter()
            .map(|station| {
                let (activities, voters, attendances, opinions) = self.conn.query_row(
                    "WITH x AS (SELECT id, voters_received, attendances FROM activities
                                WHERE station_id = ?1 AND (campaign_id = ?2
                                   OR (campaign_id IS NULL AND kind = ?3
                                       AND date BETWEEN ?4 AND ?5)))
                     SELECT COUNT(*), COALESCE(SUM(voters_received), 0),
                            COALESCE(SUM(attendances), 0),
                            (SELECT COUNT(*) FROM opinions WHERE activity_id IN (SELECT id FROM x))
                     FROM x",
                    params![station, c.id, enum_str(c.activity_kind), c.starts, c.ends],
                    |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
                )?;
                Ok(CampaignProgress {
                    station_id: station.clone(),
                    station_name: stations
                        .get(station)
                        .cloned()
                        .unwrap_or_else(|| station.clone()),
                    activities,
                    voters_received: voters,
                    attendances,
                    opinions,
                })
            })
            .collect()
    }

    // -- History and consistency ---------------------------------------------------------

    /// The history of a record (`kind` is its key prefix: `activity`, `opinion`…), newest
    /// first: who changed which field, when, from what to what, from Automerge's history.
    pub fn history(&self, kind: &str, id: &str) -> Result<Vec<HistoryEntry>, Error> {
        let key = format!("{kind}:{id}");
        let doc_id: String = doc_of(&self.conn, &key)?.ok_or(Error::NotFound)?;
        let mut stored = load_document(&self.conn, &doc_id, &self.actor)?.ok_or(Error::NotFound)?;
        let doc = &mut stored.doc;
        let revisions = match kind {
            "activity" => doc::record_history::<Activity>(doc, id)?,
            "opinion" => doc::record_history::<Opinion>(doc, id)?,
            "referral" => doc::record_history::<Referral>(doc, id)?,
            "answer" => doc::record_history::<Answer>(doc, id)?,
            "suggestion" => doc::record_history::<DeputySuggestion>(doc, id)?,
            "lead" => doc::record_history::<LivelihoodLead>(doc, id)?,
            _ => return Err(Error::NotFound),
        };
        let mut names = self.names("stations")?;
        names.extend(self.names("deputies")?);
        names.extend(self.names("departments")?);
        names.extend(self.names("campaigns")?);
        let me = self.device_id();
        let mut entries: Vec<HistoryEntry> = revisions
            .into_iter()
            .map(|rev| HistoryEntry {
                time: rev.time,
                by_this_device: rev.actor == me,
                device: rev.actor,
                created: rev.before.is_none(),
                changes: field_changes(rev.before.as_ref(), &rev.after, &names),
            })
            .collect();
        entries.reverse();
        Ok(entries)
    }

    /// Checks the store is consistent: SQLite's own integrity check passes, and every
    /// record in every document has a projection row equal to it that names its document.
    pub fn verify(&self) -> Result<(), Error> {
        let check: String = self
            .conn
            .query_row("PRAGMA integrity_check", [], |r| r.get(0))?;
        if check != "ok" {
            return Err(Error::Corrupt(format!("integrity check: {check}")));
        }
        let ids: Vec<String> = self.query("SELECT id FROM documents", [], |r| r.get(0))?;
        for doc_id in ids {
            let Some(stored) = load_document(&self.conn, &doc_id, &self.actor)? else {
                continue;
            };
            for key in doc::record_keys(&stored.doc) {
                let Some(record) = AnyRecord::read(&stored.doc, &key)? else {
                    continue;
                };
                // A record that does not belong where it sits is never projected.
                if DocId::parse(&doc_id).is_none_or(|id| !record.belongs_in(&id, &key)) {
                    continue;
                }
                let indexed: Option<String> = doc_of(&self.conn, &key)?;
                let projected_equal = match &record {
                    AnyRecord::Activity(a) => self.activity_record(&a.id).ok().as_ref() == Some(a),
                    AnyRecord::Opinion(o) => self.opinion_record(&o.id).ok().as_ref() == Some(o),
                    AnyRecord::Referral(r) => self.referral_record(&r.id).ok().as_ref() == Some(r),
                    _ => true,
                };
                if indexed.as_deref() != Some(doc_id.as_str()) || !projected_equal {
                    return Err(Error::Corrupt(format!(
                        "projection of {key} differs from {doc_id}"
                    )));
                }
            }
        }
        Ok(())
    }

    /// A record as its document holds it (tools and tests compare it with the projection).
    pub fn activity_from_document(&self, id: &str) -> Result<Activity, Error> {
        let key = format!("activity:{id}");
        let doc_id: String = doc_of(&self.conn, &key)?.ok_or(Error::NotFound)?;
        let stored = load_document(&self.conn, &doc_id, &self.actor)?.ok_or(Error::NotFound)?;
        doc::read_record(&stored.doc, id)?.ok_or(Error::NotFound)
    }

    fn names(&self, table: &str) -> Result<HashMap<String, String>, Error> {
        let sql = format!("SELECT id, name FROM {table}");
        Ok(self
            .query(&sql, [], |r| Ok((r.get(0)?, r.get(1)?)))?
            .into_iter()
            .collect())
    }

    fn query<T, P: rusqlite::Params>(
        &self,
        sql: &str,
        params: P,
        f: impl FnMut(&rusqlite::Row<'_>) -> rusqlite::Result<T>,
    ) -> Result<Vec<T>, Error> {
        let mut stmt = self.conn.prepare_cached(sql)?;
        let rows = stmt.query_map(params, f)?.collect::<Result<_, _>>()?;
        Ok(rows)
    }

    /// Adds `(field, Unknown)` to `errors` when `id` is given and not in `table`.
    fn must_exist(
        &self,
        errors: &mut Vec<FieldError>,
        field: Field,
        table: &str,
        id: Option<&str>,
    ) -> Result<(), Error> {
        let Some(id) = id else { return Ok(()) };
        let sql = format!("SELECT EXISTS (SELECT 1 FROM {table} WHERE id = ?1)");
        let exists: bool = self.conn.query_row(&sql, [id], |r| r.get(0))?;
        if !exists {
            errors.push(FieldError::new(field, Problem::Unknown));
        }
        Ok(())
    }

    // -- Sync ----------------------------------------------------------------------------

    /// Records with changes waiting to be sent (not counting refused ones).
    pub fn pending_records(&self) -> Result<u64, Error> {
        self.count_records(SENDABLE)
    }

    /// Records with changes the server refused (see [`Store::set_aside`]): still on the
    /// device, not sent again until the next sign-in.
    pub fn refused_records(&self) -> Result<u64, Error> {
        self.count_records(&format!("NOT ({SENDABLE})"))
    }

    fn count_records(&self, condition: &str) -> Result<u64, Error> {
        Ok(self
            .conn
            .query_row(
                &format!(
                    "SELECT COUNT(DISTINCT COALESCE(record_key, doc_id)) FROM outbox
                     WHERE {condition}"
                ),
                [],
                |r| r.get::<_, i64>(0),
            )?
            .unsigned_abs())
    }

    /// Sets aside every change of `doc_id` the server refused with the error code
    /// `reason`: they stay in the outbox (nothing entered is lost) but are not sent again,
    /// so the rest of the outbox gets through. Signing in again sends them once more.
    /// Returns how many changes were set aside.
    pub fn set_aside(&self, doc_id: &str, reason: &str) -> Result<usize, Error> {
        Ok(self.conn.execute(
            "UPDATE outbox SET refused = ?2 WHERE doc_id = ?1 AND refused IS NULL",
            params![doc_id, reason],
        )?)
    }

    /// Sets aside photo `hash` of `doc_id`, which the server refused: kept, not sent.
    pub fn set_aside_photo(&self, hash: &str, doc_id: &str) -> Result<(), Error> {
        self.conn.execute(
            "UPDATE photos SET uploaded = -1 WHERE hash = ?1 AND doc_id = ?2 AND uploaded = 0",
            params![hash, doc_id],
        )?;
        Ok(())
    }

    /// Gives up the changes and photos the server refused, at the user's explicit
    /// request (after asking them): they can never be sent by this account, and they keep
    /// another account from signing in on this device. The records stay on the device.
    /// Returns how many changes were dropped.
    pub fn discard_refused(&self) -> Result<usize, Error> {
        let tx = self.conn.unchecked_transaction()?;
        let dropped = tx.execute(&format!("DELETE FROM outbox WHERE NOT ({SENDABLE})"), [])?;
        tx.execute("DELETE FROM photos WHERE uploaded = -1", [])?;
        tx.commit()?;
        Ok(dropped)
    }

    /// How many documents this device holds (for benchmarks and tools).
    pub fn document_count(&self) -> Result<usize, Error> {
        let n: i64 = self
            .conn
            .query_row("SELECT COUNT(*) FROM documents", [], |r| r.get(0))?;
        Ok(usize::try_from(n).unwrap_or(0))
    }

    /// Changes waiting in the outbox to be sent (not counting refused ones).
    pub fn outbox_len(&self) -> Result<usize, Error> {
        let n: i64 = self.conn.query_row(
            &format!("SELECT COUNT(*) FROM outbox WHERE {SENDABLE}"),
            [],
            |r| r.get(0),
        )?;
        Ok(usize::try_from(n).unwrap_or(0))
    }

    /// The next request to send: the cursor and the oldest unacknowledged changes, at
    /// most [`MAX_CHANGES_PER_REQUEST`] of them and about [`MAX_REQUEST_CHANGE_BYTES`]
    /// of change bytes, so a device back from weeks of bulk entry still gets through
    /// the server's body limit; the sync loop sends the rest next.
    pub fn sync_request(&self) -> Result<SyncRequest, Error> {
        let mut bytes = 0usize;
        let mut changes = self.query(
            &format!(
                "SELECT doc_id, kind, bytes FROM outbox WHERE {SENDABLE} ORDER BY rowid LIMIT ?1"
            ),
            [MAX_CHANGES_PER_REQUEST as i64],
            |r| {
                Ok(WireChange {
                    doc_id: r.get(0)?,
                    kind: r.get(1)?,
                    bytes: r.get(2)?,
                })
            },
        )?;
        // Always at least one change, however large, so the outbox drains.
        let fits = changes
            .iter()
            .take_while(|c| {
                bytes += c.bytes.len();
                bytes <= MAX_REQUEST_CHANGE_BYTES
            })
            .count()
            .max(1);
        changes.truncate(fits);
        Ok(SyncRequest {
            device_id: self.device_id(),
            cursor: self.cursor()?,
            changes,
            bootstrap: get_meta(&self.conn, "bootstrap")?
                .and_then(|b| serde_json::from_str(&b).ok()),
        })
    }

    fn cursor(&self) -> Result<u64, Error> {
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
        // Merging runs on worker threads while this one writes what they finish.
        let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
        let queue = std::sync::Mutex::new(work.into_iter());
        std::thread::scope(|scope| -> Result<(), Error> {
            let (done, finished) = std::sync::mpsc::channel();
            for _ in 0..threads {
                let done = done.clone();
                let queue = &queue;
                scope.spawn(move || {
                    loop {
                        let next = queue.lock().unwrap_or_else(|p| p.into_inner()).next();
                        let Some(m) = next else { break };
                        if done.send(merge(m)).is_err() {
                            break; // the writer gave up: stop
                        }
                    }
                });
            }
            drop(done);
            for m in finished {
                let m = m?;
                write_merged(&tx, m, &mut report, &mut touched)?;
            }
            Ok(())
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
        tx.commit()?;
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
            ..Default::default()
        };
        self.apply_sync_response(&response)?;
        Ok(())
    }

    // -- Repair ---------------------------------------------------------------------------

    /// Up to `limit` documents after `after` (by id) with nothing waiting in the outbox,
    /// with their heads (sorted hex): what to compare with the server's.
    pub fn documents_to_verify(
        &self,
        after: &str,
        limit: usize,
    ) -> Result<Vec<(String, Vec<String>)>, Error> {
        let ids: Vec<String> = self.query(
            "SELECT id FROM documents d WHERE id > ?1
               AND NOT EXISTS (SELECT 1 FROM outbox o WHERE o.doc_id = d.id)
             ORDER BY id LIMIT ?2",
            params![after, limit as i64],
            |r| r.get(0),
        )?;
        ids.into_iter()
            .map(|id| {
                let mut heads: Vec<String> = self
                    .document(&id)?
                    .get_heads()
                    .iter()
                    .map(ToString::to_string)
                    .collect();
                heads.sort();
                Ok((id, heads))
            })
            .collect()
    }

    /// Document `doc_id` as stored (empty if this device does not have it).
    fn document(&self, doc_id: &str) -> Result<AutoCommit, Error> {
        Ok(match load_document(&self.conn, doc_id, &self.actor)? {
            Some(stored) => stored.doc,
            None => AutoCommit::new().with_actor(self.actor.clone()),
        })
    }

    /// The next Automerge sync message for repairing `doc_id` with the server, or `None`
    /// when this device has nothing more to say.
    pub fn repair_message(
        &self,
        doc_id: &str,
        state: &mut automerge::sync::State,
    ) -> Result<Option<Vec<u8>>, Error> {
        use automerge::sync::SyncDoc as _;
        Ok(self
            .document(doc_id)?
            .sync()
            .generate_sync_message(state)
            .map(automerge::sync::Message::encode))
    }

    /// Takes the server's sync message for `doc_id`: the changes it brings are applied
    /// as received changes are (document, projection, waiting changes). Returns how many
    /// changes were new here.
    pub fn receive_repair_message(
        &mut self,
        doc_id: &str,
        state: &mut automerge::sync::State,
        message: &[u8],
    ) -> Result<u64, Error> {
        use automerge::sync::SyncDoc as _;
        let message = automerge::sync::Message::decode(message)
            .map_err(|e| Error::Protocol(format!("sync message: {e}")))?;
        let family = DocId::parse(doc_id)
            .ok_or_else(|| Error::Protocol(format!("unknown document {doc_id}")))?
            .family();
        let mut doc = self.document(doc_id)?;
        let before = doc.get_heads();
        doc.sync().receive_sync_message(state, message)?;
        let changes: Vec<WireChange> = doc
            .get_changes(&before)
            .iter()
            .map(|c| WireChange {
                doc_id: doc_id.to_owned(),
                kind: family.as_str().to_owned(),
                bytes: c.raw_bytes().to_vec(),
            })
            .collect();
        if changes.is_empty() {
            return Ok(0);
        }
        let response = SyncResponse {
            cursor: self.cursor()?,
            changes,
            bootstrap: get_meta(&self.conn, "bootstrap")?
                .and_then(|b| serde_json::from_str(&b).ok()),
            ..Default::default()
        };
        Ok(self.apply_sync_response(&response)?.received_changes)
    }

    /// Where the rolling check of documents against the server stands: the last
    /// document id checked and when (unix seconds) the last round ran.
    pub fn verify_position(&self) -> Result<(String, i64), Error> {
        Ok((
            get_meta(&self.conn, "verify_after")?.unwrap_or_default(),
            get_meta(&self.conn, "verify_at")?
                .and_then(|t| t.parse().ok())
                .unwrap_or(0),
        ))
    }

    pub fn set_verify_position(&self, after: &str, at: i64) -> Result<(), Error> {
        set_meta(&self.conn, "verify_after", after)?;
        set_meta(&self.conn, "verify_at", &at.to_string())
    }

    /// Notes a successful sync at `now` (RFC 3339) and clears the last error.
    pub fn record_sync_success(&self, now: &str) -> Result<(), Error> {
        set_meta(&self.conn, "last_sync", now)?;
        self.conn
            .execute("DELETE FROM meta WHERE key = 'last_sync_error'", [])?;
        Ok(())
    }

    /// Notes a failed sync.
    pub fn record_sync_error(&self, error: &AppError) -> Result<(), Error> {
        set_meta(
            &self.conn,
            "last_sync_error",
            &serde_json::to_string(error).map_err(|e| Error::Corrupt(e.to_string()))?,
        )
    }

    pub fn sync_status(&self) -> Result<SyncStatus, Error> {
        let session = self.session()?;
        Ok(SyncStatus {
            server_url: session
                .as_ref()
                .map(|s| s.server_url.clone())
                .unwrap_or_default(),
            account: session.map(|s| s.account),
            last_success: get_meta(&self.conn, "last_sync")?,
            pending_records: self.pending_records()?,
            refused_records: self.refused_records()?,
            pending_photos: self.pending_uploads()?.len() as u64,
            last_error: get_meta(&self.conn, "last_sync_error")?
                .and_then(|e| serde_json::from_str(&e).ok()),
        })
    }
}

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

/// Outbox rows that may go out: none of a document the server refused a change of
/// (later changes depend on the refused one, and would be stuck on every other device).
const SENDABLE: &str = "doc_id NOT IN (SELECT doc_id FROM outbox WHERE refused IS NOT NULL)";

const SESSION_KEY: &str = "session";
/// The language setting (JSON of [`Language`]).
const LANGUAGE_KEY: &str = "language";
/// Whose data this store holds (`user@server`), kept after sign-out.
const OWNER_KEY: &str = "owner";

/// Tables of data received or written under one account; emptied when another account
/// signs in on this device.
const DATA_TABLES: &[&str] = &[
    "documents",
    "outbox",
    "waiting_changes",
    "meetings",
    "subdistricts",
    "stations",
    "station_staff",
    "deputies",
    "departments",
    "campaigns",
    "drafts",
    "activities",
    "opinions",
    "referrals",
    "answers",
    "suggestions",
    "leads",
    "photos",
    "photo_parts",
];

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
            for table in DATA_TABLES {
                tx.execute(&format!("DELETE FROM {table}"), [])?;
            }
            tx.execute(
                "DELETE FROM meta WHERE key IN ('cursor', 'bootstrap', 'last_sync', 'last_sync_error',
                                                'verify_after', 'verify_at')
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

/// The meta key of form `form`'s draft; only the app's forms have one.
fn form_draft_key(form: &str) -> Result<String, Error> {
    let known = match form.split_once(':') {
        None => matches!(form, "opinion" | "consultation"),
        Some(("answer", id)) => doc::is_valid_id(id),
        Some(_) => false,
    };
    if known {
        Ok(format!("draft.{form}"))
    } else {
        Err(Error::Protocol(format!("no form {form:?}")))
    }
}

fn owner_of(username: &str, server_url: &str) -> String {
    format!("{username}@{server_url}")
}

/// Whether signing in as `owner` removes the data the store holds:
/// [`Error::UnsentChanges`] when it would but some of it is not sent yet.
fn must_wipe(conn: &Connection, owner: &str) -> Result<bool, Error> {
    let previous = get_meta(conn, OWNER_KEY)?;
    let unsent: i64 = conn.query_row(
        "SELECT (SELECT COUNT(*) FROM outbox)
              + (SELECT COUNT(*) FROM photos
                 WHERE uploaded IN (0, -1) AND data IS NOT NULL AND doc_id != '')",
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

/// A photo waiting to be uploaded.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PendingUpload {
    pub hash: String,
    pub doc_id: String,
    pub size: u64,
}

/// Whether `bytes` start like a photo: JPEG, PNG, WebP or HEIC/HEIF.
fn is_image(bytes: &[u8]) -> bool {
    bytes.starts_with(&[0xff, 0xd8, 0xff])
        || bytes.starts_with(b"\x89PNG\r\n\x1a\n")
        || (bytes.starts_with(b"RIFF") && bytes.get(8..12) == Some(b"WEBP"))
        || (bytes.get(4..8) == Some(b"ftyp")
            && matches!(
                bytes.get(8..12),
                Some(b"heic" | b"heix" | b"mif1" | b"msf1" | b"hevc")
            ))
}

/// What a response brought for one document: whole documents, then changes (bytes).
type Received<'a> = (Vec<&'a [u8]>, Vec<&'a [u8]>);

/// One document's share of a sync response, before merging.
struct Merge<'a> {
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
struct Merged<'a> {
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
fn write_merged(
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

fn merge(m: Merge<'_>) -> Result<Merged<'_>, Error> {
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

/// `Ok` when no field was refused; otherwise the refusal, with every reason.
fn refuse(errors: Vec<FieldError>) -> Result<(), Error> {
    if errors.is_empty() {
        Ok(())
    } else {
        Err(Error::Invalid(errors))
    }
}

/// The projection table of each record kind (key prefix).
fn table_of(prefix: &str) -> Option<&'static str> {
    Some(match prefix {
        "activity" => "activities",
        "opinion" => "opinions",
        "suggestion" => "suggestions",
        "lead" => "leads",
        "referral" => "referrals",
        "answer" => "answers",
        "subdistrict" => "subdistricts",
        "department" => "departments",
        "campaign" => "campaigns",
        "station" => "stations",
        "staff" => "station_staff",
        "deputy" => "deputies",
        "draft" => "drafts",
        _ => return None,
    })
}

/// The document that holds the record under root key `key`, from its projection row.
fn doc_of(conn: &Connection, key: &str) -> Result<Option<String>, Error> {
    let Some(table) = key.split_once(':').and_then(|(p, _)| table_of(p)) else {
        return Ok(None);
    };
    let id = key.split_once(':').map_or("", |(_, id)| id);
    let sql = format!("SELECT doc_id FROM {table} WHERE id = ?1");
    Ok(conn
        .prepare_cached(&sql)?
        .query_row([id], |r| r.get::<_, Option<String>>(0))
        .optional()?
        .flatten())
}

/// A fresh record id.
fn new_id() -> String {
    uuid::Uuid::new_v4().to_string()
}

/// The root keys of records that changed between `before` and the document's heads.
fn changed_keys(doc: &mut AutoCommit, before: &[automerge::ChangeHash]) -> Vec<String> {
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

/// Which field of a form a record's JSON key is, for history entries.
fn field_of(key: &str) -> Option<Field> {
    Some(match key {
        "kind" => Field::Kind,
        "station_id" => Field::Station,
        "date" | "referred_on" => Field::Date,
        "deputy_ids" => Field::Deputies,
        "guests" => Field::Guests,
        "voters_received" => Field::VotersReceived,
        "online" => Field::Online,
        "location" => Field::Location,
        "summary" => Field::Summary,
        "photos" => Field::Photos,
        "campaign_id" => Field::Campaign,
        "draft_id" => Field::Draft,
        "categories" => Field::Categories,
        "content" => Field::Content,
        "voter_name" => Field::VoterName,
        "voter_phone" => Field::VoterPhone,
        "consent" => Field::Consent,
        "received_by" => Field::ReceivedBy,
        "activity_id" => Field::Activity,
        "article_id" => Field::Article,
        "opinion_ids" => Field::Opinions,
        "department_id" => Field::Department,
        "deadline" => Field::Deadline,
        "note" => Field::Note,
        "status" => Field::Status,
        "text" => Field::Answer,
        "feedback" | "feedback_date" => Field::Feedback,
        "satisfaction" => Field::Satisfaction,
        "title" => Field::Title,
        "supervised" => Field::Supervised,
        _ => return None,
    })
}

/// The fields that differ between two versions of a record, with ids shown as names.
fn field_changes(
    before: Option<&serde_json::Value>,
    after: &serde_json::Value,
    names: &HashMap<String, String>,
) -> Vec<FieldChange> {
    let show = |v: &serde_json::Value| -> String {
        let one = |v: &serde_json::Value| match v {
            serde_json::Value::String(s) => names.get(s).cloned().unwrap_or_else(|| s.clone()),
            serde_json::Value::Null => String::new(),
            other => other.to_string(),
        };
        match v {
            serde_json::Value::Array(items) => items.iter().map(one).collect::<Vec<_>>().join("、"),
            other => one(other),
        }
    };
    let Some(fields) = after.as_object() else {
        return vec![];
    };
    let mut changes: Vec<FieldChange> = Vec::new();
    for (key, new) in fields {
        let Some(field) = field_of(key) else { continue };
        let old = before.and_then(|b| b.get(key));
        if old == Some(new) {
            continue;
        }
        // Voter name and phone are personal data: a history says they changed, never
        // what they were.
        let hidden = matches!(field, Field::VoterName | Field::VoterPhone);
        let (old, new) = if hidden {
            (old.map(|_| String::new()), String::new())
        } else {
            (old.map(show), show(new))
        };
        if before.is_none() && !hidden && (new.is_empty() || new == "false") {
            continue; // an empty or unticked field at creation is not news
        }
        if changes.iter().any(|c| c.field == field) {
            continue; // feedback date and text are one line
        }
        changes.push(FieldChange {
            field,
            old,
            new,
            hidden,
        });
    }
    changes
}

/// Writes `record` into its document in `tx`: the document the index says holds it, or
/// `home` for a new record. Updates document, projection, index and outbox together.
/// Returns the document to cache once the transaction commits (`None`: nothing changed).
fn write_record<R: Record + Into<AnyRecord>>(
    tx: &Transaction<'_>,
    actor: &ActorId,
    cache: &mut HashMap<String, StoredDoc>,
    record: &R,
    home: Option<DocId>,
) -> Result<Option<(String, StoredDoc)>, Error> {
    let key = record.record_key();
    let indexed: Option<String> = doc_of(tx, &key)?;
    let doc_id = match (indexed, home) {
        (Some(d), _) => d,
        (None, Some(home)) => home.to_string(),
        (None, None) => return Err(Error::NotFound),
    };
    check_write_access(tx, &doc_id)?;
    let mut stored = match cache.remove(&doc_id) {
        Some(s) => s,
        None => load_document(tx, &doc_id, actor)?.unwrap_or_else(|| StoredDoc::new(actor)),
    };
    let changes = doc::write_record(&mut stored.doc, record)?;
    if changes.is_empty() {
        cache_put(cache, doc_id, stored);
        return Ok(None);
    }
    let family = R::FAMILY.as_str();
    persist(tx, &doc_id, family, &mut stored, &changes)?;
    let mut insert = tx.prepare_cached(
        "INSERT OR IGNORE INTO outbox (doc_id, hash, kind, bytes, record_key)
         VALUES (?1, ?2, ?3, ?4, ?5)",
    )?;
    for c in &changes {
        insert.execute(params![
            doc_id,
            c.hash().to_string(),
            family,
            c.raw_bytes(),
            key
        ])?;
    }
    let record: AnyRecord = record.clone().into();
    project(tx, &doc_id, &record)?;
    if let AnyRecord::Activity(a) = &record {
        link_photos(tx, &doc_id, &a.photos)?;
    }
    Ok(Some((doc_id, stored)))
}

/// Links the photos a record in `doc_id` refers to (kept here when they were chosen) to
/// that document, so they are uploaded for it.
fn link_photos(tx: &Connection, doc_id: &str, hashes: &[String]) -> Result<(), Error> {
    for hash in hashes {
        tx.prepare_cached(
            "INSERT OR IGNORE INTO photos (hash, doc_id, size, data, uploaded)
             SELECT hash, ?2, size, data, 0 FROM photos
             WHERE hash = ?1 AND data IS NOT NULL LIMIT 1",
        )?
        .execute(params![hash, doc_id])?;
    }
    // A photo taken off every record of the document before it went out is not sent.
    let referenced: HashSet<String> = tx
        .prepare_cached("SELECT photos FROM activities WHERE doc_id = ?1")?
        .query_map([doc_id], |r| r.get::<_, String>(0))?
        .filter_map(Result::ok)
        .flat_map(|j| serde_json::from_str::<Vec<String>>(&j).unwrap_or_default())
        .collect();
    let unsent: Vec<String> = tx
        .prepare_cached("SELECT hash FROM photos WHERE doc_id = ?1 AND uploaded = 0")?
        .query_map([doc_id], |r| r.get(0))?
        .collect::<Result<_, _>>()?;
    for hash in unsent.iter().filter(|h| !referenced.contains(*h)) {
        tx.execute(
            "DELETE FROM photos WHERE doc_id = ?1 AND hash = ?2 AND uploaded = 0",
            params![doc_id, hash],
        )?;
    }
    Ok(())
}

/// [`Error::NotPermitted`] unless the signed-in account may write `doc_id` (the rule the
/// server applies: a change it would refuse is never made). Without a session (tools,
/// tests of the store alone) every write is allowed; the server still decides.
fn check_write_access(conn: &Connection, doc_id: &str) -> Result<(), Error> {
    let Some(session) =
        get_meta(conn, SESSION_KEY)?.and_then(|s| serde_json::from_str::<Session>(&s).ok())
    else {
        return Ok(());
    };
    let doc = DocId::parse(doc_id).ok_or_else(|| Error::Corrupt(format!("doc id {doc_id}")))?;
    let subdistrict_of = |station: &str| {
        conn.query_row(
            "SELECT subdistrict_id FROM stations WHERE id = ?1",
            [station],
            |r| r.get(0),
        )
        .ok()
    };
    match crate::access::access(&session.account, &doc, subdistrict_of) {
        Access::Write => Ok(()),
        Access::Read | Access::None => Err(Error::NotPermitted),
    }
}

fn cache_put(cache: &mut HashMap<String, StoredDoc>, doc_id: String, stored: StoredDoc) {
    if cache.len() >= CACHED_DOCS {
        cache.clear();
    }
    cache.insert(doc_id, stored);
}

fn get_meta(conn: &Connection, key: &str) -> Result<Option<String>, Error> {
    Ok(conn
        .query_row("SELECT value FROM meta WHERE key = ?1", [key], |r| r.get(0))
        .optional()?)
}

fn set_meta(conn: &Connection, key: &str, value: &str) -> Result<(), Error> {
    conn.execute(
        "INSERT INTO meta (key, value) VALUES (?1, ?2)
         ON CONFLICT (key) DO UPDATE SET value = excluded.value",
        params![key, value],
    )?;
    Ok(())
}

/// Removes and returns the changes of `doc_id` still waiting for their dependencies.
fn take_waiting(tx: &Connection, doc_id: &str) -> Result<Vec<Change>, Error> {
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

/// After this many changes appended to a document's stored bytes, the next write saves
/// the whole document compactly instead (see the store benchmark).
const COMPACT_AFTER: i64 = 32;

/// A document as stored: its bytes are a saved document followed by `tail` appended
/// changes (Automerge loads such a concatenation as one document). `bytes` is empty for
/// a document not stored yet.
struct StoredDoc {
    doc: AutoCommit,
    bytes: Vec<u8>,
    tail: i64,
}

impl StoredDoc {
    fn new(actor: &ActorId) -> StoredDoc {
        StoredDoc {
            doc: AutoCommit::new().with_actor(actor.clone()),
            bytes: Vec::new(),
            tail: 0,
        }
    }
}

fn load_document(conn: &Connection, id: &str, actor: &ActorId) -> Result<Option<StoredDoc>, Error> {
    let row: Option<(Vec<u8>, i64)> = conn
        .prepare_cached("SELECT bytes, tail_changes FROM documents WHERE id = ?1")?
        .query_row([id], |r| Ok((r.get(0)?, r.get(1)?)))
        .optional()?;
    row.map(|(bytes, tail)| {
        Ok(StoredDoc {
            doc: doc::load(&bytes, actor)?,
            bytes,
            tail,
        })
    })
    .transpose()
}

/// Stores `changes` (just applied to `stored.doc`) for document `id`: appended to the
/// stored bytes while the tail is short, otherwise as one compact save of the whole
/// document.
fn persist(
    tx: &Connection,
    id: &str,
    family: &str,
    stored: &mut StoredDoc,
    changes: &[Change],
) -> Result<(), Error> {
    append_or_compact(stored, changes);
    store_bytes(tx, id, family, stored)
}

/// Adds `changes` (just applied to `stored.doc`) to the stored bytes, or replaces them
/// with one compact save once the tail would pass [`COMPACT_AFTER`].
fn append_or_compact(stored: &mut StoredDoc, changes: &[Change]) {
    let added = changes.len() as i64;
    if stored.tail + added <= COMPACT_AFTER {
        changes
            .iter()
            .for_each(|c| stored.bytes.extend_from_slice(c.raw_bytes()));
        stored.tail += added;
    } else {
        stored.bytes = stored.doc.save();
        stored.tail = 0;
    }
}

fn store_bytes(tx: &Connection, id: &str, family: &str, stored: &StoredDoc) -> Result<(), Error> {
    tx.prepare_cached(
        "INSERT INTO documents (id, kind, bytes, tail_changes) VALUES (?1, ?2, ?3, ?4)
         ON CONFLICT (id) DO UPDATE SET bytes = excluded.bytes,
             tail_changes = excluded.tail_changes",
    )?
    .execute(params![id, family, stored.bytes, stored.tail])?;
    Ok(())
}

/// Updates the projection row of `record` (held by document `doc_id`).
fn project(tx: &Connection, doc_id: &str, record: &AnyRecord) -> Result<(), Error> {
    let (sql, values): (&str, Vec<rusqlite::types::Value>) = {
        use rusqlite::types::Value as V;
        let s = |s: &str| V::Text(s.to_owned());
        let o = |s: &Option<String>| s.as_deref().map_or(V::Null, s_of);
        fn s_of(s: &str) -> rusqlite::types::Value {
            rusqlite::types::Value::Text(s.to_owned())
        }
        let d = |d: &NaiveDate| V::Text(d.to_string());
        let j = |v: &dyn erased::Json| V::Text(v.json());
        let i = |n: i64| V::Integer(n);
        let b = |x: bool| V::Integer(i64::from(x));
        match record {
            AnyRecord::Activity(a) => (
                "INSERT OR REPLACE INTO activities (doc_id, id, kind, station_id, date, deputy_ids,
                     guests, voters_received, online, location, summary, photos, campaign_id,
                     draft_id, attendances)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15)",
                vec![
                    s(&a.id), s(&enum_str(a.kind)), s(&a.station_id), d(&a.date),
                    j(&a.deputy_ids), s(&a.guests), i(a.voters_received.into()), b(a.online),
                    s(&a.location), s(&a.summary), j(&a.photos), o(&a.campaign_id),
                    o(&a.draft_id), i(a.deputy_ids.len() as i64),
                ],
            ),
            AnyRecord::Opinion(x) => (
                "INSERT OR REPLACE INTO opinions (doc_id, id, station_id, date, categories, content,
                     voter_name, voter_phone, consent, received_by, activity_id, draft_id,
                     article_id, feedback_date, feedback, satisfaction)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16)",
                vec![
                    s(&x.id), s(&x.station_id), d(&x.date), j(&x.categories), s(&x.content),
                    s(&x.voter_name), s(&x.voter_phone), b(x.consent), o(&x.received_by),
                    o(&x.activity_id), o(&x.draft_id), o(&x.article_id),
                    x.feedback_date.as_ref().map_or(V::Null, d), s(&x.feedback),
                    x.satisfaction.map_or(V::Null, |v| s(&enum_str(v))),
                ],
            ),
            AnyRecord::Referral(x) => (
                "INSERT OR REPLACE INTO referrals (doc_id, id, opinion_id, station_id, department_id,
                     referred_on, deadline, categories, content, note)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
                vec![
                    s(&x.id), s(&x.opinion_id), s(&x.station_id), s(&x.department_id),
                    d(&x.referred_on), d(&x.deadline), j(&x.categories), s(&x.content),
                    s(&x.note),
                ],
            ),
            AnyRecord::Answer(x) => (
                "INSERT OR REPLACE INTO answers (doc_id, id, referral_id, opinion_id, station_id,
                     department_id, status, date, text)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
                vec![
                    s(&x.id), s(&x.referral_id), s(&x.opinion_id), s(&x.station_id),
                    s(&x.department_id), s(&enum_str(x.status)), d(&x.date), s(&x.text),
                ],
            ),
            AnyRecord::DeputySuggestion(x) => (
                "INSERT OR REPLACE INTO suggestions (doc_id, id, station_id, date, title, content,
                     deputy_ids, opinion_ids, department_id, supervised)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
                vec![
                    s(&x.id), s(&x.station_id), d(&x.date), s(&x.title), s(&x.content),
                    j(&x.deputy_ids), j(&x.opinion_ids), o(&x.department_id), b(x.supervised),
                ],
            ),
            AnyRecord::LivelihoodLead(x) => (
                "INSERT OR REPLACE INTO leads (doc_id, id, station_id, date, title, content, opinion_ids)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
                vec![
                    s(&x.id), s(&x.station_id), d(&x.date), s(&x.title), s(&x.content),
                    j(&x.opinion_ids),
                ],
            ),
            AnyRecord::Subdistrict(x) => (
                "INSERT OR REPLACE INTO subdistricts (doc_id, id, name, kind) VALUES (?1, ?2, ?3, ?4)",
                vec![s(&x.id), s(&x.name), s(&enum_str(x.kind))],
            ),
            AnyRecord::Station(x) => (
                "INSERT OR REPLACE INTO stations (doc_id, id, name, kind, subdistrict_id)
                 VALUES (?1, ?2, ?3, ?4, ?5)",
                vec![s(&x.id), s(&x.name), s(&enum_str(x.kind)), s(&x.subdistrict_id)],
            ),
            AnyRecord::StationStaff(x) => (
                "INSERT OR REPLACE INTO station_staff (doc_id, id, station_id, name, post)
                 VALUES (?1, ?2, ?3, ?4, ?5)",
                vec![s(&x.id), s(&x.station_id), s(&x.name), s(&x.post)],
            ),
            AnyRecord::Deputy(x) => (
                "INSERT OR REPLACE INTO deputies (doc_id, id, name, levels, station_id)
                 VALUES (?1, ?2, ?3, ?4, ?5)",
                vec![s(&x.id), s(&x.name), j(&x.levels), s(&x.station_id)],
            ),
            AnyRecord::Department(x) => (
                "INSERT OR REPLACE INTO departments (doc_id, id, name) VALUES (?1, ?2, ?3)",
                vec![s(&x.id), s(&x.name)],
            ),
            AnyRecord::Campaign(x) => (
                "INSERT OR REPLACE INTO campaigns (doc_id, id, name, activity_kind, starts, ends,
                     station_ids) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
                vec![
                    s(&x.id), s(&x.name), s(&enum_str(x.activity_kind)), d(&x.starts),
                    d(&x.ends), j(&x.station_ids),
                ],
            ),
            AnyRecord::DraftRegulation(x) => (
                "INSERT OR REPLACE INTO drafts (doc_id, id, title, opens, closes, articles)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                vec![s(&x.id), s(&x.title), d(&x.opens), d(&x.closes), j(&x.articles)],
            ),
        }
    };
    let values = std::iter::once(rusqlite::types::Value::Text(doc_id.to_owned())).chain(values);
    tx.prepare_cached(sql)?
        .execute(rusqlite::params_from_iter(values))?;
    Ok(())
}

/// Lists and other nested values are kept in projection rows as JSON.
mod erased {
    pub trait Json {
        fn json(&self) -> String;
    }
    impl<T: serde::Serialize> Json for T {
        fn json(&self) -> String {
            super::to_json(self)
        }
    }
}

fn to_json<T: serde::Serialize + ?Sized>(v: &T) -> String {
    serde_json::to_string(v).expect("plain data serializes")
}

fn from_json<T: serde::de::DeserializeOwned>(s: &str) -> rusqlite::Result<T> {
    serde_json::from_str(s).map_err(|e| rusqlite::Error::ToSqlConversionFailure(Box::new(e)))
}

/// A unit enum as its snake_case name (how projection rows keep kinds and states).
fn enum_str<T: serde::Serialize>(v: T) -> String {
    match serde_json::to_value(v) {
        Ok(serde_json::Value::String(s)) => s,
        other => panic!("not a unit enum: {other:?}"),
    }
}

fn enum_from<T: serde::de::DeserializeOwned>(s: &str) -> rusqlite::Result<T> {
    serde_json::from_value(serde_json::Value::String(s.to_owned()))
        .map_err(|e| rusqlite::Error::ToSqlConversionFailure(Box::new(e)))
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
