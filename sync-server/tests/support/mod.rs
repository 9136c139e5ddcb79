//! What the server's suites share: a server on 127.0.0.1 (port 0) with one account of
//! each kind, and a device of one account speaking the protocol by hand.
#![allow(dead_code)]

use automerge::transaction::Transactable as _;
use automerge::{ActorId, AutoCommit, ObjType, ROOT, ReadDoc as _};
use shared::doc::write_record;
use shared::model::Role;
use shared::model::{Activity, ActivityKind};
use shared::protocol::{
    BLOBS_PATH, ErrorBody, SIGN_IN_PATH, SYNC_PATH, SignInRequest, SignInResponse, SyncRequest,
    SyncResponse, WireChange,
};
use sync_server::wire::write_leb128;
use sync_server::{Config, NewAccount, RunningServer};

pub const PASSWORD: &str = "correct horse battery";
pub const STATION: &str = "st-zizhuyuan-home";
pub const OTHER_STATION: &str = "st-shangdi-park";
pub const DEPARTMENT: &str = "dept-traffic";

pub async fn server(dir: &std::path::Path, tweak: impl FnOnce(&mut Config)) -> RunningServer {
    let mut config = Config {
        demo: true,
        ..Config::new(
            sync_server::Database::for_tests(dir.join("server.db")),
            "127.0.0.1:0".parse().unwrap(),
        )
    };
    tweak(&mut config);
    let server = sync_server::start(config).await.unwrap();
    for (name, role, scope) in [
        ("station", Role::StationStaff, Some(STATION)),
        ("other-station", Role::StationStaff, Some(OTHER_STATION)),
        (
            "coordinator",
            Role::SubdistrictCoordinator,
            Some("sd-zizhuyuan"),
        ),
        ("department", Role::Department, Some(DEPARTMENT)),
    ] {
        server
            .storage
            .create_account(
                &NewAccount {
                    username: name.into(),
                    display_name: name.into(),
                    role,
                    scope_id: scope.map(str::to_owned),
                    deputy_id: None,
                },
                PASSWORD,
            )
            .unwrap();
    }
    server
}

/// One device of one account, speaking the protocol by hand.
pub struct Client {
    pub http: reqwest::Client,
    pub url: String,
    pub device_id: String,
    pub token: String,
}

pub async fn sign_in_as(
    server: &RunningServer,
    username: &str,
    device_id: &str,
) -> reqwest::Response {
    reqwest::Client::new()
        .post(format!("{}{SIGN_IN_PATH}", server.url()))
        .json(&SignInRequest {
            username: username.into(),
            password: PASSWORD.into(),
            device_id: device_id.into(),
            device_name: "测试手机".into(),
        })
        .send()
        .await
        .unwrap()
}

impl Client {
    pub async fn new(server: &RunningServer, username: &str, device_id: &str) -> Client {
        let response = sign_in_as(server, username, device_id).await;
        assert_eq!(response.status(), 200, "{username}");
        let signed_in: SignInResponse = response.json().await.unwrap();
        Client {
            http: reqwest::Client::new(),
            url: server.url(),
            device_id: device_id.into(),
            token: signed_in.token,
        }
    }

    pub async fn sync(&self, cursor: u64, changes: Vec<WireChange>) -> reqwest::Response {
        self.http
            .post(format!("{}{SYNC_PATH}", self.url))
            .bearer_auth(&self.token)
            .json(&SyncRequest {
                device_id: self.device_id.clone(),
                cursor,
                changes,
                bootstrap: None,
                key_cursor: 0,
                keys: Vec::new(),
            })
            .send()
            .await
            .unwrap()
    }

    /// Pulls until the server has no more; the final cursor and the documents seen.
    pub async fn pull(&self, mut cursor: u64) -> (u64, Vec<String>) {
        let mut seen = vec![];
        let mut bootstrap = None;
        loop {
            let response = self
                .http
                .post(format!("{}{SYNC_PATH}", self.url))
                .bearer_auth(&self.token)
                .json(&SyncRequest {
                    device_id: self.device_id.clone(),
                    cursor,
                    changes: vec![],
                    bootstrap,
                    key_cursor: 0,
                    keys: Vec::new(),
                })
                .send()
                .await
                .unwrap();
            assert_eq!(response.status(), 200);
            let r: SyncResponse = response.json().await.unwrap();
            seen.extend(r.changes.iter().map(|c| c.doc_id.clone()));
            seen.extend(r.documents.iter().map(|d| d.doc_id.clone()));
            cursor = r.cursor;
            bootstrap = r.bootstrap;
            if !r.more {
                return (cursor, seen);
            }
        }
    }

    /// Pushes one new change to `doc_id` under a new actor; the status.
    pub async fn push_new(&self, doc_id: &str) -> u16 {
        let change = change_by(doc_id, &ActorId::random());
        self.sync(0, vec![change]).await.status().as_u16()
    }

    /// Sends the first chunk (`data`) of a `size`-byte file `hash` for `doc_id`; the
    /// status.
    pub async fn put_first_chunk(&self, doc_id: &str, hash: &str, size: u64, data: Vec<u8>) -> u16 {
        self.http
            .put(format!(
                "{}{BLOBS_PATH}/{hash}/upload?doc_id={doc_id}&size={size}&offset=0",
                self.url
            ))
            .bearer_auth(&self.token)
            .body(data)
            .send()
            .await
            .unwrap()
            .status()
            .as_u16()
    }

    pub async fn post_json<T: serde::Serialize>(&self, path: &str, body: &T) -> reqwest::Response {
        self.http
            .post(format!("{}{path}", self.url))
            .bearer_auth(&self.token)
            .json(body)
            .send()
            .await
            .unwrap()
    }
}

/// A new change to `doc_id` by `actor` (its first in that document).
pub fn change_by(doc_id: &str, actor: &ActorId) -> WireChange {
    let mut doc = AutoCommit::new().with_actor(actor.clone());
    doc.put(ROOT, "note", uuid::Uuid::new_v4().to_string())
        .unwrap();
    wire(
        doc_id,
        doc.get_last_local_change().unwrap().raw_bytes().to_vec(),
    )
}

pub fn wire(doc_id: &str, bytes: Vec<u8>) -> WireChange {
    WireChange {
        doc_id: doc_id.into(),
        kind: doc_id.split('/').next().unwrap().into(),
        bytes,
    }
}

pub async fn error_of(response: reqwest::Response) -> (u16, ErrorBody) {
    let status = response.status().as_u16();
    let text = response.text().await.unwrap();
    let body = serde_json::from_str(&text).unwrap_or_else(|_| panic!("{status}: {text}"));
    (status, body)
}

pub fn station_doc() -> String {
    format!("station/{STATION}/2026-11")
}

/// A change by a new actor that sets `note` to 4,000,000 bytes: about 4 KB deflated.
pub fn big_change(doc_id: &str) -> shared::protocol::WireChange {
    let mut doc = AutoCommit::new().with_actor(ActorId::random());
    doc.put(ROOT, "note", "a".repeat(4_000_000)).unwrap();
    let bytes = doc
        .get_last_local_change()
        .unwrap()
        .clone()
        .bytes()
        .to_vec();
    assert_eq!(bytes[8], 2, "deflated");
    assert!(bytes.len() < 8 * 1024, "{} bytes", bytes.len());
    wire(doc_id, bytes)
}

/// A sync message (Automerge's first format) carrying `chunks` and nothing else.
pub fn message_with(chunks: &[Vec<u8>]) -> Vec<u8> {
    let mut m = vec![0x42, 0, 0, 0];
    write_leb128(&mut m, chunks.len() as u64);
    for c in chunks {
        write_leb128(&mut m, c.len() as u64);
        m.extend_from_slice(c);
    }
    m
}

/// An activity whose `extra` nests `levels` maps below it, as one change.
pub fn nested_activity(doc_id: &str, id: &str, levels: usize) -> Vec<shared::protocol::WireChange> {
    let mut doc = AutoCommit::new();
    write_record(
        &mut doc,
        &Activity {
            id: id.into(),
            kind: ActivityKind::ReceptionDay,
            station_id: STATION.into(),
            date: chrono::NaiveDate::from_ymd_opt(2026, 11, 20).unwrap(),
            deputy_ids: vec![],
            guests: String::new(),
            voters_received: 3,
            online: false,
            location: String::new(),
            summary: "接待选民".into(),
            photos: vec![],
            campaign_id: None,
            draft_id: None,
        },
    )
    .unwrap();
    let (_, record) = doc
        .get(ROOT, format!("activity:{id}").as_str())
        .unwrap()
        .unwrap();
    let mut obj = doc.put_object(&record, "extra", ObjType::Map).unwrap();
    for _ in 0..levels {
        obj = doc.put_object(&obj, "x", ObjType::Map).unwrap();
    }
    doc.commit();
    doc.get_changes(&[])
        .iter()
        .map(|c| wire(doc_id, c.raw_bytes().to_vec()))
        .collect()
}
