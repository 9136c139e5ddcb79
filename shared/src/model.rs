//! The domain types the app shows and the rules that validate what a user typed.
//!
//! This module is plain data plus validation, with no storage and no I/O, so the wasm UI
//! can use exactly these types for its Tauri command arguments and results. Input moves
//! in two steps: a raw `*Input` (what the form holds, strings included) is validated into
//! a record type, or refused with one [`FieldError`] per offending field.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

/// The largest number of voters one meeting can record. The busiest reported month
/// (January 2022) received 4,655 voters across the whole district.
pub const MAX_VOTERS_RECEIVED: u32 = 10_000;
/// The longest summary, in characters (not bytes).
pub const MAX_SUMMARY_CHARS: usize = 500;
/// The earliest date a meeting can carry.
pub const EARLIEST_MEETING_DATE: NaiveDate = match NaiveDate::from_ymd_opt(2000, 1, 1) {
    Some(d) => d,
    None => panic!("valid date"),
};

/// A street (街道) or a town (镇) of the district.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(
    feature = "store",
    derive(autosurgeon::Reconcile, autosurgeon::Hydrate)
)]
pub struct Subdistrict {
    pub id: String,
    pub name: String,
    pub kind: SubdistrictKind,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(
    feature = "store",
    derive(autosurgeon::Reconcile, autosurgeon::Hydrate)
)]
pub enum SubdistrictKind {
    Street,
    Town,
}

/// A deputy home (人大代表之家) or liaison station (人大代表联络站).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(
    feature = "store",
    derive(autosurgeon::Reconcile, autosurgeon::Hydrate)
)]
pub struct Station {
    pub id: String,
    pub name: String,
    pub kind: StationKind,
    pub subdistrict_id: String,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(
    feature = "store",
    derive(autosurgeon::Reconcile, autosurgeon::Hydrate)
)]
pub enum StationKind {
    Home,
    LiaisonPoint,
}

/// A people's-congress deputy (人大代表), grouped into one station.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(
    feature = "store",
    derive(autosurgeon::Reconcile, autosurgeon::Hydrate)
)]
pub struct Deputy {
    pub id: String,
    pub name: String,
    /// Levels the person sits at; at least one.
    pub levels: Vec<DeputyLevel>,
    pub station_id: String,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(
    feature = "store",
    derive(autosurgeon::Reconcile, autosurgeon::Hydrate)
)]
pub enum DeputyLevel {
    City,
    District,
    Town,
}

/// The reference data every device needs before it can record anything.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(
    feature = "store",
    derive(autosurgeon::Reconcile, autosurgeon::Hydrate)
)]
pub struct Directory {
    pub subdistricts: Vec<Subdistrict>,
    pub stations: Vec<Station>,
    pub deputies: Vec<Deputy>,
}

/// What the voter-meeting form holds, exactly as typed.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct VoterMeetingInput {
    pub station_id: String,
    /// `YYYY-MM-DD`.
    pub date: String,
    pub deputy_ids: Vec<String>,
    /// Digits as typed; empty when the field is blank.
    pub voters_received: String,
    pub summary: String,
}

/// A validated voter meeting (进站见选民).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct VoterMeeting {
    pub station_id: String,
    pub date: NaiveDate,
    pub deputy_ids: Vec<String>,
    pub voters_received: u32,
    pub summary: String,
}

impl From<&VoterMeeting> for VoterMeetingInput {
    /// The form's view of a stored meeting (what the edit form shows).
    fn from(m: &VoterMeeting) -> Self {
        VoterMeetingInput {
            station_id: m.station_id.clone(),
            date: m.date.to_string(),
            deputy_ids: m.deputy_ids.clone(),
            voters_received: m.voters_received.to_string(),
            summary: m.summary.clone(),
        }
    }
}

/// One row of the meeting list, read from the projection (never from a document).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct MeetingSummary {
    pub id: String,
    pub station_id: String,
    pub station_name: String,
    pub date: NaiveDate,
    pub deputy_names: Vec<String>,
    pub voters_received: u32,
    pub summary: String,
    /// True while this device holds changes to the record the server has not acknowledged.
    pub pending_sync: bool,
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

/// One field's change, with values as the user reads them (names, not ids).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FieldChange {
    pub field: Field,
    pub old: Option<String>,
    pub new: String,
}

/// The fields of the voter-meeting form, for error messages next to the field.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Field {
    Station,
    Date,
    Deputies,
    VotersReceived,
    Summary,
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

impl VoterMeetingInput {
    /// Checks everything that needs no stored data; `today` is the device's local date.
    /// Whether the station and deputies exist is checked by the store.
    pub fn validate(&self, today: NaiveDate) -> Result<VoterMeeting, Vec<FieldError>> {
        let mut errors = Vec::new();
        let mut fail = |field, problem| errors.push(FieldError::new(field, problem));

        let station_id = self.station_id.trim().to_owned();
        if station_id.is_empty() {
            fail(Field::Station, Problem::Required);
        }

        let date = match self.date.trim() {
            "" => {
                fail(Field::Date, Problem::Required);
                None
            }
            raw => match NaiveDate::parse_from_str(raw, "%Y-%m-%d") {
                Err(_) => {
                    fail(Field::Date, Problem::Unknown);
                    None
                }
                // "A day" of slack: a device near midnight, or a clock a little behind.
                Ok(d) if d > today + chrono::Days::new(1) => {
                    fail(Field::Date, Problem::InFuture);
                    None
                }
                Ok(d) if d < EARLIEST_MEETING_DATE => {
                    fail(Field::Date, Problem::TooEarly);
                    None
                }
                Ok(d) => Some(d),
            },
        };

        let mut deputy_ids: Vec<String> = Vec::new();
        for id in &self.deputy_ids {
            let id = id.trim();
            if !id.is_empty() && !deputy_ids.iter().any(|d| d == id) {
                deputy_ids.push(id.to_owned());
            }
        }
        if deputy_ids.is_empty() {
            fail(Field::Deputies, Problem::Required);
        }

        let voters = match self.voters_received.trim() {
            "" => {
                fail(Field::VotersReceived, Problem::Required);
                None
            }
            raw => match raw.parse::<i64>() {
                Err(_) => {
                    fail(Field::VotersReceived, Problem::NotANumber);
                    None
                }
                Ok(n) if n < 0 => {
                    fail(Field::VotersReceived, Problem::Negative);
                    None
                }
                Ok(n) if n > i64::from(MAX_VOTERS_RECEIVED) => {
                    fail(Field::VotersReceived, Problem::TooLarge);
                    None
                }
                Ok(n) => u32::try_from(n).ok(),
            },
        };

        let summary = self.summary.trim().to_owned();
        if summary.is_empty() {
            fail(Field::Summary, Problem::Required);
        } else if summary.chars().count() > MAX_SUMMARY_CHARS {
            fail(Field::Summary, Problem::TooLong);
        }

        match (date, voters) {
            (Some(date), Some(voters_received)) if errors.is_empty() => Ok(VoterMeeting {
                station_id,
                date,
                deputy_ids,
                voters_received,
                summary,
            }),
            _ => Err(errors),
        }
    }
}

/// What the app shows about synchronisation.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SyncStatus {
    pub server_url: String,
    /// RFC 3339 time of the last successful sync, if any.
    pub last_success: Option<String>,
    /// Records with changes the server has not acknowledged.
    pub pending_records: u64,
    pub last_error: Option<AppError>,
}

/// The result of one sync.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SyncReport {
    /// Local changes the server acknowledged.
    pub sent_changes: u64,
    /// Changes received from the server.
    pub received_changes: u64,
    /// Records that changed on this device because of the sync.
    pub updated_records: u64,
}

/// The one error type a Tauri command returns; the UI shows it in Chinese.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
#[serde(tag = "kind", rename_all = "snake_case")]
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
    /// The server answered with an error.
    #[error("server error {status}: {detail}")]
    Server { status: u16, detail: String },
    /// Local storage failed; the detail is for logs and bug reports.
    #[error("storage error: {detail}")]
    Storage { detail: String },
}

#[cfg(test)]
mod tests {
    use super::*;

    fn today() -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 11, 25).unwrap()
    }

    fn good() -> VoterMeetingInput {
        VoterMeetingInput {
            station_id: "st-zzy-home".into(),
            date: "2026-11-24".into(),
            deputy_ids: vec!["dep-1".into(), "dep-2".into()],
            voters_received: "12".into(),
            summary: "停车难问题".into(),
        }
    }

    /// Applies `edit` to a good input and checks the resulting errors.
    fn check(edit: impl FnOnce(&mut VoterMeetingInput), expected: &[(Field, Problem)]) {
        let mut input = good();
        edit(&mut input);
        let got = match input.validate(today()) {
            Ok(_) => vec![],
            Err(e) => e.into_iter().map(|e| (e.field, e.problem)).collect(),
        };
        assert_eq!(got, expected, "input: {input:?}");
    }

    #[test]
    fn good_input_is_accepted_and_trimmed() {
        let mut input = good();
        input.summary = "  停车难问题 \n".into();
        input.deputy_ids.push("dep-1".into());
        let m = input.validate(today()).unwrap();
        assert_eq!(m.summary, "停车难问题");
        assert_eq!(m.voters_received, 12);
        assert_eq!(m.deputy_ids, ["dep-1", "dep-2"]);
    }

    #[test]
    fn each_bad_field_is_named() {
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
        check(|i| i.station_id = "".into(), &[(Station, Required)]);
        check(|i| i.deputy_ids = vec![" ".into()], &[(Deputies, Required)]);
        check(
            |i| {
                i.voters_received = "-1".into();
                i.summary = "".into();
            },
            &[(VotersReceived, Negative), (Summary, Required)],
        );
    }

    #[test]
    fn a_meeting_round_trips_through_its_form() {
        let m = good().validate(today()).unwrap();
        assert_eq!(VoterMeetingInput::from(&m).validate(today()), Ok(m));
    }

    #[test]
    fn app_error_serializes_with_a_kind_tag() {
        let e = AppError::Invalid {
            fields: vec![FieldError::new(Field::VotersReceived, Problem::Negative)],
        };
        let json = serde_json::to_value(&e).unwrap();
        assert_eq!(json["kind"], "invalid");
        assert_eq!(json["fields"][0]["field"], "voters_received");
        assert_eq!(json["fields"][0]["problem"], "negative");
    }
}
