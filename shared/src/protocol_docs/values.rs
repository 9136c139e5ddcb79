//! Automerge values as the docs read and write them, and field paths.

use super::*;

// ---------------------------------------------------------------------------------------
// Automerge values as a document holds them.

/// A value in a document, with the Automerge type it was written as.
#[derive(Clone, Debug, PartialEq)]
pub enum Am {
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
    pub fn type_name(&self) -> &'static str {
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
    pub fn json(&self) -> Json {
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

    pub fn field(&self, name: &str) -> Option<&Am> {
        match self {
            Am::Map(entries) => entries.iter().find(|(k, _)| k == name).map(|(_, v)| v),
            _ => None,
        }
    }

    /// Whether any string in the value is a sealed contact (random: never in the docs).
    pub fn has_sealed(&self) -> bool {
        match self {
            Am::Str(s) | Am::Text(s) => s.starts_with("c1."),
            Am::List(items) => items.iter().any(Am::has_sealed),
            Am::Map(entries) => entries.iter().any(|(_, v)| v.has_sealed()),
            _ => false,
        }
    }
}

pub fn read_value(doc: &AutoCommit, value: Value<'_>, id: ObjId) -> Am {
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
pub fn read_root(doc: &AutoCommit, key: &str) -> Am {
    let (v, id) = doc.get(ROOT, key).unwrap().unwrap();
    read_value(doc, v, id)
}

/// Where a value goes: a map key, or a list index (inserted).
pub enum At<'a> {
    Key(&'a str),
    Index(usize),
}

pub fn put_value(doc: &mut AutoCommit, obj: &ObjId, at: At<'_>, v: &Am) {
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
pub fn read_back(key: &str, record: &Am) -> Result<Option<AnyRecord>, crate::Error> {
    let mut doc = AutoCommit::new();
    doc.put(ROOT, "schema", SCHEMA_VERSION).unwrap();
    put_value(&mut doc, &ROOT, At::Key(key), record);
    AnyRecord::read(&doc, key)
}

/// Whether the server takes a pushed change that leaves `sample`'s document with
/// `record` in its place (the rest of the document as the demo has it), as
/// `crate::validate::check_records` decides.
pub fn server_takes(sample: &Sample, record: &Am) -> bool {
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
    crate::validate::check_records(
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
pub enum Seg<'a> {
    Key(&'a str),
    Each,
}

pub fn segments(path: &str) -> Vec<Seg<'_>> {
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
pub fn values_at<'a>(value: &'a Am, path: &[Seg<'_>]) -> Vec<&'a Am> {
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
pub fn replace_at(value: &Am, path: &[Seg<'_>], f: &dyn Fn(&Am) -> Option<Am>) -> Am {
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
pub fn observe(value: &Am, path: &str, types: &mut BTreeMap<String, BTreeSet<&'static str>>) {
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
