//! State shared by the screens, and the helpers that reload it.

use leptos::prelude::*;
use leptos::task::spawn_local;
use shared::{Station, SyncStatus};

use crate::api;

/// State shared by the screens.
#[derive(Clone, Copy)]
pub struct Ctx {
    pub stations: RwSignal<Vec<Station>>,
    pub status: RwSignal<Option<SyncStatus>>,
    /// Goes up after every local save and every sync (foreground or background): every
    /// screen that shows data tracks it and reloads what it shows.
    pub data_version: RwSignal<u64>,
}

impl Ctx {
    pub fn new() -> Ctx {
        Ctx {
            stations: RwSignal::new(vec![]),
            status: RwSignal::new(None),
            data_version: RwSignal::new(0),
        }
    }

    /// The signed-in account as a line ("name (role)"), if any.
    pub fn account_line(self) -> Option<String> {
        self.status.get().and_then(|s| s.account).map(|a| {
            crate::i18n::tf(
                "account.name_role",
                &[
                    ("name", &a.display_name),
                    ("role", &crate::i18n::enum_label("role", &a.role)),
                ],
            )
        })
    }

    /// Syncs in the background and reloads. Offline is normal: the record stays pending
    /// and the sync page shows why.
    pub fn sync_in_background(self) {
        spawn_local(async move {
            let _ = api::sync_now().await;
            self.refresh();
        });
    }

    /// After a local save: every screen reloads, and the change goes out in the
    /// background.
    pub fn saved(self) {
        self.refresh();
        self.sync_in_background();
    }

    /// Reloads the stations and the sync status, then tells every screen the data may
    /// have changed.
    pub fn refresh(self) {
        spawn_local(async move {
            if let Ok(s) = api::stations().await {
                self.stations.set(s);
            }
            if let Ok(s) = api::sync_status().await {
                self.status.set(Some(s));
            }
            self.data_version.update(|v| *v += 1);
        });
    }
}
