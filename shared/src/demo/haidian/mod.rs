//! 海淀区 as a lived-in demo district: its 29 streets and towns with every home, liaison
//! station and deputy ([`directory`]), and a year 2022 of records generated from a seed
//! ([`year`]) whose headline figures are those of the district's 2022 work report.
//!
//! Plain data only (model types, chrono and a seeded ChaCha generator): it builds without
//! the `store` feature. The sync server writes the records into documents
//! (`SqliteStorage::load_records_if_missing`, through `shared::demo::documents`, which
//! needs the `store` feature).
//!
//! # The figures that come out exactly, whatever the seed
//! Counting rules (the same as the statistics screen's):
//! - an **attendance** (人次) is one deputy at one activity; a deputy who sits at several
//!   levels counts once at *each* level held, so levels can add up to more than the
//!   attendances;
//! - **deputies** counts distinct people;
//! - **voters received** (and a consultation's citizens) is the sum of the activities'
//!   `voters_received`.
//!
//! | what | records | figure |
//! |---|---|---|
//! | 进站见选民 | `VoterMeeting` activities with `campaign_id` [`VOTER_MEETING_CAMPAIGN`] (all in January) | 330 deputies, 4,655 voters received, some online (云见面) |
//! | 回家站听意见 | `HomeListening` activities with `campaign_id` [`HOME_LISTENING_CAMPAIGN`] (Sep 15 – Oct 15) | stations of 25 streets/towns, 363 deputies |
//! | 征求立法意见 | `LegislativeConsultation` activities with `draft_id` [`DRAFT_ID`] | attendances 257 city, 1,375 district, 1,412 town; 21,936 citizens; 1,472 opinions on the draft's articles |
//! | 紫竹院 home ([`MODEL_HOME`]) | every activity and opinion of the year at the station | 16 activities, 312 voters received, 78 opinions |
//!
//! No other activity of a campaign's kind falls in its window untagged, and no other
//! opinion names the draft, so the app's campaign and consultation views count the same.
//!
//! The rest of the year is lived in, not counted: monthly reception days and voter
//! meetings (most deputies keep 月进站 most months, with gaps), a 回家 listening at each
//! street's or town's home every quarter (季回家), duty reports (年述职) in November and
//! December from most deputies, training, inspections, bureau and prosecutor visits;
//! opinions referred to the department of their topic, answered, fed back, some left
//! unreferred or overdue; deputy suggestions and livelihood leads formed from a station's
//! opinions.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{Datelike as _, Days, NaiveDate};
use rand::seq::{IndexedRandom as _, SliceRandom as _};
use rand::{Rng as _, SeedableRng as _};
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};

use crate::model::{
    Activity, ActivityKind, Answer, AnswerStatus, Campaign, Department, Deputy, DeputyLevel,
    DeputySuggestion, Directory, LivelihoodLead, Opinion, OpinionCategory, Referral, Rhythm,
    Satisfaction, Station, StationKind, StationStaff, Subdistrict, SubdistrictKind,
};

/// The year the records are of.
pub const YEAR: i32 = 2022;
/// The seed the sync server's demo loads (`load-demo`, `demo-accounts`).
pub const DEMO_SEED: u64 = 2022;
/// 进站见选民, January 2022, every station.
pub const VOTER_MEETING_CAMPAIGN: &str = "cmp-2022-voter-meeting";
/// 回家站听意见, 15 September – 15 October 2022 (the small demo's campaign id).
pub const HOME_LISTENING_CAMPAIGN: &str = "cmp-2022-home-listening";
/// 北京市接诉即办条例(草案), out for consultation in June and July.
pub const DRAFT_ID: &str = "draft-jiesujiban";
/// The home whose year the report gives as an example (紫竹院街道人大代表之家).
pub const MODEL_HOME: &str = "st-zizhuyuan-home";

/// City deputies (市人大代表); a person on two levels counts at both.
pub const CITY_DEPUTIES: usize = 96;
/// District deputies (区人大代表).
pub const DISTRICT_DEPUTIES: usize = 443;
/// Town deputies (镇人大代表), only in the seven towns.
pub const TOWN_DEPUTIES: usize = 475;
/// People who sit at two levels.
const CITY_AND_DISTRICT: usize = 30;
const DISTRICT_AND_TOWN: usize = 60;

/// 进站见选民: distinct deputies.
pub const VOTER_MEETING_DEPUTIES: usize = 330;
/// 进站见选民: voters received.
pub const VOTER_MEETING_VOTERS: u32 = 4_655;
/// 回家站听意见: streets and towns whose stations held it.
pub const HOME_LISTENING_SUBDISTRICTS: usize = 25;
/// 回家站听意见: distinct deputies.
pub const HOME_LISTENING_DEPUTIES: usize = 363;
/// The consultation round: attendances (人次) of city deputies.
pub const CONSULTATION_CITY: u32 = 257;
/// The consultation round: attendances of district deputies.
pub const CONSULTATION_DISTRICT: u32 = 1_375;
/// The consultation round: attendances of town deputies.
pub const CONSULTATION_TOWN: u32 = 1_412;
/// The consultation round: citizens taking part (the activities' voters received).
pub const CONSULTATION_CITIZENS: u32 = 21_936;
/// The consultation round: opinions on the draft's articles.
pub const CONSULTATION_OPINIONS: u32 = 1_472;
/// The model home's year: activities.
pub const MODEL_HOME_ACTIVITIES: usize = 16;
/// The model home's year: voters received.
pub const MODEL_HOME_VOTERS: u32 = 312;
/// The model home's year: opinions (of every kind, on the draft included).
pub const MODEL_HOME_OPINIONS: u32 = 78;

/// The seed of the directory's invented names and placements (the directory is fixed).
const DIRECTORY_SEED: u64 = 0x004a_6961_7a68_616e;

/// A year of a district's records.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct YearRecords {
    pub activities: Vec<Activity>,
    pub opinions: Vec<Opinion>,
    pub referrals: Vec<Referral>,
    pub answers: Vec<Answer>,
    pub suggestions: Vec<DeputySuggestion>,
    pub leads: Vec<LivelihoodLead>,
}

impl YearRecords {
    /// Records of every kind together.
    pub fn count(&self) -> usize {
        self.activities.len()
            + self.opinions.len()
            + self.referrals.len()
            + self.answers.len()
            + self.suggestions.len()
            + self.leads.len()
    }
}

// ---------------------------------------------------------------------------------------
// Dates and chances, for the directory and the year.

fn date(month: u32, day: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(YEAR, month, day).expect("a date of the year")
}

fn days_in_month(month: u32) -> u32 {
    let next = if month == 12 {
        NaiveDate::from_ymd_opt(YEAR + 1, 1, 1)
    } else {
        NaiveDate::from_ymd_opt(YEAR, month + 1, 1)
    };
    next.expect("a month").pred_opt().expect("a day").day()
}

fn date_in(rng: &mut ChaCha8Rng, from: NaiveDate, to: NaiveDate) -> NaiveDate {
    let span = (to - from).num_days().max(0) as u64;
    from + Days::new(rng.random_range(0..=span))
}

fn later(d: NaiveDate, days: u64) -> NaiveDate {
    d + Days::new(days)
}

/// An index drawn with the given (non-negative, not all zero) weights.
fn pick_weighted(rng: &mut ChaCha8Rng, weights: &[f64]) -> usize {
    let total: f64 = weights.iter().sum();
    let mut x = rng.random::<f64>() * total;
    for (i, w) in weights.iter().enumerate() {
        if x < *w {
            return i;
        }
        x -= w;
    }
    weights.iter().rposition(|w| *w > 0.0).unwrap_or(0)
}

/// `total` split in proportion to `weights` (largest remainders, exactly `total`).
fn split_exact(total: u32, weights: &[f64]) -> Vec<u32> {
    let units: Vec<u64> = weights
        .iter()
        .map(|w| (w.max(0.0) * 1_000_000.0).round() as u64)
        .collect();
    let sum: u64 = units.iter().sum();
    if sum == 0 {
        assert_eq!(total, 0, "nothing to split {total} over");
        return vec![0; weights.len()];
    }
    let total64 = u64::from(total);
    let mut out: Vec<u32> = units
        .iter()
        .map(|u| u32::try_from(total64 * u / sum).expect("a part of a u32"))
        .collect();
    let mut rest: Vec<(u64, usize)> = units
        .iter()
        .enumerate()
        .map(|(i, u)| (total64 * u % sum, i))
        .collect();
    rest.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
    let given: u32 = out.iter().sum();
    for (_, i) in rest.into_iter().take((total - given) as usize) {
        out[i] += 1;
    }
    out
}

/// `items` dealt into as few groups of at most `max` as will do, sizes balanced.
fn groups_of(items: Vec<usize>, max: usize) -> Vec<Vec<usize>> {
    let n = items.len().div_ceil(max).max(1);
    let mut out = vec![Vec::new(); n];
    for (i, x) in items.into_iter().enumerate() {
        out[i % n].push(x);
    }
    out.retain(|g| !g.is_empty());
    out
}

mod directory;
mod year;

pub use directory::directory;
pub use year::year;

#[cfg(test)]
mod tests;
