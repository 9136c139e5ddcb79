//! The Tauri shell: window, state and typed commands. No business logic lives here:
//! each command is a few lines into the headless core (`shared`), which owns validation,
//! documents, storage and sync.

use std::path::PathBuf;
use std::sync::{Mutex, MutexGuard};

use shared::{
    AppError, Deputy, HistoryEntry, MeetingSummary, Station, Store, StoreKey, SyncClient,
    SyncReport, SyncStatus, VoterMeetingInput,
};
use tauri::{Manager, State};

/// The sync server used when none is configured.
pub const DEFAULT_SERVER_URL: &str = "http://127.0.0.1:8765";

struct AppState {
    store: Mutex<Store>,
    sync: SyncClient,
}

impl AppState {
    fn store(&self) -> MutexGuard<'_, Store> {
        self.store.lock().unwrap_or_else(|p| p.into_inner())
    }
}

/// Where this instance keeps its data and which server it syncs with, from the command
/// line (`--data-dir DIR`, `--server URL`, `--allow-plain-http`) or the environment
/// (`JIAZHAN_DATA_DIR`, `JIAZHAN_SERVER_URL`, `JIAZHAN_ALLOW_PLAIN_HTTP`). Two instances with different data directories are two devices.
#[derive(Debug, Default)]
struct Options {
    data_dir: Option<PathBuf>,
    server_url: Option<String>,
    /// Plain HTTP to a server on another machine (a test network without TLS).
    allow_plain_http: bool,
}

impl Options {
    fn from_env() -> Options {
        let mut o = Options {
            data_dir: std::env::var_os("JIAZHAN_DATA_DIR").map(PathBuf::from),
            server_url: std::env::var("JIAZHAN_SERVER_URL").ok(),
            allow_plain_http: std::env::var_os("JIAZHAN_ALLOW_PLAIN_HTTP").is_some(),
        };
        let mut args = std::env::args().skip(1);
        while let Some(arg) = args.next() {
            match arg.as_str() {
                "--data-dir" => o.data_dir = args.next().map(PathBuf::from),
                "--server" => o.server_url = args.next(),
                "--allow-plain-http" => o.allow_plain_http = true,
                _ => {}
            }
        }
        o
    }
}

#[tauri::command]
fn stations(state: State<'_, AppState>) -> Result<Vec<Station>, AppError> {
    Ok(state.store().stations()?)
}

#[tauri::command]
fn deputies(state: State<'_, AppState>, station_id: String) -> Result<Vec<Deputy>, AppError> {
    Ok(state.store().deputies(&station_id)?)
}

#[tauri::command]
fn list_meetings(state: State<'_, AppState>) -> Result<Vec<MeetingSummary>, AppError> {
    Ok(state.store().list_meetings()?)
}

#[tauri::command]
fn get_meeting(state: State<'_, AppState>, id: String) -> Result<VoterMeetingInput, AppError> {
    Ok(state.store().meeting(&id)?)
}

#[tauri::command]
fn save_draft(state: State<'_, AppState>, input: VoterMeetingInput) -> Result<(), AppError> {
    Ok(state.store().save_draft(&input)?)
}

#[tauri::command]
fn load_draft(state: State<'_, AppState>) -> Result<Option<VoterMeetingInput>, AppError> {
    Ok(state.store().draft()?)
}

#[tauri::command]
fn meeting_history(state: State<'_, AppState>, id: String) -> Result<Vec<HistoryEntry>, AppError> {
    Ok(state.store().meeting_history(&id)?)
}

/// Creates a meeting (`id` absent) or updates one; returns its id.
#[tauri::command]
fn save_meeting(
    state: State<'_, AppState>,
    id: Option<String>,
    input: VoterMeetingInput,
) -> Result<String, AppError> {
    let today = shared::local_today();
    let mut store = state.store();
    match id {
        Some(id) => store.update_meeting(&id, &input, today).map(|()| id),
        None => store.create_meeting(&input, today),
    }
    .map_err(AppError::from)
}

#[tauri::command]
async fn sync_now(state: State<'_, AppState>) -> Result<SyncReport, AppError> {
    Ok(state.sync.sync(&state.store).await?)
}

/// A sync the app starts by itself: skipped while backing off after a failure.
#[tauri::command]
async fn sync_background(state: State<'_, AppState>) -> Result<Option<SyncReport>, AppError> {
    Ok(state.sync.sync_if_due(&state.store).await.transpose()?)
}

#[tauri::command]
fn sync_status(state: State<'_, AppState>) -> Result<SyncStatus, AppError> {
    Ok(state.store().sync_status(state.sync.server_url())?)
}

#[cfg_attr(mobile, tauri::mobile_entry_point)]
pub fn run() {
    tauri::Builder::default()
        .setup(|app| {
            let options = Options::from_env();
            let data_dir = match options.data_dir {
                Some(dir) => dir,
                None => app.path().app_data_dir()?,
            };
            std::fs::create_dir_all(&data_dir)?;
            let key = StoreKey::load_or_create(&data_dir)?;
            let store = Store::open(&data_dir.join("jiazhan.db"), &key)?;
            let server_url = options
                .server_url
                .unwrap_or_else(|| DEFAULT_SERVER_URL.to_owned());
            app.manage(AppState {
                store: Mutex::new(store),
                sync: SyncClient::new(&server_url, options.allow_plain_http)?,
            });
            Ok(())
        })
        .invoke_handler(tauri::generate_handler![
            stations,
            deputies,
            list_meetings,
            get_meeting,
            meeting_history,
            save_draft,
            load_draft,
            save_meeting,
            sync_now,
            sync_background,
            sync_status
        ])
        .run(tauri::generate_context!())
        .expect("error while running the Jiazhan app");
}
