//! The app itself on a device (its `Store` and `SyncClient`), for the suites that sync
//! as the app does.

use std::path::Path;
use std::sync::Mutex;

use shared::{ActivityInput, Store, StoreKey, SyncClient};
use sync_server::RunningServer;

use super::{OTHER_STATION, PASSWORD};

/// The app on a device named `name`: its store (`{name}.db` in `dir`, under a new key)
/// and its sync client, signed in nowhere.
pub fn app(dir: &Path, name: &str) -> (Mutex<Store>, SyncClient) {
    let store = Store::open(
        &dir.join(format!("{name}.db")),
        &StoreKey::generate().unwrap(),
    )
    .unwrap();
    (Mutex::new(store), SyncClient::new(false).unwrap())
}

/// The app on device `name` signed in to `server` as the account `name` (its password
/// [`PASSWORD`]), after its first sync.
pub async fn signed_in_app(
    dir: &Path,
    server: &RunningServer,
    name: &str,
) -> (Mutex<Store>, SyncClient) {
    let (store, client) = app(dir, name);
    client
        .sign_in(&store, &server.url(), name, PASSWORD, name)
        .await
        .unwrap();
    client.sync(&store).await.unwrap();
    (store, client)
}

/// An activity at 上地 ([`OTHER_STATION`]) on 2026-11-20 with deputy `dep-004`:
/// `voters` received, about `summary`.
pub fn shangdi_activity(voters: usize, summary: String) -> ActivityInput {
    ActivityInput {
        station_id: OTHER_STATION.into(),
        date: "2026-11-20".into(),
        deputy_ids: vec!["dep-004".into()],
        voters_received: voters.to_string(),
        summary,
        ..ActivityInput::default()
    }
}
