//! Our server, as a child process, and our devices.

use super::*;

// ---------------------------------------------------------------------------------------
// Our server, as a child process.

pub struct OurServer {
    pub child: Child,
    pub pid: u32,
    pub addr: SocketAddr,
}

impl OurServer {
    pub fn start(db: &Path, log: &Path) -> OurServer {
        let config = db.with_extension("toml");
        std::fs::write(&config, BENCH_CONFIG_TOML).unwrap();
        let mut child = Command::new(env!("CARGO_BIN_EXE_jiazhan-sync-server"))
            .arg("--config")
            .arg(&config)
            .arg("--db")
            .arg(db)
            .args(["--bind", "127.0.0.1:0"])
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(append(log))
            .spawn()
            .expect("start jiazhan-sync-server");
        let mut stdout = std::io::BufReader::new(child.stdout.take().unwrap());
        let mut line = String::new();
        stdout.read_line(&mut line).unwrap();
        let addr = line
            .trim()
            .strip_prefix("listening on http://")
            .unwrap_or_else(|| panic!("server said {line:?}; see {}", log.display()))
            .parse()
            .unwrap();
        // Keep reading (and dropping) what it prints, so it never blocks on a full pipe.
        std::thread::spawn(move || std::io::copy(&mut stdout, &mut std::io::sink()));
        let pid = child.id();
        OurServer { child, pid, addr }
    }

    pub fn stop(mut self) {
        let _ = Command::new("kill")
            .args(["-TERM", &self.pid.to_string()])
            .status();
        let _ = self.child.wait();
    }
}

pub fn append(path: &Path) -> std::fs::File {
    std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .unwrap()
}

/// The server's CPU and peak memory over a stretch of work.
pub struct ServerWatch {
    pub pid: u32,
    pub cpu: f64,
}

impl ServerWatch {
    pub fn start(pid: u32) -> ServerWatch {
        reset_peak_rss(pid);
        ServerWatch {
            pid,
            cpu: process_cpu_secs(pid),
        }
    }

    /// (CPU seconds, peak RSS MiB) since `start`.
    pub fn stop(&self) -> (f64, f64) {
        (
            process_cpu_secs(self.pid) - self.cpu,
            process_peak_rss_mib(self.pid),
        )
    }
}

// ---------------------------------------------------------------------------------------
// Our devices.

impl Device {
    /// The changes waiting in the outbox (all of them: fewer than one request's worth).
    pub fn outbox(&self) -> Vec<WireChange> {
        let store = self.store.lock().unwrap();
        let request = store.sync_request().unwrap();
        assert_eq!(store.outbox_len().unwrap(), request.changes.len());
        request.changes
    }
}

/// Our sync over HTTP as the app sends it (CBOR, gzipped over 1 KiB).
pub async fn post_sync(
    http: &reqwest::Client,
    url: &str,
    token: &str,
    req: &SyncRequest,
) -> SyncResponse {
    let body = shared::protocol::to_cbor(req);
    let post = http
        .post(format!("{url}{SYNC_PATH}"))
        .bearer_auth(token)
        .header(reqwest::header::CONTENT_TYPE, CBOR)
        .header(reqwest::header::ACCEPT, CBOR);
    let post = if body.len() > 1024 {
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        gz.write_all(&body).unwrap();
        post.header(reqwest::header::CONTENT_ENCODING, "gzip")
            .body(gz.finish().unwrap())
    } else {
        post.body(body)
    };
    let response = post.send().await.unwrap();
    assert!(response.status().is_success(), "{}", response.status());
    shared::protocol::from_cbor(&response.bytes().await.unwrap()).unwrap()
}

/// Exports what our server holds: a client of its own, reading as the town's coordinator.
pub struct Recorder {
    pub http: reqwest::Client,
    pub url: String,
    pub token: String,
    pub device: String,
}

impl Recorder {
    /// Every document the town's devices read, each saved whole (the protocol's
    /// bootstrap), and the cursor after them.
    pub async fn snapshot(&self) -> (Vec<(String, Vec<u8>)>, u64) {
        let mut docs = Vec::new();
        let mut request = SyncRequest {
            device_id: self.device.clone(),
            ..SyncRequest::default()
        };
        loop {
            let response = post_sync(&self.http, &self.url, &self.token, &request).await;
            docs.extend(response.documents.into_iter().map(|d| (d.doc_id, d.bytes)));
            match response.bootstrap {
                Some(b) => request.bootstrap = Some(b),
                None => return (docs, response.cursor),
            }
        }
    }
}

impl Recorder {
    /// Writes `records` as the app writes them (each validated, given a new id and written
    /// into its month's document by `shared::doc::write_record`: one change a record) on
    /// top of the documents as the server holds them, with an actor of the recorder's own,
    /// and pushes the changes as the app pushes them (`MAX_CHANGES_PER_REQUEST` a
    /// request). The server ends up holding what it would after a device made the records
    /// in its encrypted store and synced them, without a store transaction (and fsync)
    /// per record first: 30,000 of those took 20 minutes and measured nothing. Returns
    /// how many records were pushed.
    pub async fn push_records(&self, records: impl IntoIterator<Item = ActivityInput>) -> usize {
        let (held, mut cursor) = self.snapshot().await;
        let actor = automerge::ActorId::random();
        let mut docs: BTreeMap<String, automerge::AutoCommit> = BTreeMap::new();
        for (id, bytes) in held {
            docs.insert(id, shared::doc::load(&bytes, &actor).unwrap());
        }
        let mut changes = Vec::new();
        let mut pushed = 0;
        for input in records {
            let mut activity = input.validate(today()).unwrap();
            activity.id = uuid::Uuid::new_v4().to_string();
            let doc_id =
                shared::doc::DocId::station(&activity.station_id, activity.date).to_string();
            let doc = docs
                .entry(doc_id.clone())
                .or_insert_with(|| automerge::AutoCommit::new().with_actor(actor.clone()));
            for change in shared::doc::write_record(doc, &activity).unwrap() {
                changes.push(wire(&doc_id, change.raw_bytes().to_vec()));
            }
            pushed += 1;
        }
        for batch in changes.chunks(shared::protocol::MAX_CHANGES_PER_REQUEST) {
            let request = SyncRequest {
                device_id: self.device.clone(),
                cursor,
                changes: batch.to_vec(),
                ..SyncRequest::default()
            };
            let response = post_sync(&self.http, &self.url, &self.token, &request).await;
            assert_eq!(response.acknowledged.len(), batch.len());
            cursor = response.cursor;
        }
        pushed
    }
}

/// A bundle for the Node peers: {"docs": [{"id", "bytes" (base64)}]}.
pub fn write_bundle(path: &Path, docs: &[(String, Vec<u8>)]) {
    let b64 = base64::engine::general_purpose::STANDARD;
    let docs: Vec<Value> = docs
        .iter()
        .map(|(id, bytes)| json!({"id": id, "bytes": b64.encode(bytes)}))
        .collect();
    std::fs::write(path, serde_json::to_vec(&json!({ "docs": docs })).unwrap()).unwrap();
}

/// Changes as a bundle: each document's changes, in order, one after another (Automerge
/// loads such a concatenation).
pub fn changes_bundle(changes: &[WireChange]) -> Vec<(String, Vec<u8>)> {
    let mut docs: BTreeMap<String, Vec<u8>> = BTreeMap::new();
    for c in changes {
        docs.entry(c.doc_id.clone())
            .or_default()
            .extend_from_slice(&c.bytes);
    }
    docs.into_iter().collect()
}
