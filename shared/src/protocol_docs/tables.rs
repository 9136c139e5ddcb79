//! What a reader accepts instead of each field (probes), the field tables and the markdown.

use super::*;

// ---------------------------------------------------------------------------------------
// What the reader accepts.

/// What a reader does with one alternative way of writing a field.
pub struct Probe {
    /// e.g. `text`, `int`, `absent`.
    pub label: String,
    /// By the app's reader.
    pub accepted: bool,
    /// By the server, in a pushed change.
    pub server: bool,
}

/// Another way of writing a field's value: the same value as another Automerge type,
/// `null`, or left out.
#[derive(Clone, Copy)]
pub enum Alt {
    Absent,
    Null,
    Text,
    Str,
    Int,
    Uint,
    F64,
}

impl Alt {
    pub fn label(self) -> &'static str {
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
    pub fn for_value(v: &Am, in_list: bool) -> Vec<Alt> {
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
    pub fn apply(self, v: &Am) -> Option<Am> {
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
    pub fn same_value(self) -> bool {
        !matches!(self, Alt::Absent | Alt::Null)
    }
}

/// Each alternative of the field at `path`, tried on a demo record that has a value there.
pub fn probe(kind: &KindInfo, path: &str) -> Vec<Probe> {
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

pub struct Field {
    pub path: String,
    pub schema: &'static Json,
    /// The Automerge types the demo records hold here.
    pub written: BTreeSet<&'static str>,
    pub probes: Vec<Probe>,
    /// For a list: its items' types and probes.
    pub items: Option<(BTreeSet<&'static str>, Vec<Probe>)>,
}

impl Field {
    pub fn accepts(&self, label: &str) -> bool {
        self.probes.iter().any(|p| p.label == label && p.accepted)
    }
}

pub fn fields_of(kind: &KindInfo) -> Vec<Field> {
    let mut order = Vec::new();
    let mut types = BTreeMap::new();
    for s in samples_of(kind) {
        merge_order(&mut order, &field_order(&s.record));
        observe(&s.value, "", &mut types);
    }
    let kind_def = def(kind.name);
    // Every field of the schema, and no other, is in the demo records.
    let mut props: Vec<String> = Vec::new();
    pub fn schema_paths(s: &'static Json, path: &str, out: &mut Vec<String>) {
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

pub fn join_types(types: &BTreeSet<&'static str>) -> String {
    types
        .iter()
        .map(|t| format!("`{t}`"))
        .collect::<Vec<_>>()
        .join(" or ")
}

/// The Automerge type the app writes, e.g. `list` of `scalar str`, `null` when unset.
pub fn written_text(f: &Field) -> String {
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
pub fn also_read_text(f: &Field) -> String {
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
pub fn server_text(f: &Field) -> String {
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
pub fn required_text(f: &Field) -> String {
    match (f.accepts("absent"), f.accepts("null")) {
        (false, false) => "required".to_owned(),
        (true, true) => "optional: absent or `null` = unset".to_owned(),
        (true, false) => "optional: may be absent (not `null`)".to_owned(),
        (false, true) => "required, may be `null`".to_owned(),
    }
}

pub fn cell(text: &str) -> String {
    text.replace('|', "\\|").replace('\n', " ")
}

/// A record as JSON with its fields in declaration order, one per line.
pub fn example(value: &Am, order: &[String]) -> String {
    pub fn ordered(value: &Am, path: &str, order: &[String]) -> String {
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
pub fn thousands(n: usize) -> String {
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

pub fn generate_markdown() -> String {
    let mut md = String::new();
    let w = &mut md;
    writeln!(w, "{BEGIN}").unwrap();
    writeln!(
        w,
        "<!-- Generated from the code by shared/src/protocol_docs: do not edit by hand. \
         `cargo run -p shared --bin protocol-docs` rewrites it. -->"
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
        thousands(crate::MAX_SHORT_CHARS),
        thousands(crate::MAX_SUMMARY_CHARS),
        thousands(crate::MAX_TEXT_CHARS),
        thousands(crate::MAX_REPORT_CHARS),
        thousands(crate::MAX_VOTERS_RECEIVED as usize),
        crate::EARLIEST_DATE,
        crate::MAX_DEADLINE_DAYS,
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
