//! The core on a desktop or a server: std's clock, tokio's runtime, reqwest over hyper.

use std::future::Future;
use std::time::Duration;

pub(crate) use std::time::Instant;

/// The sync client's HTTP client: a connection that cannot be made in 5 s, or a request
/// that takes over a minute, fails (and is retried later).
pub(crate) fn http_client() -> reqwest::Result<reqwest::Client> {
    reqwest::Client::builder()
        .connect_timeout(Duration::from_secs(5))
        .timeout(Duration::from_secs(60))
        .build()
}

/// Whether `e` means the server could not be reached (so the user is offline, as far as
/// they can tell), not that it answered.
pub(crate) fn unreachable(e: &reqwest::Error) -> bool {
    e.is_connect() || e.is_timeout() || e.is_request()
}

/// A future running beside the caller until it is awaited or dropped (dropped, it is
/// cancelled).
pub(crate) struct Background<T>(tokio::task::JoinHandle<T>);

impl<T: Send + 'static> Background<T> {
    /// Starts `work` on the current tokio runtime; `None` outside one (there is nothing
    /// to run it on, and the caller does the work when it needs it).
    pub(crate) fn start(work: impl Future<Output = T> + Send + 'static) -> Option<Self> {
        tokio::runtime::Handle::try_current()
            .ok()
            .map(|rt| Background(rt.spawn(work)))
    }

    /// Its result; `None` if it panicked.
    pub(crate) async fn finish(mut self) -> Option<T> {
        (&mut self.0).await.ok()
    }
}

impl<T> Drop for Background<T> {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// The statements that key a connection to an encrypted store (SQLCipher): a raw 256-bit
/// key, no key derivation (the key is random, not a password).
pub(crate) fn keying(key: &crate::StoreKey) -> String {
    format!("PRAGMA key = \"x'{}'\";", key.to_hex())
}

/// Readers never wait for the writer (the shell's background sync beside the screens).
pub(crate) const JOURNAL_MODE: &str = "WAL";

/// Runs every item of `work` through `f` on the machine's cores (one thread each, in
/// order of the items) while this thread hands each result to `write` as it is ready;
/// stops at `write`'s first error.
pub(crate) fn each_in_parallel<T: Send, R: Send>(
    work: Vec<T>,
    f: impl Fn(T) -> R + Sync,
    mut write: impl FnMut(R) -> Result<(), crate::Error>,
) -> Result<(), crate::Error> {
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    let queue = std::sync::Mutex::new(work.into_iter());
    std::thread::scope(|scope| {
        let (done, finished) = std::sync::mpsc::channel();
        for _ in 0..threads {
            let done = done.clone();
            let (queue, f) = (&queue, &f);
            scope.spawn(move || {
                loop {
                    let next = queue.lock().unwrap_or_else(|p| p.into_inner()).next();
                    let Some(item) = next else { break };
                    if done.send(f(item)).is_err() {
                        break; // the writer gave up: stop
                    }
                }
            });
        }
        drop(done);
        finished.into_iter().try_for_each(&mut write)
    })
}
