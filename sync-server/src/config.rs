//! The configuration file (TOML). Every setting can also be given as a flag or an
//! environment variable; a flag wins over the environment, which wins over the file.
//! `jiazhan-server.example.toml` beside this crate shows every key.

use std::net::{IpAddr, SocketAddr};
use std::num::NonZeroU32;
use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::{Quotas, Tls};

/// The file's settings; each is optional.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FileConfig {
    /// SQLite database file (`database` says the same and takes a PostgreSQL URL too).
    pub db: Option<PathBuf>,
    /// The database: an SQLite file, or `postgres://user@host/db` for PostgreSQL.
    pub database: Option<String>,
    /// Connections to PostgreSQL each instance keeps at most (default 16).
    pub database_pool: Option<usize>,
    /// Address to listen on.
    pub bind: Option<SocketAddr>,
    /// Load the demo reference data if none is loaded.
    pub demo: Option<bool>,
    /// Serve HTTPS with this certificate chain and key.
    pub tls: Option<Tls>,
    /// Days a device stays signed in without syncing.
    pub session_days: Option<u64>,
    /// Sign-in attempts allowed per minute for one account name.
    pub sign_in_per_account_per_minute: Option<NonZeroU32>,
    /// Sign-in attempts allowed per minute from one network address.
    pub sign_in_per_address_per_minute: Option<NonZeroU32>,
    /// Failed sign-ins per hour for one account name from everywhere, after which only
    /// devices that signed in to it before may try.
    pub sign_in_failures_per_account_per_hour: Option<NonZeroU32>,
    /// Reverse proxies whose `X-Forwarded-For` header names the client's address.
    pub trusted_proxies: Option<Vec<IpAddr>>,
    /// Connections one network (an IPv4 address, an IPv6 /64) may hold open at once;
    /// past it a new one is closed at once. Trusted proxies have no cap.
    pub connections_per_network: Option<NonZeroU32>,
    /// Upload and storage quotas per account and device (`[quotas]`, every key needed).
    pub quotas: Option<Quotas>,
    /// The voters' public pages (`[public]`): address and limits.
    pub public: Option<crate::public::PublicConfig>,
    /// Serve Prometheus metrics at `/metrics` on this address (its own listener; none
    /// without it).
    pub metrics_bind: Option<SocketAddr>,
    /// `text` (for people) or `json` (one object a line, for journald and log
    /// shippers).
    pub log_format: Option<LogFormat>,
    /// Serve the web app at `/app` from this folder (`app/web-dist`).
    pub web_app: Option<PathBuf>,
}

/// How log lines are written (to stderr).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    #[default]
    Text,
    Json,
}

impl FileConfig {
    /// Reads and parses `path`; an unknown key is an error (a typo would otherwise be a
    /// setting silently not applied).
    pub fn load(path: &Path) -> anyhow::Result<FileConfig> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| anyhow::anyhow!("config file {}: {e}", path.display()))?;
        toml::from_str(&text).map_err(|e| anyhow::anyhow!("config file {}: {e}", path.display()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_example_file_sets_every_key_and_typos_are_refused() {
        let example = Path::new(env!("CARGO_MANIFEST_DIR")).join("jiazhan-server.example.toml");
        let c = FileConfig::load(&example).unwrap();
        assert_eq!(c.bind, Some("0.0.0.0:8765".parse().unwrap()));
        assert_eq!(c.database.as_deref(), Some("/var/lib/jiazhan/server.db"));
        assert_eq!(c.database_pool, Some(16));
        // `db`, the older name of `database`, still reads.
        assert_eq!(
            toml::from_str::<FileConfig>("db = \"x.db\"").unwrap().db,
            Some(PathBuf::from("x.db"))
        );
        assert_eq!(c.demo, Some(false));
        assert_eq!(c.session_days, Some(90));
        assert_eq!(
            c.tls,
            Some(Tls {
                cert: "/etc/jiazhan/fullchain.pem".into(),
                key: "/etc/jiazhan/privkey.pem".into(),
            })
        );
        assert_eq!(c.sign_in_per_account_per_minute, NonZeroU32::new(5));
        assert_eq!(c.sign_in_per_address_per_minute, NonZeroU32::new(30));
        assert_eq!(c.sign_in_failures_per_account_per_hour, NonZeroU32::new(50));
        assert_eq!(c.quotas, Some(Quotas::default()));
        assert_eq!(
            c.public,
            Some(crate::public::PublicConfig {
                url: Some("https://jzt.example.cn".into()),
                limits: crate::public::PublicLimits::default(),
            })
        );
        assert_eq!(c.trusted_proxies, Some(vec!["127.0.0.1".parse().unwrap()]));
        assert_eq!(c.connections_per_network, NonZeroU32::new(128));
        assert_eq!(c.metrics_bind, Some("127.0.0.1:9898".parse().unwrap()));
        assert_eq!(c.log_format, Some(LogFormat::Json));
        assert_eq!(c.web_app, Some(PathBuf::from("/usr/share/jiazhan/web-app")));
        assert!(toml::from_str::<FileConfig>("log_format = \"xml\"").is_err());
        assert!(toml::from_str::<FileConfig>("bnid = \"0.0.0.0:1\"").is_err());
        assert!(toml::from_str::<FileConfig>("session_days = -1").is_err());
    }
}
