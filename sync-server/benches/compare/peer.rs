//! automerge-repo's peers.

use super::*;

// ---------------------------------------------------------------------------------------
// automerge-repo's peers.

pub fn peer_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("benches/automerge-repo")
}

pub fn peer_installed() -> bool {
    peer_dir()
        .join("node_modules/@automerge/automerge-repo/package.json")
        .exists()
        && Command::new("node")
            .arg("--version")
            .output()
            .is_ok_and(|o| o.status.success())
}

/// Lines a child prints, read on a thread of their own.
pub fn lines_of(stdout: std::process::ChildStdout) -> Receiver<String> {
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in std::io::BufReader::new(stdout).lines() {
            let Ok(line) = line else { return };
            if tx.send(line).is_err() {
                return;
            }
        }
    });
    rx
}

pub fn last_lines(log: &Path, n: usize) -> String {
    let text = std::fs::read_to_string(log).unwrap_or_default();
    let lines: Vec<&str> = text.lines().filter(|l| !l.trim().is_empty()).collect();
    lines[lines.len().saturating_sub(n)..].join(" / ")
}

/// automerge-repo's sync server (server.mjs).
pub struct PeerServer {
    pub child: Child,
    pub pid: u32,
    pub addr: SocketAddr,
    pub log: PathBuf,
}

impl PeerServer {
    /// Writes `bundle` into the storage at `dir` (a server run that exits once it is there).
    pub fn seed(dir: &Path, bundle: &Path, log: &Path) -> Result<(), String> {
        let status = Command::new("node")
            .current_dir(peer_dir())
            .arg("server.mjs")
            .arg("--dir")
            .arg(dir)
            .arg("--seed")
            .arg(bundle)
            .arg("--seed-only")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(append(log))
            .status()
            .map_err(|e| e.to_string())?;
        if status.success() {
            Ok(())
        } else {
            Err(format!("seeding failed ({status}): {}", last_lines(log, 3)))
        }
    }

    pub fn start(dir: &Path, log: &Path) -> Result<PeerServer, String> {
        let mut child = Command::new("node")
            .current_dir(peer_dir())
            .arg("server.mjs")
            .arg("--dir")
            .arg(dir)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(append(log))
            .spawn()
            .map_err(|e| e.to_string())?;
        let lines = lines_of(child.stdout.take().unwrap());
        let ready: Value = lines
            .recv_timeout(Duration::from_secs(60))
            .ok()
            .and_then(|l| serde_json::from_str(&l).ok())
            .ok_or_else(|| format!("server did not start: {}", last_lines(log, 3)))?;
        let port = ready["port"].as_u64().unwrap() as u16;
        Ok(PeerServer {
            pid: child.id(),
            child,
            addr: SocketAddr::from(([127, 0, 0, 1], port)),
            log: log.to_owned(),
        })
    }

    /// Why it is no longer running, if it is not.
    pub fn exited(&mut self) -> Option<String> {
        match self.child.try_wait() {
            Ok(Some(status)) => Some(format!(
                "the automerge-repo server exited ({status}): {}",
                last_lines(&self.log, 4)
            )),
            _ => None,
        }
    }

    pub fn stop(mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// An automerge-repo device (client.mjs).
pub struct PeerClient {
    pub child: Child,
    pub stdin: ChildStdin,
    pub lines: Receiver<String>,
}

impl PeerClient {
    pub fn start(storage: Option<&Path>, log: &Path) -> Result<PeerClient, String> {
        let mut command = Command::new("node");
        command.current_dir(peer_dir()).arg("client.mjs");
        if let Some(dir) = storage {
            command.arg("--dir").arg(dir);
        }
        let mut child = command
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(append(log))
            .spawn()
            .map_err(|e| e.to_string())?;
        let stdin = child.stdin.take().unwrap();
        let lines = lines_of(child.stdout.take().unwrap());
        Ok(PeerClient {
            child,
            stdin,
            lines,
        })
    }

    /// Sends a command and waits at most `limit` for its answer.
    pub fn send(&mut self, command: Value, limit: Duration) -> Result<Value, String> {
        writeln!(self.stdin, "{command}").map_err(|e| format!("client gone: {e}"))?;
        let deadline = Instant::now() + limit;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.lines.recv_timeout(left) {
                Ok(line) => {
                    // Anything else a library printed is not an answer.
                    let Ok(answer) = serde_json::from_str::<Value>(&line) else {
                        continue;
                    };
                    if answer["ok"] == true {
                        return Ok(answer);
                    }
                    return Err(format!("client: {}", answer["error"]));
                }
                Err(RecvTimeoutError::Timeout) => {
                    return Err(format!(
                        "no answer to {} in {} s",
                        command["op"],
                        limit.as_secs()
                    ));
                }
                Err(RecvTimeoutError::Disconnected) => {
                    return Err(format!("client exited during {}", command["op"]));
                }
            }
        }
    }

    pub fn kill(mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// How long loading documents into a Node peer may take (not measured).
pub const LOAD_LIMIT: Duration = Duration::from_secs(900);

/// A run of automerge-repo from a client's `sync` answer and what the proxy and /proc saw.
pub fn peer_run(answer: &Value, counter: &Counter, watch: &ServerWatch) -> Run {
    let (up, down, _) = counter.take();
    let (cpu, peak_mib) = watch.stop();
    Run {
        up,
        down,
        messages_up: answer["up_messages"].as_u64().unwrap_or(0),
        messages_down: answer["down_messages"].as_u64().unwrap_or(0),
        secs: answer["ms"].as_f64().unwrap_or(0.0) / 1e3,
        cpu,
        peak_mib,
        records_per_sec: None,
        p99_secs: None,
    }
}

/// The automerge-repo side of the benchmark: files, the time limit, the notes it leaves.
pub struct Peer {
    pub work: PathBuf,
    pub limit: Duration,
    pub notes: Vec<String>,
    pub runs: usize,
    /// Storage seeded with a bundle, to copy for each server that starts from it.
    pub seeded: BTreeMap<PathBuf, PathBuf>,
}

/// A Node server on a fresh storage seeded with `bundle`, and a proxy counting in front.
pub struct Stage {
    pub server: PeerServer,
    pub counter: Arc<Counter>,
    pub url: String,
}

impl Peer {
    pub fn path(&self, name: &str) -> PathBuf {
        self.work.join(name)
    }

    pub async fn stage(&mut self, seed: Option<&Path>) -> Result<Stage, String> {
        self.runs += 1;
        let dir = self.path(&format!("server-{}", self.runs));
        let log = self.path(&format!("server-{}.log", self.runs));
        if let Some(bundle) = seed {
            let template = match self.seeded.get(bundle) {
                Some(t) => t.clone(),
                None => {
                    let t = self.path(&format!("seeded-{}", self.seeded.len() + 1));
                    PeerServer::seed(&t, bundle, &log)?;
                    self.seeded.insert(bundle.to_owned(), t.clone());
                    t
                }
            };
            let copied = Command::new("cp")
                .arg("-a")
                .arg(&template)
                .arg(&dir)
                .status()
                .map_err(|e| e.to_string())?;
            if !copied.success() {
                return Err(format!("copying {} failed", template.display()));
            }
        }
        let server = PeerServer::start(&dir, &log)?;
        let counter = Arc::new(Counter::default());
        let proxy = counting_proxy(server.addr, counter.clone()).await;
        Ok(Stage {
            server,
            counter,
            url: format!("ws://{proxy}"),
        })
    }

    pub fn client(&mut self, name: &str, stored: bool) -> Result<PeerClient, String> {
        let dir = self.path(&format!("client-{name}-{}", self.runs));
        let log = self.path(&format!("client-{name}-{}.log", self.runs));
        PeerClient::start(stored.then_some(dir.as_path()), &log)
    }

    /// The sync command, bounded by the time limit.
    pub fn sync(&self, client: &mut PeerClient, extra: Value) -> Result<Value, String> {
        let mut command = json!({"op": "sync", "timeout_ms": self.limit.as_millis() as u64});
        if let (Value::Object(c), Value::Object(e)) = (&mut command, extra) {
            c.extend(e);
        }
        client.send(command, self.limit + Duration::from_secs(60))
    }

    /// A `sync` answer as an outcome; notes a server that exited.
    pub fn outcome(
        &mut self,
        stage: &mut Stage,
        what: &str,
        answer: Result<Value, String>,
        watch: &ServerWatch,
    ) -> Outcome {
        let exited = stage.server.exited();
        if let Some(why) = &exited {
            self.notes.push(format!("{what}: {why}"));
        }
        if let Some(sockets) = answer.as_ref().ok().and_then(|a| a["sockets"].as_u64())
            && sockets > 1
        {
            self.notes.push(format!(
                "{what}: the connection was dropped and reopened {} time(s) (see the client's log)",
                sockets - 1
            ));
        }
        match answer {
            Ok(a) if a["timed_out"] == true => {
                self.notes.push(format!(
                    "{what}: stopped after {} s with {} of {} documents in sync ({} held)",
                    self.limit.as_secs(),
                    a["in_sync"],
                    a["of"],
                    a["ready"]
                ));
                Outcome::Stopped(peer_run(&a, &stage.counter, watch))
            }
            Ok(a) => Outcome::Done(peer_run(&a, &stage.counter, watch)),
            Err(e) => {
                let why = exited.map_or(e.clone(), |x| format!("{e}; {x}"));
                self.notes.push(format!("{what}: {why}"));
                Outcome::Failed(if why.contains("exited") {
                    "server exited".into()
                } else {
                    "failed (see notes)".into()
                })
            }
        }
    }
}
