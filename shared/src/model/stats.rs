//! What coordinators report: the statistics of a period, a deputy's duty record
//! (履职档案) and the yearly duty report (年度履职报告).
//!
//! Every figure is counted from the projection tables (`Store::statistics`), never by
//! loading documents. The counting rules, written once here:
//! - An **attendance** (人次) is one deputy at one activity.
//! - **Attendances by level**: a deputy who sits at several levels (a city and a district
//!   deputy, say) counts once at *each* level held, as the district's reports count them
//!   ("257 attendances of city deputies, 1,375 of district deputies"), so the levels can
//!   add up to more than the attendances.
//! - **Deputies** (distinct) counts each person once in the period, whatever their levels
//!   and however often they came; by level, once at each level held.
//! - **Voters received** (人次) is the sum of the activities' `voters_received`, split into
//!   on site and online (云见面: an activity held online).
//! - An opinion counts in the period of its date; its status is as of today.
//! - **Days to an answer**: from a referral to the first answer that says answered.

use chrono::{Datelike as _, NaiveDate};
use serde::{Deserialize, Serialize};

use super::{
    ActivityKind, ActivitySummary, DeputyLevel, Field, FieldError, OpinionCategory, OpinionStatus,
    Problem, Satisfaction,
};

/// A file format of the exports: the register and the ledger go as xlsx or CSV, the
/// statistics as xlsx, the yearly report as PDF.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ExportFormat {
    Xlsx,
    Csv,
    Pdf,
}

impl ExportFormat {
    pub fn extension(self) -> &'static str {
        match self {
            ExportFormat::Xlsx => "xlsx",
            ExportFormat::Csv => "csv",
            ExportFormat::Pdf => "pdf",
        }
    }
}

/// Which rhythm of "月进站、季回家、年述职" an activity of a kind keeps.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Rhythm {
    /// 月进站: at a station with voters this month.
    Month,
    /// 季回家: back at the home to listen this quarter.
    Quarter,
    /// 年述职: the yearly duty report.
    Year,
}

impl ActivityKind {
    /// The rhythm an attendance at an activity of this kind keeps, if any: meeting
    /// voters, reception days, bureau or prosecutor visits and legislative consultation
    /// are 月进站; 回家站听意见 is 季回家; 年度述职 is 年述职. Training and inspections
    /// keep none.
    pub fn rhythm(self) -> Option<Rhythm> {
        use ActivityKind::*;
        match self {
            VoterMeeting
            | ReceptionDay
            | BureauVisit
            | ProsecutorVisit
            | LegislativeConsultation => Some(Rhythm::Month),
            HomeListening => Some(Rhythm::Quarter),
            DutyReport => Some(Rhythm::Year),
            Training | Inspection => None,
        }
    }

    /// The kinds that keep `rhythm`.
    pub fn keeping(rhythm: Rhythm) -> Vec<ActivityKind> {
        ActivityKind::ALL
            .into_iter()
            .filter(|k| k.rhythm() == Some(rhythm))
            .collect()
    }
}

/// Which records the statistics count: dates (inclusive), narrowed to a campaign's or a
/// consultation's activities and opinions, and to a street/town or a station. A device
/// only ever holds its account's scope, so a station's account sees its station, a
/// coordinator their street or town, the district office everything.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct StatsQuery {
    pub from: Option<NaiveDate>,
    pub to: Option<NaiveDate>,
    /// Only the campaign's activities, and the opinions received at them.
    pub campaign_id: Option<String>,
    /// Only the consultation's activities and the opinions on its draft.
    pub draft_id: Option<String>,
    pub subdistrict_id: Option<String>,
    pub station_id: Option<String>,
}

impl StatsQuery {
    /// The whole of `year`.
    pub fn year(year: i32) -> StatsQuery {
        StatsQuery {
            from: NaiveDate::from_ymd_opt(year, 1, 1),
            to: NaiveDate::from_ymd_opt(year, 12, 31),
            ..StatsQuery::default()
        }
    }

    /// Refuses dates the wrong way round.
    pub fn check(&self) -> Result<(), Vec<FieldError>> {
        match (self.from, self.to) {
            (Some(from), Some(to)) if from > to => Err(vec![FieldError {
                field: Field::Date,
                problem: Problem::TooEarly,
            }]),
            _ => Ok(()),
        }
    }
}

/// The headline figures of one place (or of everything the query covers).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Figures {
    pub activities: u64,
    /// Deputy attendances (人次).
    pub attendances: u64,
    /// Distinct deputies who attended.
    pub deputies: u64,
    /// Voters received at activities held on site.
    pub voters_on_site: u64,
    /// Voters received at activities held online (云见面).
    pub voters_online: u64,
    pub opinions: u64,
    /// Opinions voters sent from the station's public page (线上).
    pub opinions_online: u64,
    /// Opinions answered or fed back (as of today).
    pub answered: u64,
    /// Referred opinions past their deadline without an answer (as of today).
    pub overdue: u64,
    pub suggestions: u64,
    pub leads: u64,
}

impl Figures {
    pub fn voters(&self) -> u64 {
        self.voters_on_site + self.voters_online
    }
}

/// A street/town or a station, with its figures.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PlaceFigures {
    pub id: String,
    pub name: String,
    /// The street or town a station is in (none for a street or town).
    pub subdistrict: Option<String>,
    pub figures: Figures,
}

/// One month of a period.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct MonthFigures {
    /// `YYYY-MM`.
    pub month: String,
    pub activities: u64,
    pub attendances: u64,
    pub voters: u64,
    pub opinions: u64,
}

/// A department's referrals in the period.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct DepartmentFigures {
    pub id: String,
    pub name: String,
    pub referred: u64,
    pub answered: u64,
    pub overdue: u64,
    /// The median days from referral to answer, over those answered.
    pub median_days: Option<f64>,
}

/// Everything the statistics screen shows for one query.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Statistics {
    pub query: StatsQuery,
    pub totals: Figures,
    pub activities_by_kind: Vec<(ActivityKind, u64)>,
    /// Attendances at each level (a deputy on several levels counts at each).
    pub attendances_by_level: Vec<(DeputyLevel, u64)>,
    /// Distinct deputies at each level.
    pub deputies_by_level: Vec<(DeputyLevel, u64)>,
    pub opinions_by_category: Vec<(OpinionCategory, u64)>,
    pub opinions_by_status: Vec<(OpinionStatus, u64)>,
    pub satisfaction: Vec<(Satisfaction, u64)>,
    pub referrals_by_department: Vec<DepartmentFigures>,
    /// The median days from referral to answer, over every answered referral.
    pub median_days_to_answer: Option<f64>,
    /// Deputy suggestions whose handling is supervised (督办).
    pub supervised_suggestions: u64,
    /// By street or town (for the district office).
    pub by_subdistrict: Vec<PlaceFigures>,
    /// By station.
    pub by_station: Vec<PlaceFigures>,
    pub by_month: Vec<MonthFigures>,
}

/// A deputy's year (履职档案): what they attended, and the rhythm kept.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DutyRecord {
    pub deputy_id: String,
    pub name: String,
    pub levels: Vec<DeputyLevel>,
    pub station_id: String,
    pub station_name: String,
    pub year: i32,
    /// Activities attended, newest first.
    pub activities: Vec<ActivitySummary>,
    /// Voters received at the activities attended.
    pub voters_met: u64,
    /// Opinions received by the deputy or at activities they attended.
    pub opinions: u64,
    /// Of those, answered or fed back.
    pub opinions_answered: u64,
    /// Suggestions the deputy put forward: (date, title, supervised).
    pub suggestions: Vec<(NaiveDate, String, bool)>,
    /// 月进站 for each month, January first.
    pub months: [bool; 12],
    /// 季回家 for each quarter.
    pub quarters: [bool; 4],
    /// 年述职 given this year.
    pub duty_report: bool,
    /// The yearly report saved for this year, if any.
    pub report_id: Option<String>,
}

impl DutyRecord {
    /// The months and quarters that count so far, as of `today` (a future month is
    /// neither kept nor missed).
    pub fn elapsed(&self, today: NaiveDate) -> (usize, usize) {
        if today.year() > self.year {
            (12, 4)
        } else if today.year() < self.year {
            (0, 0)
        } else {
            (today.month() as usize, today.month0() as usize / 3 + 1)
        }
    }
}

/// The longest yearly report, in characters.
pub const MAX_REPORT_CHARS: usize = 20_000;

/// A deputy's yearly duty report (年度履职报告): drafted from the duty record, edited in
/// the app, kept with its history in the station's document of the month it was first
/// saved. Paragraphs are separated by blank lines; a line starting with `#` is a heading.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[cfg_attr(
    feature = "store",
    derive(autosurgeon::Reconcile, autosurgeon::Hydrate)
)]
pub struct YearReport {
    pub id: String,
    /// The deputy whose report it is.
    pub deputy_id: String,
    /// The deputy's station.
    pub station_id: String,
    /// The year it reports on.
    pub year: i32,
    /// When it was first saved.
    #[cfg_attr(feature = "store", autosurgeon(with = "crate::model::am_date"))]
    pub date: NaiveDate,
    /// Its title.
    pub title: String,
    /// Its text.
    pub text: String,
}

/// What the report editor holds.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct YearReportInput {
    pub deputy_id: String,
    pub year: i32,
    pub title: String,
    pub text: String,
}

impl YearReportInput {
    /// Checks the title and text; the deputy, station and year are checked by the store.
    pub fn check(&self) -> Result<(), Vec<FieldError>> {
        let mut errors = Vec::new();
        let title = self.title.trim();
        if title.is_empty() {
            errors.push(FieldError::new(Field::Title, Problem::Required));
        } else if title.chars().count() > super::MAX_SHORT_CHARS {
            errors.push(FieldError::new(Field::Title, Problem::TooLong));
        }
        let text = self.text.trim();
        if text.is_empty() {
            errors.push(FieldError::new(Field::Content, Problem::Required));
        } else if text.chars().count() > MAX_REPORT_CHARS {
            errors.push(FieldError::new(Field::Content, Problem::TooLong));
        }
        if !(2000..=9999).contains(&self.year) {
            errors.push(FieldError::new(Field::Date, Problem::Unknown));
        }
        if errors.is_empty() {
            Ok(())
        } else {
            Err(errors)
        }
    }
}

/// A report split for the PDF: its title, then sections of a heading (lines starting
/// with `#`) and paragraphs (separated by blank lines).
pub fn report_sections(text: &str) -> Vec<(Option<String>, Vec<String>)> {
    let mut sections: Vec<(Option<String>, Vec<String>)> = vec![(None, Vec::new())];
    let mut paragraph = String::new();
    let flush = |paragraph: &mut String, sections: &mut Vec<(Option<String>, Vec<String>)>| {
        let p = paragraph.trim();
        if !p.is_empty() {
            sections
                .last_mut()
                .expect("one section")
                .1
                .push(p.to_owned());
        }
        paragraph.clear();
    };
    for line in text.lines() {
        let line = line.trim();
        if let Some(heading) = line.strip_prefix('#') {
            flush(&mut paragraph, &mut sections);
            sections.push((
                Some(heading.trim_start_matches('#').trim().to_owned()),
                Vec::new(),
            ));
        } else if line.is_empty() {
            flush(&mut paragraph, &mut sections);
        } else {
            paragraph.push_str(line);
        }
    }
    flush(&mut paragraph, &mut sections);
    sections.retain(|(h, p)| h.is_some() || !p.is_empty());
    sections
}
