//! The core in a phone's browser (a dedicated worker): the browser's clock, fetch, and
//! one thread, where a request runs beside the caller as a local task.

use std::future::Future;

pub(crate) use web_time::Instant;

/// The sync client's HTTP client: the browser's fetch, whose connection limits are the
/// browser's own.
pub(crate) fn http_client() -> reqwest::Result<reqwest::Client> {
    reqwest::Client::builder().build()
}

/// Whether `e` means the server could not be reached: fetch rejects (a request error)
/// when there is no network, the server is down or the connection is cut.
pub(crate) fn unreachable(e: &reqwest::Error) -> bool {
    e.is_timeout() || e.is_request()
}

/// A future running beside the caller: in the browser the caller does the work itself
/// when it needs it (one thread, and the next page is small beside a bootstrap's
/// merge).
pub(crate) struct Background<T>(std::marker::PhantomData<T>);

impl<T: 'static> Background<T> {
    pub(crate) fn start(_work: impl Future<Output = T> + 'static) -> Option<Self> {
        None
    }

    pub(crate) async fn finish(self) -> Option<T> {
        None
    }
}

/// The statements that key a connection to an encrypted store (SQLite3 Multiple Ciphers,
/// ChaCha20-Poly1305): the 256-bit key as bytes, one round of key derivation (the key is
/// random, not a password; set before the key, on every open).
pub(crate) fn keying(key: &crate::StoreKey) -> String {
    format!(
        "PRAGMA cipher = 'chacha20'; PRAGMA kdf_iter = 1; PRAGMA hexkey = '{}';",
        key.to_hex()
    )
}

/// The OPFS pool has no shared memory for a write-ahead log; one connection, so nothing
/// waits on the journal.
pub(crate) const JOURNAL_MODE: &str = "DELETE";

/// Runs every item of `work` through `f` and hands each result to `write`, one after
/// the other (a worker has one thread); stops at `write`'s first error.
pub(crate) fn each_in_parallel<T, R>(
    work: Vec<T>,
    f: impl Fn(T) -> R,
    mut write: impl FnMut(R) -> Result<(), crate::Error>,
) -> Result<(), crate::Error> {
    work.into_iter().try_for_each(|item| write(f(item)))
}
