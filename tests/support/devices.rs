//! Devices of the app (`Store` + `SyncClient`) signed in to a test server, for the
//! tests that sync through one (included with `#[path]`).
#![allow(dead_code)]

use std::sync::Mutex;

use shared::model::Role;
use shared::{Store, StoreKey, SyncClient};
use sync_server::{NewAccount, RunningServer};

/// A device of the app: its store and its sync client.
pub struct Device {
    pub store: Mutex<Store>,
    pub client: SyncClient,
}

pub const PASSWORD: &str = "correct horse battery";

/// Creates an account on `server` (its password is [`PASSWORD`]).
pub fn account(server: &RunningServer, username: &str, role: Role, scope: Option<&str>) {
    server
        .storage
        .create_account(
            &NewAccount {
                username: username.into(),
                display_name: username.into(),
                role,
                scope_id: scope.map(str::to_owned),
                deputy_id: None,
            },
            PASSWORD,
        )
        .unwrap();
}

impl Device {
    /// A device signed in to a new station staff account of 永丰 (西北旺镇).
    pub async fn new(dir: &std::path::Path, name: &str, server: &RunningServer) -> Device {
        Device::signed_in(
            dir,
            name,
            server,
            Role::StationStaff,
            Some("st-xibeiwang-yongfeng"),
        )
        .await
    }

    /// A device signed in to a new account `name` with `role` and `scope`.
    pub async fn signed_in(
        dir: &std::path::Path,
        name: &str,
        server: &RunningServer,
        role: Role,
        scope: Option<&str>,
    ) -> Device {
        let username = format!("user-{name}");
        account(server, &username, role, scope);
        let device = Device::unsigned(dir, name);
        device
            .client
            .sign_in(&device.store, &server.url(), &username, PASSWORD, name)
            .await
            .unwrap();
        device
    }

    /// A device that has not signed in anywhere.
    pub fn unsigned(dir: &std::path::Path, name: &str) -> Device {
        Device {
            store: Mutex::new(
                Store::open(
                    &dir.join(format!("{name}.db")),
                    &StoreKey::generate().unwrap(),
                )
                .unwrap(),
            ),
            client: SyncClient::new(false).unwrap(),
        }
    }

    pub async fn sync(&self) -> shared::SyncReport {
        self.client.sync(&self.store).await.unwrap()
    }

    pub fn store(&self) -> std::sync::MutexGuard<'_, Store> {
        self.store.lock().unwrap()
    }

    /// Signs in (again) as `username` on `server`.
    pub async fn sign_in_as(&self, server: &RunningServer, username: &str) {
        self.client
            .sign_in(&self.store, &server.url(), username, PASSWORD, "phone")
            .await
            .unwrap();
    }

    /// The session token, for requests made by hand.
    pub fn token(&self) -> String {
        self.store().session().unwrap().unwrap().token
    }
}

/// A JPEG-looking file of `len` bytes whose content depends on `seed`.
pub fn photo_bytes(len: usize, seed: u8) -> Vec<u8> {
    let mut bytes = vec![0xff, 0xd8, 0xff, 0xe0];
    let mut x = u32::from(seed) + 1;
    while bytes.len() < len {
        x = x.wrapping_mul(1_103_515_245).wrapping_add(12_345);
        bytes.push((x >> 16) as u8);
    }
    bytes
}
