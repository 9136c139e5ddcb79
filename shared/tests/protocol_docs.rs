//! The record reference of docs/PROTOCOL.md (the block between `<!-- records:begin -->`
//! and `<!-- records:end -->`) and docs/records.schema.json are generated here from the
//! code, and the tests fail when either file differs from what the code generates. After
//! a change to a record type, rewrite both with
//!
//! ```text
//! JIAZHAN_WRITE_DOCS=1 cargo test -p shared --test protocol_docs
//! ```
//!
//! Where each fact in them comes from (nothing here is a hand-kept copy of a field list):
//! - field names, JSON types, enum spellings and descriptions: the records' JSON Schema,
//!   which schemars derives from the serde attributes and doc comments of
//!   `shared::model` (the `schema` feature);
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
use std::path::PathBuf;
use std::sync::LazyLock;

use automerge::transaction::Transactable as _;
use automerge::{AutoCommit, ObjId, ObjType, ROOT, ReadDoc as _, ScalarValue, Value};
use chrono::{Datelike as _, NaiveDate};
use serde_json::{Value as Json, json};
use shared::demo::documents::year_documents;
use shared::demo::haidian;
use shared::doc::{self, DocFamily, DocId, Places, SCHEMA_VERSION};
use shared::registry::AnyRecord;
use shared::registry::{KINDS, KindInfo};

const BEGIN: &str = "<!-- records:begin -->";
const END: &str = "<!-- records:end -->";

// ---------------------------------------------------------------------------------------
// Automerge values as a document holds them.

/// A value in a document, with the Automerge type it was written as.
#[derive(Clone, Debug, PartialEq)]
enum Am {
    Str(String),
    Text(String),
    Int(i64),
    Uint(u64),
    F64(f64),
    Bool(bool),
    Null,
    /// Counters, timestamps, bytes: the app never writes them into records.
    Other(&'static str),
    List(Vec<Am>),
    Map(Vec<(String, Am)>),
}

impl Am {
    /// The type's name as the docs give it.
    fn type_name(&self) -> &'static str {
        match self {
            Am::Str(_) => "scalar str",
            Am::Text(_) => "text",
            Am::Int(_) => "int",
            Am::Uint(_) => "uint",
            Am::F64(_) => "f64",
            Am::Bool(_) => "boolean",
            Am::Null => "null",
            Am::Other(name) => name,
            Am::List(_) => "list",
            Am::Map(_) => "map",
        }
    }

    /// The value as JSON, the way `doc::read_at` sees it before serde reads it.
    fn json(&self) -> Json {
        match self {
            Am::Str(s) | Am::Text(s) => Json::String(s.clone()),
            Am::Int(n) => json!(n),
            Am::Uint(n) => json!(n),
            Am::F64(n) => json!(n),
            Am::Bool(b) => Json::Bool(*b),
            Am::Null | Am::Other(_) => Json::Null,
            Am::List(items) => Json::Array(items.iter().map(Am::json).collect()),
            Am::Map(entries) => {
                Json::Object(entries.iter().map(|(k, v)| (k.clone(), v.json())).collect())
            }
        }
    }

    fn field(&self, name: &str) -> Option<&Am> {
        match self {
            Am::Map(entries) => entries.iter().find(|(k, _)| k == name).map(|(_, v)| v),
            _ => None,
        }
    }

    /// Whether any string in the value is a sealed contact (random: never in the docs).
    fn has_sealed(&self) -> bool {
        match self {
            Am::Str(s) | Am::Text(s) => s.starts_with("c1."),
            Am::List(items) => items.iter().any(Am::has_sealed),
            Am::Map(entries) => entries.iter().any(|(_, v)| v.has_sealed()),
            _ => false,
        }
    }
}

fn read_value(doc: &AutoCommit, value: Value<'_>, id: ObjId) -> Am {
    match value {
        Value::Object(ObjType::Map | ObjType::Table) => Am::Map(
            doc.keys(&id)
                .map(|k| {
                    let (v, child) = doc.get(&id, k.as_str()).unwrap().unwrap();
                    let v = read_value(doc, v, child);
                    (k, v)
                })
                .collect(),
        ),
        Value::Object(ObjType::List) => Am::List(
            (0..doc.length(&id))
                .map(|i| {
                    let (v, child) = doc.get(&id, i).unwrap().unwrap();
                    read_value(doc, v, child)
                })
                .collect(),
        ),
        Value::Object(ObjType::Text) => Am::Text(doc.text(&id).unwrap()),
        Value::Scalar(s) => match s.as_ref() {
            ScalarValue::Str(s) => Am::Str(s.to_string()),
            ScalarValue::Int(n) => Am::Int(*n),
            ScalarValue::Uint(n) => Am::Uint(*n),
            ScalarValue::F64(n) => Am::F64(*n),
            ScalarValue::Boolean(b) => Am::Bool(*b),
            ScalarValue::Null => Am::Null,
            ScalarValue::Counter(_) => Am::Other("counter"),
            ScalarValue::Timestamp(_) => Am::Other("timestamp"),
            ScalarValue::Bytes(_) => Am::Other("bytes"),
            ScalarValue::Unknown { .. } => Am::Other("unknown"),
        },
    }
}

/// The value under root key `key`.
fn read_root(doc: &AutoCommit, key: &str) -> Am {
    let (v, id) = doc.get(ROOT, key).unwrap().unwrap();
    read_value(doc, v, id)
}

/// Where a value goes: a map key, or a list index (inserted).
enum At<'a> {
    Key(&'a str),
    Index(usize),
}

fn put_value(doc: &mut AutoCommit, obj: &ObjId, at: At<'_>, v: &Am) {
    let scalar = match v {
        Am::Str(s) => Some(ScalarValue::from(s.as_str())),
        Am::Int(n) => Some(ScalarValue::Int(*n)),
        Am::Uint(n) => Some(ScalarValue::Uint(*n)),
        Am::F64(n) => Some(ScalarValue::F64(*n)),
        Am::Bool(b) => Some(ScalarValue::Boolean(*b)),
        Am::Null => Some(ScalarValue::Null),
        Am::Other(name) => panic!("the tests never write a {name}"),
        Am::Text(_) | Am::List(_) | Am::Map(_) => None,
    };
    if let Some(s) = scalar {
        match at {
            At::Key(k) => doc.put(obj, k, s).unwrap(),
            At::Index(i) => doc.insert(obj, i, s).unwrap(),
        }
        return;
    }
    let kind = match v {
        Am::Text(_) => ObjType::Text,
        Am::List(_) => ObjType::List,
        _ => ObjType::Map,
    };
    let child = match at {
        At::Key(k) => doc.put_object(obj, k, kind).unwrap(),
        At::Index(i) => doc.insert_object(obj, i, kind).unwrap(),
    };
    match v {
        Am::Text(s) => doc.splice_text(&child, 0, 0, s).unwrap(),
        Am::List(items) => {
            for (i, item) in items.iter().enumerate() {
                put_value(doc, &child, At::Index(i), item);
            }
        }
        Am::Map(entries) => {
            for (k, item) in entries {
                put_value(doc, &child, At::Key(k), item);
            }
        }
        _ => unreachable!(),
    }
}

/// Reads `record` (a record map) back with the app's reader, from a document that holds
/// it under `key`.
fn read_back(key: &str, record: &Am) -> Result<Option<AnyRecord>, shared::Error> {
    let mut doc = AutoCommit::new();
    doc.put(ROOT, "schema", SCHEMA_VERSION).unwrap();
    put_value(&mut doc, &ROOT, At::Key(key), record);
    AnyRecord::read(&doc, key)
}

/// Whether the server takes a pushed change that leaves `sample`'s document with
/// `record` in its place (the rest of the document as the demo has it), as
/// `shared::validate::check_records` decides.
fn server_takes(sample: &Sample, record: &Am) -> bool {
    let s = &*SAMPLES;
    let mut doc = AutoCommit::new();
    doc.put(ROOT, "schema", SCHEMA_VERSION).unwrap();
    for &i in &s.by_doc[&sample.doc_id] {
        let other = &s.records[i];
        let value = if other.key == sample.key {
            record
        } else {
            &other.value
        };
        put_value(&mut doc, &ROOT, At::Key(&other.key), value);
    }
    shared::validate::check_records(
        &sample.doc_id,
        &doc,
        std::slice::from_ref(&sample.key),
        &mut |id| s.referrals.get(id).cloned(),
    )
    .is_ok()
}

// ---------------------------------------------------------------------------------------
// Field paths: `date`, `deputy_ids[]` (a list's items), `articles[].number`.

#[derive(Clone, Copy)]
enum Seg<'a> {
    Key(&'a str),
    Each,
}

fn segments(path: &str) -> Vec<Seg<'_>> {
    let mut out = Vec::new();
    for part in path.split('.') {
        match part.strip_suffix("[]") {
            Some(name) => out.extend([Seg::Key(name), Seg::Each]),
            None => out.push(Seg::Key(part)),
        }
    }
    out
}

/// The values at `path` in `value` (every item of a list for `[]`).
fn values_at<'a>(value: &'a Am, path: &[Seg<'_>]) -> Vec<&'a Am> {
    let Some((first, rest)) = path.split_first() else {
        return vec![value];
    };
    match (first, value) {
        (Seg::Key(k), v) => v.field(k).map_or(vec![], |v| values_at(v, rest)),
        (Seg::Each, Am::List(items)) => items.iter().flat_map(|v| values_at(v, rest)).collect(),
        (Seg::Each, _) => vec![],
    }
}

/// `value` with each value at `path` replaced by `f` of it (`None`: removed).
fn replace_at(value: &Am, path: &[Seg<'_>], f: &dyn Fn(&Am) -> Option<Am>) -> Am {
    match (path, value) {
        ([Seg::Key(k)], Am::Map(entries)) => Am::Map(
            entries
                .iter()
                .filter_map(|(name, v)| {
                    if name == k {
                        f(v).map(|v| (name.clone(), v))
                    } else {
                        Some((name.clone(), v.clone()))
                    }
                })
                .collect(),
        ),
        ([Seg::Key(k), rest @ ..], Am::Map(entries)) => Am::Map(
            entries
                .iter()
                .map(|(name, v)| {
                    let v = if name == k {
                        replace_at(v, rest, f)
                    } else {
                        v.clone()
                    };
                    (name.clone(), v)
                })
                .collect(),
        ),
        ([Seg::Each], Am::List(items)) => Am::List(items.iter().filter_map(f).collect()),
        ([Seg::Each, rest @ ..], Am::List(items)) => {
            Am::List(items.iter().map(|v| replace_at(v, rest, f)).collect())
        }
        _ => value.clone(),
    }
}

/// The paths of every field of `value` (a record map), list items included.
fn observe(value: &Am, path: &str, types: &mut BTreeMap<String, BTreeSet<&'static str>>) {
    if !path.is_empty() {
        types
            .entry(path.to_owned())
            .or_default()
            .insert(value.type_name());
    }
    match value {
        Am::Map(entries) => {
            for (k, v) in entries {
                let p = if path.is_empty() {
                    k.clone()
                } else {
                    format!("{path}.{k}")
                };
                observe(v, &p, types);
            }
        }
        Am::List(items) => {
            for item in items {
                observe(item, &format!("{path}[]"), types);
            }
        }
        _ => {}
    }
}

// ---------------------------------------------------------------------------------------
// Field order: the order serde writes fields in (the declaration order), whatever order
// a JSON map keeps its keys in.

/// A JSON value's shape, with object keys in the order they were written.
enum Shape {
    Map(Vec<(String, Shape)>),
    Seq(Vec<Shape>),
    Leaf,
}

impl<'de> serde::Deserialize<'de> for Shape {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Shape, D::Error> {
        struct V;
        impl<'de> serde::de::Visitor<'de> for V {
            type Value = Shape;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("JSON")
            }
            fn visit_bool<E>(self, _: bool) -> Result<Shape, E> {
                Ok(Shape::Leaf)
            }
            fn visit_i64<E>(self, _: i64) -> Result<Shape, E> {
                Ok(Shape::Leaf)
            }
            fn visit_u64<E>(self, _: u64) -> Result<Shape, E> {
                Ok(Shape::Leaf)
            }
            fn visit_f64<E>(self, _: f64) -> Result<Shape, E> {
                Ok(Shape::Leaf)
            }
            fn visit_str<E>(self, _: &str) -> Result<Shape, E> {
                Ok(Shape::Leaf)
            }
            fn visit_unit<E>(self) -> Result<Shape, E> {
                Ok(Shape::Leaf)
            }
            fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut a: A) -> Result<Shape, A::Error> {
                let mut items = Vec::new();
                while let Some(item) = a.next_element()? {
                    items.push(item);
                }
                Ok(Shape::Seq(items))
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(self, mut a: A) -> Result<Shape, A::Error> {
                let mut entries = Vec::new();
                while let Some(entry) = a.next_entry()? {
                    entries.push(entry);
                }
                Ok(Shape::Map(entries))
            }
        }
        d.deserialize_any(V)
    }
}

/// The field paths of a record as serde writes it, in order.
fn field_order(record: &AnyRecord) -> Vec<String> {
    fn walk(shape: &Shape, path: &str, out: &mut Vec<String>) {
        match shape {
            Shape::Map(entries) => {
                for (k, v) in entries {
                    let p = if path.is_empty() {
                        k.clone()
                    } else {
                        format!("{path}.{k}")
                    };
                    out.push(p.clone());
                    walk(v, &p, out);
                }
            }
            Shape::Seq(items) => {
                let mut seen = Vec::new();
                for item in items {
                    walk(item, &format!("{path}[]"), &mut seen);
                }
                for p in seen {
                    if !out.contains(&p) {
                        out.push(p);
                    }
                }
            }
            Shape::Leaf => {}
        }
    }
    // An `AnyRecord` serializes as `{"Kind": {…}}`.
    let text = serde_json::to_string(record).unwrap();
    let Shape::Map(outer) = serde_json::from_str::<Shape>(&text).unwrap() else {
        panic!("a record is a map");
    };
    let mut out = Vec::new();
    walk(&outer[0].1, "", &mut out);
    out
}

/// Adds the paths of `seq` to `into`, keeping the order of both.
fn merge_order(into: &mut Vec<String>, seq: &[String]) {
    let mut at = 0;
    for p in seq {
        match into.iter().position(|x| x == p) {
            Some(i) => at = i + 1,
            None => {
                into.insert(at, p.clone());
                at += 1;
            }
        }
    }
}

// ---------------------------------------------------------------------------------------
// The samples: every demo record, as written into its document by the app's writers.

struct Sample {
    doc_id: DocId,
    key: String,
    value: Am,
    record: AnyRecord,
}

struct Samples {
    /// Every record, in document order.
    records: Vec<Sample>,
    /// The types the documents' `schema` keys were written as.
    schema_types: BTreeSet<&'static str>,
    /// Per station, its street or town (for the placement check).
    subdistrict_of: BTreeMap<String, String>,
    /// Per referral, the year it was referred in.
    referral_year: BTreeMap<String, i32>,
    /// The referrals, by id (what the server looks an answer's referral up in).
    referrals: BTreeMap<String, shared::Referral>,
    /// Per document, its records (indices into `records`).
    by_doc: BTreeMap<DocId, Vec<usize>>,
}

static SAMPLES: LazyLock<Samples> = LazyLock::new(|| {
    let dir = haidian::directory();
    let mut docs = doc::directory_documents(&dir).unwrap();
    let year = haidian::year(&dir, haidian::DEMO_SEED);
    docs.extend(year_documents(&year).unwrap().documents);
    // The demo year has no duty report: one, as the store saves it (in the station's
    // month of the day it was first saved).
    let deputy = &dir.deputies[0];
    let report = shared::YearReport {
        id: "report-0001".into(),
        deputy_id: deputy.id.clone(),
        station_id: deputy.station_id.clone(),
        year: 2022,
        date: NaiveDate::from_ymd_opt(2022, 12, 20).unwrap(),
        title: "2022年度履职报告".into(),
        text: "# 一、参加活动\n\n全年进站见选民12次。".into(),
    };
    let mut d = AutoCommit::new();
    doc::write_record(&mut d, &report).unwrap();
    docs.push((DocId::station(&report.station_id, report.date), d));
    // Nor photos: an activity with two, as the app saves it.
    let mut activity = year.activities[0].clone();
    activity.id = format!("{}-photos", activity.id);
    activity.photos = vec![
        shared::protocol::content_hash(b"photo 1"),
        shared::protocol::content_hash(b"photo 2"),
    ];
    let mut d = AutoCommit::new();
    doc::write_record(&mut d, &activity).unwrap();
    docs.push((DocId::station(&activity.station_id, activity.date), d));
    // Nor a suggestion addressed to no department.
    let mut suggestion = year.suggestions[0].clone();
    suggestion.id = format!("{}-undirected", suggestion.id);
    suggestion.department_id = None;
    let mut d = AutoCommit::new();
    doc::write_record(&mut d, &suggestion).unwrap();
    docs.push((DocId::station(&suggestion.station_id, suggestion.date), d));

    let mut records = Vec::new();
    let mut schema_types = BTreeSet::new();
    let mut by_doc: BTreeMap<DocId, Vec<usize>> = BTreeMap::new();
    for (doc_id, d) in &docs {
        schema_types.insert(read_root(d, "schema").type_name());
        for key in doc::record_keys(d) {
            let record = AnyRecord::read(d, &key).unwrap().expect("a known kind");
            by_doc
                .entry(doc_id.clone())
                .or_default()
                .push(records.len());
            records.push(Sample {
                doc_id: doc_id.clone(),
                value: read_root(d, &key),
                key,
                record,
            });
        }
    }
    Samples {
        records,
        schema_types,
        subdistrict_of: dir
            .stations
            .iter()
            .map(|s| (s.id.clone(), s.subdistrict_id.clone()))
            .collect(),
        referral_year: year
            .referrals
            .iter()
            .map(|r| (r.id.clone(), r.referred_on.year()))
            .collect(),
        referrals: year
            .referrals
            .iter()
            .map(|r| (r.id.clone(), r.clone()))
            .collect(),
        by_doc,
    }
});

fn samples_of(kind: &KindInfo) -> impl Iterator<Item = &'static Sample> {
    let prefix = kind.prefix;
    SAMPLES
        .records
        .iter()
        .filter(move |s| s.record.kind().prefix == prefix)
}

// ---------------------------------------------------------------------------------------
// Where records live. The id patterns are written here once, and checked against the
// document every demo record is in.

/// The families in the order the docs list them (every family of `KINDS` must be here).
const FAMILIES: [DocFamily; 6] = [
    DocFamily::District,
    DocFamily::Subdistrict,
    DocFamily::Consultation,
    DocFamily::Station,
    DocFamily::Referrals,
    DocFamily::Answers,
];

fn family_pattern(family: DocFamily) -> &'static str {
    match family {
        DocFamily::District => "district",
        DocFamily::Subdistrict => "subdistrict/<subdistrict id>",
        DocFamily::Consultation => "consultation/<draft id>",
        DocFamily::Station => "station/<station id>/<YYYY-MM>",
        DocFamily::Referrals => "referrals/<department id>/<station id>/<YYYY>",
        DocFamily::Answers => "answers/<department id>/<station id>/<YYYY>",
    }
}

/// Which document of its family a record is written into, in words, and as computed.
fn placement(record: &AnyRecord) -> (&'static str, DocId) {
    let home = record.home();
    (home.pattern(), home.doc_id(&*SAMPLES).expect("placed"))
}

impl Places for Samples {
    fn subdistrict_of(&self, station: &str) -> Option<String> {
        self.subdistrict_of.get(station).cloned()
    }
    fn referral_year(&self, referral: &str) -> Option<i32> {
        self.referral_year.get(referral).copied()
    }
}

/// Whether document id `id` has the shape of `pattern` (`<…>` stands for one part).
fn matches_pattern(id: &str, pattern: &str) -> bool {
    let parts: Vec<&str> = id.split('/').collect();
    let wanted: Vec<&str> = pattern.split('/').collect();
    parts.len() == wanted.len()
        && parts.iter().zip(&wanted).all(|(p, w)| match *w {
            "<YYYY-MM>" => p.len() == 7 && p.as_bytes()[4] == b'-',
            "<YYYY>" => p.len() == 4 && p.bytes().all(|b| b.is_ascii_digit()),
            w if w.starts_with('<') => doc::is_valid_id(p),
            w => *p == w,
        })
}

// ---------------------------------------------------------------------------------------
// The JSON Schema.

/// `required` lists sorted (they are sets), so that the schema is the same whichever
/// order the JSON maps of this build keep (serde_json's `preserve_order` is on in some
/// builds of the workspace and off in others); [`pretty`] orders the keys.
fn canonical(v: &Json) -> Json {
    match v {
        Json::Object(m) => {
            let mut keys: Vec<&String> = m.keys().collect();
            keys.sort();
            Json::Object(
                keys.into_iter()
                    .map(|k| {
                        let mut value = canonical(&m[k]);
                        if k == "required"
                            && let Json::Array(items) = &mut value
                        {
                            items.sort_by(|a, b| a.as_str().cmp(&b.as_str()));
                        }
                        (k.clone(), value)
                    })
                    .collect(),
            )
        }
        Json::Array(items) => Json::Array(items.iter().map(canonical).collect()),
        other => other.clone(),
    }
}

/// Keys that come first in an object, in this order; the others follow sorted.
const FIRST_KEYS: &[&str] = &[
    "$schema",
    "title",
    "description",
    "type",
    "const",
    "format",
    "$ref",
    "properties",
    "required",
];

/// `v` as indented JSON with its keys in a fixed order ([`FIRST_KEYS`], then sorted;
/// names of properties and definitions sorted), whatever order the map keeps them in.
fn pretty(v: &Json, indent: usize, out: &mut String) {
    pretty_in(v, indent, false, out);
}

fn pretty_in(v: &Json, indent: usize, names: bool, out: &mut String) {
    let pad = |n: usize| "  ".repeat(n);
    match v {
        Json::Object(m) if !m.is_empty() => {
            let mut keys: Vec<&String> = m.keys().collect();
            keys.sort_by_key(|k| {
                let first = FIRST_KEYS.iter().position(|f| f == k);
                let rank = first.filter(|_| !names).unwrap_or(FIRST_KEYS.len());
                (rank, k.as_str())
            });
            out.push_str("{\n");
            for (i, k) in keys.iter().enumerate() {
                write!(out, "{}{}: ", pad(indent + 1), json!(k)).unwrap();
                let named =
                    !names && ["properties", "patternProperties", "$defs"].contains(&k.as_str());
                pretty_in(&m[k.as_str()], indent + 1, named, out);
                out.push_str(if i + 1 < keys.len() { ",\n" } else { "\n" });
            }
            write!(out, "{}}}", pad(indent)).unwrap();
        }
        Json::Array(items) if !items.is_empty() => {
            out.push_str("[\n");
            for (i, item) in items.iter().enumerate() {
                out.push_str(&pad(indent + 1));
                pretty_in(item, indent + 1, false, out);
                out.push_str(if i + 1 < items.len() { ",\n" } else { "\n" });
            }
            write!(out, "{}]", pad(indent)).unwrap();
        }
        other => out.push_str(&other.to_string()),
    }
}

/// The schema of a document root as JSON (`schema` and every record under its root key),
/// with each kind of record in `$defs` under its type's name.
static SCHEMA: LazyLock<Json> = LazyLock::new(|| {
    let mut generator = schemars::generate::SchemaSettings::draft2020_12().into_generator();
    // `AnyRecord` refers to every kind: asking for it puts each kind's schema into $defs.
    let _ = generator.subschema_for::<AnyRecord>();
    let mut defs = generator.take_definitions(true);
    defs.remove("AnyRecord");
    for kind in KINDS {
        assert!(defs.contains_key(kind.name), "no schema for {}", kind.name);
    }
    let records: serde_json::Map<String, Json> = KINDS
        .iter()
        .map(|k| {
            (
                format!("^{}:", k.prefix),
                json!({ "$ref": format!("#/$defs/{}", k.name) }),
            )
        })
        .collect();
    canonical(&json!({
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": format!("A Jiazhan document's root (schema {SCHEMA_VERSION})"),
        "description": "Generated from the code by shared/tests/protocol_docs.rs \
            (JIAZHAN_WRITE_DOCS=1 rewrites it); see docs/PROTOCOL.md, \"Records\". The root of \
            an Automerge document as JSON (text objects read as strings): `schema`, and each \
            record under `<prefix>:<id>`, whose `id` field is the `<id>` of its key. Each kind \
            of record is also in `$defs` under its name. Root keys of other prefixes are \
            records of kinds a newer app writes: readers skip them. Fields a kind does not \
            list are allowed (and kept by the app), except in referrals, where the server \
            refuses them. This checks JSON types only: the Automerge type to write each \
            value as (a scalar string, not a text object; uint or int) is in PROTOCOL.md.",
        "type": "object",
        "properties": {
            "schema": {
                "description": "The layout version: put by the first writer of the \
                    document (an Automerge uint).",
                "const": SCHEMA_VERSION,
            }
        },
        "required": ["schema"],
        "patternProperties": records,
        "$defs": defs,
    }))
});

fn def(name: &str) -> &'static Json {
    SCHEMA["$defs"]
        .get(name)
        .unwrap_or_else(|| panic!("no $defs/{name}"))
}

/// The name of the definition a `$ref` schema points at.
fn ref_name(s: &Json) -> Option<&str> {
    s.get("$ref")?.as_str()?.strip_prefix("#/$defs/")
}

/// An enum's spellings, with their descriptions, if `name` is an enum of strings.
fn enum_values(name: &str) -> Option<Vec<(String, String)>> {
    let d = def(name);
    if let Some(values) = d.get("enum") {
        return Some(
            values
                .as_array()?
                .iter()
                .map(|v| (v.as_str().unwrap().to_owned(), String::new()))
                .collect(),
        );
    }
    let one_of = d.get("oneOf")?.as_array()?;
    let mut out = Vec::new();
    for v in one_of {
        if let Some(c) = v.get("const") {
            out.push((c.as_str()?.to_owned(), description(v)));
        } else {
            for e in v.get("enum")?.as_array()? {
                out.push((e.as_str()?.to_owned(), description(v)));
            }
        }
    }
    Some(out)
}

/// The title and description of a schema, as one line.
fn description(s: &Json) -> String {
    let parts: Vec<&str> = ["title", "description"]
        .iter()
        .filter_map(|k| s.get(*k)?.as_str())
        .collect();
    parts.join(" ").replace("\n\n", " ").replace('\n', " ")
}

/// The schema of a field's value, and whether it allows `null`.
fn property<'a>(kind_def: &'a Json, path: &str) -> &'a Json {
    let mut s = kind_def;
    for seg in segments(path) {
        s = match seg {
            Seg::Key(k) => {
                let props = if let Some(name) = ref_name(s) {
                    &def(name)["properties"]
                } else {
                    &s["properties"]
                };
                props
                    .get(k)
                    .unwrap_or_else(|| panic!("{path}: no property {k}"))
            }
            Seg::Each => &s["items"],
        };
    }
    s
}

fn allows_null(s: &Json) -> bool {
    match s.get("type") {
        Some(Json::Array(types)) => types.iter().any(|t| t == "null"),
        Some(t) => t == "null",
        None => s
            .get("anyOf")
            .or_else(|| s.get("oneOf"))
            .and_then(Json::as_array)
            .is_some_and(|v| v.iter().any(allows_null)),
    }
}

/// A field's JSON value in words.
fn json_type(s: &Json) -> String {
    if let Some(name) = ref_name(s) {
        return if enum_values(name).is_some() {
            format!("[{name}](#{}) string", name.to_lowercase())
        } else {
            "object (below)".to_owned()
        };
    }
    if let Some(any) = s.get("anyOf").and_then(Json::as_array) {
        return any.iter().map(json_type).collect::<Vec<_>>().join(" or ");
    }
    let format = s.get("format").and_then(Json::as_str);
    let one = |t: &str| -> String {
        match (t, format) {
            ("string", Some("date")) => "date string `YYYY-MM-DD`".to_owned(),
            ("string", _) => "string".to_owned(),
            ("integer", Some("uint32")) => "integer 0…4294967295".to_owned(),
            ("integer", Some("int32")) => "integer −2147483648…2147483647".to_owned(),
            ("array", _) => format!("array of {}", json_type(&s["items"])),
            ("boolean" | "null", _) => t.to_owned(),
            other => panic!("describe the JSON type {other:?} ({s})"),
        }
    };
    match &s["type"] {
        Json::String(t) => one(t),
        Json::Array(types) => types
            .iter()
            .map(|t| one(t.as_str().unwrap()))
            .collect::<Vec<_>>()
            .join(" or "),
        _ => panic!("describe the JSON schema {s}"),
    }
}

// ---------------------------------------------------------------------------------------
// What the reader accepts.

/// What a reader does with one alternative way of writing a field.
struct Probe {
    /// e.g. `text`, `int`, `absent`.
    label: String,
    /// By the app's reader.
    accepted: bool,
    /// By the server, in a pushed change.
    server: bool,
}

/// Another way of writing a field's value: the same value as another Automerge type,
/// `null`, or left out.
#[derive(Clone, Copy)]
enum Alt {
    Absent,
    Null,
    Text,
    Str,
    Int,
    Uint,
    F64,
}

impl Alt {
    fn label(self) -> &'static str {
        match self {
            Alt::Absent => "absent",
            Alt::Null => "null",
            Alt::Text => "text",
            Alt::Str => "scalar str",
            Alt::Int => "int",
            Alt::Uint => "uint",
            Alt::F64 => "f64",
        }
    }

    /// The alternatives to a value like `v`; `in_list`: `v` is a list's item.
    fn for_value(v: &Am, in_list: bool) -> Vec<Alt> {
        let mut out = Vec::new();
        if !in_list {
            out.push(Alt::Absent);
            if *v != Am::Null {
                out.push(Alt::Null);
            }
        }
        match v {
            Am::Str(_) => out.push(Alt::Text),
            Am::Text(_) => out.push(Alt::Str),
            Am::Uint(_) => out.extend([Alt::Int, Alt::F64]),
            Am::Int(n) if *n >= 0 => out.extend([Alt::Uint, Alt::F64]),
            Am::Int(_) => out.push(Alt::F64),
            _ => {}
        }
        out
    }

    /// `v` written this way (`None`: left out).
    fn apply(self, v: &Am) -> Option<Am> {
        Some(match (self, v) {
            (Alt::Absent, _) => return None,
            (Alt::Null, _) => Am::Null,
            (Alt::Text, Am::Str(s)) => Am::Text(s.clone()),
            (Alt::Str, Am::Text(s)) => Am::Str(s.clone()),
            (Alt::Int, Am::Uint(n)) => Am::Int(i64::try_from(*n).unwrap()),
            (Alt::Uint, Am::Int(n)) => Am::Uint(u64::try_from(*n).unwrap()),
            (Alt::F64, Am::Uint(n)) => Am::F64(*n as f64),
            (Alt::F64, Am::Int(n)) => Am::F64(*n as f64),
            (_, other) => other.clone(),
        })
    }

    /// Whether the value read must be the same as the one written (the same value in
    /// another type), rather than unset.
    fn same_value(self) -> bool {
        !matches!(self, Alt::Absent | Alt::Null)
    }
}

/// Each alternative of the field at `path`, tried on a demo record that has a value there.
fn probe(kind: &KindInfo, path: &str) -> Vec<Probe> {
    let segs = segments(path);
    let in_list = matches!(segs.last(), Some(Seg::Each));
    let base = samples_of(kind)
        .find(|s| {
            values_at(&s.value, &segs)
                .first()
                .is_some_and(|v| **v != Am::Null)
        })
        .unwrap_or_else(|| panic!("no demo {} has a value at {path}", kind.name));
    let example = values_at(&base.value, &segs)[0];
    assert!(
        server_takes(base, &base.value),
        "the server refuses the demo's {}",
        base.key
    );
    let mut probes: Vec<Probe> = Alt::for_value(example, in_list)
        .into_iter()
        .map(|alt| {
            let changed = replace_at(&base.value, &segs, &|v| alt.apply(v));
            let accepted = match read_back(&base.key, &changed) {
                Ok(Some(r)) => !alt.same_value() || r == base.record,
                _ => false,
            };
            Probe {
                label: alt.label().to_owned(),
                accepted,
                server: server_takes(base, &changed),
            }
        })
        .collect();
    // A value no reader takes (a map for a scalar, a boolean for a list or map): the
    // server takes it only if it does not check this document at all.
    let garbage = match example {
        Am::List(_) | Am::Map(_) => Am::Bool(true),
        _ => Am::Map(vec![]),
    };
    let changed = replace_at(&base.value, &segs, &|_| Some(garbage.clone()));
    assert!(
        read_back(&base.key, &changed).is_err(),
        "{path}: {garbage:?}"
    );
    probes.push(Probe {
        label: "garbage".to_owned(),
        accepted: false,
        server: server_takes(base, &changed),
    });
    probes
}

// ---------------------------------------------------------------------------------------
// The generated markdown.

struct Field {
    path: String,
    schema: &'static Json,
    /// The Automerge types the demo records hold here.
    written: BTreeSet<&'static str>,
    probes: Vec<Probe>,
    /// For a list: its items' types and probes.
    items: Option<(BTreeSet<&'static str>, Vec<Probe>)>,
}

impl Field {
    fn accepts(&self, label: &str) -> bool {
        self.probes.iter().any(|p| p.label == label && p.accepted)
    }
}

fn fields_of(kind: &KindInfo) -> Vec<Field> {
    let mut order = Vec::new();
    let mut types = BTreeMap::new();
    for s in samples_of(kind) {
        merge_order(&mut order, &field_order(&s.record));
        observe(&s.value, "", &mut types);
    }
    let kind_def = def(kind.name);
    // Every field of the schema, and no other, is in the demo records.
    let mut props: Vec<String> = Vec::new();
    fn schema_paths(s: &'static Json, path: &str, out: &mut Vec<String>) {
        let s = ref_name(s).map_or(s, def);
        if let Some(props) = s.get("properties").and_then(Json::as_object) {
            for (k, v) in props {
                let p = if path.is_empty() {
                    k.clone()
                } else {
                    format!("{path}.{k}")
                };
                out.push(p.clone());
                if let Some(items) = v.get("items") {
                    schema_paths(items, &format!("{p}[]"), out);
                }
            }
        }
    }
    schema_paths(kind_def, "", &mut props);
    let mut in_docs: Vec<&String> = order.iter().filter(|p| !p.ends_with("[]")).collect();
    in_docs.sort();
    props.sort();
    assert_eq!(
        in_docs.iter().map(|s| s.as_str()).collect::<Vec<_>>(),
        props.iter().map(|s| s.as_str()).collect::<Vec<_>>(),
        "{}: the demo records' fields and the schema's differ",
        kind.name
    );
    order
        .iter()
        .filter(|p| !p.ends_with("[]"))
        .map(|path| {
            let written = types.get(path).cloned().unwrap_or_default();
            let schema = property(kind_def, path);
            if allows_null(schema) || written.contains("null") {
                assert!(
                    written.contains("null") && written.len() > 1,
                    "{}.{path}: the demo records must have it set and unset ({written:?})",
                    kind.name
                );
            }
            let items = written.contains("list").then(|| {
                let item_path = format!("{path}[]");
                let item_types = types
                    .get(&item_path)
                    .cloned()
                    .unwrap_or_else(|| panic!("{}.{path}: every demo list is empty", kind.name));
                let item_probes = if item_types.contains("map") {
                    Vec::new()
                } else {
                    probe(kind, &item_path)
                };
                (item_types, item_probes)
            });
            Field {
                path: path.clone(),
                schema,
                probes: probe(kind, path),
                written,
                items,
            }
        })
        .collect()
}

fn join_types(types: &BTreeSet<&'static str>) -> String {
    types
        .iter()
        .map(|t| format!("`{t}`"))
        .collect::<Vec<_>>()
        .join(" or ")
}

/// The Automerge type the app writes, e.g. `list` of `scalar str`, `null` when unset.
fn written_text(f: &Field) -> String {
    let set: BTreeSet<&str> = f.written.iter().copied().filter(|t| *t != "null").collect();
    let mut text = if let Some((items, _)) = &f.items {
        format!("`list` of {}", join_types(items))
    } else {
        join_types(&set)
    };
    if f.written.contains("null") {
        text.push_str("; `null` when unset");
    }
    text
}

/// The other representations a reader takes, and those it refuses.
fn also_read_text(f: &Field) -> String {
    let others = |probes: &[Probe], prefix: &str| -> (Vec<String>, Vec<String>) {
        let mut yes = Vec::new();
        let mut no = Vec::new();
        for p in probes {
            if ["absent", "null", "garbage"].contains(&p.label.as_str()) {
                continue;
            }
            let label = format!("{prefix}`{}`", p.label);
            if p.accepted { &mut yes } else { &mut no }.push(label);
        }
        (yes, no)
    };
    let (mut yes, mut no) = others(&f.probes, "");
    if let Some((_, item_probes)) = &f.items {
        let (y, n) = others(item_probes, "items as ");
        yes.extend(y);
        no.extend(n);
    }
    let mut text = if yes.is_empty() {
        "—".to_owned()
    } else {
        yes.join(", ")
    };
    if !no.is_empty() {
        write!(text, " (not {})", no.join(", ")).unwrap();
    }
    text
}

/// What the server takes in a pushed change besides what the app writes.
fn server_text(f: &Field) -> String {
    let items: &[Probe] = f.items.as_ref().map_or(&[], |(_, p)| p);
    if f.probes
        .iter()
        .chain(items)
        .any(|p| p.label == "garbage" && p.server)
    {
        return "not checked".to_owned();
    }
    let show = |p: &Probe, prefix: &str| match p.label.as_str() {
        "absent" => format!("{prefix}absent"),
        label => format!("{prefix}`{label}`"),
    };
    let taken: Vec<String> = f
        .probes
        .iter()
        .filter(|p| p.server && p.label != "garbage")
        .map(|p| show(p, ""))
        .chain(
            items
                .iter()
                .filter(|p| p.server && p.label != "garbage")
                .map(|p| show(p, "items as ")),
        )
        .collect();
    if taken.is_empty() {
        "as written only".to_owned()
    } else {
        format!("as written, or {}", taken.join(", "))
    }
}

/// Whether the field must be there, and how an unset one is written and read.
fn required_text(f: &Field) -> String {
    match (f.accepts("absent"), f.accepts("null")) {
        (false, false) => "required".to_owned(),
        (true, true) => "optional: absent or `null` = unset".to_owned(),
        (true, false) => "optional: may be absent (not `null`)".to_owned(),
        (false, true) => "required, may be `null`".to_owned(),
    }
}

fn cell(text: &str) -> String {
    text.replace('|', "\\|").replace('\n', " ")
}

/// A record as JSON with its fields in declaration order, one per line.
fn example(value: &Am, order: &[String]) -> String {
    fn ordered(value: &Am, path: &str, order: &[String]) -> String {
        match value {
            Am::Map(entries) => {
                let child = |k: &str| {
                    if path.is_empty() {
                        k.to_owned()
                    } else {
                        format!("{path}.{k}")
                    }
                };
                let mut keys: Vec<&(String, Am)> = entries.iter().collect();
                keys.sort_by_key(|(k, _)| order.iter().position(|p| *p == child(k)));
                let inner: Vec<String> = keys
                    .iter()
                    .map(|(k, v)| format!("{}: {}", json!(k), ordered(v, &child(k), order)))
                    .collect();
                format!("{{{}}}", inner.join(", "))
            }
            Am::List(items) => {
                let p = format!("{path}[]");
                let inner: Vec<String> = items.iter().map(|v| ordered(v, &p, order)).collect();
                format!("[{}]", inner.join(", "))
            }
            other => other.json().to_string(),
        }
    }
    let Am::Map(entries) = value else {
        panic!("a record is a map")
    };
    let mut keys: Vec<&(String, Am)> = entries.iter().collect();
    keys.sort_by_key(|(k, _)| order.iter().position(|p| p == k));
    let lines: Vec<String> = keys
        .iter()
        .map(|(k, v)| format!("  {}: {}", json!(k), ordered(v, k, order)))
        .collect();
    format!("{{\n{}\n}}", lines.join(",\n"))
}

/// `n` with a comma between thousands (20,000).
fn thousands(n: usize) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

fn generate_markdown() -> String {
    let mut md = String::new();
    let w = &mut md;
    writeln!(w, "{BEGIN}").unwrap();
    writeln!(
        w,
        "<!-- Generated from the code by shared/tests/protocol_docs.rs: do not edit by hand. \
         `JIAZHAN_WRITE_DOCS=1 cargo test -p shared --test protocol_docs` rewrites it. -->"
    )
    .unwrap();
    writeln!(w).unwrap();

    // Documents and their records.
    writeln!(w, "### Documents and the records they hold").unwrap();
    writeln!(w).unwrap();
    writeln!(
        w,
        "Every document's root holds `schema` ({}, value {SCHEMA_VERSION}) and its records, \
         each under `<prefix>:<id>`.",
        join_types(&SAMPLES.schema_types)
    )
    .unwrap();
    writeln!(w).unwrap();
    writeln!(w, "| document id | family (`kind`) | root keys |").unwrap();
    writeln!(w, "|---|---|---|").unwrap();
    for family in FAMILIES {
        let keys: Vec<String> = KINDS
            .iter()
            .filter(|k| k.family == family)
            .map(|k| {
                format!(
                    "`{}:<id>` ([{}](#{}))",
                    k.prefix,
                    k.name,
                    k.name.to_lowercase()
                )
            })
            .collect();
        writeln!(
            w,
            "| `{}` | `{}` | {} |",
            family_pattern(family),
            family.as_str(),
            keys.join(", ")
        )
        .unwrap();
    }
    writeln!(w).unwrap();

    // Each kind.
    writeln!(w, "### Record kinds").unwrap();
    writeln!(w).unwrap();
    writeln!(
        w,
        "Columns: **JSON** is the value as the app's reader deserializes it (and as \
         docs/records.schema.json has it); **written as** is the Automerge type the app \
         writes, which is what other clients should write; **also read** lists other \
         Automerge types the app's reader takes for the same value (devices and server \
         read with the same code), and (in brackets) those it refuses; **server** is what \
         the server takes in a pushed change (`422 invalid_record` otherwise), where \
         \"not checked\" means it stores the change without reading the record (devices \
         still read it as above); **required** says whether a reader takes the field left \
         out or `null`."
    )
    .unwrap();
    writeln!(w).unwrap();
    writeln!(
        w,
        "The app's forms keep values within these bounds, which readers do not check (a \
         record outside them still reads): names, titles, locations, guests and posts at \
         most {} characters (not bytes); an activity's summary and a referral's note {}; \
         other texts {}, a duty report {}; `voters_received` at most {}; dates from {} and \
         not in the future, but a referral's `deadline` after the day it is referred and \
         within {} days of it. Lists of ids hold each id once.",
        thousands(shared::MAX_SHORT_CHARS),
        thousands(shared::MAX_SUMMARY_CHARS),
        thousands(shared::MAX_TEXT_CHARS),
        thousands(shared::MAX_REPORT_CHARS),
        thousands(shared::MAX_VOTERS_RECEIVED as usize),
        shared::EARLIEST_DATE,
        shared::MAX_DEADLINE_DAYS,
    )
    .unwrap();
    let mut enums: Vec<(String, Vec<String>)> = Vec::new();
    for kind in KINDS {
        let kind_def = def(kind.name);
        let fields = fields_of(kind);
        let first = samples_of(kind)
            .next()
            .expect("a demo record of every kind");
        let (place, _) = placement(&first.record);
        writeln!(w).unwrap();
        writeln!(w, "#### {}", kind.name).unwrap();
        writeln!(w).unwrap();
        let about = description(kind_def);
        if !about.is_empty() {
            writeln!(w, "{about}").unwrap();
            writeln!(w).unwrap();
        }
        writeln!(w, "Root key `{}:<id>`, in {place}.", kind.prefix).unwrap();
        writeln!(w).unwrap();
        writeln!(
            w,
            "| field | JSON | written as | also read | server | required | description |"
        )
        .unwrap();
        writeln!(w, "|---|---|---|---|---|---|---|").unwrap();
        for f in &fields {
            writeln!(
                w,
                "| `{}` | {} | {} | {} | {} | {} | {} |",
                f.path,
                cell(&json_type(f.schema)),
                cell(&written_text(f)),
                cell(&also_read_text(f)),
                cell(&server_text(f)),
                required_text(f),
                cell(&description(f.schema)),
            )
            .unwrap();
            // The enums it uses.
            let target = if f.path.contains("[]") {
                None
            } else {
                Some(f.schema)
            };
            let mut refs = Vec::new();
            if let Some(s) = target {
                for s in [s, &s["items"]].into_iter().chain(
                    s.get("anyOf")
                        .and_then(Json::as_array)
                        .into_iter()
                        .flatten(),
                ) {
                    refs.extend(ref_name(s));
                }
            }
            for name in refs {
                if enum_values(name).is_some() {
                    let user = format!("`{}.{}`", kind.prefix, f.path);
                    match enums.iter_mut().find(|(n, _)| n == name) {
                        Some((_, users)) => users.push(user),
                        None => enums.push((name.to_owned(), vec![user])),
                    }
                }
            }
        }
        // An example: the demo record with the most fields set (none with sealed values,
        // which are random).
        let set_fields = |v: &Am| match v {
            Am::Map(entries) => entries.iter().filter(|(_, v)| *v != Am::Null).count(),
            _ => 0,
        };
        let mut best: Option<&Sample> = None;
        for s in samples_of(kind).filter(|s| !s.value.has_sealed()) {
            if best.is_none_or(|b| set_fields(&s.value) > set_fields(&b.value)) {
                best = Some(s);
            }
        }
        let best = best.expect("a demo record without sealed values");
        let mut order = Vec::new();
        for s in samples_of(kind) {
            merge_order(&mut order, &field_order(&s.record));
        }
        writeln!(w).unwrap();
        writeln!(w, "Example (demo data, in `{}`):", best.doc_id).unwrap();
        writeln!(w).unwrap();
        writeln!(w, "```json").unwrap();
        writeln!(w, "{}", example(&best.value, &order)).unwrap();
        writeln!(w, "```").unwrap();
    }

    // Enums.
    writeln!(w).unwrap();
    writeln!(w, "### Enumerations").unwrap();
    writeln!(w).unwrap();
    writeln!(
        w,
        "Enum values are these strings exactly (lowercase `snake_case`), in JSON and in \
         documents alike; the Rust variant names (`VoterMeeting`) are refused."
    )
    .unwrap();
    for (name, users) in &enums {
        writeln!(w).unwrap();
        writeln!(w, "#### {name}").unwrap();
        writeln!(w).unwrap();
        let about = description(def(name));
        if !about.is_empty() {
            writeln!(w, "{about}").unwrap();
            writeln!(w).unwrap();
        }
        writeln!(w, "Used by {}.", users.join(", ")).unwrap();
        writeln!(w).unwrap();
        writeln!(w, "| value | meaning |").unwrap();
        writeln!(w, "|---|---|").unwrap();
        for (value, meaning) in enum_values(name).unwrap() {
            writeln!(w, "| `{value}` | {} |", cell(&meaning)).unwrap();
        }
    }
    writeln!(w).unwrap();
    write!(w, "{END}").unwrap();
    md
}

// ---------------------------------------------------------------------------------------
// The files.

fn docs_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../docs")
}

fn rewrite() -> bool {
    std::env::var("JIAZHAN_WRITE_DOCS").is_ok_and(|v| v == "1")
}

/// Fails with the first line that differs, and how to regenerate.
fn assert_same(what: &str, file: &str, generated: &str) {
    if file == generated {
        return;
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
    panic!(
        "{what} is not what the code generates (line {} of it: {a:?}, generated: {b:?}).\n\
         Regenerate it: JIAZHAN_WRITE_DOCS=1 cargo test -p shared --test protocol_docs",
        n + 1
    );
}

#[test]
fn protocol_md_has_the_generated_record_reference() {
    let path = docs_dir().join("PROTOCOL.md");
    let text = std::fs::read_to_string(&path).unwrap();
    let start = text
        .find(BEGIN)
        .expect("PROTOCOL.md has the records:begin marker");
    let end = text[start..].find(END).expect("and the records:end marker") + start + END.len();
    let generated = generate_markdown();
    if rewrite() {
        let new = format!("{}{generated}{}", &text[..start], &text[end..]);
        std::fs::write(&path, new).unwrap();
    } else {
        assert_same(
            "docs/PROTOCOL.md's records block",
            &text[start..end],
            &generated,
        );
    }
}

#[test]
fn records_schema_json_is_generated() {
    let path = docs_dir().join("records.schema.json");
    let mut generated = String::new();
    pretty(&SCHEMA, 0, &mut generated);
    generated.push('\n');
    if rewrite() {
        std::fs::write(&path, &generated).unwrap();
    } else {
        let file = std::fs::read_to_string(&path).unwrap_or_default();
        assert_same("docs/records.schema.json", &file, &generated);
    }
}

// ---------------------------------------------------------------------------------------
// The checks behind what the generated text says.

#[test]
fn every_demo_record_and_document_root_validates_against_the_schema() {
    let root = jsonschema::options()
        .should_validate_formats(true)
        .build(&SCHEMA)
        .expect("the schema compiles");
    let kinds: BTreeMap<&str, jsonschema::Validator> = KINDS
        .iter()
        .map(|k| {
            let schema = json!({
                "$schema": "https://json-schema.org/draft/2020-12/schema",
                "$ref": format!("#/$defs/{}", k.name),
                "$defs": SCHEMA["$defs"],
            });
            let validator = jsonschema::options()
                .should_validate_formats(true)
                .build(&schema)
                .expect("the kind's schema compiles");
            (k.name, validator)
        })
        .collect();
    let mut by_doc: BTreeMap<String, serde_json::Map<String, Json>> = BTreeMap::new();
    let mut seen = BTreeSet::new();
    for s in &SAMPLES.records {
        let kind = s.record.kind().name;
        seen.insert(kind);
        // As the document holds it, and as serde writes the record.
        let as_read = s.value.json();
        let Json::Object(mut as_written) = serde_json::to_value(&s.record).unwrap() else {
            panic!()
        };
        let as_written = as_written.remove(kind).unwrap();
        for v in [&as_read, &as_written] {
            if let Err(e) = kinds[kind].validate(v) {
                panic!("{} in {} does not validate: {e}", s.key, s.doc_id);
            }
        }
        by_doc
            .entry(s.doc_id.to_string())
            .or_insert_with(|| {
                let mut m = serde_json::Map::new();
                m.insert("schema".into(), json!(SCHEMA_VERSION));
                m
            })
            .insert(s.key.clone(), as_read);
    }
    assert_eq!(seen.len(), KINDS.len(), "a demo record of every kind");
    for (id, root_json) in by_doc {
        let root_json = Json::Object(root_json);
        if let Err(e) = root.validate(&root_json) {
            panic!("document {id} does not validate: {e}");
        }
    }
    // And the schema refuses what the reader refuses: a Rust variant name for an enum.
    let s = SAMPLES
        .records
        .iter()
        .find(|s| matches!(s.record, AnyRecord::Activity(_)))
        .unwrap();
    let bad = replace_at(&s.value, &segments("kind"), &|_| {
        Some(Am::Str("VoterMeeting".into()))
    });
    assert!(read_back(&s.key, &bad).is_err());
    let mut doc_json = serde_json::Map::new();
    doc_json.insert("schema".into(), json!(SCHEMA_VERSION));
    doc_json.insert(s.key.clone(), bad.json());
    assert!(!root.is_valid(&Json::Object(doc_json)));
}

#[test]
fn every_enum_spelling_is_what_the_app_writes_and_reads() {
    let mut checked = 0;
    for kind in KINDS {
        for f in fields_of(kind) {
            let list = f.schema.get("items").is_some();
            let s = if list { &f.schema["items"] } else { f.schema };
            let candidates = std::iter::once(s).chain(
                s.get("anyOf")
                    .and_then(Json::as_array)
                    .into_iter()
                    .flatten(),
            );
            let Some(name) = candidates.filter_map(ref_name).next() else {
                continue;
            };
            let Some(values) = enum_values(name) else {
                continue;
            };
            let base = samples_of(kind).next().unwrap();
            for (value, _) in values {
                let spelled = Am::Str(value.clone());
                let replacement = if list {
                    Am::List(vec![spelled.clone()])
                } else {
                    spelled.clone()
                };
                let changed = replace_at(&base.value, &segments(&f.path), &|_| {
                    Some(replacement.clone())
                });
                let record = read_back(&base.key, &changed)
                    .unwrap_or_else(|e| panic!("{}.{} = {value:?}: {e}", kind.name, f.path))
                    .unwrap();
                let mut d = AutoCommit::new();
                record.write_into(&mut d).unwrap();
                let written = read_root(&d, &base.key);
                assert_eq!(
                    written.field(&f.path),
                    Some(&replacement),
                    "{}.{}: the app writes {value:?} otherwise",
                    kind.name,
                    f.path
                );
                checked += 1;
            }
        }
    }
    assert!(checked > 30, "{checked}");
}

#[test]
fn demo_records_are_in_the_documents_the_docs_say() {
    for s in &SAMPLES.records {
        let kind = s.record.kind();
        let (_, expected) = placement(&s.record);
        assert_eq!(s.doc_id, expected, "{}", s.key);
        let (prefix, id) = s.key.split_once(':').unwrap();
        assert_eq!((prefix, id), (kind.prefix, s.record.id()));
        assert!(s.record.belongs_in(&s.doc_id, &s.key));
        assert!(
            matches_pattern(&s.doc_id.to_string(), family_pattern(kind.family)),
            "{} in {}",
            s.key,
            s.doc_id
        );
    }
    for kind in KINDS {
        assert!(
            FAMILIES.contains(&kind.family),
            "{}: list its family",
            kind.name
        );
    }
}

/// What docs/PROTOCOL.md says of bytes on the wire: base64 with the standard alphabet and
/// padding in JSON (anything else is refused), byte strings in CBOR except record keys.
#[test]
fn wire_bytes_are_padded_standard_base64() {
    use shared::protocol::{SyncRequest, WireChange, WireKey, from_cbor, to_cbor};
    let change = |b64: &str| {
        serde_json::from_value::<WireChange>(
            json!({"doc_id": "d", "kind": "station", "bytes": b64}),
        )
    };
    assert_eq!(change("AAH+/w==").unwrap().bytes, [0, 1, 254, 255]);
    assert!(change("AAH+/w").is_err(), "unpadded");
    assert!(change("AAH-_w==").is_err(), "URL-safe alphabet");
    let json = serde_json::to_string(&WireChange {
        doc_id: "d".into(),
        kind: "station".into(),
        bytes: vec![0xfb, 0xff],
    })
    .unwrap();
    assert!(json.contains("\"+/8=\""), "{json}");

    // In CBOR a change's bytes are a byte string, but a record key stays base64 text.
    let key = [0xfbu8; 32];
    let request = SyncRequest {
        device_id: "dev".into(),
        changes: vec![WireChange {
            doc_id: "d".into(),
            kind: "station".into(),
            bytes: vec![0xde, 0xad, 0xbe, 0xef],
        }],
        keys: vec![
            serde_json::from_value::<WireKey>(json!({
                "key_id": "0123456789abcdef0123456789abcdef",
                "doc_id": "station/st-1/2026-03",
                "key": base64_standard(&key),
            }))
            .unwrap(),
        ],
        ..SyncRequest::default()
    };
    let cbor = to_cbor(&request);
    assert!(cbor.windows(5).any(|w| w == [0x44, 0xde, 0xad, 0xbe, 0xef]));
    let text = base64_standard(&key);
    assert!(
        cbor.windows(text.len()).any(|w| w == text.as_bytes()),
        "a key is base64 text in CBOR too"
    );
    assert_eq!(from_cbor::<SyncRequest>(&cbor).unwrap(), request);
}

fn base64_standard(bytes: &[u8]) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

/// What docs/PROTOCOL.md says of a sealed contact: `c1.<key id>.<base64>`, standard padded
/// base64 of the 12-byte nonce, the ciphertext of `{"n": name, "p": phone}` padded with
/// spaces to a multiple of 128 bytes, and the 16-byte tag.
#[test]
fn a_sealed_contact_has_the_documented_layout() {
    use shared::seal::{Contact, new_key, open, seal};
    let (id, key) = new_key();
    let contact = Contact {
        name: "张大爷".into(),
        phone: "13800138000".into(),
    };
    let sealed = seal(&id, &key, &contact);
    let rest = sealed.strip_prefix("c1.").unwrap();
    let (key_id, body) = rest.split_once('.').unwrap();
    assert_eq!(key_id, id);
    assert!(
        key_id.len() == 32
            && key_id
                .bytes()
                .all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase())
    );
    use base64::Engine as _;
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(body)
        .unwrap();
    assert_eq!(bytes.len(), 12 + 128 + 16);
    assert_eq!(open(&key, &sealed), Some(contact));

    // Opened by hand as the docs describe: ChaCha20-Poly1305, the key id as associated data.
    use ring::aead::{Aad, CHACHA20_POLY1305, LessSafeKey, Nonce, UnboundKey};
    let cipher = LessSafeKey::new(UnboundKey::new(&CHACHA20_POLY1305, &key).unwrap());
    let (nonce, data) = bytes.split_at(12);
    let mut data = data.to_vec();
    let plain = cipher
        .open_in_place(
            Nonce::try_assume_unique_for_key(nonce).unwrap(),
            Aad::from(key_id.as_bytes()),
            &mut data,
        )
        .unwrap();
    let text = std::str::from_utf8(plain).unwrap();
    assert!(
        text.starts_with(r#"{"n":"张大爷","p":"13800138000"}"#),
        "{text}"
    );
    assert!(text.trim_end().len() < text.len(), "padded with spaces");
}

/// What docs/PROTOCOL.md says of fields and kinds a build does not know: a reader reads
/// past them, and the app's writer keeps an unknown field when it edits the record.
#[test]
fn unknown_fields_and_kinds_are_read_past_and_kept() {
    for kind in KINDS {
        let base = samples_of(kind).next().unwrap();
        let Am::Map(mut entries) = base.value.clone() else {
            panic!()
        };
        entries.push(("from_a_newer_app".into(), Am::Str("x".into())));
        let mut d = AutoCommit::new();
        put_value(&mut d, &ROOT, At::Key(&base.key), &Am::Map(entries));
        let read = AnyRecord::read(&d, &base.key).unwrap().unwrap();
        assert_eq!(read, base.record, "{}", kind.name);
        read.write_into(&mut d).unwrap();
        assert_eq!(
            read_root(&d, &base.key).field("from_a_newer_app"),
            Some(&Am::Str("x".into())),
            "{}: an edit keeps the field",
            kind.name
        );
    }
    let mut d = AutoCommit::new();
    put_value(&mut d, &ROOT, At::Key("widget:1"), &Am::Map(vec![]));
    assert!(AnyRecord::read(&d, "widget:1").unwrap().is_none());
}
