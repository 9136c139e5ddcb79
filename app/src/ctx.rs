//! State shared by the screens, and the helpers that reload it.

use leptos::prelude::*;
use leptos::task::spawn_local;
use shared::{ActivityFilter, ActivitySummary, Station, SyncStatus};

use crate::api;

/// State shared by the screens.
#[derive(Clone, Copy)]
pub struct Ctx {
    pub activities: RwSignal<Vec<ActivitySummary>>,
    pub stations: RwSignal<Vec<Station>>,
    pub status: RwSignal<Option<SyncStatus>>,
}

impl Ctx {
    /// Syncs in the background and reloads. Offline is normal: the record stays pending
    /// and the sync page shows why.
    pub fn sync_in_background(self) {
        spawn_local(async move {
            let _ = api::sync_now().await;
            self.refresh();
        });
    }

    /// Reloads everything the screens list from the local store.
    pub fn refresh(self) {
        spawn_local(async move {
            if let Ok(m) = api::list_activities(&ActivityFilter::default()).await {
                self.activities.set(m);
            }
            if let Ok(s) = api::stations().await {
                self.stations.set(s);
            }
            if let Ok(s) = api::sync_status().await {
                self.status.set(Some(s));
            }
        });
    }
}
