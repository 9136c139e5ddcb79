//! docs/PROTOCOL.md's record reference and docs/records.schema.json are what the code
//! generates (`shared::protocol_docs`; rewrite them with `cargo run -p shared --bin
//! protocol-docs`), and what they say holds: every demo record validates against the
//! schema, every enum spelling is what the app writes, documents are where the docs say.

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;

use automerge::{AutoCommit, ROOT};
use serde_json::{Value as Json, json};
use shared::doc::SCHEMA_VERSION;
use shared::protocol_docs::*;
use shared::registry::{AnyRecord, KINDS};

#[test]
fn the_generated_docs_are_fresh() {
    let docs = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../docs");
    for (path, generated) in generated(&docs).unwrap() {
        let file = std::fs::read_to_string(&path).unwrap_or_default();
        if let Err(e) = same(&path.display().to_string(), &file, &generated) {
            panic!("{e}");
        }
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
