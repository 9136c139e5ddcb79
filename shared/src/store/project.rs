//! Projection: a record's row in the table the UI lists from, as its kind's entry in
//! [`crate::registry`] declares it.

use super::*;

/// The projection table of each record kind (key prefix).
pub(super) fn table_of(prefix: &str) -> Option<&'static str> {
    crate::registry::kind(prefix).map(|k| k.table)
}

/// Updates the projection row of `record` (held by document `doc_id`).
pub(super) fn project(tx: &Connection, doc_id: &str, record: &AnyRecord) -> Result<(), Error> {
    let kind = record.kind();
    let values =
        std::iter::once(rusqlite::types::Value::Text(doc_id.to_owned())).chain(record.row());
    tx.prepare_cached(insert_sql(kind))?
        .execute(rusqlite::params_from_iter(values))?;
    if let AnyRecord::Activity(a) = record {
        project_attendances(tx, a)?;
    }
    Ok(())
}

/// Keeps `activity_deputies` (one row per deputy and activity) as the activity says.
fn project_attendances(tx: &Connection, a: &Activity) -> Result<(), Error> {
    tx.prepare_cached("DELETE FROM activity_deputies WHERE activity_id = ?1")?
        .execute([&a.id])?;
    let mut insert = tx.prepare_cached(
        "INSERT OR IGNORE INTO activity_deputies (deputy_id, date, activity_id, station_id, kind)
         VALUES (?1, ?2, ?3, ?4, ?5)",
    )?;
    let kind = enum_str(a.kind);
    for deputy in &a.deputy_ids {
        insert.execute(params![deputy, a.date, a.id, a.station_id, kind])?;
    }
    Ok(())
}

/// `INSERT OR REPLACE INTO <table> (doc_id, <columns>) VALUES (?1, …)`, made once per kind.
fn insert_sql(kind: &crate::registry::KindInfo) -> &'static str {
    static SQL: std::sync::OnceLock<HashMap<&'static str, String>> = std::sync::OnceLock::new();
    let all = SQL.get_or_init(|| {
        crate::registry::KINDS
            .iter()
            .map(|k| {
                let params: Vec<String> =
                    (1..=k.columns.len() + 1).map(|i| format!("?{i}")).collect();
                let sql = format!(
                    "INSERT OR REPLACE INTO {} (doc_id, {}) VALUES ({})",
                    k.table,
                    k.columns.join(", "),
                    params.join(", ")
                );
                (k.prefix, sql)
            })
            .collect()
    });
    &all[kind.prefix]
}
