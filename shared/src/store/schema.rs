//! The device schema: append-only migrations.

/// Append-only: never edit a migration that has shipped; add a new one.
pub(super) const MIGRATIONS: &[&str] = &[
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
    // Changes received before the changes they depend on; applied when those arrive.
    "CREATE TABLE waiting_changes (
             doc_id TEXT NOT NULL,
             hash TEXT NOT NULL,
             bytes BLOB NOT NULL,
             PRIMARY KEY (doc_id, hash)
         );",
    // Documents are stored as a saved document plus appended changes.
    "ALTER TABLE documents ADD COLUMN tail_changes INTEGER NOT NULL DEFAULT 0;",
    // Schema 2: documents are buckets of records (doc.rs). The v1 `meetings` table stays
    // unused; `stations` and `deputies` keep their columns.
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
    // The index is looked up by key only: one b-tree instead of a table and its index.
    "CREATE TABLE record_index_new (key TEXT PRIMARY KEY, doc_id TEXT NOT NULL)
             WITHOUT ROWID;
         INSERT INTO record_index_new SELECT key, doc_id FROM record_index;
         DROP TABLE record_index;
         ALTER TABLE record_index_new RENAME TO record_index;",
    // Which document holds a record moves into the record's own projection row: one
    // b-tree write per received record instead of two (~10% of apply + project).
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
    // Changes the server refused for their document (outside the account's scope,
    // read-only, a reused sequence number): kept, but not sent again until the next
    // sign-in. The reason is the server's error code.
    "ALTER TABLE outbox ADD COLUMN refused TEXT;",
    // Photos, by content hash, per document that refers to them (the server checks
    // uploads and downloads against that document's scope). `data` is NULL until a photo
    // taken elsewhere is downloaded; `photo_parts` holds a download in progress.
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
    // Voters' contact details sealed under per-opinion keys (crate::seal): the keys as
    // this device holds them (`key` NULL once erased; `pending` 1 while the server has
    // not acknowledged the key or its erasure, 2 while set aside with its document's
    // refused changes); each opinion's channel and sealed details
    // in its row. The details are opened when shown, never kept open.
    "CREATE TABLE record_keys (
             key_id TEXT PRIMARY KEY,
             doc_id TEXT NOT NULL,
             key BLOB,
             pending INTEGER NOT NULL DEFAULT 0
         );
         CREATE INDEX record_keys_pending ON record_keys(pending) WHERE pending != 0;
         ALTER TABLE opinions ADD COLUMN channel TEXT;
         ALTER TABLE opinions ADD COLUMN contact TEXT;",
    // Who attended what, one row per deputy and activity (kept with the activity's
    // projection row), so statistics and duty records never search `deputy_ids` text;
    // and the deputies' yearly reports.
    "CREATE TABLE activity_deputies (
             deputy_id TEXT NOT NULL,
             date TEXT NOT NULL,
             activity_id TEXT NOT NULL,
             station_id TEXT NOT NULL,
             kind TEXT NOT NULL,
             PRIMARY KEY (deputy_id, date, activity_id)
         ) WITHOUT ROWID;
         CREATE INDEX activity_deputies_activity ON activity_deputies(activity_id);
         CREATE INDEX activity_deputies_date ON activity_deputies(date, station_id);
         INSERT OR IGNORE INTO activity_deputies
             SELECT j.value, a.date, a.id, a.station_id, a.kind
             FROM activities a, json_each(a.deputy_ids) j;
         CREATE TABLE reports (
             id TEXT PRIMARY KEY, doc_id TEXT, deputy_id TEXT NOT NULL,
             station_id TEXT NOT NULL, year INTEGER NOT NULL, date TEXT NOT NULL,
             title TEXT NOT NULL, text TEXT NOT NULL);
         CREATE INDEX reports_deputy ON reports(deputy_id, year);",
];

/// Whether every migration that has shipped (`shipped`: the SHA-256 of each one's text,
/// in order) is still in `migrations` with the same text; for the device's and the
/// server's tests.
pub fn migrations_as_shipped(migrations: &[&str], shipped: &[&str]) -> Result<(), String> {
    if migrations.len() < shipped.len() {
        return Err("a shipped migration was removed".into());
    }
    for (i, (sql, hash)) in migrations.iter().zip(shipped).enumerate() {
        if crate::protocol::content_hash(sql.as_bytes()) != *hash {
            return Err(format!(
                "migration {} was edited after it shipped: add a new one instead",
                i + 1
            ));
        }
    }
    Ok(())
}

/// SHA-256 of the text of every migration that has shipped, in order. Add the hash of a
/// new migration when it ships; never change one.
#[cfg(test)]
const SHIPPED: &[&str] = &[
    "005cd4ca52e25dc8ff9ec9a07a80c2d358ebc0b53f132462994bfaa60e61f2b3",
    "98707be2705ca68a13c5d21f5ba81590b1fc1ab3f8a8d4879d05b7486ee55b46",
    "3f4d16ba27e49b39ff6b7908764639c664ac2ae5502d190d3ac78a9e4c3d71dc",
    "aa0d497a68e924e7148c5238acbb8bf6287f5e0900ab3caffb57d0ed5786ae6d",
    "e847b73e00b5fa04e321b9482fd1d0bf537a41c0d1165259a7210aba18bb06f1",
    "8d3b4b8952c9903d4dd60d855391e43be5c132bec9bb8b2ac6b3c46e52ead9d8",
    "e712fe053e903c3602140ec1d7b1e7f83f78947ce66ad4dd504dedb59624572b",
    "822ac9b4c6ed9752e781c5c6b7f5d62757dc07efba1921be31ba5d82a286f3f4",
    "c30c68831d2a59d97ebfb137b88f013802f2ffd9c6b92fe37c097103ecc20fc5",
    "907f87a5a3ce48d4932a08242c7f34fc7ec78b50155500b5a970b6d8860c7ab5",
];

#[cfg(test)]
mod tests {
    use super::*;
    use rusqlite_migration::M;

    #[test]
    fn a_shipped_migration_never_changes() {
        migrations_as_shipped(MIGRATIONS, SHIPPED).unwrap();
    }

    #[test]
    fn every_kind_has_its_projection_table() {
        let conn = rusqlite::Connection::open_in_memory().unwrap();
        let mut conn = conn;
        rusqlite_migration::Migrations::new(MIGRATIONS.iter().map(|sql| M::up(sql)).collect())
            .to_latest(&mut conn)
            .unwrap();
        for kind in crate::registry::KINDS {
            let columns: Vec<String> = conn
                .prepare(&format!(
                    "SELECT name FROM pragma_table_info('{}')",
                    kind.table
                ))
                .unwrap()
                .query_map([], |r| r.get(0))
                .unwrap()
                .collect::<Result<_, _>>()
                .unwrap();
            for column in std::iter::once(&"doc_id").chain(kind.columns) {
                assert!(
                    columns.iter().any(|c| c == column),
                    "{}: table {} has no column {column}: add a migration",
                    kind.name,
                    kind.table
                );
            }
        }
    }
}
