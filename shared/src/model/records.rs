//! The records a station keeps, and the raw inputs they are validated from.
//!
//! Activities and opinions (with the voter's feedback and satisfaction), deputy
//! suggestions and livelihood leads belong to a station. A referral (交办) is written by
//! whoever refers the opinion; the department's answer is its own record, written only by
//! the department. An opinion's status is never stored: it is derived from the records
//! that exist (see [`OpinionStatus`]).
//!
//! Every record is flat: scalars and lists created together with the record, never a map
//! or list added later. Two devices therefore never create the same nested container
//! independently, and concurrent edits merge field by field.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use super::{Field, FieldError, Problem, RecordForm, Reference, Referent};

/// The largest number of voters one activity can record. The busiest reported month
/// (January 2022) received 4,655 voters across the whole district.
pub const MAX_VOTERS_RECEIVED: u32 = 10_000;
/// The longest summary or content, in characters (not bytes).
pub const MAX_SUMMARY_CHARS: usize = 500;
/// The longest opinion content, answer or suggestion text, in characters.
pub const MAX_TEXT_CHARS: usize = 2_000;
/// The longest short text (a title, a location, a name), in characters.
pub const MAX_SHORT_CHARS: usize = 100;
/// The earliest date a record can carry.
pub const EARLIEST_DATE: NaiveDate = match NaiveDate::from_ymd_opt(2000, 1, 1) {
    Some(d) => d,
    None => panic!("valid date"),
};
/// The longest time a department can be given to answer, in days.
pub const MAX_DEADLINE_DAYS: u64 = 366;

/// The kinds of activity in a station's register (活动登记簿).
#[derive(
    Clone, Debug, PartialEq, Eq, Serialize, Deserialize, Copy, Hash, PartialOrd, Ord, Default,
)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[cfg_attr(
    feature = "store",
    derive(autosurgeon::Reconcile, autosurgeon::Hydrate)
)]
#[serde(rename_all = "snake_case")]
pub enum ActivityKind {
    /// 进站见选民
    #[default]
    #[cfg_attr(feature = "store", autosurgeon(rename = "voter_meeting"))]
    VoterMeeting,
    /// 回家站听意见
    #[cfg_attr(feature = "store", autosurgeon(rename = "home_listening"))]
    HomeListening,
    /// 选民接待日
    #[cfg_attr(feature = "store", autosurgeon(rename = "reception_day"))]
    ReceptionDay,
    /// 委办局进站
    #[cfg_attr(feature = "store", autosurgeon(rename = "bureau_visit"))]
    BureauVisit,
    /// 检察官进站
    #[cfg_attr(feature = "store", autosurgeon(rename = "prosecutor_visit"))]
    ProsecutorVisit,
    /// 征求立法意见
    #[cfg_attr(feature = "store", autosurgeon(rename = "legislative_consultation"))]
    LegislativeConsultation,
    /// 学习培训
    #[cfg_attr(feature = "store", autosurgeon(rename = "training"))]
    Training,
    /// 视察调研
    #[cfg_attr(feature = "store", autosurgeon(rename = "inspection"))]
    Inspection,
    /// 年度述职
    #[cfg_attr(feature = "store", autosurgeon(rename = "duty_report"))]
    DutyReport,
}

impl ActivityKind {
    pub const ALL: [ActivityKind; 9] = [
        ActivityKind::VoterMeeting,
        ActivityKind::HomeListening,
        ActivityKind::ReceptionDay,
        ActivityKind::BureauVisit,
        ActivityKind::ProsecutorVisit,
        ActivityKind::LegislativeConsultation,
        ActivityKind::Training,
        ActivityKind::Inspection,
        ActivityKind::DutyReport,
    ];
}

/// One activity of a station: who came, how many voters were received, what was said.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[cfg_attr(
    feature = "store",
    derive(autosurgeon::Reconcile, autosurgeon::Hydrate)
)]
pub struct Activity {
    pub id: String,
    /// What kind of activity it was.
    pub kind: ActivityKind,
    /// The station that held it (a station's id). Never changes once saved: it decides
    /// the record's document and who sees it.
    pub station_id: String,
    /// The day it was held.
    #[cfg_attr(feature = "store", autosurgeon(with = "crate::model::am_date"))]
    pub date: NaiveDate,
    /// Deputies present (attendances are counted per deputy per activity).
    pub deputy_ids: Vec<String>,
    /// Other attendees as written (e.g. 区交通委 2人); may be empty.
    pub guests: String,
    /// How many voters were received (人次).
    pub voters_received: u32,
    /// Held online (云见面) rather than on site.
    pub online: bool,
    /// Where it was held, as written; may be empty.
    pub location: String,
    /// What was said and done.
    pub summary: String,
    /// Content hashes of attached photos (the files live outside the document).
    pub photos: Vec<String>,
    /// The campaign it was held for (a campaign's id), if any.
    pub campaign_id: Option<String>,
    /// For a legislative consultation: the draft discussed.
    pub draft_id: Option<String>,
}

/// Topic tags of an opinion (several may apply).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, Copy, Hash, PartialOrd, Ord)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[cfg_attr(
    feature = "store",
    derive(autosurgeon::Reconcile, autosurgeon::Hydrate)
)]
#[serde(rename_all = "snake_case")]
pub enum OpinionCategory {
    /// 交通出行 (transport)
    #[cfg_attr(feature = "store", autosurgeon(rename = "traffic"))]
    Traffic,
    /// 医疗卫生 (healthcare)
    #[cfg_attr(feature = "store", autosurgeon(rename = "healthcare"))]
    Healthcare,
    /// 养老服务 (elderly care)
    #[cfg_attr(feature = "store", autosurgeon(rename = "elderly_care"))]
    ElderlyCare,
    /// 教育 (education)
    #[cfg_attr(feature = "store", autosurgeon(rename = "education"))]
    Education,
    /// 文化体育 (culture and sports)
    #[cfg_attr(feature = "store", autosurgeon(rename = "culture"))]
    Culture,
    /// 商业便民 (shops and services)
    #[cfg_attr(feature = "store", autosurgeon(rename = "commerce"))]
    Commerce,
    /// 环境卫生 (environment and sanitation)
    #[cfg_attr(feature = "store", autosurgeon(rename = "environment"))]
    Environment,
    /// 住房物业 (housing and property management)
    #[cfg_attr(feature = "store", autosurgeon(rename = "housing"))]
    Housing,
    /// 农业农村 (agriculture and rural affairs)
    #[cfg_attr(feature = "store", autosurgeon(rename = "agriculture"))]
    Agriculture,
    /// 就业社保 (jobs and social security)
    #[cfg_attr(feature = "store", autosurgeon(rename = "employment"))]
    Employment,
    /// 平安建设 (public safety)
    #[cfg_attr(feature = "store", autosurgeon(rename = "safety"))]
    Safety,
    /// 立法 (legislation: opinions on a draft regulation)
    #[cfg_attr(feature = "store", autosurgeon(rename = "legislation"))]
    Legislation,
    /// 其他 (other)
    #[cfg_attr(feature = "store", autosurgeon(rename = "other"))]
    Other,
}

impl OpinionStatus {
    pub const ALL: [OpinionStatus; 5] = [
        OpinionStatus::Recorded,
        OpinionStatus::Referred,
        OpinionStatus::InProgress,
        OpinionStatus::Answered,
        OpinionStatus::FedBack,
    ];
}

impl Satisfaction {
    pub const ALL: [Satisfaction; 3] = [
        Satisfaction::Satisfied,
        Satisfaction::BasicallySatisfied,
        Satisfaction::Dissatisfied,
    ];
}

impl OpinionCategory {
    pub const ALL: [OpinionCategory; 13] = [
        OpinionCategory::Traffic,
        OpinionCategory::Healthcare,
        OpinionCategory::ElderlyCare,
        OpinionCategory::Education,
        OpinionCategory::Culture,
        OpinionCategory::Commerce,
        OpinionCategory::Environment,
        OpinionCategory::Housing,
        OpinionCategory::Agriculture,
        OpinionCategory::Employment,
        OpinionCategory::Safety,
        OpinionCategory::Legislation,
        OpinionCategory::Other,
    ];
}

/// The voter's satisfaction with how the opinion was handled.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, Copy, Hash)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[cfg_attr(
    feature = "store",
    derive(autosurgeon::Reconcile, autosurgeon::Hydrate)
)]
#[serde(rename_all = "snake_case")]
pub enum Satisfaction {
    /// 满意 (satisfied)
    #[cfg_attr(feature = "store", autosurgeon(rename = "satisfied"))]
    Satisfied,
    /// 基本满意 (mostly satisfied)
    #[cfg_attr(feature = "store", autosurgeon(rename = "basically_satisfied"))]
    BasicallySatisfied,
    /// 不满意 (dissatisfied)
    #[cfg_attr(feature = "store", autosurgeon(rename = "dissatisfied"))]
    Dissatisfied,
}

/// How an opinion reached the station, when not recorded there.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, Copy, Hash)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[cfg_attr(
    feature = "store",
    derive(autosurgeon::Reconcile, autosurgeon::Hydrate)
)]
#[serde(rename_all = "snake_case")]
pub enum OpinionChannel {
    /// Sent by the voter from the station's public page (线上).
    #[cfg_attr(feature = "store", autosurgeon(rename = "online"))]
    Online,
}

/// An opinion or suggestion from a voter (意见建议), with the feedback given back.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[cfg_attr(
    feature = "store",
    derive(autosurgeon::Reconcile, autosurgeon::Hydrate)
)]
pub struct Opinion {
    pub id: String,
    /// The station that recorded it (a station's id); never changes once saved.
    pub station_id: String,
    /// The day it was received.
    #[cfg_attr(feature = "store", autosurgeon(with = "crate::model::am_date"))]
    pub date: NaiveDate,
    /// Its topics: at least one, each once.
    pub categories: Vec<OpinionCategory>,
    /// What the voter said.
    pub content: String,
    /// Personal data, only with the voter's consent; empty when not given. Written in
    /// the clear only by builds before sealing (read, never written again): newer ones
    /// keep these empty and hold the details in `contact`.
    pub voter_name: String,
    /// The voter's phone, as `voter_name`: empty in what current builds write.
    pub voter_phone: String,
    /// The voter agreed to their name and phone being kept: true when, and only when,
    /// contact details were given.
    pub consent: bool,
    /// The voter's name and phone sealed under the opinion's own key (`crate::seal`),
    /// so that withdrawing consent erases them by destroying the key. Unset when none
    /// were given.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub contact: Option<String>,
    /// How it reached the station: unset when recorded by the station itself, online
    /// when a voter sent it from the station's public page (线上).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub channel: Option<OpinionChannel>,
    /// The deputy who received it.
    pub received_by: Option<String>,
    /// The activity where it was collected.
    pub activity_id: Option<String>,
    /// For an opinion on a draft regulation: the draft and the article.
    pub draft_id: Option<String>,
    /// The article of `draft_id` it is about (an article's id in that draft), if any.
    pub article_id: Option<String>,
    /// When and what was fed back to the voter (反馈); unset until then.
    #[cfg_attr(feature = "store", autosurgeon(with = "crate::model::am_opt_date"))]
    pub feedback_date: Option<NaiveDate>,
    /// What was fed back to the voter; empty until then.
    pub feedback: String,
    /// The voter's satisfaction with the handling, once fed back.
    pub satisfaction: Option<Satisfaction>,
}

/// A referral (交办) of an opinion to a department, with a deadline. It carries what
/// the department needs to act (the content as referred), never the voter's name or
/// phone: the department cannot read the station's documents.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[cfg_attr(
    feature = "store",
    derive(autosurgeon::Reconcile, autosurgeon::Hydrate)
)]
pub struct Referral {
    pub id: String,
    /// The opinion referred (in the station's documents, which the department does not
    /// read).
    pub opinion_id: String,
    /// The opinion's station.
    pub station_id: String,
    /// The department it is referred to.
    pub department_id: String,
    /// The day it was referred.
    #[cfg_attr(feature = "store", autosurgeon(with = "crate::model::am_date"))]
    pub referred_on: NaiveDate,
    /// The day the department should answer by.
    #[cfg_attr(feature = "store", autosurgeon(with = "crate::model::am_date"))]
    pub deadline: NaiveDate,
    /// The opinion's topics.
    pub categories: Vec<OpinionCategory>,
    /// What the department reads: the opinion's content as referred (never the voter's
    /// name or phone).
    pub content: String,
    /// A note for the department; may be empty.
    pub note: String,
}

/// Where a department's handling of a referral stands.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, Copy, Hash)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[cfg_attr(
    feature = "store",
    derive(autosurgeon::Reconcile, autosurgeon::Hydrate)
)]
#[serde(rename_all = "snake_case")]
pub enum AnswerStatus {
    /// 办理中: the department is working on it.
    #[cfg_attr(feature = "store", autosurgeon(rename = "in_progress"))]
    InProgress,
    /// 已答复: the department has answered.
    #[cfg_attr(feature = "store", autosurgeon(rename = "answered"))]
    Answered,
}

/// A department's answer (答复) to a referral; written only by the department.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[cfg_attr(
    feature = "store",
    derive(autosurgeon::Reconcile, autosurgeon::Hydrate)
)]
pub struct Answer {
    pub id: String,
    /// The referral it answers.
    pub referral_id: String,
    /// The referral's opinion.
    pub opinion_id: String,
    /// The referral's station.
    pub station_id: String,
    /// The answering department: the referral's.
    pub department_id: String,
    /// How far the department has come.
    pub status: AnswerStatus,
    /// The day it was given.
    #[cfg_attr(feature = "store", autosurgeon(with = "crate::model::am_date"))]
    pub date: NaiveDate,
    /// The answer; required once answered, may be empty while in progress.
    pub text: String,
}

/// A formal deputy suggestion (代表建议) formed from opinions.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[cfg_attr(
    feature = "store",
    derive(autosurgeon::Reconcile, autosurgeon::Hydrate)
)]
pub struct DeputySuggestion {
    pub id: String,
    /// The station it came from (a station's id); never changes once saved.
    pub station_id: String,
    /// The day it was put forward.
    #[cfg_attr(feature = "store", autosurgeon(with = "crate::model::am_date"))]
    pub date: NaiveDate,
    /// Its title.
    pub title: String,
    /// Its text.
    pub content: String,
    /// The deputies who put it forward; at least one.
    pub deputy_ids: Vec<String>,
    /// The opinions it was formed from; may be empty.
    pub opinion_ids: Vec<String>,
    /// The department it is addressed to, if any.
    pub department_id: Option<String>,
    /// Its handling is supervised (督办).
    pub supervised: bool,
}

/// A lead for the yearly livelihood projects (民生实事项目线索) formed from opinions.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[cfg_attr(
    feature = "store",
    derive(autosurgeon::Reconcile, autosurgeon::Hydrate)
)]
pub struct LivelihoodLead {
    pub id: String,
    /// The station it came from (a station's id); never changes once saved.
    pub station_id: String,
    /// The day it was put forward.
    #[cfg_attr(feature = "store", autosurgeon(with = "crate::model::am_date"))]
    pub date: NaiveDate,
    /// Its title.
    pub title: String,
    /// Its text.
    pub content: String,
    /// The opinions it was formed from; at least one.
    pub opinion_ids: Vec<String>,
}

/// Where an opinion stands, derived from the records that exist:
/// 登记 → 交办 → 办理中 → 已答复 → 已反馈.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OpinionStatus {
    Recorded,
    Referred,
    InProgress,
    Answered,
    FedBack,
}

// ---------------------------------------------------------------------------------------
// Raw inputs, as the forms hold them, and their validation.

/// What the activity form holds, exactly as typed.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct ActivityInput {
    pub kind: ActivityKind,
    pub station_id: String,
    /// `YYYY-MM-DD`.
    pub date: String,
    pub deputy_ids: Vec<String>,
    pub guests: String,
    /// Digits as typed; empty when the field is blank.
    pub voters_received: String,
    pub online: bool,
    pub location: String,
    pub summary: String,
    pub photos: Vec<String>,
    pub campaign_id: String,
    pub draft_id: String,
}

/// What the opinion form holds.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct OpinionInput {
    pub station_id: String,
    pub date: String,
    pub categories: Vec<OpinionCategory>,
    pub content: String,
    pub voter_name: String,
    pub voter_phone: String,
    pub consent: bool,
    pub received_by: String,
    pub activity_id: String,
    pub draft_id: String,
    pub article_id: String,
}

/// Referring an opinion to a department.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct ReferralInput {
    pub opinion_id: String,
    pub department_id: String,
    pub deadline: String,
    /// What the department reads; the opinion's content when left empty.
    pub content: String,
    pub note: String,
}

/// A department's answer to a referral (a new one, or an edit of its own).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AnswerInput {
    pub referral_id: String,
    pub status: AnswerStatus,
    pub date: String,
    pub text: String,
}

/// The feedback given to the voter, and the voter's satisfaction.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct FeedbackInput {
    pub opinion_id: String,
    pub date: String,
    pub text: String,
    pub satisfaction: Option<Satisfaction>,
}

/// A deputy suggestion or a livelihood lead, as typed.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct SuggestionInput {
    pub station_id: String,
    pub date: String,
    pub title: String,
    pub content: String,
    pub deputy_ids: Vec<String>,
    pub opinion_ids: Vec<String>,
    pub department_id: String,
    pub supervised: bool,
}

/// A livelihood lead, as typed.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct LeadInput {
    pub station_id: String,
    pub date: String,
    pub title: String,
    pub content: String,
    pub opinion_ids: Vec<String>,
}

/// Collects field errors while raw input is turned into typed values.
struct Check {
    errors: Vec<FieldError>,
    today: NaiveDate,
}

impl Check {
    fn new(today: NaiveDate) -> Self {
        Check {
            errors: Vec::new(),
            today,
        }
    }

    fn fail(&mut self, field: Field, problem: Problem) {
        self.errors.push(FieldError::new(field, problem));
    }

    fn id(&mut self, field: Field, raw: &str) -> String {
        let id = raw.trim();
        if id.is_empty() {
            self.fail(field, Problem::Required);
        }
        id.to_owned()
    }

    fn optional_id(raw: &str) -> Option<String> {
        let id = raw.trim();
        (!id.is_empty()).then(|| id.to_owned())
    }

    fn ids(&mut self, field: Field, raw: &[String], required: bool) -> Vec<String> {
        let mut ids: Vec<String> = Vec::new();
        for id in raw {
            let id = id.trim();
            if !id.is_empty() && !ids.iter().any(|d| d == id) {
                ids.push(id.to_owned());
            }
        }
        if required && ids.is_empty() {
            self.fail(field, Problem::Required);
        }
        ids
    }

    /// A date no later than tomorrow ("a day" of slack: a device near midnight, or a clock
    /// a little behind) and no earlier than [`EARLIEST_DATE`].
    fn date(&mut self, field: Field, raw: &str) -> Option<NaiveDate> {
        let d = self.any_date(field, raw)?;
        if d > self.today + chrono::Days::new(1) {
            self.fail(field, Problem::InFuture);
            None
        } else {
            Some(d)
        }
    }

    fn any_date(&mut self, field: Field, raw: &str) -> Option<NaiveDate> {
        match raw.trim() {
            "" => {
                self.fail(field, Problem::Required);
                None
            }
            raw => match NaiveDate::parse_from_str(raw, "%Y-%m-%d") {
                Err(_) => {
                    self.fail(field, Problem::Unknown);
                    None
                }
                Ok(d) if d < EARLIEST_DATE => {
                    self.fail(field, Problem::TooEarly);
                    None
                }
                Ok(d) => Some(d),
            },
        }
    }

    fn count(&mut self, field: Field, raw: &str, max: u32) -> Option<u32> {
        match raw.trim() {
            "" => {
                self.fail(field, Problem::Required);
                None
            }
            raw => match raw.parse::<i64>() {
                Err(_) => {
                    self.fail(field, Problem::NotANumber);
                    None
                }
                Ok(n) if n < 0 => {
                    self.fail(field, Problem::Negative);
                    None
                }
                Ok(n) if n > i64::from(max) => {
                    self.fail(field, Problem::TooLarge);
                    None
                }
                Ok(n) => u32::try_from(n).ok(),
            },
        }
    }

    fn text(&mut self, field: Field, raw: &str, max: usize, required: bool) -> String {
        let text = raw.trim();
        if required && text.is_empty() {
            self.fail(field, Problem::Required);
        } else if text.chars().count() > max {
            self.fail(field, Problem::TooLong);
        }
        text.to_owned()
    }

    fn finish<T>(self, value: Option<T>) -> Result<T, Vec<FieldError>> {
        match value {
            Some(v) if self.errors.is_empty() => Ok(v),
            _ => Err(self.errors),
        }
    }
}

/// A phone number as people write it: 7–15 digits, optionally a leading `+`, with
/// spaces or dashes between groups (kept as typed, trimmed).
fn phone_is_valid(raw: &str) -> bool {
    let digits = raw.chars().filter(char::is_ascii_digit).count();
    let rest_ok = raw
        .chars()
        .enumerate()
        .all(|(i, c)| c.is_ascii_digit() || c == '-' || c == ' ' || (c == '+' && i == 0));
    rest_ok && (7..=15).contains(&digits)
}

impl ActivityInput {
    /// Checks everything that needs no stored data; `today` is the device's local date.
    /// Whether the station, deputies, campaign and draft exist is checked by the store.
    /// The result has an empty id: the store gives new records theirs.
    pub fn validate(&self, today: NaiveDate) -> Result<Activity, Vec<FieldError>> {
        let mut c = Check::new(today);
        let station_id = c.id(Field::Station, &self.station_id);
        let date = c.date(Field::Date, &self.date);
        let deputy_ids = c.ids(Field::Deputies, &self.deputy_ids, true);
        let guests = c.text(Field::Guests, &self.guests, MAX_SHORT_CHARS, false);
        let voters = c.count(
            Field::VotersReceived,
            &self.voters_received,
            MAX_VOTERS_RECEIVED,
        );
        let location = c.text(Field::Location, &self.location, MAX_SHORT_CHARS, false);
        let summary = c.text(Field::Summary, &self.summary, MAX_SUMMARY_CHARS, true);
        let photos = c.ids(Field::Photos, &self.photos, false);
        if photos.iter().any(|p| !is_content_hash(p)) {
            c.fail(Field::Photos, Problem::Unknown);
        }
        let value = date.zip(voters).map(|(date, voters_received)| Activity {
            id: String::new(),
            kind: self.kind,
            station_id,
            date,
            deputy_ids,
            guests,
            voters_received,
            online: self.online,
            location,
            summary,
            photos,
            campaign_id: Check::optional_id(&self.campaign_id),
            draft_id: Check::optional_id(&self.draft_id),
        });
        c.finish(value)
    }
}

/// The largest photo accepted, checked when it is chosen or attached (and again by the
/// server).
pub const MAX_PHOTO_BYTES: u64 = 10 * 1024 * 1024;

/// Whether `s` is a file's content hash (a photo reference): lowercase hex SHA-256.
pub fn is_content_hash(s: &str) -> bool {
    s.len() == 64
        && s.bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

impl From<&Activity> for ActivityInput {
    /// The form's view of a stored activity (what the edit form shows).
    fn from(a: &Activity) -> Self {
        ActivityInput {
            kind: a.kind,
            station_id: a.station_id.clone(),
            date: a.date.to_string(),
            deputy_ids: a.deputy_ids.clone(),
            guests: a.guests.clone(),
            voters_received: a.voters_received.to_string(),
            online: a.online,
            location: a.location.clone(),
            summary: a.summary.clone(),
            photos: a.photos.clone(),
            campaign_id: a.campaign_id.clone().unwrap_or_default(),
            draft_id: a.draft_id.clone().unwrap_or_default(),
        }
    }
}

impl OpinionInput {
    /// Name and phone are kept only with the voter's consent: giving either without the
    /// consent box ticked is refused, so nothing personal is stored by accident.
    pub fn validate(&self, today: NaiveDate) -> Result<Opinion, Vec<FieldError>> {
        let mut c = Check::new(today);
        let station_id = c.id(Field::Station, &self.station_id);
        let date = c.date(Field::Date, &self.date);
        let mut categories = Vec::new();
        for cat in &self.categories {
            if !categories.contains(cat) {
                categories.push(*cat);
            }
        }
        if categories.is_empty() {
            c.fail(Field::Categories, Problem::Required);
        }
        let content = c.text(Field::Content, &self.content, MAX_TEXT_CHARS, true);
        let voter_name = c.text(Field::VoterName, &self.voter_name, MAX_SHORT_CHARS, false);
        let voter_phone = self.voter_phone.trim().to_owned();
        if !voter_phone.is_empty() && !phone_is_valid(&voter_phone) {
            c.fail(Field::VoterPhone, Problem::Unknown);
        }
        if (!voter_name.is_empty() || !voter_phone.is_empty()) && !self.consent {
            c.fail(Field::Consent, Problem::Required);
        }
        let draft_id = Check::optional_id(&self.draft_id);
        let article_id = Check::optional_id(&self.article_id);
        if article_id.is_some() && draft_id.is_none() {
            c.fail(Field::Article, Problem::Unknown);
        }
        let value = date.map(|date| Opinion {
            id: String::new(),
            station_id,
            date,
            categories,
            content,
            // Consent withdrawn (unticked, nothing typed) keeps nothing personal.
            consent: self.consent && !(voter_name.is_empty() && voter_phone.is_empty()),
            voter_name,
            voter_phone,
            contact: None,
            channel: None,
            received_by: Check::optional_id(&self.received_by),
            activity_id: Check::optional_id(&self.activity_id),
            draft_id,
            article_id,
            feedback_date: None,
            feedback: String::new(),
            satisfaction: None,
        });
        c.finish(value)
    }
}

impl From<&Opinion> for OpinionInput {
    fn from(o: &Opinion) -> Self {
        OpinionInput {
            station_id: o.station_id.clone(),
            date: o.date.to_string(),
            categories: o.categories.clone(),
            content: o.content.clone(),
            voter_name: o.voter_name.clone(),
            voter_phone: o.voter_phone.clone(),
            consent: o.consent,
            received_by: o.received_by.clone().unwrap_or_default(),
            activity_id: o.activity_id.clone().unwrap_or_default(),
            draft_id: o.draft_id.clone().unwrap_or_default(),
            article_id: o.article_id.clone().unwrap_or_default(),
        }
    }
}

impl ReferralInput {
    /// The deadline must fall after `today` and within [`MAX_DEADLINE_DAYS`]. Returns
    /// (department, deadline, content as typed, note); the store fills in the rest.
    pub fn validate(
        &self,
        today: NaiveDate,
    ) -> Result<(String, NaiveDate, String, String), Vec<FieldError>> {
        let mut c = Check::new(today);
        c.id(Field::Opinion, &self.opinion_id);
        let department = c.id(Field::Department, &self.department_id);
        let deadline = c.any_date(Field::Deadline, &self.deadline).and_then(|d| {
            if d <= today {
                c.fail(Field::Deadline, Problem::TooEarly);
                None
            } else if d > today + chrono::Days::new(MAX_DEADLINE_DAYS) {
                c.fail(Field::Deadline, Problem::TooLarge);
                None
            } else {
                Some(d)
            }
        });
        let content = c.text(Field::Content, &self.content, MAX_TEXT_CHARS, false);
        let note = c.text(Field::Note, &self.note, MAX_SUMMARY_CHARS, false);
        c.finish(deadline.map(|d| (department, d, content, note)))
    }
}

impl AnswerInput {
    /// An answer marked answered must say something.
    pub fn validate(&self, today: NaiveDate) -> Result<(NaiveDate, String), Vec<FieldError>> {
        let mut c = Check::new(today);
        c.id(Field::Referral, &self.referral_id);
        let date = c.date(Field::Date, &self.date);
        let required = self.status == AnswerStatus::Answered;
        let text = c.text(Field::Answer, &self.text, MAX_TEXT_CHARS, required);
        c.finish(date.map(|d| (d, text)))
    }
}

impl FeedbackInput {
    pub fn validate(&self, today: NaiveDate) -> Result<(NaiveDate, String), Vec<FieldError>> {
        let mut c = Check::new(today);
        c.id(Field::Opinion, &self.opinion_id);
        let date = c.date(Field::Date, &self.date);
        let text = c.text(Field::Feedback, &self.text, MAX_TEXT_CHARS, true);
        c.finish(date.map(|d| (d, text)))
    }
}

impl RecordForm for SuggestionInput {
    const KIND: &'static str = "suggestion";
    type Record = DeputySuggestion;

    fn validate(&self, today: NaiveDate) -> Result<DeputySuggestion, Vec<FieldError>> {
        let mut c = Check::new(today);
        let station_id = c.id(Field::Station, &self.station_id);
        let date = c.date(Field::Date, &self.date);
        let title = c.text(Field::Title, &self.title, MAX_SHORT_CHARS, true);
        let content = c.text(Field::Content, &self.content, MAX_TEXT_CHARS, true);
        let deputy_ids = c.ids(Field::Deputies, &self.deputy_ids, true);
        let opinion_ids = c.ids(Field::Opinions, &self.opinion_ids, false);
        let value = date.map(|date| DeputySuggestion {
            id: String::new(),
            station_id,
            date,
            title,
            content,
            deputy_ids,
            opinion_ids,
            department_id: Check::optional_id(&self.department_id),
            supervised: self.supervised,
        });
        c.finish(value)
    }

    fn references(s: &DeputySuggestion) -> Vec<Reference<'_>> {
        std::iter::once(Reference::new(
            Field::Station,
            Referent::Station,
            &s.station_id,
        ))
        .chain(Reference::each(
            Field::Deputies,
            Referent::Deputy,
            &s.deputy_ids,
        ))
        .chain(Reference::each(
            Field::Opinions,
            Referent::Opinion,
            &s.opinion_ids,
        ))
        .chain(
            s.department_id
                .as_deref()
                .map(|id| Reference::new(Field::Department, Referent::Department, id)),
        )
        .collect()
    }
}

impl RecordForm for LeadInput {
    const KIND: &'static str = "lead";
    type Record = LivelihoodLead;

    fn validate(&self, today: NaiveDate) -> Result<LivelihoodLead, Vec<FieldError>> {
        let mut c = Check::new(today);
        let station_id = c.id(Field::Station, &self.station_id);
        let date = c.date(Field::Date, &self.date);
        let title = c.text(Field::Title, &self.title, MAX_SHORT_CHARS, true);
        let content = c.text(Field::Content, &self.content, MAX_TEXT_CHARS, true);
        let opinion_ids = c.ids(Field::Opinions, &self.opinion_ids, true);
        let value = date.map(|date| LivelihoodLead {
            id: String::new(),
            station_id,
            date,
            title,
            content,
            opinion_ids,
        });
        c.finish(value)
    }

    fn references(l: &LivelihoodLead) -> Vec<Reference<'_>> {
        std::iter::once(Reference::new(
            Field::Station,
            Referent::Station,
            &l.station_id,
        ))
        .chain(Reference::each(
            Field::Opinions,
            Referent::Opinion,
            &l.opinion_ids,
        ))
        .collect()
    }
}
