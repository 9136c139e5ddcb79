//! Typed calls into the core. This is the UI's only way to data: it never sees SQL or
//! Automerge, only [`Command`]s and the model types from `shared`, sent through
//! whichever transport this build has (`crate::transport`).

use serde::de::DeserializeOwned;
use shared::{
    Account, ActivityFilter, ActivityInput, ActivitySummary, ActivityTotals, AnswerInput, AppError,
    ArticleCount, Campaign, CampaignProgress, Command, Department, Deputy, DraftRegulation,
    DutyRecord, FeedbackInput, HistoryEntry, Home, Language, OpinionFilter, OpinionInput,
    OpinionSummary, OpinionTotals, RecordForm, ReferralInput, ReferralSummary, Station, Statistics,
    StatsQuery, SyncProgress, SyncReport, SyncStatus, TimelineStep, VoterContact, YearReportInput,
};

use crate::transport::{bytes_of, save_file, send, send_photo, storage_error};

pub use shared::ExportFormat;

/// `command`'s answer, read as `R` (the type its variant names).
async fn call<R: DeserializeOwned>(command: Command) -> Result<R, AppError> {
    serde_wasm_bindgen::from_value(send(&command).await?).map_err(storage_error)
}

fn owned(s: Option<&str>) -> Option<String> {
    s.map(str::to_owned)
}

/// Keeps the chosen photo `bytes`; returns its hash for the record's `photos`.
pub async fn stage_photo(bytes: &[u8]) -> Result<String, AppError> {
    send_photo(bytes).await
}

/// A photo's bytes (downloaded first if this device does not have them).
pub async fn photo(activity_id: Option<&str>, hash: &str) -> Result<Vec<u8>, AppError> {
    let command = Command::Photo {
        activity_id: owned(activity_id),
        hash: hash.to_owned(),
    };
    Ok(bytes_of(send(&command).await?))
}

pub async fn language() -> Result<Language, AppError> {
    call(Command::Language).await
}

pub async fn set_language(language: Language) -> Result<(), AppError> {
    call(Command::SetLanguage { language }).await
}

pub async fn all_stations() -> Result<Vec<Station>, AppError> {
    call(Command::AllStations).await
}

pub async fn drafts() -> Result<Vec<DraftRegulation>, AppError> {
    call(Command::Drafts).await
}

pub async fn article_counts(draft_id: &str) -> Result<Vec<ArticleCount>, AppError> {
    call(Command::ArticleCounts {
        draft_id: draft_id.to_owned(),
    })
    .await
}

pub async fn campaigns() -> Result<Vec<Campaign>, AppError> {
    call(Command::Campaigns).await
}

pub async fn campaign_progress(id: &str) -> Result<Vec<CampaignProgress>, AppError> {
    call(Command::CampaignProgress { id: id.to_owned() }).await
}

pub async fn home() -> Result<Home, AppError> {
    call(Command::Home).await
}

pub async fn stations() -> Result<Vec<Station>, AppError> {
    call(Command::Stations).await
}

/// Streets and towns this device knows.
pub async fn subdistricts() -> Result<Vec<shared::Subdistrict>, AppError> {
    call(Command::Subdistricts).await
}

pub async fn deputies(station_id: &str) -> Result<Vec<Deputy>, AppError> {
    call(Command::Deputies {
        station_id: station_id.to_owned(),
    })
    .await
}

pub async fn list_activities(filter: &ActivityFilter) -> Result<Vec<ActivitySummary>, AppError> {
    call(Command::ListActivities {
        filter: filter.clone(),
    })
    .await
}

/// How many activities `filter` selects in all, and their voters.
pub async fn activity_totals(filter: &ActivityFilter) -> Result<ActivityTotals, AppError> {
    call(Command::ActivityTotals {
        filter: filter.clone(),
    })
    .await
}

pub async fn get_activity(id: &str) -> Result<ActivityInput, AppError> {
    call(Command::GetActivity { id: id.to_owned() }).await
}

pub async fn save_draft(input: &ActivityInput) -> Result<(), AppError> {
    call(Command::SaveDraft {
        input: input.clone(),
    })
    .await
}

pub async fn load_draft() -> Result<Option<ActivityInput>, AppError> {
    call(Command::LoadDraft).await
}

/// A record's change history; `kind` is its key prefix (`activity`, `opinion`…).
pub async fn history(kind: &str, id: &str) -> Result<Vec<HistoryEntry>, AppError> {
    call(Command::History {
        kind: kind.to_owned(),
        id: id.to_owned(),
    })
    .await
}

pub async fn save_activity(id: Option<&str>, input: &ActivityInput) -> Result<String, AppError> {
    call(Command::SaveActivity {
        id: owned(id),
        input: input.clone(),
    })
    .await
}

pub async fn list_opinions(filter: &OpinionFilter) -> Result<Vec<OpinionSummary>, AppError> {
    call(Command::ListOpinions {
        filter: filter.clone(),
    })
    .await
}

/// How many opinions `filter` selects in all, and how many are overdue.
pub async fn opinion_totals(filter: &OpinionFilter) -> Result<OpinionTotals, AppError> {
    call(Command::OpinionTotals {
        filter: filter.clone(),
    })
    .await
}

/// Saves an opinion typed into form `form`, whose draft the same transaction forgets.
pub async fn save_opinion(
    id: Option<&str>,
    input: &OpinionInput,
    form: Option<&str>,
) -> Result<String, AppError> {
    call(Command::SaveOpinion {
        id: owned(id),
        input: input.clone(),
        form: owned(form),
    })
    .await
}

pub async fn sync_now() -> Result<SyncReport, AppError> {
    call(Command::SyncNow).await
}

/// A sync the app starts by itself; `None` while it backs off after a failure.
pub async fn sync_background() -> Result<Option<SyncReport>, AppError> {
    call(Command::SyncBackground).await
}

/// Keeps `draft` (a form's fields as JSON text) for `form`; an empty text forgets it.
pub async fn save_form_draft(form: &str, draft: String) -> Result<(), AppError> {
    call(Command::SaveFormDraft {
        form: form.to_owned(),
        draft,
    })
    .await
}

/// The draft kept for `form` (JSON text), if any.
pub async fn form_draft(form: &str) -> Option<String> {
    call(Command::FormDraft {
        form: form.to_owned(),
    })
    .await
    .ok()
    .flatten()
}

pub async fn discard_refused() -> Result<usize, AppError> {
    call(Command::DiscardRefused).await
}

pub async fn sync_progress() -> Result<SyncProgress, AppError> {
    call(Command::SyncProgress).await
}

pub async fn sync_status() -> Result<SyncStatus, AppError> {
    call(Command::SyncStatus).await
}

pub async fn departments() -> Result<Vec<Department>, AppError> {
    call(Command::Departments).await
}

/// Station `station_id`'s poster as PNG bytes, from the server.
pub async fn station_poster(station_id: &str) -> Result<Vec<u8>, AppError> {
    let command = Command::StationPoster {
        station_id: station_id.to_owned(),
        pdf: false,
    };
    Ok(bytes_of(send(&command).await?))
}

/// Saves station `station_id`'s poster (PNG or PDF) as `file_name`: the saved path (a
/// download's name in a browser), or `None` when the user cancelled.
pub async fn save_poster(
    station_id: &str,
    pdf: bool,
    file_name: &str,
) -> Result<Option<String>, AppError> {
    let command = Command::StationPoster {
        station_id: station_id.to_owned(),
        pdf,
    };
    save_file(&command, file_name).await
}

pub async fn voter_contact(id: &str) -> Result<VoterContact, AppError> {
    call(Command::VoterContact { id: id.to_owned() }).await
}

pub async fn withdraw_consent(id: &str) -> Result<(), AppError> {
    call(Command::WithdrawConsent { id: id.to_owned() }).await
}

pub async fn opinion_timeline(id: &str) -> Result<Vec<TimelineStep>, AppError> {
    call(Command::OpinionTimeline { id: id.to_owned() }).await
}

pub async fn department_inbox(department_id: &str) -> Result<Vec<ReferralSummary>, AppError> {
    call(Command::DepartmentInbox {
        department_id: department_id.to_owned(),
    })
    .await
}

pub async fn answer_referral(input: &AnswerInput, form: Option<&str>) -> Result<String, AppError> {
    call(Command::AnswerReferral {
        input: input.clone(),
        form: owned(form),
    })
    .await
}

pub async fn refer_opinion(input: &ReferralInput, form: Option<&str>) -> Result<String, AppError> {
    call(Command::ReferOpinion {
        input: input.clone(),
        form: owned(form),
    })
    .await
}

pub async fn record_feedback(input: &FeedbackInput, form: Option<&str>) -> Result<(), AppError> {
    call(Command::RecordFeedback {
        input: input.clone(),
        form: owned(form),
    })
    .await
}

pub async fn default_server() -> Result<String, AppError> {
    call(Command::DefaultServer).await
}

pub async fn sign_in(
    server_url: &str,
    username: &str,
    password: &str,
) -> Result<Account, AppError> {
    call(Command::SignIn {
        server_url: server_url.to_owned(),
        username: username.to_owned(),
        password: password.to_owned(),
    })
    .await
}

/// Sets this device up with a one-time set-up code and the password its user chose.
pub async fn set_up(server_url: &str, code: &str, password: &str) -> Result<Account, AppError> {
    call(Command::SetUp {
        server_url: server_url.to_owned(),
        code: code.to_owned(),
        password: password.to_owned(),
    })
    .await
}

pub async fn sign_out() -> Result<(), AppError> {
    call(Command::SignOut).await
}

pub async fn get_opinion(id: &str) -> Result<OpinionInput, AppError> {
    call(Command::GetOpinion { id: id.to_owned() }).await
}

/// Makes a record from its form (a deputy suggestion, a livelihood lead: any
/// [`RecordForm`]) typed into form `form`, whose draft the transaction saving it forgets;
/// its id.
pub async fn create<F: RecordForm>(input: &F, form: Option<&str>) -> Result<String, AppError> {
    let input = serde_json::to_value(input).map_err(storage_error)?;
    call(Command::CreateRecord {
        kind: F::KIND.to_owned(),
        input,
        form: owned(form),
    })
    .await
}

/// Every record a form of type `F` makes, newest first.
pub async fn records<F: RecordForm>() -> Result<Vec<F::Record>, AppError> {
    call(Command::Records {
        kind: F::KIND.to_owned(),
    })
    .await
}

/// The statistics of the records `query` covers.
pub async fn statistics(query: &StatsQuery) -> Result<Statistics, AppError> {
    call(Command::Statistics {
        query: query.clone(),
    })
    .await
}

/// A deputy's duty record (履职档案) for `year`.
pub async fn duty_record(deputy_id: &str, year: i32) -> Result<DutyRecord, AppError> {
    call(Command::DutyRecord {
        deputy_id: deputy_id.to_owned(),
        year,
    })
    .await
}

/// The deputy's yearly report: the saved one, or a fresh draft from the duty record.
pub async fn year_report(deputy_id: &str, year: i32) -> Result<YearReportInput, AppError> {
    call(Command::YearReport {
        deputy_id: deputy_id.to_owned(),
        year,
    })
    .await
}

/// Saves the yearly report; its id.
pub async fn save_report(input: &YearReportInput) -> Result<String, AppError> {
    call(Command::SaveReport {
        input: input.clone(),
    })
    .await
}

/// Saves the activity register (the activities `filter` selects) as `file_name`; the
/// saved path, or `None` when the user cancelled the save dialog.
pub async fn export_register(
    filter: &ActivityFilter,
    format: ExportFormat,
    file_name: &str,
) -> Result<Option<String>, AppError> {
    let command = Command::RegisterFile {
        filter: filter.clone(),
        format,
    };
    save_file(&command, file_name).await
}

/// Saves the opinion ledger (the opinions `filter` selects) as `file_name`; the saved
/// path, or `None` when the user cancelled.
pub async fn export_ledger(
    filter: &OpinionFilter,
    format: ExportFormat,
    file_name: &str,
) -> Result<Option<String>, AppError> {
    let command = Command::LedgerFile {
        filter: filter.clone(),
        format,
    };
    save_file(&command, file_name).await
}

/// Saves the statistics of `query` as an xlsx workbook `file_name` (its sheets headed
/// with the name's stem); the saved path, or `None` when the user cancelled.
pub async fn export_statistics(
    query: &StatsQuery,
    file_name: &str,
) -> Result<Option<String>, AppError> {
    let period = file_name
        .rsplit_once('.')
        .map_or(file_name, |(stem, _)| stem)
        .to_owned();
    let command = Command::StatisticsFile {
        query: query.clone(),
        period,
    };
    save_file(&command, file_name).await
}

/// Saves the deputy's yearly report as a PDF `file_name`; the saved path, or `None` when
/// the user cancelled.
pub async fn export_report(
    deputy_id: &str,
    year: i32,
    file_name: &str,
) -> Result<Option<String>, AppError> {
    let command = Command::ReportFile {
        deputy_id: deputy_id.to_owned(),
        year,
    };
    save_file(&command, file_name).await
}
