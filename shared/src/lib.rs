//! The headless core of 家站通 (Jiazhan): everything the app does, without Tauri.
//!
//! The Tauri shell, the sync server, the tests and the tools all use this crate, so they
//! exercise exactly the code the app runs. Its parts:
//! - [`model`]: domain types and validation (raw input → validated record). Always built,
//!   also for the wasm UI, which uses these types as command arguments and results.
//! - [`demo`] (feature `demo`, never in the app): demo reference data (Haidian streets,
//!   towns, stations) and a generated year.
//! - with the `store` feature (default): [`doc`] (Automerge documents), [`store`] (the
//!   device's encrypted SQLite store with projections and outbox), [`key`] (its key), [`protocol`] (the sync wire
//!   format) and [`sync`] (the reqwest sync client).
//!
//! ```no_run
//! # fn main() -> Result<(), shared::Error> {
//! let dir = std::path::Path::new("data");
//! let key = shared::StoreKey::load_or_create(dir)?;
//! let mut store = shared::Store::open(&dir.join("jiazhan.db"), &key)?;
//! let first_screen = store.list_activities(&shared::ActivityFilter::default())?;
//! # Ok(()) }
//! ```

pub mod command;
#[cfg(feature = "demo")]
pub mod demo;
pub mod fonts;
pub mod model;

#[cfg(feature = "store")]
pub mod access;
#[cfg(feature = "store")]
pub mod collate;
#[cfg(feature = "store")]
pub mod dispatch;
#[cfg(feature = "store")]
pub mod doc;
#[cfg(feature = "store")]
pub mod doc_id;
#[cfg(feature = "export")]
pub mod export;
#[cfg(feature = "store")]
pub mod key;
#[cfg(feature = "store")]
mod platform;
#[cfg(feature = "store")]
pub mod protocol;
#[cfg(all(feature = "store", feature = "schema", feature = "demo"))]
#[doc(hidden)]
pub mod protocol_docs;
#[cfg(feature = "store")]
pub mod registry;
#[cfg(feature = "store")]
pub mod seal;
#[cfg(feature = "store")]
pub mod store;
#[cfg(feature = "store")]
pub mod sync;
#[cfg(feature = "store")]
pub mod validate;

pub use command::Command;
#[cfg(feature = "store")]
pub use key::StoreKey;
pub use model::*;
#[cfg(feature = "store")]
pub use store::Store;
#[cfg(feature = "store")]
pub use sync::SyncClient;

/// Everything that can go wrong in the core.
#[cfg(feature = "store")]
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("invalid input")]
    Invalid(Vec<FieldError>),
    #[error("not found")]
    NotFound,
    #[error("database: {0}")]
    Sqlite(#[from] rusqlite::Error),
    // The large library errors are boxed to keep `Result<_, Error>` small.
    #[error("database migration: {0}")]
    Migration(Box<rusqlite_migration::Error>),
    #[error("document: {0}")]
    Automerge(Box<automerge::AutomergeError>),
    #[error("document write: {0}")]
    Reconcile(Box<autosurgeon::ReconcileError>),
    #[error("document read: {0}")]
    Hydrate(Box<autosurgeon::HydrateError>),
    #[error("store key: {0}")]
    Key(String),
    #[error("the store key does not open this database")]
    WrongKey,
    #[error("corrupt data: {0}")]
    Corrupt(String),
    #[error("file: {0}")]
    File(#[from] std::io::Error),
    #[error("network: {0}")]
    Http(#[from] reqwest::Error),
    #[error("refusing plain HTTP to {0}: not this machine, and not allowed")]
    InsecureServer(String),
    #[error("not a server address: {0:?}")]
    BadServerUrl(String),
    #[error("server answered {status}: {detail}")]
    Server { status: u16, detail: String },
    #[error("protocol: {0}")]
    Protocol(String),
    #[error("not signed in")]
    NotSignedIn,
    #[error("wrong user name or password")]
    SignInRefused,
    #[error("the session has ended")]
    SessionExpired,
    #[error("too many sign-in attempts")]
    TooManyAttempts,
    #[error("changes of the account signed in before are not sent yet")]
    UnsentChanges,
    #[error("this account may not write that record")]
    NotPermitted,
    #[error(
        "no Chinese font is installed: install Noto Sans CJK SC \
         (Debian and Ubuntu: apt-get install fonts-noto-cjk)"
    )]
    NoCjkFont,
    /// A file could not be made (xlsx, PDF): what and why.
    #[error("export: {0}")]
    Export(String),
}

macro_rules! boxed_from {
    ($($variant:ident($source:ty)),* $(,)?) => {$(
        #[cfg(feature = "store")]
        impl From<$source> for Error {
            fn from(e: $source) -> Self {
                Error::$variant(Box::new(e))
            }
        }
    )*};
}

boxed_from!(
    Migration(rusqlite_migration::Error),
    Automerge(automerge::AutomergeError),
    Reconcile(autosurgeon::ReconcileError),
    Hydrate(autosurgeon::HydrateError),
);

#[cfg(feature = "store")]
impl From<&Error> for AppError {
    fn from(e: &Error) -> AppError {
        match e {
            Error::Invalid(fields) => AppError::Invalid {
                fields: fields.clone(),
            },
            Error::NotFound => AppError::NotFound,
            Error::Http(e) if platform::unreachable(e) => AppError::Offline {
                detail: e.to_string(),
            },
            Error::Server { status, detail } if is_refusal(*status) => {
                let (code, reason) = server_reason(detail);
                AppError::Refused {
                    status: *status,
                    code,
                    reason,
                }
            }
            Error::Server { status, detail } => AppError::Server {
                status: *status,
                detail: detail.clone(),
            },
            Error::Http(e) => AppError::Server {
                status: e.status().map_or(0, |s| s.as_u16()),
                detail: e.to_string(),
            },
            Error::InsecureServer(url) => AppError::InsecureServer { url: url.clone() },
            Error::BadServerUrl(url) => AppError::BadServerUrl { url: url.clone() },
            Error::Protocol(detail) => AppError::Server {
                status: 0,
                detail: detail.clone(),
            },
            Error::NotSignedIn => AppError::NotSignedIn,
            Error::SignInRefused => AppError::SignInRefused,
            Error::SessionExpired => AppError::SessionExpired,
            Error::TooManyAttempts => AppError::TooManyAttempts,
            Error::UnsentChanges => AppError::UnsentChanges,
            Error::NotPermitted => AppError::NotPermitted,
            Error::NoCjkFont => AppError::NoChineseFont,
            other => AppError::Storage {
                detail: other.to_string(),
            },
        }
    }
}

/// Whether an answer with `status` refuses what retrying would not change: a client
/// error, except a timeout (408) and a rate limit (429), which pass.
#[cfg(feature = "store")]
fn is_refusal(status: u16) -> bool {
    (400..500).contains(&status) && status != 408 && status != 429
}

/// The server's own code and reason in an error answer's body: those of a JSON error
/// body, or a short plain sentence (a public page's) without a code; nothing for anything
/// else (a proxy's HTML page).
#[cfg(feature = "store")]
fn server_reason(body: &str) -> (String, String) {
    if let Ok(e) = serde_json::from_str::<protocol::ErrorBody>(body) {
        return (e.error, e.message);
    }
    let body = body.trim();
    if body.is_empty()
        || body.starts_with('<')
        || body.starts_with('{')
        || body.chars().count() > 200
    {
        return (String::new(), String::new());
    }
    (String::new(), body.to_owned())
}

#[cfg(feature = "store")]
impl From<Error> for AppError {
    fn from(e: Error) -> AppError {
        AppError::from(&e)
    }
}

/// Today's date in the device's local time zone: the reference for "not in the future".
#[cfg(feature = "store")]
pub fn local_today() -> chrono::NaiveDate {
    chrono::Local::now().date_naive()
}

#[cfg(all(test, feature = "store"))]
mod tests {
    use super::*;

    fn app_error(status: u16, detail: &str) -> AppError {
        AppError::from(Error::Server {
            status,
            detail: detail.to_owned(),
        })
    }

    #[test]
    fn a_refusal_that_retrying_cannot_change_carries_the_servers_reason() {
        // A server without a public address, as its poster endpoint says it (in its
        // language; plain text).
        let reason = "The server has no public address ([public] url): no poster.";
        assert_eq!(
            app_error(409, reason),
            AppError::Refused {
                status: 409,
                code: String::new(),
                reason: reason.to_owned()
            }
        );
        // The API's JSON error body: its message.
        let body = r#"{"error":"read_only","message":"this account only reads st-1"}"#;
        assert_eq!(
            app_error(403, body),
            AppError::Refused {
                status: 403,
                code: "read_only".to_owned(),
                reason: "this account only reads st-1".to_owned()
            }
        );
        // A proxy's page is no reason.
        assert_eq!(
            app_error(404, "<html><body>404 Not Found</body></html>"),
            AppError::Refused {
                status: 404,
                code: String::new(),
                reason: String::new()
            }
        );
    }

    #[test]
    fn answers_that_may_pass_still_say_try_again() {
        for status in [408, 429, 500, 502, 503] {
            assert!(
                matches!(app_error(status, "busy"), AppError::Server { status: s, .. } if s == status),
                "{status}"
            );
        }
    }
}
