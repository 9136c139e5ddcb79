//! The Tauri shell: window, state and typed commands. No business logic lives here:
//! each command is a few lines into the headless core (`shared`), which owns validation,
//! documents, storage and sync.

use std::path::PathBuf;
use std::sync::{Mutex, MutexGuard};

use shared::{
    Account, ActivityFilter, ActivityInput, ActivitySummary, ActivityTotals, AnswerInput, AppError,
    ArticleCount, Campaign, CampaignProgress, Department, Deputy, DraftRegulation, DutyRecord,
    ExportFormat, FeedbackInput, HistoryEntry, Home, Language, OpinionFilter, OpinionInput,
    OpinionSummary, OpinionTotals, ReferralInput, ReferralSummary, Station, Statistics, StatsQuery,
    Store, StoreKey, Subdistrict, SyncClient, SyncProgress, SyncReport, SyncStatus, TimelineStep,
    VoterContact, YearReportInput,
};
use tauri::{Manager, State};

/// The sync server used when none is configured.
pub const DEFAULT_SERVER_URL: &str = "http://127.0.0.1:8765";

struct AppState {
    store: Mutex<Store>,
    sync: SyncClient,
    /// The server address the sign-in form offers first.
    default_server_url: String,
    /// Where exports are saved without a dialog, if set.
    export_dir: Option<PathBuf>,
    /// Where the store is (and the language hint beside it).
    data_dir: PathBuf,
}

impl AppState {
    fn store(&self) -> MutexGuard<'_, Store> {
        self.store.lock().unwrap_or_else(|p| p.into_inner())
    }
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

/// Keeps a photo just chosen; the request body is the file's bytes (raw, not JSON).
#[tauri::command]
fn stage_photo(
    state: State<'_, AppState>,
    request: tauri::ipc::Request<'_>,
) -> Result<String, AppError> {
    match request.body() {
        tauri::ipc::InvokeBody::Raw(bytes) => Ok(state.store().stage_photo(bytes)?),
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
            Ok(state.store().stage_photo(&bytes)?)
        }
    }
}

/// A photo's bytes (raw): from this device, or downloaded through activity
/// `activity_id`'s document.
#[tauri::command]
async fn photo(
    state: State<'_, AppState>,
    activity_id: Option<String>,
    hash: String,
) -> Result<tauri::ipc::Response, AppError> {
    let local = state.store().photo(&hash)?;
    let bytes = match (local, activity_id) {
        (Some(bytes), _) => bytes,
        (None, Some(id)) => state.sync.fetch_photo(&state.store, &id, &hash).await?,
        (None, None) => return Err(AppError::NotFound),
    };
    Ok(tauri::ipc::Response::new(bytes))
}

/// Every station this device knows (for filters and statistics; the forms offer only
/// the writable ones, from `stations`).
#[tauri::command]
fn all_stations(state: State<'_, AppState>) -> Result<Vec<Station>, AppError> {
    Ok(state.store().stations()?)
}

#[tauri::command]
fn language(state: State<'_, AppState>) -> Result<Language, AppError> {
    Ok(state.store().language()?)
}

#[tauri::command]
fn set_language(state: State<'_, AppState>, language: Language) -> Result<(), AppError> {
    state.store().set_language(language)?;
    note_language(&state.data_dir, language);
    Ok(())
}

#[tauri::command]
fn home(state: State<'_, AppState>) -> Result<Home, AppError> {
    Ok(state.store().home(shared::local_today())?)
}

#[tauri::command]
fn stations(state: State<'_, AppState>) -> Result<Vec<Station>, AppError> {
    Ok(state.store().writable_stations()?)
}

#[tauri::command]
fn subdistricts(state: State<'_, AppState>) -> Result<Vec<Subdistrict>, AppError> {
    Ok(state.store().subdistricts()?)
}

#[tauri::command]
fn deputies(state: State<'_, AppState>, station_id: String) -> Result<Vec<Deputy>, AppError> {
    Ok(state.store().deputies(&station_id)?)
}

#[tauri::command]
fn departments(state: State<'_, AppState>) -> Result<Vec<Department>, AppError> {
    Ok(state.store().departments()?)
}

#[tauri::command]
fn campaigns(state: State<'_, AppState>) -> Result<Vec<Campaign>, AppError> {
    Ok(state.store().campaigns()?)
}

#[tauri::command]
fn drafts(state: State<'_, AppState>) -> Result<Vec<DraftRegulation>, AppError> {
    Ok(state.store().drafts()?)
}

#[tauri::command]
fn list_activities(
    state: State<'_, AppState>,
    filter: ActivityFilter,
) -> Result<Vec<ActivitySummary>, AppError> {
    Ok(state.store().list_activities(&filter)?)
}

/// How many activities `filter` selects in all, and their voters (the register shows
/// only the first rows).
#[tauri::command]
fn activity_totals(
    state: State<'_, AppState>,
    filter: ActivityFilter,
) -> Result<ActivityTotals, AppError> {
    Ok(state.store().activity_totals(&filter)?)
}

#[tauri::command]
fn get_activity(state: State<'_, AppState>, id: String) -> Result<ActivityInput, AppError> {
    Ok(state.store().activity(&id)?)
}

#[tauri::command]
fn save_draft(state: State<'_, AppState>, input: ActivityInput) -> Result<(), AppError> {
    Ok(state.store().save_draft(&input)?)
}

/// What is typed into another form (`opinion`, `consultation`, `answer:<id>`), as JSON;
/// an empty draft forgets it.
#[tauri::command]
fn save_form_draft(
    state: State<'_, AppState>,
    form: String,
    draft: String,
) -> Result<(), AppError> {
    Ok(state.store().save_form_draft(&form, &draft)?)
}

#[tauri::command]
fn form_draft(state: State<'_, AppState>, form: String) -> Result<Option<String>, AppError> {
    Ok(state.store().form_draft(&form)?)
}

#[tauri::command]
fn load_draft(state: State<'_, AppState>) -> Result<Option<ActivityInput>, AppError> {
    Ok(state.store().draft()?)
}

/// The change history of a record; `kind` is `activity`, `opinion`, `referral`…
#[tauri::command]
fn history(
    state: State<'_, AppState>,
    kind: String,
    id: String,
) -> Result<Vec<HistoryEntry>, AppError> {
    Ok(state.store().history(&kind, &id)?)
}

/// Creates an activity (`id` absent) or updates one; returns its id.
#[tauri::command]
fn save_activity(
    state: State<'_, AppState>,
    id: Option<String>,
    input: ActivityInput,
) -> Result<String, AppError> {
    let today = shared::local_today();
    let mut store = state.store();
    match id {
        Some(id) => store.update_activity(&id, &input, today).map(|()| id),
        None => store.create_activity(&input, today),
    }
    .map_err(AppError::from)
}

#[tauri::command]
fn list_opinions(
    state: State<'_, AppState>,
    filter: OpinionFilter,
) -> Result<Vec<OpinionSummary>, AppError> {
    Ok(state
        .store()
        .list_opinions(&filter, shared::local_today())?)
}

/// How many opinions `filter` selects in all, and how many are overdue (the list shows
/// only the first rows).
#[tauri::command]
fn opinion_totals(
    state: State<'_, AppState>,
    filter: OpinionFilter,
) -> Result<OpinionTotals, AppError> {
    Ok(state
        .store()
        .opinion_totals(&filter, shared::local_today())?)
}

#[tauri::command]
fn get_opinion(state: State<'_, AppState>, id: String) -> Result<OpinionInput, AppError> {
    Ok(state.store().opinion(&id)?)
}

/// Creates an opinion (`id` absent) or updates one; returns its id. `form` names the form
/// it was typed in, whose draft the same transaction forgets.
#[tauri::command]
fn save_opinion(
    state: State<'_, AppState>,
    id: Option<String>,
    input: OpinionInput,
    form: Option<String>,
) -> Result<String, AppError> {
    let today = shared::local_today();
    let mut store = state.store();
    store
        .saving_form(form.as_deref(), |store| match id {
            Some(id) => store.update_opinion(&id, &input, today).map(|()| id),
            None => store.create_opinion(&input, today),
        })
        .map_err(AppError::from)
}

/// A station's poster to show (PNG), raw over IPC.
#[tauri::command]
async fn station_poster(
    state: State<'_, AppState>,
    station_id: String,
) -> Result<tauri::ipc::Response, AppError> {
    let png = state
        .sync
        .fetch_poster(&state.store, &station_id, false)
        .await?;
    Ok(tauri::ipc::Response::new(png))
}

/// Saves a station's poster (PNG or PDF) into the user's downloads as `file_name` (the
/// UI names it, in the user's language); returns the path.
#[tauri::command]
async fn save_poster(
    app: tauri::AppHandle,
    state: State<'_, AppState>,
    station_id: String,
    pdf: bool,
    file_name: String,
) -> Result<String, AppError> {
    let bytes = state
        .sync
        .fetch_poster(&state.store, &station_id, pdf)
        .await?;
    let dir = app.path().download_dir().or_else(|_| app.path().home_dir());
    let dir = dir.map_err(|e| AppError::Storage {
        detail: e.to_string(),
    })?;
    Ok(shared::export::save_file(&dir, &file_name, &bytes)?
        .display()
        .to_string())
}

#[tauri::command]
fn voter_contact(state: State<'_, AppState>, id: String) -> Result<VoterContact, AppError> {
    Ok(state.store().voter_contact(&id)?)
}

#[tauri::command]
fn withdraw_consent(state: State<'_, AppState>, id: String) -> Result<(), AppError> {
    Ok(state.store().withdraw_consent(&id)?)
}

#[tauri::command]
fn opinion_timeline(state: State<'_, AppState>, id: String) -> Result<Vec<TimelineStep>, AppError> {
    Ok(state.store().opinion_timeline(&id)?)
}

#[tauri::command]
fn refer_opinion(
    state: State<'_, AppState>,
    input: ReferralInput,
    form: Option<String>,
) -> Result<String, AppError> {
    Ok(state.store().saving_form(form.as_deref(), |store| {
        store.refer_opinion(&input, shared::local_today())
    })?)
}

#[tauri::command]
fn answer_referral(
    state: State<'_, AppState>,
    input: AnswerInput,
    form: Option<String>,
) -> Result<String, AppError> {
    Ok(state.store().saving_form(form.as_deref(), |store| {
        store.answer_referral(&input, shared::local_today())
    })?)
}

#[tauri::command]
fn record_feedback(
    state: State<'_, AppState>,
    input: FeedbackInput,
    form: Option<String>,
) -> Result<(), AppError> {
    Ok(state.store().saving_form(form.as_deref(), |store| {
        store.record_feedback(&input, shared::local_today())
    })?)
}

#[tauri::command]
fn department_inbox(
    state: State<'_, AppState>,
    department_id: String,
) -> Result<Vec<ReferralSummary>, AppError> {
    Ok(state
        .store()
        .department_inbox(&department_id, shared::local_today())?)
}

/// Makes a record of kind `kind` from its form (any [`shared::RecordForm`]) typed into
/// form `form`, whose draft the same transaction forgets; its id.
#[tauri::command]
fn create_record(
    state: State<'_, AppState>,
    kind: String,
    input: serde_json::Value,
    form: Option<String>,
) -> Result<String, AppError> {
    Ok(state.store().saving_form(form.as_deref(), |store| {
        shared::registry::create_record(store, &kind, input, shared::local_today())
    })?)
}

/// Every record of kind `kind` (one with a form), newest first.
#[tauri::command]
fn records(state: State<'_, AppState>, kind: String) -> Result<Vec<serde_json::Value>, AppError> {
    Ok(state.store().records(&kind)?)
}

#[tauri::command]
fn statistics(state: State<'_, AppState>, query: StatsQuery) -> Result<Statistics, AppError> {
    Ok(state.store().statistics(&query, shared::local_today())?)
}

#[tauri::command]
fn duty_record(
    state: State<'_, AppState>,
    deputy_id: String,
    year: i32,
) -> Result<DutyRecord, AppError> {
    Ok(state.store().duty_record(&deputy_id, year)?)
}

#[tauri::command]
fn year_report(
    state: State<'_, AppState>,
    deputy_id: String,
    year: i32,
) -> Result<YearReportInput, AppError> {
    Ok(state.store().year_report(&deputy_id, year)?)
}

#[tauri::command]
fn save_report(state: State<'_, AppState>, input: YearReportInput) -> Result<String, AppError> {
    Ok(state.store().save_report(&input, shared::local_today())?)
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

/// The activity register with the list's filters, as xlsx or CSV.
#[tauri::command]
async fn export_register(
    app: tauri::AppHandle,
    state: State<'_, AppState>,
    filter: ActivityFilter,
    format: ExportFormat,
    file_name: String,
) -> Result<Option<String>, AppError> {
    let table = state.store().register_table(&filter)?;
    let bytes = shared::export::table_file(table, format)?;
    hand_over(&app, &state, &file_name, bytes).await
}

/// The opinions ledger with the list's filters, as xlsx or CSV.
#[tauri::command]
async fn export_ledger(
    app: tauri::AppHandle,
    state: State<'_, AppState>,
    filter: OpinionFilter,
    format: ExportFormat,
    file_name: String,
) -> Result<Option<String>, AppError> {
    let table = state.store().ledger_table(&filter, shared::local_today())?;
    let bytes = shared::export::table_file(table, format)?;
    hand_over(&app, &state, &file_name, bytes).await
}

/// The statistics tables of `query` as one xlsx workbook; `period` heads each sheet.
#[tauri::command]
async fn export_statistics(
    app: tauri::AppHandle,
    state: State<'_, AppState>,
    query: StatsQuery,
    file_name: String,
) -> Result<Option<String>, AppError> {
    let stats = state.store().statistics(&query, shared::local_today())?;
    let period = file_name
        .rsplit_once('.')
        .map_or(file_name.as_str(), |(stem, _)| stem);
    let bytes = shared::export::xlsx(&shared::store::statistics_tables(&stats, period))?;
    hand_over(&app, &state, &file_name, bytes).await
}

/// The deputy's yearly report as a PDF (A4, in the system's Chinese font).
#[tauri::command]
async fn export_report(
    app: tauri::AppHandle,
    state: State<'_, AppState>,
    deputy_id: String,
    year: i32,
    file_name: String,
) -> Result<Option<String>, AppError> {
    let report = state.store().report_document(&deputy_id, year)?;
    let bytes = tauri::async_runtime::spawn_blocking(move || {
        shared::export::report_pdf(&report, &shared::export::CjkFont::find()?)
    })
    .await
    .map_err(|e| AppError::Storage {
        detail: e.to_string(),
    })??;
    hand_over(&app, &state, &file_name, bytes).await
}

#[tauri::command]
fn article_counts(
    state: State<'_, AppState>,
    draft_id: String,
) -> Result<Vec<ArticleCount>, AppError> {
    Ok(state.store().article_counts(&draft_id)?)
}

#[tauri::command]
fn campaign_progress(
    state: State<'_, AppState>,
    id: String,
) -> Result<Vec<CampaignProgress>, AppError> {
    Ok(state.store().campaign_progress(&id)?)
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

/// How far the sync under way has come (polled by the sync page while it runs).
#[tauri::command]
fn sync_progress(state: State<'_, AppState>) -> SyncProgress {
    state.sync.progress()
}

/// Gives up what the server refused (asked in the UI first).
#[tauri::command]
fn discard_refused(state: State<'_, AppState>) -> Result<usize, AppError> {
    Ok(state.store().discard_refused()?)
}

#[tauri::command]
fn sync_status(state: State<'_, AppState>) -> Result<SyncStatus, AppError> {
    Ok(state.store().sync_status()?)
}

/// The server address to offer on the sign-in form: the signed-in one, else the
/// configured default.
#[tauri::command]
fn default_server(state: State<'_, AppState>) -> Result<String, AppError> {
    Ok(state
        .store()
        .session()?
        .map_or_else(|| state.default_server_url.clone(), |s| s.server_url))
}

#[tauri::command]
async fn sign_in(
    state: State<'_, AppState>,
    server_url: String,
    username: String,
    password: String,
) -> Result<Account, AppError> {
    let device_name = format!("家站通 {}", std::env::consts::OS);
    Ok(state
        .sync
        .sign_in(
            &state.store,
            &server_url,
            &username,
            &password,
            &device_name,
        )
        .await?)
}

#[tauri::command]
async fn sign_out(state: State<'_, AppState>) -> Result<(), AppError> {
    Ok(state.sync.sign_out(&state.store).await?)
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
            app.manage(AppState {
                store: Mutex::new(store),
                sync: SyncClient::new(options.allow_plain_http)?,
                default_server_url: server_url,
                export_dir: options.export_dir,
                data_dir,
            });
            Ok(())
        })
        .invoke_handler(tauri::generate_handler![
            home,
            language,
            set_language,
            all_stations,
            stage_photo,
            photo,
            stations,
            deputies,
            departments,
            campaigns,
            drafts,
            list_activities,
            activity_totals,
            get_activity,
            history,
            save_draft,
            load_draft,
            save_activity,
            list_opinions,
            opinion_totals,
            get_opinion,
            save_opinion,
            opinion_timeline,
            voter_contact,
            station_poster,
            save_poster,
            withdraw_consent,
            refer_opinion,
            answer_referral,
            record_feedback,
            department_inbox,
            create_record,
            records,
            article_counts,
            campaign_progress,
            statistics,
            subdistricts,
            duty_record,
            year_report,
            save_report,
            export_register,
            export_ledger,
            export_statistics,
            export_report,
            sync_now,
            sync_background,
            sync_status,
            sync_progress,
            discard_refused,
            save_form_draft,
            form_draft,
            default_server,
            sign_in,
            sign_out
        ])
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
