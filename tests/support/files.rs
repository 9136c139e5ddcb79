//! Reading the files tests write, as a person with the files would (included with
//! `#[path]` by the tests that check what stays on disk).

/// Every value in every table of the database at `path` (opened with `key`, a raw
/// SQLCipher key in hex, or none for the server's plain file), as bytes.
pub fn every_stored_value(path: &std::path::Path, key: Option<&str>) -> Vec<Vec<u8>> {
    let conn = rusqlite::Connection::open(path).unwrap();
    if let Some(key) = key {
        conn.execute_batch(&format!("PRAGMA key = \"x'{key}'\";"))
            .unwrap();
    }
    let tables: Vec<String> = conn
        .prepare("SELECT name FROM sqlite_master WHERE type = 'table'")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    let mut values = Vec::new();
    for t in tables {
        let mut stmt = conn.prepare(&format!("SELECT * FROM \"{t}\"")).unwrap();
        let columns = stmt.column_count();
        let mut rows = stmt.query([]).unwrap();
        while let Some(row) = rows.next().unwrap() {
            for i in 0..columns {
                match row.get_ref(i).unwrap() {
                    rusqlite::types::ValueRef::Text(b) | rusqlite::types::ValueRef::Blob(b) => {
                        values.push(b.to_vec())
                    }
                    _ => {}
                }
            }
        }
    }
    values
}

pub fn holds(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}
