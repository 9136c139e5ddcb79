//! The records' JSON Schema and how the tables read it.

use super::*;

// ---------------------------------------------------------------------------------------
// The JSON Schema.

/// `required` lists sorted (they are sets), so that the schema is the same whichever
/// order the JSON maps of this build keep (serde_json's `preserve_order` is on in some
/// builds of the workspace and off in others); [`pretty`] orders the keys.
pub fn canonical(v: &Json) -> Json {
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
pub const FIRST_KEYS: &[&str] = &[
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
pub fn pretty(v: &Json, indent: usize, out: &mut String) {
    pretty_in(v, indent, false, out);
}

pub fn pretty_in(v: &Json, indent: usize, names: bool, out: &mut String) {
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
pub static SCHEMA: LazyLock<Json> = LazyLock::new(|| {
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
        "description": "Generated from the code by shared/src/protocol_docs \
            (`cargo run -p shared --bin protocol-docs` rewrites it); see docs/PROTOCOL.md, \"Records\". The root of \
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

pub fn def(name: &str) -> &'static Json {
    SCHEMA["$defs"]
        .get(name)
        .unwrap_or_else(|| panic!("no $defs/{name}"))
}

/// The name of the definition a `$ref` schema points at.
pub fn ref_name(s: &Json) -> Option<&str> {
    s.get("$ref")?.as_str()?.strip_prefix("#/$defs/")
}

/// An enum's spellings, with their descriptions, if `name` is an enum of strings.
pub fn enum_values(name: &str) -> Option<Vec<(String, String)>> {
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
pub fn description(s: &Json) -> String {
    let parts: Vec<&str> = ["title", "description"]
        .iter()
        .filter_map(|k| s.get(*k)?.as_str())
        .collect();
    parts.join(" ").replace("\n\n", " ").replace('\n', " ")
}

/// The schema of a field's value, and whether it allows `null`.
pub fn property<'a>(kind_def: &'a Json, path: &str) -> &'a Json {
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

pub fn allows_null(s: &Json) -> bool {
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
pub fn json_type(s: &Json) -> String {
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
