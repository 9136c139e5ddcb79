//! Records made by a form ([`RecordForm`]): one way to make any of them and one to list
//! them, so a kind with a form needs no store function of its own (deputy suggestions and
//! livelihood leads today).

use rusqlite::types::ValueRef;

use super::*;
use crate::registry::{self, KindInfo};

impl Store {
    /// Makes a record from its form: validated, every id it names checked against the
    /// device's directory and records, given a new id and saved; its id.
    pub fn create<F>(&mut self, input: &F, today: NaiveDate) -> Result<String, Error>
    where
        F: RecordForm,
        F::Record: Record + Into<AnyRecord>,
    {
        let mut record = input.validate(today).map_err(Error::Invalid)?;
        let mut errors = Vec::new();
        for r in F::references(&record) {
            let prefix = match r.to {
                Referent::Station => "station",
                Referent::Deputy => "deputy",
                Referent::Opinion => "opinion",
                Referent::Department => "department",
            };
            let table = super::project::table_of(prefix).expect("a registered kind");
            self.must_exist(&mut errors, r.field, table, Some(r.id))?;
        }
        errors.dedup();
        refuse(errors)?;
        let id = new_id();
        record.set_id(id.clone());
        self.save(&record)?;
        Ok(id)
    }

    /// Every record of a kind that has a form, newest first (by date where it has one,
    /// then by when its row was last written: an edit or a merge rewrites it), read whole
    /// from its projection row.
    pub fn records(&self, prefix: &str) -> Result<Vec<serde_json::Value>, Error> {
        let kind = registry::kind(prefix)
            .filter(|k| k.form.is_some())
            .ok_or(Error::NotFound)?;
        let order = if kind.columns.contains(&"date") {
            "date DESC, rowid DESC"
        } else {
            "rowid DESC"
        };
        let sql = format!(
            "SELECT {} FROM {} ORDER BY {order}",
            kind.columns.join(", "),
            kind.table
        );
        let mut stmt = self.conn.prepare_cached(&sql)?;
        let mut rows = stmt.query([])?;
        let mut out = Vec::new();
        while let Some(row) = rows.next()? {
            out.push(read_row(kind, row)?);
        }
        Ok(out)
    }

    /// [`Store::records`], typed.
    pub fn list<F>(&self) -> Result<Vec<F::Record>, Error>
    where
        F: RecordForm,
    {
        self.records(F::KIND)?
            .into_iter()
            .map(|v| serde_json::from_value(v).map_err(|e| Error::Corrupt(e.to_string())))
            .collect()
    }
}

/// A projection row as the record's JSON object: each column read back as its `kinds!`
/// entry wrote it (the functions of [`crate::registry::cell`]; a cell not named here is
/// refused, never guessed).
fn read_row(kind: &KindInfo, row: &rusqlite::Row<'_>) -> Result<serde_json::Value, Error> {
    use serde_json::Value as J;
    let mut object = serde_json::Map::new();
    for (i, (column, cell)) in kind.columns.iter().zip(kind.cells).enumerate() {
        let value = match (*cell, row.get_ref(i)?) {
            ("opt" | "opt_date" | "opt_name", ValueRef::Null) => J::Null,
            ("json", ValueRef::Text(t)) => serde_json::from_slice(t)
                .map_err(|e| Error::Corrupt(format!("{}.{column}: {e}", kind.table)))?,
            ("flag", ValueRef::Integer(n)) => J::Bool(n != 0),
            ("int", ValueRef::Integer(n)) => J::from(n),
            ("text" | "date" | "name" | "opt" | "opt_date" | "opt_name", ValueRef::Text(t)) => {
                J::String(String::from_utf8_lossy(t).into_owned())
            }
            (cell, _) => {
                return Err(Error::Corrupt(format!(
                    "{}.{column} does not hold a {cell}",
                    kind.table
                )));
            }
        };
        object.insert((*column).to_owned(), value);
    }
    Ok(J::Object(object))
}
