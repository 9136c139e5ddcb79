//! What the app's screens ask of the core, one variant per command, written once: the UI
//! sends a [`Command`] through whichever transport it has (Tauri's invoke on desktop,
//! messages to the core's worker in a phone's browser) and the core answers it
//! ([`crate::dispatch::Core::call`]). A command's answer type is named beside it; the UI's
//! `api` reads it back as that type.

use serde::{Deserialize, Serialize};

use crate::model::{
    ActivityFilter, ActivityInput, AnswerInput, ExportFormat, FeedbackInput, Language,
    OpinionFilter, OpinionInput, ReferralInput, StatsQuery, YearReportInput,
};

/// One command with its arguments. On the wire: `{"command": "<name>", "args": {…}}`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "command", content = "args", rename_all = "snake_case")]
pub enum Command {
    /// The app's language ([`Language`]).
    Language,
    /// Sets the app's language (nothing).
    SetLanguage { language: Language },
    /// The home screen ([`crate::Home`]).
    Home,
    /// Every station this device knows (`Vec<Station>`), for filters and statistics.
    AllStations,
    /// The stations the account may write to (`Vec<Station>`), for the forms.
    Stations,
    /// Streets and towns (`Vec<Subdistrict>`).
    Subdistricts,
    /// A station's deputies (`Vec<Deputy>`).
    Deputies { station_id: String },
    /// `Vec<Department>`.
    Departments,
    /// `Vec<Campaign>`.
    Campaigns,
    /// Draft regulations out for consultation (`Vec<DraftRegulation>`).
    Drafts,
    /// `Vec<ActivitySummary>`.
    ListActivities { filter: ActivityFilter },
    /// How many activities the filter selects in all, and their voters
    /// ([`crate::ActivityTotals`]).
    ActivityTotals { filter: ActivityFilter },
    /// An activity as its form ([`ActivityInput`]).
    GetActivity { id: String },
    /// Creates an activity (`id` absent) or updates one; its id.
    SaveActivity {
        id: Option<String>,
        input: ActivityInput,
    },
    /// Keeps the activity form's draft (nothing).
    SaveDraft { input: ActivityInput },
    /// The activity form's draft (`Option<ActivityInput>`).
    LoadDraft,
    /// Keeps what is typed into another form (`opinion`, `consultation`, `answer:<id>`)
    /// as JSON text; an empty text forgets it (nothing).
    SaveFormDraft { form: String, draft: String },
    /// The draft kept for a form (`Option<String>`).
    FormDraft { form: String },
    /// A record's change history (`Vec<HistoryEntry>`); `kind` is its key prefix.
    History { kind: String, id: String },
    /// `Vec<OpinionSummary>`.
    ListOpinions { filter: OpinionFilter },
    /// How many opinions the filter selects, and how many are overdue
    /// ([`crate::OpinionTotals`]).
    OpinionTotals { filter: OpinionFilter },
    /// An opinion as its form ([`OpinionInput`]).
    GetOpinion { id: String },
    /// Creates an opinion (`id` absent) or updates one, typed into form `form` (whose
    /// draft the same transaction forgets); its id.
    SaveOpinion {
        id: Option<String>,
        input: OpinionInput,
        form: Option<String>,
    },
    /// The voter's name and phone behind an opinion ([`crate::VoterContact`]).
    VoterContact { id: String },
    /// Withdraws the voter's consent and erases their contact (nothing).
    WithdrawConsent { id: String },
    /// `Vec<TimelineStep>`.
    OpinionTimeline { id: String },
    /// Refers an opinion to a department; the referral's id.
    ReferOpinion {
        input: ReferralInput,
        form: Option<String>,
    },
    /// A department's answer; the referral's id.
    AnswerReferral {
        input: AnswerInput,
        form: Option<String>,
    },
    /// The voter's feedback (nothing).
    RecordFeedback {
        input: FeedbackInput,
        form: Option<String>,
    },
    /// A department's referrals (`Vec<ReferralSummary>`).
    DepartmentInbox { department_id: String },
    /// Makes a record of kind `kind` from its form (any [`crate::RecordForm`]); its id.
    CreateRecord {
        kind: String,
        input: serde_json::Value,
        form: Option<String>,
    },
    /// Every record of kind `kind`, newest first (`Vec` of its record type).
    Records { kind: String },
    /// [`crate::Statistics`].
    Statistics { query: StatsQuery },
    /// A deputy's duty record ([`crate::DutyRecord`]).
    DutyRecord { deputy_id: String, year: i32 },
    /// The deputy's yearly report, saved or drafted ([`YearReportInput`]).
    YearReport { deputy_id: String, year: i32 },
    /// Saves the yearly report; its id.
    SaveReport { input: YearReportInput },
    /// `Vec<ArticleCount>`.
    ArticleCounts { draft_id: String },
    /// `Vec<CampaignProgress>`.
    CampaignProgress { id: String },
    /// Syncs now ([`crate::SyncReport`]).
    SyncNow,
    /// A sync the app starts by itself: `None` while it backs off after a failure.
    SyncBackground,
    /// How far the sync under way has come ([`crate::SyncProgress`]).
    SyncProgress,
    /// [`crate::SyncStatus`].
    SyncStatus,
    /// Gives up what the server refused; how many changes.
    DiscardRefused,
    /// The server address the sign-in form offers first.
    DefaultServer,
    /// Signs in ([`crate::Account`]).
    SignIn {
        server_url: String,
        username: String,
        password: String,
    },
    /// Sets this device up with a one-time set-up code (the whole link too) and the
    /// password its user chose ([`crate::Account`]).
    SetUp {
        server_url: String,
        code: String,
        password: String,
    },
    /// Signs out (nothing).
    SignOut,
    /// A photo's bytes (downloaded through activity `activity_id` if this device does not
    /// have them). Answered as bytes.
    Photo {
        activity_id: Option<String>,
        hash: String,
    },
    /// A station's poster from the server, PNG (or PDF). Answered as bytes.
    StationPoster { station_id: String, pdf: bool },
    /// The activity register as a file. Answered as bytes.
    RegisterFile {
        filter: ActivityFilter,
        format: ExportFormat,
    },
    /// The opinions ledger as a file. Answered as bytes.
    LedgerFile {
        filter: OpinionFilter,
        format: ExportFormat,
    },
    /// The statistics as an xlsx workbook whose sheets are headed `period`. Answered as
    /// bytes.
    StatisticsFile { query: StatsQuery, period: String },
    /// The deputy's yearly report as a PDF. Answered as bytes.
    ReportFile { deputy_id: String, year: i32 },
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_command_travels_as_its_name_and_arguments() {
        let c = Command::Deputies {
            station_id: "st-1".into(),
        };
        let json = serde_json::to_value(&c).unwrap();
        assert_eq!(
            json,
            serde_json::json!({"command": "deputies", "args": {"station_id": "st-1"}})
        );
        assert_eq!(serde_json::from_value::<Command>(json).unwrap(), c);
        assert_eq!(
            serde_json::to_value(Command::SyncNow).unwrap(),
            serde_json::json!({"command": "sync_now"})
        );
    }
}
