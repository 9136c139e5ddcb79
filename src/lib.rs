//! The Tauri shell: window, state and typed commands. No business logic lives here:
//! each command is a few lines into the headless core (`shared`), which owns validation,
//! documents, storage and sync.

use std::path::PathBuf;

use shared::dispatch::{Answer, Core};
use shared::{AppError, Command, Language, Store, StoreKey, SyncClient};
use tauri::{Manager, State};

/// The sync server used when none is configured.
pub const DEFAULT_SERVER_URL: &str = "http://127.0.0.1:8765";

struct AppState {
    /// The store and its sync client, answering the UI's commands.
    core: Core,
    /// Where exports are saved without a dialog, if set.
    export_dir: Option<PathBuf>,
    /// Where the store is (and the language hint beside it).
    data_dir: PathBuf,
}

/// Where this instance keeps its data and which server it syncs with, from the command
/// line (`--data-dir DIR`, `--server URL`, `--allow-plain-http`, `--export-dir DIR`) or
/// the environment (`JIAZHAN_DATA_DIR`, `JIAZHAN_SERVER_URL`, `JIAZHAN_ALLOW_PLAIN_HTTP`,
/// `JIAZHAN_EXPORT_DIR`). Two instances with different data directories are two devices.
#[derive(Debug, Default)]
struct Options {
    data_dir: Option<PathBuf>,
    server_url: Option<String>,
    /// Plain HTTP to a server on another machine (a test network without TLS).
    allow_plain_http: bool,
    /// Exports go here without a save dialog (`--export-dir`, `JIAZHAN_EXPORT_DIR`).
    export_dir: Option<PathBuf>,
}

impl Options {
    fn from_env() -> Options {
        let mut o = Options {
            data_dir: std::env::var_os("JIAZHAN_DATA_DIR").map(PathBuf::from),
            server_url: std::env::var("JIAZHAN_SERVER_URL").ok(),
            allow_plain_http: std::env::var_os("JIAZHAN_ALLOW_PLAIN_HTTP").is_some(),
            export_dir: std::env::var_os("JIAZHAN_EXPORT_DIR").map(PathBuf::from),
        };
        let mut args = std::env::args().skip(1);
        while let Some(arg) = args.next() {
            match arg.as_str() {
                "--data-dir" => o.data_dir = args.next().map(PathBuf::from),
                "--server" => o.server_url = args.next(),
                "--allow-plain-http" => o.allow_plain_http = true,
                "--export-dir" => o.export_dir = args.next().map(PathBuf::from),
                _ => {}
            }
        }
        o
    }
}

/// Answers one of the UI's commands (`shared::Command`): a value as JSON, a file's bytes
/// raw. Every command the screens use is this one; the shell adds only what a desktop
/// does with bytes ([`stage_photo`], [`save_file`]) and the language hint.
#[tauri::command]
async fn call(
    state: State<'_, AppState>,
    request: Command,
) -> Result<tauri::ipc::Response, AppError> {
    let language = match &request {
        Command::SetLanguage { language } => Some(*language),
        _ => None,
    };
    let answer = state.core.call(request).await?;
    if let Some(language) = language {
        note_language(&state.data_dir, language);
    }
    Ok(match answer {
        Answer::Value(v) => tauri::ipc::Response::new(v.to_string()),
        Answer::Bytes(b) => tauri::ipc::Response::new(b),
    })
}

/// Keeps a photo just chosen; the request body is the file's bytes (raw, not JSON).
#[tauri::command]
fn stage_photo(
    state: State<'_, AppState>,
    request: tauri::ipc::Request<'_>,
) -> Result<String, AppError> {
    match request.body() {
        tauri::ipc::InvokeBody::Raw(bytes) => state.core.stage_photo(bytes),
        // Where the webview cannot send a raw body (Android, or a blocked IPC protocol),
        // Tauri sends the bytes as a JSON array.
        tauri::ipc::InvokeBody::Json(value) => {
            let bytes: Vec<u8> =
                serde_json::from_value(value.clone()).map_err(|_| AppError::Invalid {
                    fields: vec![shared::FieldError::new(
                        shared::Field::Photos,
                        shared::Problem::Unknown,
                    )],
                })?;
            state.core.stage_photo(&bytes)
        }
    }
}

/// Saves the file a command makes (an export, a poster: `Command::RegisterFile`…) as
/// `file_name`: the saved path, or `None` when the user cancelled the save dialog.
#[tauri::command]
async fn save_file(
    app: tauri::AppHandle,
    state: State<'_, AppState>,
    request: Command,
    file_name: String,
) -> Result<Option<String>, AppError> {
    let bytes = match state.core.call(request).await? {
        Answer::Bytes(b) => b,
        Answer::Value(_) => {
            return Err(AppError::Storage {
                detail: "that command makes no file".into(),
            });
        }
    };
    hand_over(&app, &state, &file_name, bytes).await
}

/// Hands an exported file to the user: on desktop through a save dialog offering
/// `file_name` (`None` when they cancel), on a phone into the app's documents (to share
/// from there). With an export folder set (`--export-dir`, `JIAZHAN_EXPORT_DIR`: kiosks
/// and the end-to-end tests) it is saved there without asking, never over a file.
async fn hand_over(
    app: &tauri::AppHandle,
    state: &AppState,
    file_name: &str,
    bytes: Vec<u8>,
) -> Result<Option<String>, AppError> {
    let storage = |e: String| AppError::Storage { detail: e };
    let saved = |p: PathBuf| Some(p.display().to_string());
    if let Some(dir) = &state.export_dir {
        return Ok(saved(shared::export::save_file(dir, file_name, &bytes)?));
    }
    #[cfg(mobile)]
    {
        let dir = app
            .path()
            .document_dir()
            .map_err(|e| storage(e.to_string()))?;
        Ok(saved(shared::export::save_file(&dir, file_name, &bytes)?))
    }
    #[cfg(not(mobile))]
    {
        use tauri_plugin_dialog::DialogExt as _;
        let extension = file_name.rsplit_once('.').map_or("", |(_, e)| e).to_owned();
        let mut dialog = app.dialog().file().set_file_name(file_name);
        if let Ok(dir) = app.path().download_dir() {
            dialog = dialog.set_directory(dir);
        }
        if !extension.is_empty() {
            dialog = dialog.add_filter(extension.to_uppercase(), &[extension.as_str()]);
        }
        let chosen = tauri::async_runtime::spawn_blocking(move || dialog.blocking_save_file())
            .await
            .map_err(|e| storage(e.to_string()))?;
        let Some(path) = chosen.and_then(|p| p.into_path().ok()) else {
            return Ok(None);
        };
        // The user chose this path (the dialog asked before replacing a file).
        shared::export::replace_file(&path, &bytes)?;
        Ok(saved(path))
    }
}

/// What `--help` prints.
const USAGE: &str = "\
jiazhan: the Jiazhan app (deputy homes and liaison stations)

Usage: jiazhan [OPTIONS]

Options:
  --data-dir DIR       where this device keeps its encrypted store (JIAZHAN_DATA_DIR)
  --server URL         the sync server the sign-in form offers (JIAZHAN_SERVER_URL)
  --allow-plain-http   allow plain HTTP to a server on another machine
                       (JIAZHAN_ALLOW_PLAIN_HTTP)
  --export-dir DIR     save exports here without a dialog (JIAZHAN_EXPORT_DIR)
  -h, --help           print this and exit
  -V, --version        print the version and exit
";

/// The file beside the store naming the app's language in plain text (`zh-CN` or `en`):
/// read before the window system starts, when the store (opened inside it) cannot be.
const LANGUAGE_HINT: &str = "language";

/// Notes the app's language beside the store for the next start ([`webview_locale`]),
/// by its serde name (`"zh-CN"`, `"en"`).
fn note_language(data_dir: &std::path::Path, language: Language) {
    if read_language(data_dir) != Some(language) {
        // Only a hint: without it the next start draws dates as in Chinese.
        let _ = std::fs::write(
            data_dir.join(LANGUAGE_HINT),
            serde_json::to_string(&language).unwrap_or_default(),
        );
    }
}

/// The language noted beside the store, if any.
fn read_language(data_dir: &std::path::Path) -> Option<Language> {
    serde_json::from_str(&std::fs::read_to_string(data_dir.join(LANGUAGE_HINT)).ok()?).ok()
}

/// The app's identifier (tauri.conf.json): where Tauri keeps its data, needed before
/// the app exists to find the language hint.
const APP_IDENTIFIER: &str = "cn.gov.haidian.jiazhan";

/// WebKitGTK draws dates (the date field and its calendar) and the file picker's words
/// in the process's locale, not in the page's language: under `C.UTF-8` a Chinese form
/// showed MM/DD/YYYY and an English calendar. Before GTK starts, the locale follows the
/// language the app was last set to (Chinese unless it was English), unless the
/// system's already speaks it.
#[cfg(all(target_os = "linux", not(mobile)))]
#[allow(unsafe_code)]
fn webview_locale(options: &Options) {
    let data_dir = options.data_dir.clone().or_else(|| {
        // Where Tauri keeps app data on Linux: `$XDG_DATA_HOME` or `~/.local/share`,
        // then the app's identifier.
        let base = std::env::var_os("XDG_DATA_HOME")
            .map(PathBuf::from)
            .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".local/share")))?;
        Some(base.join(APP_IDENTIFIER))
    });
    let english = data_dir.and_then(|d| read_language(&d)) == Some(Language::En);
    let current = ["LC_ALL", "LC_TIME", "LANG"]
        .iter()
        .find_map(|v| std::env::var(v).ok().filter(|l| !l.is_empty()))
        .unwrap_or_default();
    let speaks = if english {
        // The C locale draws dates in English too.
        current.starts_with("en")
            || current.starts_with('C')
            || current == "POSIX"
            || current.is_empty()
    } else {
        current.starts_with("zh_CN")
    };
    if !speaks {
        let locale = if english {
            "en_US.UTF-8"
        } else {
            "zh_CN.UTF-8"
        };
        // SAFETY: first thing in `run`, before Tauri, GTK or any other thread starts:
        // nothing reads the environment while it changes.
        unsafe { std::env::set_var("LC_ALL", locale) };
    }
}

#[cfg_attr(mobile, tauri::mobile_entry_point)]
pub fn run() {
    // Answered before any window system is touched: they work without a display.
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.iter().any(|a| a == "--help" || a == "-h") {
        print!("{USAGE}");
        return;
    }
    if args.iter().any(|a| a == "--version" || a == "-V") {
        println!("jiazhan {}", env!("CARGO_PKG_VERSION"));
        return;
    }
    #[cfg(all(target_os = "linux", not(mobile)))]
    webview_locale(&Options::from_env());
    tauri::Builder::default()
        .plugin(tauri_plugin_dialog::init())
        .setup(|app| {
            let options = Options::from_env();
            let data_dir = match options.data_dir {
                Some(dir) => dir,
                None => app.path().app_data_dir()?,
            };
            std::fs::create_dir_all(&data_dir)?;
            let key = StoreKey::load_or_create(&data_dir)?;
            let store = Store::open(&data_dir.join("jiazhan.db"), &key)?;
            note_language(&data_dir, store.language()?);
            let server_url = options
                .server_url
                .unwrap_or_else(|| DEFAULT_SERVER_URL.to_owned());
            let sync = SyncClient::new(options.allow_plain_http)?;
            let device_name = format!("家站通 {}", std::env::consts::OS);
            app.manage(AppState {
                core: Core::new(store, sync, &server_url, &device_name),
                export_dir: options.export_dir,
                data_dir,
            });
            Ok(())
        })
        .invoke_handler(tauri::generate_handler![call, stage_photo, save_file])
        .run(tauri::generate_context!())
        .expect("error while running the Jiazhan app");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_identifier_is_tauri_confs() {
        let conf: serde_json::Value =
            serde_json::from_str(include_str!("../tauri.conf.json")).unwrap();
        assert_eq!(conf["identifier"], APP_IDENTIFIER);
    }

    #[test]
    fn the_language_hint_reads_back_what_was_noted() {
        let dir = tempfile::tempdir().unwrap();
        assert_eq!(read_language(dir.path()), None);
        for language in Language::ALL {
            note_language(dir.path(), language);
            assert_eq!(read_language(dir.path()), Some(language));
        }
    }
}
