//! Typed calls into the Tauri shell. This is the UI's only way to data: it never sees SQL
//! or Automerge, only the command types from `shared::model`.

use serde::Serialize;
use serde::de::DeserializeOwned;
use shared::{
    Account, ActivityFilter, ActivityInput, ActivitySummary, ActivityTotals, AnswerInput, AppError,
    ArticleCount, Campaign, CampaignProgress, Department, Deputy, DraftRegulation, DutyRecord,
    FeedbackInput, HistoryEntry, Home, Language, OpinionFilter, OpinionInput, OpinionSummary,
    OpinionTotals, RecordForm, ReferralInput, ReferralSummary, Station, Statistics, StatsQuery,
    SyncProgress, SyncReport, SyncStatus, TimelineStep, VoterContact, YearReportInput,
};
use wasm_bindgen::prelude::*;

#[wasm_bindgen]
extern "C" {
    #[wasm_bindgen(js_namespace = ["window", "__TAURI__", "core"], catch)]
    async fn invoke(cmd: &str, args: JsValue) -> Result<JsValue, JsValue>;
}

#[wasm_bindgen]
extern "C" {
    /// `invoke` with a raw body (a `Uint8Array`), answered raw (an `ArrayBuffer`).
    #[wasm_bindgen(js_namespace = ["window", "__TAURI__", "core"], js_name = invoke, catch)]
    async fn invoke_raw(cmd: &str, args: JsValue) -> Result<JsValue, JsValue>;
}

/// The shell's error for a failed command; anything else (a JS error) as a storage error.
fn app_error_of(e: JsValue) -> AppError {
    serde_wasm_bindgen::from_value::<AppError>(e.clone()).unwrap_or_else(|_| AppError::Storage {
        detail: e.as_string().unwrap_or_else(|| format!("{e:?}")),
    })
}

/// Keeps the chosen photo `bytes`; returns its hash for the record's `photos`.
pub async fn stage_photo(bytes: &[u8]) -> Result<String, AppError> {
    let body = js_sys::Uint8Array::from(bytes);
    let v = invoke_raw("stage_photo", body.into())
        .await
        .map_err(app_error_of)?;
    serde_wasm_bindgen::from_value(v).map_err(storage_error)
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct PhotoArgs<'a> {
    activity_id: Option<&'a str>,
    hash: &'a str,
}

/// A photo's bytes (downloaded first if this device does not have them).
pub async fn photo(activity_id: Option<&str>, hash: &str) -> Result<Vec<u8>, AppError> {
    let args =
        serde_wasm_bindgen::to_value(&PhotoArgs { activity_id, hash }).map_err(storage_error)?;
    let v = invoke_raw("photo", args).await.map_err(app_error_of)?;
    Ok(js_sys::Uint8Array::new(&v).to_vec())
}

async fn call<A: Serialize, R: DeserializeOwned>(cmd: &str, args: &A) -> Result<R, AppError> {
    let args = serde_wasm_bindgen::to_value(args).map_err(storage_error)?;
    serde_wasm_bindgen::from_value(call_js(cmd, args).await?).map_err(storage_error)
}

fn storage_error(e: serde_wasm_bindgen::Error) -> AppError {
    AppError::Storage {
        detail: e.to_string(),
    }
}

/// One command with its arguments as a JS value; what each command shares, written once
/// (not once per command's types).
async fn call_js(cmd: &str, args: JsValue) -> Result<JsValue, AppError> {
    invoke(cmd, args).await.map_err(app_error_of)
}

#[derive(Serialize)]
struct NoArgs {}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct StationArgs<'a> {
    station_id: &'a str,
}

#[derive(Serialize)]
struct IdArgs<'a> {
    id: &'a str,
}

#[derive(Serialize)]
struct SaveArgs<'a> {
    id: Option<&'a str>,
    input: &'a ActivityInput,
}

pub async fn language() -> Result<Language, AppError> {
    call("language", &NoArgs {}).await
}

#[derive(Serialize)]
struct LanguageArgs {
    language: Language,
}

pub async fn set_language(language: Language) -> Result<(), AppError> {
    call("set_language", &LanguageArgs { language }).await
}

pub async fn all_stations() -> Result<Vec<Station>, AppError> {
    call("all_stations", &NoArgs {}).await
}

#[derive(Serialize)]
struct IdArg<'a> {
    id: &'a str,
}

pub async fn drafts() -> Result<Vec<DraftRegulation>, AppError> {
    call("drafts", &NoArgs {}).await
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct RegulationArgs<'a> {
    draft_id: &'a str,
}

pub async fn article_counts(draft_id: &str) -> Result<Vec<ArticleCount>, AppError> {
    call("article_counts", &RegulationArgs { draft_id }).await
}

pub async fn campaigns() -> Result<Vec<Campaign>, AppError> {
    call("campaigns", &NoArgs {}).await
}

pub async fn campaign_progress(id: &str) -> Result<Vec<CampaignProgress>, AppError> {
    call("campaign_progress", &IdArg { id }).await
}

pub async fn home() -> Result<Home, AppError> {
    call("home", &NoArgs {}).await
}

pub async fn stations() -> Result<Vec<Station>, AppError> {
    call("stations", &NoArgs {}).await
}

/// Streets and towns this device knows.
pub async fn subdistricts() -> Result<Vec<shared::Subdistrict>, AppError> {
    call("subdistricts", &NoArgs {}).await
}

pub async fn deputies(station_id: &str) -> Result<Vec<Deputy>, AppError> {
    call("deputies", &StationArgs { station_id }).await
}

#[derive(Serialize)]
struct FilterArgs<'a> {
    filter: &'a ActivityFilter,
}

pub async fn list_activities(filter: &ActivityFilter) -> Result<Vec<ActivitySummary>, AppError> {
    call("list_activities", &FilterArgs { filter }).await
}

/// How many activities `filter` selects in all, and their voters.
pub async fn activity_totals(filter: &ActivityFilter) -> Result<ActivityTotals, AppError> {
    call("activity_totals", &FilterArgs { filter }).await
}

pub async fn get_activity(id: &str) -> Result<ActivityInput, AppError> {
    call("get_activity", &IdArgs { id }).await
}

#[derive(Serialize)]
struct DraftArgs<'a> {
    input: &'a ActivityInput,
}

pub async fn save_draft(input: &ActivityInput) -> Result<(), AppError> {
    call("save_draft", &DraftArgs { input }).await
}

pub async fn load_draft() -> Result<Option<ActivityInput>, AppError> {
    call("load_draft", &NoArgs {}).await
}

#[derive(Serialize)]
struct HistoryArgs<'a> {
    kind: &'a str,
    id: &'a str,
}

/// A record's change history; `kind` is its key prefix (`activity`, `opinion`…).
pub async fn history(kind: &str, id: &str) -> Result<Vec<HistoryEntry>, AppError> {
    call("history", &HistoryArgs { kind, id }).await
}

pub async fn save_activity(id: Option<&str>, input: &ActivityInput) -> Result<String, AppError> {
    call("save_activity", &SaveArgs { id, input }).await
}

#[derive(Serialize)]
struct OpinionFilterArgs<'a> {
    filter: &'a OpinionFilter,
}

pub async fn list_opinions(filter: &OpinionFilter) -> Result<Vec<OpinionSummary>, AppError> {
    call("list_opinions", &OpinionFilterArgs { filter }).await
}

/// How many opinions `filter` selects in all, and how many are overdue.
pub async fn opinion_totals(filter: &OpinionFilter) -> Result<OpinionTotals, AppError> {
    call("opinion_totals", &OpinionFilterArgs { filter }).await
}

#[derive(Serialize)]
struct SaveOpinionArgs<'a> {
    id: Option<&'a str>,
    input: &'a OpinionInput,
    form: Option<&'a str>,
}

/// Saves an opinion typed into form `form`, whose draft the same transaction forgets.
pub async fn save_opinion(
    id: Option<&str>,
    input: &OpinionInput,
    form: Option<&str>,
) -> Result<String, AppError> {
    call("save_opinion", &SaveOpinionArgs { id, input, form }).await
}

pub async fn sync_now() -> Result<SyncReport, AppError> {
    call("sync_now", &NoArgs {}).await
}

/// A sync the app starts by itself; `None` while it backs off after a failure.
pub async fn sync_background() -> Result<Option<SyncReport>, AppError> {
    call("sync_background", &NoArgs {}).await
}

#[derive(Serialize)]
struct FormDraftArgs<'a> {
    form: &'a str,
    draft: String,
}

#[derive(Serialize)]
struct FormArgs<'a> {
    form: &'a str,
}

/// Keeps `draft` (a form's fields as JSON text) for `form`; an empty text forgets it.
pub async fn save_form_draft(form: &str, draft: String) -> Result<(), AppError> {
    call("save_form_draft", &FormDraftArgs { form, draft }).await
}

/// The draft kept for `form` (JSON text), if any.
pub async fn form_draft(form: &str) -> Option<String> {
    call("form_draft", &FormArgs { form }).await.ok().flatten()
}

pub async fn discard_refused() -> Result<usize, AppError> {
    call("discard_refused", &NoArgs {}).await
}

pub async fn sync_progress() -> Result<SyncProgress, AppError> {
    call("sync_progress", &NoArgs {}).await
}

pub async fn sync_status() -> Result<SyncStatus, AppError> {
    call("sync_status", &NoArgs {}).await
}

pub async fn departments() -> Result<Vec<Department>, AppError> {
    call("departments", &NoArgs {}).await
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct PosterArgs<'a> {
    station_id: &'a str,
}

/// Station `station_id`'s poster as PNG bytes, from the server.
pub async fn station_poster(station_id: &str) -> Result<Vec<u8>, AppError> {
    let args = serde_wasm_bindgen::to_value(&PosterArgs { station_id }).map_err(storage_error)?;
    let v = invoke_raw("station_poster", args)
        .await
        .map_err(app_error_of)?;
    Ok(js_sys::Uint8Array::new(&v).to_vec())
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct SavePosterArgs<'a> {
    station_id: &'a str,
    pdf: bool,
    file_name: &'a str,
}

/// Saves station `station_id`'s poster as `file_name` in the downloads; the path.
pub async fn save_poster(station_id: &str, pdf: bool, file_name: &str) -> Result<String, AppError> {
    call(
        "save_poster",
        &SavePosterArgs {
            station_id,
            pdf,
            file_name,
        },
    )
    .await
}

pub async fn voter_contact(id: &str) -> Result<VoterContact, AppError> {
    call("voter_contact", &IdArgs { id }).await
}

pub async fn withdraw_consent(id: &str) -> Result<(), AppError> {
    call("withdraw_consent", &IdArgs { id }).await
}

pub async fn opinion_timeline(id: &str) -> Result<Vec<TimelineStep>, AppError> {
    call("opinion_timeline", &IdArgs { id }).await
}

/// A record typed into form `form`, whose draft the transaction saving it forgets.
#[derive(Serialize)]
struct FormInputArgs<'a, T> {
    input: &'a T,
    form: Option<&'a str>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct DepartmentArgs<'a> {
    department_id: &'a str,
}

pub async fn department_inbox(department_id: &str) -> Result<Vec<ReferralSummary>, AppError> {
    call("department_inbox", &DepartmentArgs { department_id }).await
}

pub async fn answer_referral(input: &AnswerInput, form: Option<&str>) -> Result<String, AppError> {
    call("answer_referral", &FormInputArgs { input, form }).await
}

pub async fn refer_opinion(input: &ReferralInput, form: Option<&str>) -> Result<String, AppError> {
    call("refer_opinion", &FormInputArgs { input, form }).await
}

pub async fn record_feedback(input: &FeedbackInput, form: Option<&str>) -> Result<(), AppError> {
    call("record_feedback", &FormInputArgs { input, form }).await
}

pub async fn default_server() -> Result<String, AppError> {
    call("default_server", &NoArgs {}).await
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct SignInArgs<'a> {
    server_url: &'a str,
    username: &'a str,
    password: &'a str,
}

pub async fn sign_in(
    server_url: &str,
    username: &str,
    password: &str,
) -> Result<Account, AppError> {
    call(
        "sign_in",
        &SignInArgs {
            server_url,
            username,
            password,
        },
    )
    .await
}

pub async fn sign_out() -> Result<(), AppError> {
    call("sign_out", &NoArgs {}).await
}

pub async fn get_opinion(id: &str) -> Result<OpinionInput, AppError> {
    call("get_opinion", &IdArgs { id }).await
}

#[derive(Serialize)]
struct InputArgs<'a, T> {
    input: &'a T,
}

#[derive(Serialize)]
struct RecordArgs<'a, T> {
    kind: &'static str,
    input: &'a T,
    form: Option<&'a str>,
}

#[derive(Serialize)]
struct KindArgs {
    kind: &'static str,
}

/// Makes a record from its form (a deputy suggestion, a livelihood lead: any
/// [`RecordForm`]) typed into form `form`, whose draft the transaction saving it forgets;
/// its id.
pub async fn create<F: RecordForm>(input: &F, form: Option<&str>) -> Result<String, AppError> {
    call(
        "create_record",
        &RecordArgs {
            kind: F::KIND,
            input,
            form,
        },
    )
    .await
}

/// Every record a form of type `F` makes, newest first.
pub async fn records<F: RecordForm>() -> Result<Vec<F::Record>, AppError> {
    call("records", &KindArgs { kind: F::KIND }).await
}

#[derive(Serialize)]
struct QueryArgs<'a> {
    query: &'a StatsQuery,
}

/// The statistics of the records `query` covers.
pub async fn statistics(query: &StatsQuery) -> Result<Statistics, AppError> {
    call("statistics", &QueryArgs { query }).await
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct DeputyYearArgs<'a> {
    deputy_id: &'a str,
    year: i32,
}

/// A deputy's duty record (履职档案) for `year`.
pub async fn duty_record(deputy_id: &str, year: i32) -> Result<DutyRecord, AppError> {
    call("duty_record", &DeputyYearArgs { deputy_id, year }).await
}

/// The deputy's yearly report: the saved one, or a fresh draft from the duty record.
pub async fn year_report(deputy_id: &str, year: i32) -> Result<YearReportInput, AppError> {
    call("year_report", &DeputyYearArgs { deputy_id, year }).await
}

/// Saves the yearly report; its id.
pub async fn save_report(input: &YearReportInput) -> Result<String, AppError> {
    call("save_report", &InputArgs { input }).await
}

pub use shared::ExportFormat;

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ExportRegisterArgs<'a> {
    filter: &'a ActivityFilter,
    format: ExportFormat,
    file_name: &'a str,
}

/// Saves the activity register (the activities `filter` selects) as `file_name`; the
/// saved path, or `None` when the user cancelled the save dialog.
pub async fn export_register(
    filter: &ActivityFilter,
    format: ExportFormat,
    file_name: &str,
) -> Result<Option<String>, AppError> {
    call(
        "export_register",
        &ExportRegisterArgs {
            filter,
            format,
            file_name,
        },
    )
    .await
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ExportLedgerArgs<'a> {
    filter: &'a OpinionFilter,
    format: ExportFormat,
    file_name: &'a str,
}

/// Saves the opinion ledger (the opinions `filter` selects) as `file_name`; the saved
/// path, or `None` when the user cancelled.
pub async fn export_ledger(
    filter: &OpinionFilter,
    format: ExportFormat,
    file_name: &str,
) -> Result<Option<String>, AppError> {
    call(
        "export_ledger",
        &ExportLedgerArgs {
            filter,
            format,
            file_name,
        },
    )
    .await
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ExportStatisticsArgs<'a> {
    query: &'a StatsQuery,
    file_name: &'a str,
}

/// Saves the statistics of `query` as an xlsx workbook `file_name`; the saved path, or
/// `None` when the user cancelled.
pub async fn export_statistics(
    query: &StatsQuery,
    file_name: &str,
) -> Result<Option<String>, AppError> {
    call(
        "export_statistics",
        &ExportStatisticsArgs { query, file_name },
    )
    .await
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ExportReportArgs<'a> {
    deputy_id: &'a str,
    year: i32,
    file_name: &'a str,
}

/// Saves the deputy's yearly report as a PDF `file_name`; the saved path, or `None` when
/// the user cancelled.
pub async fn export_report(
    deputy_id: &str,
    year: i32,
    file_name: &str,
) -> Result<Option<String>, AppError> {
    call(
        "export_report",
        &ExportReportArgs {
            deputy_id,
            year,
            file_name,
        },
    )
    .await
}
