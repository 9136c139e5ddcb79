//! The domain types the app shows and the rules that validate what a user typed.
//!
//! This module is plain data plus validation, with no storage and no I/O, so the wasm UI
//! can use exactly these types for its Tauri command arguments and results. Input moves
//! in two steps: a raw `*Input` (what the form holds, strings included) is validated into
//! a record type, or refused with one [`FieldError`] per offending field. Validation is
//! written here rather than with a validation crate: the work is parsing strings typed on
//! a phone into typed values (dates, counts, ids) with one precise reason per field for a
//! Chinese sentence, which derive-based validators (checking already-typed structs) do
//! not do.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

mod account;
mod directory;
mod records;
mod stats;

pub use account::*;
pub use directory::*;
pub use records::*;
pub use stats::*;

/// One row of the activity register, read from the projection (never from a document).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ActivitySummary {
    pub id: String,
    pub kind: ActivityKind,
    pub station_id: String,
    pub station_name: String,
    pub date: NaiveDate,
    pub deputy_names: Vec<String>,
    pub voters_received: u32,
    pub online: bool,
    pub summary: String,
    /// True while this device holds changes to the record the server has not acknowledged.
    pub pending_sync: bool,
}

/// The language of the app's text: Simplified Chinese first, English second.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Language {
    #[default]
    #[serde(rename = "zh-CN")]
    ZhCn,
    #[serde(rename = "en")]
    En,
}

impl Language {
    pub const ALL: [Language; 2] = [Language::ZhCn, Language::En];
}

/// The home screen: what the signed-in account should do now.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Home {
    /// "月进站、季回家、年述职" for each deputy of the account's stations (the deputy's own
    /// first, for a deputy's account).
    pub rhythm: Vec<DeputyRhythm>,
    /// Opinions recorded and not yet referred to a department.
    pub to_refer: u64,
    /// Opinions a department answered, waiting for feedback to the voter.
    pub to_feed_back: u64,
    /// Referred opinions past their deadline without an answer.
    pub overdue: u64,
    /// Records waiting to be sent.
    pub pending_records: u64,
    /// The latest activities, newest first.
    pub recent: Vec<ActivitySummary>,
}

/// Whether a deputy has kept the rhythm in the current month, quarter and year.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeputyRhythm {
    pub deputy_id: String,
    pub name: String,
    pub station_name: String,
    /// Took part in an activity at a station this month (月进站): a voter meeting,
    /// reception day, bureau or prosecutor visit, or legislative consultation.
    pub month: bool,
    /// Came back to the home to listen this quarter (季回家).
    pub quarter: bool,
    /// Gave a duty report this year (年述职).
    pub year: bool,
}

/// Which activities to list. Empty fields do not filter.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct ActivityFilter {
    pub kind: Option<ActivityKind>,
    pub station_id: Option<String>,
    pub from: Option<NaiveDate>,
    pub to: Option<NaiveDate>,
    /// Stations of this street or town.
    pub subdistrict_id: Option<String>,
    /// Activities this deputy attended.
    pub deputy_id: Option<String>,
    /// Activities attended by at least one deputy of this level.
    pub level: Option<DeputyLevel>,
    pub campaign_id: Option<String>,
    pub draft_id: Option<String>,
    /// Held online (云见面) or on site.
    pub online: Option<bool>,
    /// At most this many rows (the first screen); all when `None`.
    pub limit: Option<u32>,
}

/// How many activities a register filter selects, and the voters they received.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ActivityTotals {
    pub records: u64,
    pub voters: u64,
}

/// One row of the opinion list, with its derived status.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct OpinionSummary {
    pub id: String,
    pub station_id: String,
    pub station_name: String,
    pub date: NaiveDate,
    pub categories: Vec<OpinionCategory>,
    pub content: String,
    pub status: OpinionStatus,
    /// The department of the latest referral, by name.
    pub department: Option<String>,
    pub deadline: Option<NaiveDate>,
    /// Referred, not yet answered, and past its deadline.
    pub overdue: bool,
    pub satisfaction: Option<Satisfaction>,
    pub pending_sync: bool,
    /// Sent by the voter from the station's public page (线上).
    #[serde(default)]
    pub online: bool,
}

/// Which opinions to list. Empty fields do not filter.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct OpinionFilter {
    pub station_id: Option<String>,
    pub status: Option<OpinionStatus>,
    /// Any of these statuses (e.g. answered or fed back); none: any status.
    pub statuses: Vec<OpinionStatus>,
    pub department_id: Option<String>,
    pub draft_id: Option<String>,
    pub overdue_only: bool,
    pub from: Option<NaiveDate>,
    pub to: Option<NaiveDate>,
    /// Stations of this street or town.
    pub subdistrict_id: Option<String>,
    pub category: Option<OpinionCategory>,
    /// Opinions received at the campaign's activities.
    pub campaign_id: Option<String>,
    pub satisfaction: Option<Satisfaction>,
    /// Sent from the public page (线上) or recorded at the station.
    pub online: Option<bool>,
    /// Received by this deputy, or at an activity they attended.
    pub deputy_id: Option<String>,
    /// Words the content, the station's or the department's name must each contain
    /// (separated by spaces; none: no search).
    pub words: String,
    pub limit: Option<u32>,
}

/// How many opinions a filter selects, and how many of them are overdue.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct OpinionTotals {
    pub records: u64,
    pub overdue: u64,
}

/// A referral as the department's inbox shows it (no personal data: there is none in it).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReferralSummary {
    pub id: String,
    pub opinion_id: String,
    pub station_name: String,
    pub department_id: String,
    pub referred_on: NaiveDate,
    pub deadline: NaiveDate,
    pub categories: Vec<OpinionCategory>,
    pub content: String,
    pub note: String,
    /// The department's latest answer, if any.
    pub answer_status: Option<AnswerStatus>,
    pub answer: Option<String>,
    pub overdue: bool,
}

/// What the device can show of an opinion's voter contact details.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum VoterContact {
    /// None were given.
    None,
    /// Given with consent, and readable here.
    Shown { name: String, phone: String },
    /// Given with consent, but the key that opens them has not reached this device yet
    /// (it comes with a sync).
    Waiting,
    /// Erased: consent was withdrawn (by the voter online or by the station).
    Erased,
}

/// One step of an opinion's timeline (登记 → 交办 → 办理中 → 已答复 → 已反馈).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TimelineStep {
    pub status: OpinionStatus,
    pub date: NaiveDate,
    /// The department involved, by name (referral and answers).
    pub department: Option<String>,
    /// What was said: the content, the answer, the feedback.
    pub text: String,
    pub deadline: Option<NaiveDate>,
    pub satisfaction: Option<Satisfaction>,
}

/// Per-station progress of a campaign.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CampaignProgress {
    pub station_id: String,
    pub station_name: String,
    pub activities: u32,
    pub voters_received: u32,
    /// Deputy attendances (人次).
    pub attendances: u32,
    pub opinions: u32,
}

/// Opinions gathered on one article of a draft regulation.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ArticleCount {
    pub article_id: String,
    pub number: u32,
    pub opinions: u32,
}

/// One entry of a record's history (newest first in lists).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct HistoryEntry {
    /// Seconds since the Unix epoch, by the clock of the device that made the change.
    pub time: i64,
    /// The device that made the change (accounts name people in a later version).
    pub device: String,
    pub by_this_device: bool,
    /// True for the change that created the record.
    pub created: bool,
    pub changes: Vec<FieldChange>,
}

/// One field's change, with values as the user reads them (names, not ids). A value is a
/// list: one item for a single value, none for an empty one; the UI joins the items the
/// way its language lists things.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FieldChange {
    pub field: Field,
    pub old: Option<Vec<String>>,
    pub new: Vec<String>,
    /// Personal data (voter name, phone): the values are not given, only that it changed.
    #[serde(default)]
    pub hidden: bool,
}

/// The fields of the forms, for error messages next to the field.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Field {
    Kind,
    Station,
    Date,
    Deputies,
    Guests,
    VotersReceived,
    Online,
    Location,
    Summary,
    Photos,
    Campaign,
    Draft,
    Categories,
    Content,
    VoterName,
    VoterPhone,
    /// The name and phone together, sealed (`Opinion::contact`).
    VoterContact,
    Consent,
    ReceivedBy,
    Activity,
    Article,
    Opinion,
    Opinions,
    Department,
    Deadline,
    Note,
    Referral,
    Status,
    Answer,
    Feedback,
    Satisfaction,
    Title,
    Supervised,
}

impl Field {
    /// Every field, for checks that each has a label and its sentences.
    pub const ALL: [Field; 33] = [
        Field::Kind,
        Field::Station,
        Field::Date,
        Field::Deputies,
        Field::Guests,
        Field::VotersReceived,
        Field::Online,
        Field::Location,
        Field::Summary,
        Field::Photos,
        Field::Campaign,
        Field::Draft,
        Field::Categories,
        Field::Content,
        Field::VoterName,
        Field::VoterPhone,
        Field::VoterContact,
        Field::Consent,
        Field::ReceivedBy,
        Field::Activity,
        Field::Article,
        Field::Opinion,
        Field::Opinions,
        Field::Department,
        Field::Deadline,
        Field::Note,
        Field::Referral,
        Field::Status,
        Field::Answer,
        Field::Feedback,
        Field::Satisfaction,
        Field::Title,
        Field::Supervised,
    ];
}

/// Why a field was refused. The UI turns `(field, problem)` into a Chinese sentence.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Problem {
    Required,
    NotANumber,
    Negative,
    TooLarge,
    InFuture,
    TooEarly,
    TooLong,
    Unknown,
    /// Cannot change once saved (e.g. a record's station: it decides who may see it).
    Locked,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FieldError {
    pub field: Field,
    pub problem: Problem,
}

impl FieldError {
    pub fn new(field: Field, problem: Problem) -> Self {
        Self { field, problem }
    }
}

/// What a new record names that must already be on the device: a directory entry or
/// another record, checked before the record is saved.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Referent {
    Station,
    Deputy,
    Opinion,
    Department,
}

/// One id a new record names, with the form field a refusal points at.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Reference<'a> {
    pub field: Field,
    pub to: Referent,
    pub id: &'a str,
}

impl<'a> Reference<'a> {
    pub fn new(field: Field, to: Referent, id: &'a str) -> Self {
        Self { field, to, id }
    }

    /// One reference for each of `ids`, all from `field` to `to`.
    pub fn each(field: Field, to: Referent, ids: &'a [String]) -> impl Iterator<Item = Self> + 'a {
        ids.iter().map(move |id| Self::new(field, to, id))
    }
}

/// A form that makes a new record of one kind. Every such form goes through one store
/// call (`Store::create`), one shell command (`create_record`) and one UI call
/// (`api::create`), and its kind's records are listed by one more (`records`): a kind with
/// a form needs no command, api function or store function of its own. Its `kinds!` entry
/// names the form (`form LeadInput`), which checks that both say the same kind.
pub trait RecordForm: Serialize + serde::de::DeserializeOwned {
    /// The key prefix of the kind of record it makes.
    const KIND: &'static str;
    /// The record it makes.
    type Record: Serialize + serde::de::DeserializeOwned;
    /// The record from what was typed, its id left empty, or one refusal per field.
    fn validate(&self, today: NaiveDate) -> Result<Self::Record, Vec<FieldError>>;
    /// The ids the record names that must be on the device.
    fn references(record: &Self::Record) -> Vec<Reference<'_>>;
}

/// What the app shows about synchronisation.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SyncStatus {
    /// The server signed in to; empty before the first sign-in.
    pub server_url: String,
    /// The account signed in on this device, if any.
    #[serde(default)]
    pub account: Option<Account>,
    /// RFC 3339 time of the last successful sync, if any.
    pub last_success: Option<String>,
    /// Records with changes waiting to be sent.
    pub pending_records: u64,
    /// Records with changes the server refused (no right to write them); kept on the
    /// device, offered again after the next sign-in.
    #[serde(default)]
    pub refused_records: u64,
    /// Photos taken on this device and not uploaded yet.
    #[serde(default)]
    pub pending_photos: u64,
    pub last_error: Option<AppError>,
}

/// How far the sync under way has come, round trip by round trip (what the app shows
/// during a large catch-up; the server sends it in bounded batches).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SyncProgress {
    /// A sync is under way (the counts are the last one's once it ends).
    pub running: bool,
    pub round_trips: u32,
    pub sent_changes: u64,
    pub received_changes: u64,
    pub received_documents: u64,
    /// Bytes of the responses so far.
    pub received_bytes: u64,
}

/// The result of one sync.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SyncReport {
    /// Local changes the server acknowledged.
    pub sent_changes: u64,
    /// Changes received from the server.
    pub received_changes: u64,
    /// Whole documents received (a new device's first sync).
    pub received_documents: u64,
    /// Records that changed on this device because of the sync.
    pub updated_records: u64,
    /// Local changes the server refused (see `Store::set_aside`).
    #[serde(default)]
    pub refused_changes: u64,
    /// Photos uploaded.
    #[serde(default)]
    pub sent_photos: u64,
}

/// The one error type a Tauri command returns; the UI shows it in Chinese. Externally
/// tagged (`{"refused": {…}}`, `"not_found"`): an internally tagged enum's deserializer
/// buffers its input and was the UI's largest function (20 KB of wasm).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
#[serde(rename_all = "snake_case")]
pub enum AppError {
    /// The input was refused; nothing was stored.
    #[error("invalid input")]
    Invalid { fields: Vec<FieldError> },
    #[error("record not found")]
    NotFound,
    /// The server could not be reached (offline, refused, timed out).
    #[error("server unreachable: {detail}")]
    Offline { detail: String },
    /// The server address uses plain HTTP to another machine without the user's consent.
    #[error("refusing plain HTTP to {url}")]
    InsecureServer { url: String },
    /// The server address is not a usable `https://` (or `http://`) address.
    #[error("not a server address: {url}")]
    BadServerUrl { url: String },
    /// The server answered with an error that may pass (it failed, or was busy): try
    /// again later.
    #[error("server error {status}: {detail}")]
    Server { status: u16, detail: String },
    /// The server refused the request for a reason that trying again does not change (a
    /// 4xx answer other than a timeout or a rate limit, e.g. a server set up without what
    /// the request needs): whoever runs the server must act. `code` is the API's error
    /// code (`protocol::error`), `reason` the server's own sentence, if it gave them.
    #[error("server refused ({status}): {reason}")]
    Refused {
        status: u16,
        #[serde(default)]
        code: String,
        reason: String,
    },
    /// Sync needs a signed-in account on this device.
    #[error("not signed in")]
    NotSignedIn,
    /// The server did not accept the user name and password.
    #[error("wrong user name or password")]
    SignInRefused,
    /// The device's session ended (expired, signed out elsewhere, account disabled):
    /// sign in again; nothing waiting to be sent is lost.
    #[error("session expired")]
    SessionExpired,
    /// Too many sign-in attempts: wait before trying again.
    #[error("too many attempts")]
    TooManyAttempts,
    /// Another account's changes on this device have not reached the server yet: that
    /// account must sync before someone else signs in here.
    #[error("unsent changes of another account")]
    UnsentChanges,
    /// The signed-in account may not write this record (another station's, or a role
    /// that only reads); nothing was stored.
    #[error("not permitted")]
    NotPermitted,
    /// A PDF needs a Chinese font and the device has none.
    #[error("no Chinese font")]
    NoChineseFont,
    /// This device does not do that (files are exported from the desktop app, not from a
    /// phone's browser).
    #[error("not on this device")]
    NotOnThisDevice,
    /// Local storage failed; the detail is for logs and bug reports.
    #[error("storage error: {detail}")]
    Storage { detail: String },
}

/// Dates in documents are `YYYY-MM-DD` strings (readable in any Automerge tool).
#[cfg(feature = "store")]
pub mod am_date {
    use autosurgeon::{Hydrate, HydrateError, Prop, ReadDoc, Reconciler};
    use chrono::NaiveDate;

    pub fn reconcile<R: Reconciler>(d: &NaiveDate, mut r: R) -> Result<(), R::Error> {
        r.str(d.format("%Y-%m-%d").to_string())
    }

    pub fn hydrate<D: ReadDoc>(
        doc: &D,
        obj: &automerge::ObjId,
        prop: Prop<'_>,
    ) -> Result<NaiveDate, HydrateError> {
        let s = String::hydrate(doc, obj, prop)?;
        NaiveDate::parse_from_str(&s, "%Y-%m-%d")
            .map_err(|_| HydrateError::unexpected("a YYYY-MM-DD date", s))
    }
}

/// An optional date: `null` (or absent) when not set.
#[cfg(feature = "store")]
pub(crate) mod am_opt_date {
    use autosurgeon::{Hydrate, HydrateError, Prop, ReadDoc, Reconcile, Reconciler};
    use chrono::NaiveDate;

    pub fn reconcile<R: Reconciler>(d: &Option<NaiveDate>, r: R) -> Result<(), R::Error> {
        d.map(|d| d.format("%Y-%m-%d").to_string()).reconcile(r)
    }

    pub fn hydrate<D: ReadDoc>(
        doc: &D,
        obj: &automerge::ObjId,
        prop: Prop<'_>,
    ) -> Result<Option<NaiveDate>, HydrateError> {
        match Option::<String>::hydrate(doc, obj, prop)? {
            None => Ok(None),
            Some(s) => NaiveDate::parse_from_str(&s, "%Y-%m-%d")
                .map(Some)
                .map_err(|_| HydrateError::unexpected("a YYYY-MM-DD date", s)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn today() -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 11, 25).unwrap()
    }

    fn good_activity() -> ActivityInput {
        ActivityInput {
            kind: ActivityKind::VoterMeeting,
            station_id: "st-zzy-home".into(),
            date: "2026-11-24".into(),
            deputy_ids: vec!["dep-1".into(), "dep-2".into()],
            voters_received: "12".into(),
            summary: "停车难问题".into(),
            ..ActivityInput::default()
        }
    }

    fn good_opinion() -> OpinionInput {
        OpinionInput {
            station_id: "st-zzy-home".into(),
            date: "2026-11-24".into(),
            categories: vec![OpinionCategory::Traffic],
            content: "小区门口停车难".into(),
            ..OpinionInput::default()
        }
    }

    fn problems<T>(r: Result<T, Vec<FieldError>>) -> Vec<(Field, Problem)> {
        match r {
            Ok(_) => vec![],
            Err(e) => e.into_iter().map(|e| (e.field, e.problem)).collect(),
        }
    }

    /// Applies `edit` to a good activity input and checks the resulting errors.
    fn check(edit: impl FnOnce(&mut ActivityInput), expected: &[(Field, Problem)]) {
        let mut input = good_activity();
        edit(&mut input);
        assert_eq!(
            problems(input.validate(today())),
            expected,
            "input: {input:?}"
        );
    }

    fn check_opinion(edit: impl FnOnce(&mut OpinionInput), expected: &[(Field, Problem)]) {
        let mut input = good_opinion();
        edit(&mut input);
        assert_eq!(
            problems(input.validate(today())),
            expected,
            "input: {input:?}"
        );
    }

    #[test]
    fn good_input_is_accepted_and_trimmed() {
        let mut input = good_activity();
        input.summary = "  停车难问题 \n".into();
        input.deputy_ids.push("dep-1".into());
        let m = input.validate(today()).unwrap();
        assert_eq!(m.summary, "停车难问题");
        assert_eq!(m.voters_received, 12);
        assert_eq!(m.deputy_ids, ["dep-1", "dep-2"]);
    }

    #[test]
    fn each_bad_activity_field_is_named() {
        use Field::*;
        use Problem::*;
        check(|_| {}, &[]);
        check(
            |i| i.voters_received = "".into(),
            &[(VotersReceived, Required)],
        );
        check(
            |i| i.voters_received = " ".into(),
            &[(VotersReceived, Required)],
        );
        check(
            |i| i.voters_received = "-3".into(),
            &[(VotersReceived, Negative)],
        );
        check(
            |i| i.voters_received = "3.5".into(),
            &[(VotersReceived, NotANumber)],
        );
        check(
            |i| i.voters_received = "十".into(),
            &[(VotersReceived, NotANumber)],
        );
        check(
            |i| i.voters_received = "10001".into(),
            &[(VotersReceived, TooLarge)],
        );
        check(|i| i.voters_received = "0".into(), &[]);
        check(|i| i.date = "2026-11-26".into(), &[]);
        check(|i| i.date = "2026-11-27".into(), &[(Date, InFuture)]);
        check(|i| i.date = "1999-12-31".into(), &[(Date, TooEarly)]);
        check(|i| i.date = "2026-13-01".into(), &[(Date, Unknown)]);
        check(|i| i.date = "".into(), &[(Date, Required)]);
        check(|i| i.summary = "议".repeat(500), &[]);
        check(|i| i.summary = "议".repeat(501), &[(Summary, TooLong)]);
        check(|i| i.summary = "   ".into(), &[(Summary, Required)]);
        check(|i| i.location = "址".repeat(101), &[(Location, TooLong)]);
        check(|i| i.station_id = "".into(), &[(Station, Required)]);
        check(|i| i.deputy_ids = vec![" ".into()], &[(Deputies, Required)]);
        check(
            |i| i.photos = vec!["photo.jpg".into()],
            &[(Photos, Unknown)],
        );
        check(|i| i.photos = vec!["ab".repeat(32)], &[]);
        check(
            |i| {
                i.voters_received = "-1".into();
                i.summary = "".into();
            },
            &[(VotersReceived, Negative), (Summary, Required)],
        );
    }

    #[test]
    fn an_opinion_keeps_a_name_or_phone_only_with_consent() {
        use Field::*;
        use Problem::*;
        check_opinion(|_| {}, &[]);
        check_opinion(
            |i| i.voter_phone = "13800138000".into(),
            &[(Consent, Required)],
        );
        check_opinion(|i| i.voter_name = "张大爷".into(), &[(Consent, Required)]);
        check_opinion(
            |i| {
                i.voter_phone = "138 0013 8000".into();
                i.consent = true;
            },
            &[],
        );
        check_opinion(
            |i| {
                i.voter_phone = "电话".into();
                i.consent = true;
            },
            &[(VoterPhone, Unknown)],
        );
        check_opinion(
            |i| {
                i.voter_phone = "12345".into();
                i.consent = true;
            },
            &[(VoterPhone, Unknown)],
        );
        check_opinion(|i| i.categories.clear(), &[(Categories, Required)]);
        check_opinion(|i| i.content = "".into(), &[(Content, Required)]);
        check_opinion(|i| i.article_id = "art-1".into(), &[(Article, Unknown)]);
        // Consent ticked with nothing personal typed stores no consent.
        let mut input = good_opinion();
        input.consent = true;
        assert!(!input.validate(today()).unwrap().consent);
    }

    #[test]
    fn a_referral_deadline_lies_ahead_within_a_year() {
        use Field::*;
        use Problem::*;
        let r = |deadline: &str| ReferralInput {
            opinion_id: "op-1".into(),
            department_id: "dept-traffic".into(),
            deadline: deadline.into(),
            ..ReferralInput::default()
        };
        assert_eq!(problems(r("2026-12-25").validate(today())), []);
        assert_eq!(
            problems(r("2026-11-25").validate(today())),
            [(Deadline, TooEarly)]
        );
        assert_eq!(
            problems(r("2027-12-25").validate(today())),
            [(Deadline, TooLarge)]
        );
        assert_eq!(problems(r("").validate(today())), [(Deadline, Required)]);
        let mut no_dept = r("2026-12-25");
        no_dept.department_id.clear();
        assert_eq!(
            problems(no_dept.validate(today())),
            [(Department, Required)]
        );
    }

    #[test]
    fn an_answer_marked_answered_must_say_something() {
        let a = |status, text: &str| AnswerInput {
            referral_id: "ref-1".into(),
            status,
            date: "2026-11-25".into(),
            text: text.into(),
        };
        assert_eq!(
            problems(a(AnswerStatus::InProgress, "").validate(today())),
            []
        );
        assert_eq!(
            problems(a(AnswerStatus::Answered, " ").validate(today())),
            [(Field::Answer, Problem::Required)]
        );
    }

    #[test]
    fn an_activity_round_trips_through_its_form() {
        let mut input = good_activity();
        input.campaign_id = "cmp-1".into();
        input.online = true;
        let m = input.validate(today()).unwrap();
        assert_eq!(ActivityInput::from(&m).validate(today()), Ok(m));
        let o = good_opinion().validate(today()).unwrap();
        assert_eq!(OpinionInput::from(&o).validate(today()), Ok(o));
    }

    #[test]
    fn app_error_serializes_tagged_by_its_variant_and_reads_back() {
        let e = AppError::Invalid {
            fields: vec![FieldError::new(Field::VotersReceived, Problem::Negative)],
        };
        let json = serde_json::to_value(&e).unwrap();
        assert_eq!(json["invalid"]["fields"][0]["field"], "voters_received");
        assert_eq!(json["invalid"]["fields"][0]["problem"], "negative");
        assert_eq!(
            serde_json::to_value(AppError::NotFound).unwrap(),
            "not_found"
        );
        for e in [
            e,
            AppError::NotFound,
            AppError::Refused {
                status: 403,
                code: "read_only".into(),
                reason: "only reads".into(),
            },
        ] {
            let back: AppError = serde_json::from_value(serde_json::to_value(&e).unwrap()).unwrap();
            assert_eq!(back, e);
        }
        // A refusal from before the code was carried still reads.
        let old: AppError =
            serde_json::from_str(r#"{"refused":{"status":409,"reason":"no address"}}"#).unwrap();
        assert!(matches!(old, AppError::Refused { code, .. } if code.is_empty()));
    }
}
