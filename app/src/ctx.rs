//! State shared by the screens, and the helpers that reload it.

use leptos::prelude::*;
use leptos::task::spawn_local;
use shared::{AppError, ScopeKind, Station, SyncProgress, SyncReport, SyncStatus};

use crate::api;

/// State shared by the screens.
#[derive(Clone, Copy)]
pub struct Ctx {
    pub stations: RwSignal<Vec<Station>>,
    pub status: RwSignal<Option<SyncStatus>>,
    /// Goes up after every local save and every sync (foreground or background): every
    /// screen that shows data tracks it and reloads what it shows.
    pub data_version: RwSignal<u64>,
    /// The streets and towns this device knows, `(id, name)`, once a screen asked for
    /// them ([`Ctx::load_subdistricts`]).
    pub subdistricts: RwSignal<Vec<(String, String)>>,
    /// How far the background sync under way has come (`None` when none runs).
    pub progress: RwSignal<Option<SyncProgress>>,
}

/// What an account's statistics and exports cover: its station, its street or town, or
/// the whole district.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Scope {
    Station(String),
    Subdistrict(String),
    District,
}

impl Ctx {
    pub fn new() -> Ctx {
        Ctx {
            stations: RwSignal::new(vec![]),
            status: RwSignal::new(None),
            data_version: RwSignal::new(0),
            subdistricts: RwSignal::new(vec![]),
            progress: RwSignal::new(None),
        }
    }

    /// What the signed-in account covers (tracked).
    pub fn scope(self) -> Scope {
        let Some(account) = self.status.get().and_then(|s| s.account) else {
            return Scope::District;
        };
        match (account.role.scope_kind(), account.scope_id) {
            (ScopeKind::Station, Some(id)) => Scope::Station(id),
            (ScopeKind::Subdistrict, Some(id)) => Scope::Subdistrict(id),
            _ => Scope::District,
        }
    }

    /// The name of what the account covers: its station, street or town, or the
    /// district (tracked).
    pub fn scope_name(self) -> String {
        match self.scope() {
            Scope::Station(id) => self
                .stations
                .get()
                .into_iter()
                .find(|s| s.id == id)
                .map_or(id, |s| s.name),
            Scope::Subdistrict(id) => self.subdistrict_name(&id),
            Scope::District => crate::i18n::t("place.district"),
        }
    }

    /// Learns the names of the streets and towns this device knows, once.
    pub fn load_subdistricts(self) {
        if !self.subdistricts.get_untracked().is_empty() {
            return;
        }
        spawn_local(async move {
            if let Ok(all) = api::subdistricts().await {
                let names: Vec<(String, String)> =
                    all.into_iter().map(|s| (s.id, s.name)).collect();
                if !names.is_empty() {
                    self.subdistricts.set(names);
                }
            }
        });
    }

    /// The name of street or town `id` (its id until the names are known; tracked).
    pub fn subdistrict_name(self, id: &str) -> String {
        self.subdistricts
            .get()
            .into_iter()
            .find(|(sid, _)| sid == id)
            .map_or_else(|| id.to_owned(), |(_, name)| name)
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
            // A new device's first sync of a whole district takes a while, and its
            // screens are empty until it ends: the shell shows how far it has come.
            let _ = sync_watched(self.progress).await;
            self.refresh();
        });
    }

    /// This device has never finished a sync (its screens are empty until it does;
    /// tracked). False until the status is known.
    pub fn never_synced(self) -> bool {
        self.status
            .get()
            .is_some_and(|s| s.account.is_some() && s.last_success.is_none())
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

/// Syncs now, with `progress` following how far the sync has come (polled while it
/// runs, `None` again after), and gives its result.
pub async fn sync_watched(
    progress: RwSignal<Option<SyncProgress>>,
) -> Result<SyncReport, AppError> {
    let poll = set_interval_with_handle(
        move || {
            spawn_local(async move {
                if let Ok(p) = api::sync_progress().await
                    && p.running
                {
                    progress.set(Some(p));
                }
            })
        },
        std::time::Duration::from_millis(300),
    )
    .ok();
    let result = api::sync_now().await;
    if let Some(poll) = poll {
        poll.clear();
    }
    progress.set(None);
    result
}
