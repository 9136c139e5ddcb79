//! The record reference of docs/PROTOCOL.md (the block between `<!-- records:begin -->`
//! and `<!-- records:end -->`) and docs/records.schema.json, generated from the code (the
//! `schema` and `demo` features; never in the app). `tests/protocol_docs.rs` fails when
//! either file differs from what the code generates. After a change to a record type,
//! rewrite both with the generator command:
//!
//! ```text
//! cargo run -p shared --bin protocol-docs
//! ```
//!
//! Where each fact in them comes from (nothing here is a hand-kept copy of a field list):
//! - field names, JSON types, enum spellings and descriptions: the records' JSON Schema,
//!   which schemars derives from the serde attributes and doc comments of
//!   `crate::model` (the `schema` feature);
//! - the Automerge type each field is written as: every record of the demo district (its
//!   directory and its year, [`haidian`]), written by the app's own writers and read back
//!   from the documents, plus a duty report (the demo year has none);
//! - what a reader accepts instead (absent, `null`, a text object for a string, `int` for
//!   `uint`…): each alternative written into a demo record and read with
//!   [`AnyRecord::read`], the reader the app and the server use;
//! - that every enum spelling is also what the app writes: each one read into a record and
//!   written back with the app's writer.
//!
//! Every demo record is also validated against the generated schema, as the document
//! holds it and as serde writes it, so the schema cannot disagree with real records.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::sync::LazyLock;

use crate::demo::documents::year_documents;
use crate::demo::haidian;
use crate::doc::{self, DocFamily, DocId, Places, SCHEMA_VERSION};
use crate::registry::AnyRecord;
use crate::registry::{KINDS, KindInfo};
use automerge::transaction::Transactable as _;
use automerge::{AutoCommit, ObjId, ObjType, ROOT, ReadDoc as _, ScalarValue, Value};
use chrono::{Datelike as _, NaiveDate};
use serde_json::{Value as Json, json};

const BEGIN: &str = "<!-- records:begin -->";
const END: &str = "<!-- records:end -->";

mod samples;
mod schema;
mod tables;
mod values;

pub use samples::*;
pub use schema::*;
pub use tables::*;
pub use values::*;

/// The two generated files under `docs_dir`: (path, what the code generates for it).
pub fn generated(docs_dir: &Path) -> Result<Vec<(PathBuf, String)>, String> {
    let protocol = docs_dir.join("PROTOCOL.md");
    let text =
        std::fs::read_to_string(&protocol).map_err(|e| format!("{}: {e}", protocol.display()))?;
    let start = text
        .find(BEGIN)
        .ok_or("PROTOCOL.md has no records:begin marker")?;
    let end = text[start..]
        .find(END)
        .ok_or("PROTOCOL.md has no records:end marker")?
        + start
        + END.len();
    let markdown = format!("{}{}{}", &text[..start], generate_markdown(), &text[end..]);
    let mut schema = String::new();
    pretty(&SCHEMA, 0, &mut schema);
    schema.push('\n');
    Ok(vec![
        (protocol, markdown),
        (docs_dir.join("records.schema.json"), schema),
    ])
}

/// `Err` with the first line of `file` that differs from `generated`, and how to
/// regenerate it.
pub fn same(what: &str, file: &str, generated: &str) -> Result<(), String> {
    if file == generated {
        return Ok(());
    }
    let (n, (a, b)) = file
        .lines()
        .zip(generated.lines())
        .enumerate()
        .find(|(_, (a, b))| a != b)
        .unwrap_or((
            file.lines().count().min(generated.lines().count()),
            ("<end>", "<end>"),
        ));
    Err(format!(
        "{what} is not what the code generates (line {} of it: {a:?}, generated: {b:?}).\n\
         Regenerate it: cargo run -p shared --bin protocol-docs",
        n + 1
    ))
}
