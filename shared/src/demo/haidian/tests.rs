use std::collections::{BTreeMap, BTreeSet};

use chrono::NaiveDate;

use super::{DRAFT_ID, HOME_LISTENING_CAMPAIGN, MODEL_HOME, VOTER_MEETING_CAMPAIGN};
use crate::model::*;

fn d(m: u32, day: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(2022, m, day).unwrap()
}

/// The rule of `crate::doc::is_valid_id` (which needs the `store` feature).
fn valid_id(id: &str) -> bool {
    !id.is_empty()
        && id.len() <= 64
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

fn has(d: &Deputy, l: DeputyLevel) -> bool {
    d.levels.contains(&l)
}

#[test]
fn the_directory_is_the_districts() {
    let dir = super::directory();
    assert_eq!(dir, super::directory(), "always the same");
    let streets: Vec<&Subdistrict> = dir
        .subdistricts
        .iter()
        .filter(|s| s.kind == SubdistrictKind::Street)
        .collect();
    let towns: Vec<&Subdistrict> = dir
        .subdistricts
        .iter()
        .filter(|s| s.kind == SubdistrictKind::Town)
        .collect();
    assert_eq!(dir.subdistricts.len(), 29);
    assert_eq!(streets.len(), 22);
    assert_eq!(towns.len(), 7);
    assert!(streets.iter().all(|s| s.name.ends_with("街道")));
    assert!(towns.iter().all(|s| s.name.ends_with('镇')));
    let homes: Vec<&Station> = dir
        .stations
        .iter()
        .filter(|s| s.kind == StationKind::Home)
        .collect();
    assert_eq!(homes.len(), 29);
    let with_home: BTreeSet<&str> = homes.iter().map(|s| s.subdistrict_id.as_str()).collect();
    assert_eq!(with_home.len(), 29, "one home in each street and town");
    assert_eq!(
        dir.stations
            .iter()
            .filter(|s| s.kind == StationKind::LiaisonPoint)
            .count(),
        103
    );
    // Deputies per level, a person on two levels counted at both.
    let at = |l| dir.deputies.iter().filter(|d| has(d, l)).count();
    assert_eq!(at(DeputyLevel::City), 96);
    assert_eq!(at(DeputyLevel::District), 443);
    assert_eq!(at(DeputyLevel::Town), 475);
    let two = |a, b| {
        dir.deputies
            .iter()
            .filter(|d| has(d, a) && has(d, b))
            .count()
    };
    assert_eq!(two(DeputyLevel::City, DeputyLevel::District), 30);
    assert_eq!(two(DeputyLevel::District, DeputyLevel::Town), 60);
    let sub_of: BTreeMap<&str, &str> = dir
        .stations
        .iter()
        .map(|s| (s.id.as_str(), s.subdistrict_id.as_str()))
        .collect();
    let town_ids: BTreeSet<&str> = towns.iter().map(|s| s.id.as_str()).collect();
    for p in &dir.deputies {
        let sub = sub_of[p.station_id.as_str()];
        assert!(!p.levels.is_empty());
        if has(p, DeputyLevel::Town) {
            assert!(town_ids.contains(sub), "{p:?}: a town deputy in a street");
        }
    }
    for s in &dir.stations {
        assert!(sub_of.contains_key(s.id.as_str()));
        assert!(
            dir.deputies.iter().any(|p| p.station_id == s.id),
            "{} has no deputy",
            s.id
        );
        let staff = dir.staff.iter().filter(|x| x.station_id == s.id).count();
        assert!((1..=2).contains(&staff), "{}: {staff} staff", s.id);
    }
    let names: Vec<&str> = dir.deputies.iter().map(|p| p.name.as_str()).collect();
    let distinct: BTreeSet<&str> = names.iter().copied().collect();
    assert!(
        names.len() - distinct.len() <= 5,
        "duplicate names are rare"
    );
    assert!(names.iter().all(|n| (2..=3).contains(&n.chars().count())));
    let ids = dir
        .subdistricts
        .iter()
        .map(|x| &x.id)
        .chain(dir.stations.iter().map(|x| &x.id))
        .chain(dir.deputies.iter().map(|x| &x.id))
        .chain(dir.staff.iter().map(|x| &x.id))
        .chain(dir.departments.iter().map(|x| &x.id))
        .chain(dir.campaigns.iter().map(|x| &x.id));
    let mut seen = BTreeSet::new();
    for id in ids {
        assert!(valid_id(id), "{id}");
        assert!(seen.insert(id), "{id} twice");
    }
    assert!(dir.departments.len() > 9);
    let january = dir
        .campaigns
        .iter()
        .find(|c| c.id == VOTER_MEETING_CAMPAIGN)
        .unwrap();
    assert_eq!(january.activity_kind, ActivityKind::VoterMeeting);
    assert_eq!((january.starts, january.ends), (d(1, 1), d(1, 31)));
    assert_eq!(january.station_ids.len(), dir.stations.len());
    let listening = dir
        .campaigns
        .iter()
        .find(|c| c.id == HOME_LISTENING_CAMPAIGN)
        .unwrap();
    assert_eq!(listening.activity_kind, ActivityKind::HomeListening);
    assert_eq!((listening.starts, listening.ends), (d(9, 15), d(10, 15)));
    let subs: BTreeSet<&str> = listening
        .station_ids
        .iter()
        .map(|s| sub_of[s.as_str()])
        .collect();
    assert_eq!(subs.len(), 25);
    let draft = dir.drafts.iter().find(|x| x.id == DRAFT_ID).unwrap();
    assert_eq!(draft.title, "北京市接诉即办条例(草案)");
}

#[test]
fn it_holds_every_record_of_the_small_demo() {
    let big = super::directory();
    let small = crate::demo::directory();
    for x in &small.subdistricts {
        assert!(big.subdistricts.contains(x), "{x:?}");
    }
    for x in &small.stations {
        assert!(big.stations.contains(x), "{x:?}");
    }
    for x in &small.deputies {
        assert!(big.deputies.contains(x), "{x:?}");
    }
    for x in &small.staff {
        assert!(big.staff.contains(x), "{x:?}");
    }
    for x in &small.departments {
        assert!(big.departments.contains(x), "{x:?}");
    }
    for c in &small.campaigns {
        let b = big.campaigns.iter().find(|b| b.id == c.id).unwrap();
        assert_eq!(
            (&b.name, b.activity_kind, b.starts, b.ends),
            (&c.name, c.activity_kind, c.starts, c.ends)
        );
        assert!(c.station_ids.iter().all(|s| b.station_ids.contains(s)));
    }
    assert_eq!(big.drafts, small.drafts);
}

/// The report's figures, counted from the records alone.
#[derive(Debug, PartialEq, Eq)]
struct Figures {
    january_deputies: usize,
    january_voters: u32,
    january_online: bool,
    listening_subdistricts: usize,
    listening_deputies: usize,
    /// Attendances (one deputy at one activity) at each level held.
    consultation_by_level: [u32; 3],
    consultation_citizens: u32,
    consultation_opinions: usize,
    model_home: (usize, u32, usize),
}

fn figures(dir: &Directory, y: &super::YearRecords) -> Figures {
    let deputy: BTreeMap<&str, &Deputy> = dir.deputies.iter().map(|p| (p.id.as_str(), p)).collect();
    let sub_of: BTreeMap<&str, &str> = dir
        .stations
        .iter()
        .map(|s| (s.id.as_str(), s.subdistrict_id.as_str()))
        .collect();
    let tagged = |c: &str| -> Vec<&Activity> {
        y.activities
            .iter()
            .filter(|a| a.campaign_id.as_deref() == Some(c))
            .collect()
    };
    let january = tagged(VOTER_MEETING_CAMPAIGN);
    assert!(
        january.iter().all(|a| a.kind == ActivityKind::VoterMeeting
            && a.date >= d(1, 1)
            && a.date <= d(1, 31))
    );
    let listening = tagged(HOME_LISTENING_CAMPAIGN);
    assert!(
        listening
            .iter()
            .all(|a| a.kind == ActivityKind::HomeListening
                && a.date >= d(9, 15)
                && a.date <= d(10, 15))
    );
    // Nothing of a campaign's kind in its window is left untagged.
    assert!(!y.activities.iter().any(|a| a.campaign_id.is_none()
        && ((a.kind == ActivityKind::VoterMeeting && a.date.month() == 1)
            || (a.kind == ActivityKind::HomeListening
                && a.date >= d(9, 15)
                && a.date <= d(10, 15)))));
    let people = |acts: &[&Activity]| -> usize {
        acts.iter()
            .flat_map(|a| &a.deputy_ids)
            .collect::<BTreeSet<_>>()
            .len()
    };
    let draft = dir.drafts.iter().find(|x| x.id == DRAFT_ID).unwrap();
    let consultation: Vec<&Activity> = y
        .activities
        .iter()
        .filter(|a| a.draft_id.as_deref() == Some(DRAFT_ID))
        .collect();
    let mut by_level = [0u32; 3];
    for a in &consultation {
        assert_eq!(a.kind, ActivityKind::LegislativeConsultation);
        assert!(a.date >= draft.opens && a.date <= draft.closes);
        for id in &a.deputy_ids {
            for l in &deputy[id.as_str()].levels {
                by_level[*l as usize] += 1;
            }
        }
    }
    let on_draft: Vec<&Opinion> = y
        .opinions
        .iter()
        .filter(|o| o.draft_id.as_deref() == Some(DRAFT_ID))
        .collect();
    for o in &on_draft {
        assert!(
            draft
                .articles
                .iter()
                .any(|x| Some(&x.id) == o.article_id.as_ref())
        );
        let a = consultation
            .iter()
            .find(|a| Some(&a.id) == o.activity_id.as_ref())
            .expect("collected at a consultation");
        assert_eq!((&a.station_id, a.date), (&o.station_id, o.date));
    }
    let model_acts: Vec<&Activity> = y
        .activities
        .iter()
        .filter(|a| a.station_id == MODEL_HOME)
        .collect();
    Figures {
        january_deputies: people(&january),
        january_voters: january.iter().map(|a| a.voters_received).sum(),
        january_online: january.iter().any(|a| a.online) && january.iter().any(|a| !a.online),
        listening_subdistricts: listening
            .iter()
            .map(|a| sub_of[a.station_id.as_str()])
            .collect::<BTreeSet<_>>()
            .len(),
        listening_deputies: people(&listening),
        consultation_by_level: by_level,
        consultation_citizens: consultation.iter().map(|a| a.voters_received).sum(),
        consultation_opinions: on_draft.len(),
        model_home: (
            model_acts.len(),
            model_acts.iter().map(|a| a.voters_received).sum(),
            y.opinions
                .iter()
                .filter(|o| o.station_id == MODEL_HOME)
                .count(),
        ),
    }
}

fn reported() -> Figures {
    Figures {
        january_deputies: 330,
        january_voters: 4_655,
        january_online: true,
        listening_subdistricts: 25,
        listening_deputies: 363,
        consultation_by_level: [257, 1_375, 1_412],
        consultation_citizens: 21_936,
        consultation_opinions: 1_472,
        model_home: (16, 312, 78),
    }
}

use chrono::Datelike as _;

#[test]
fn the_year_has_the_reports_figures() {
    let dir = super::directory();
    let started = std::time::Instant::now();
    let y = super::year(&dir, super::DEMO_SEED);
    let took = started.elapsed();
    assert_eq!(figures(&dir, &y), reported());
    let kinds: BTreeMap<ActivityKind, usize> =
        y.activities.iter().fold(BTreeMap::new(), |mut m, a| {
            *m.entry(a.kind).or_default() += 1;
            m
        });
    eprintln!(
        "generated in {took:?}: {} activities {kinds:?}, {} opinions, {} referrals, {} answers, {} suggestions, {} leads",
        y.activities.len(),
        y.opinions.len(),
        y.referrals.len(),
        y.answers.len(),
        y.suggestions.len(),
        y.leads.len()
    );
    assert_eq!(kinds.len(), ActivityKind::ALL.len(), "every kind happens");
    let size = y.activities.len() + y.opinions.len();
    assert!(
        (5_000..=10_000).contains(&size),
        "{size} activities and opinions"
    );
}

#[test]
fn a_seed_decides_the_records_never_the_figures() {
    let dir = super::directory();
    let a = super::year(&dir, 7);
    assert_eq!(a, super::year(&dir, 7), "the same seed, the same year");
    for seed in [8, 1, u64::MAX] {
        let b = super::year(&dir, seed);
        assert_ne!(a.activities, b.activities);
        assert_ne!(a.opinions, b.opinions);
        assert_eq!(figures(&dir, &b), reported(), "seed {seed}");
    }
}

#[test]
fn every_record_points_at_what_exists_and_agrees_with_it() {
    let dir = super::directory();
    let y = super::year(&dir, 3);
    let station: BTreeMap<&str, &Station> =
        dir.stations.iter().map(|s| (s.id.as_str(), s)).collect();
    let deputy: BTreeMap<&str, &Deputy> = dir.deputies.iter().map(|p| (p.id.as_str(), p)).collect();
    let departments: BTreeSet<&str> = dir.departments.iter().map(|x| x.id.as_str()).collect();
    let activity: BTreeMap<&str, &Activity> =
        y.activities.iter().map(|a| (a.id.as_str(), a)).collect();
    let opinion: BTreeMap<&str, &Opinion> = y.opinions.iter().map(|o| (o.id.as_str(), o)).collect();
    let referral: BTreeMap<&str, &Referral> =
        y.referrals.iter().map(|r| (r.id.as_str(), r)).collect();
    assert_eq!(
        activity.len(),
        y.activities.len(),
        "activity ids are unique"
    );
    assert_eq!(opinion.len(), y.opinions.len(), "opinion ids are unique");
    assert_eq!(referral.len(), y.referrals.len(), "referral ids are unique");
    let ids = y
        .activities
        .iter()
        .map(|x| &x.id)
        .chain(y.opinions.iter().map(|x| &x.id))
        .chain(y.referrals.iter().map(|x| &x.id))
        .chain(y.answers.iter().map(|x| &x.id))
        .chain(y.suggestions.iter().map(|x| &x.id))
        .chain(y.leads.iter().map(|x| &x.id));
    let mut seen = BTreeSet::new();
    for id in ids {
        assert!(valid_id(id) && seen.insert(id), "{id}");
    }
    let in_year = |x: NaiveDate| x.year() == 2022;
    for a in &y.activities {
        let s = station[a.station_id.as_str()];
        assert!(in_year(a.date) && !a.deputy_ids.is_empty(), "{a:?}");
        for p in &a.deputy_ids {
            let home = station[deputy[p.as_str()].station_id.as_str()];
            if a.kind == ActivityKind::HomeListening {
                assert_eq!(home.subdistrict_id, s.subdistrict_id, "{a:?}");
            } else {
                assert_eq!(home.id, s.id, "{a:?}");
            }
        }
        if let Some(c) = &a.campaign_id {
            let c = dir.campaigns.iter().find(|x| &x.id == c).unwrap();
            assert!(c.station_ids.contains(&a.station_id) && c.activity_kind == a.kind);
            assert!(a.date >= c.starts && a.date <= c.ends);
        }
        if let Some(x) = &a.draft_id {
            assert!(dir.drafts.iter().any(|d| &d.id == x));
        }
    }
    for o in &y.opinions {
        assert!(station.contains_key(o.station_id.as_str()));
        assert!((1..=3).contains(&o.categories.len()), "{o:?}");
        if let Some(a) = &o.activity_id {
            let a = activity[a.as_str()];
            assert_eq!((&a.station_id, a.date), (&o.station_id, o.date));
            if let Some(p) = &o.received_by {
                assert!(a.deputy_ids.contains(p), "{o:?}");
            }
        } else {
            assert_eq!(o.channel, Some(OpinionChannel::Online), "{o:?}");
            assert!(o.received_by.is_none());
        }
        if o.feedback_date.is_some() {
            let answered = y
                .answers
                .iter()
                .find(|x| x.opinion_id == o.id && x.status == AnswerStatus::Answered);
            assert!(
                answered.is_some_and(|x| Some(x.date) <= o.feedback_date),
                "{o:?}"
            );
            assert!(!o.feedback.is_empty());
        }
    }
    for r in &y.referrals {
        let o = opinion[r.opinion_id.as_str()];
        assert_eq!(
            (&r.station_id, &r.categories, &r.content),
            (&o.station_id, &o.categories, &o.content)
        );
        assert!(departments.contains(r.department_id.as_str()));
        assert!(r.referred_on > o.date && in_year(r.referred_on));
        assert!((15..=30).contains(&(r.deadline - r.referred_on).num_days()));
    }
    let mut answered = BTreeSet::new();
    for x in &y.answers {
        let r = referral[x.referral_id.as_str()];
        assert_eq!(
            (&x.opinion_id, &x.station_id, &x.department_id),
            (&r.opinion_id, &r.station_id, &r.department_id)
        );
        assert!(x.date > r.referred_on && in_year(x.date));
        assert!(answered.insert(&x.referral_id), "one answer a referral");
    }
    for s in &y.suggestions {
        assert!(!s.deputy_ids.is_empty() && !s.opinion_ids.is_empty());
        for p in &s.deputy_ids {
            assert_eq!(deputy[p.as_str()].station_id, s.station_id);
        }
        for o in &s.opinion_ids {
            let o = opinion[o.as_str()];
            assert!(o.station_id == s.station_id && o.date <= s.date);
        }
        assert!(
            s.department_id
                .as_deref()
                .is_some_and(|x| departments.contains(x))
        );
    }
    for l in &y.leads {
        for o in &l.opinion_ids {
            let o = opinion[o.as_str()];
            assert!(o.station_id == l.station_id && o.date <= l.date);
        }
    }
}

#[test]
fn every_record_passes_the_forms_validation() {
    let dir = super::directory();
    let y = super::year(&dir, 5);
    for a in &y.activities {
        let mut checked = ActivityInput::from(a).validate(a.date).unwrap();
        checked.id = a.id.clone();
        assert_eq!(&checked, a);
    }
    for o in &y.opinions {
        let mut checked = OpinionInput::from(o).validate(o.date).unwrap();
        checked.id = o.id.clone();
        checked.channel = o.channel;
        checked.feedback_date = o.feedback_date;
        checked.feedback = o.feedback.clone();
        checked.satisfaction = o.satisfaction;
        assert_eq!(&checked, o);
        if let Some(day) = o.feedback_date {
            let input = FeedbackInput {
                opinion_id: o.id.clone(),
                date: day.to_string(),
                text: o.feedback.clone(),
                satisfaction: o.satisfaction,
            };
            assert_eq!(input.validate(day).unwrap(), (day, o.feedback.clone()));
        }
    }
    for r in &y.referrals {
        let input = ReferralInput {
            opinion_id: r.opinion_id.clone(),
            department_id: r.department_id.clone(),
            deadline: r.deadline.to_string(),
            content: r.content.clone(),
            note: r.note.clone(),
        };
        assert_eq!(
            input.validate(r.referred_on).unwrap(),
            (
                r.department_id.clone(),
                r.deadline,
                r.content.clone(),
                r.note.clone()
            )
        );
    }
    for x in &y.answers {
        let input = AnswerInput {
            referral_id: x.referral_id.clone(),
            status: x.status,
            date: x.date.to_string(),
            text: x.text.clone(),
        };
        assert_eq!(input.validate(x.date).unwrap(), (x.date, x.text.clone()));
    }
    for s in &y.suggestions {
        let input = SuggestionInput {
            station_id: s.station_id.clone(),
            date: s.date.to_string(),
            title: s.title.clone(),
            content: s.content.clone(),
            deputy_ids: s.deputy_ids.clone(),
            opinion_ids: s.opinion_ids.clone(),
            department_id: s.department_id.clone().unwrap_or_default(),
            supervised: s.supervised,
        };
        let mut checked = input.validate(s.date).unwrap();
        checked.id = s.id.clone();
        assert_eq!(&checked, s);
    }
    for l in &y.leads {
        let input = LeadInput {
            station_id: l.station_id.clone(),
            date: l.date.to_string(),
            title: l.title.clone(),
            content: l.content.clone(),
            opinion_ids: l.opinion_ids.clone(),
        };
        let mut checked = input.validate(l.date).unwrap();
        checked.id = l.id.clone();
        assert_eq!(&checked, l);
    }
}

#[test]
fn the_year_is_lived_in() {
    let dir = super::directory();
    let y = super::year(&dir, 9);
    let deputies = dir.deputies.len() as f64;
    // 月进站: most deputies most months, with gaps.
    let month_kinds = [
        ActivityKind::VoterMeeting,
        ActivityKind::ReceptionDay,
        ActivityKind::BureauVisit,
        ActivityKind::ProsecutorVisit,
        ActivityKind::LegislativeConsultation,
    ];
    let mut months = BTreeSet::new();
    let mut quarters = BTreeSet::new();
    let mut reported = BTreeSet::new();
    for a in &y.activities {
        for p in &a.deputy_ids {
            if month_kinds.contains(&a.kind) {
                months.insert((p, a.date.month()));
            }
            if a.kind == ActivityKind::HomeListening {
                quarters.insert((p, a.date.month0() / 3));
            }
            if a.kind == ActivityKind::DutyReport {
                assert!(a.date.month() >= 11);
                reported.insert(p);
            }
        }
    }
    let share = |n: usize, of: f64| n as f64 / of;
    let monthly = share(months.len(), deputies * 12.0);
    assert!((0.6..0.95).contains(&monthly), "月进站 {monthly}");
    let quarterly = share(quarters.len(), deputies * 4.0);
    assert!((0.6..0.97).contains(&quarterly), "季回家 {quarterly}");
    let yearly = share(reported.len(), deputies);
    assert!((0.75..0.99).contains(&yearly), "年述职 {yearly}");
    // Opinions: a few sent online, very few with a name or phone (always with consent).
    let regular: Vec<&Opinion> = y.opinions.iter().filter(|o| o.draft_id.is_none()).collect();
    let online = regular.iter().filter(|o| o.channel.is_some()).count();
    let online = share(online, regular.len() as f64);
    assert!((0.03..0.08).contains(&online), "online {online}");
    let personal: Vec<&&Opinion> = regular
        .iter()
        .filter(|o| !o.voter_name.is_empty() || !o.voter_phone.is_empty())
        .collect();
    assert!(!personal.is_empty() && personal.len() * 20 < regular.len());
    assert!(
        y.opinions
            .iter()
            .all(|o| o.consent != o.voter_name.is_empty())
    );
    // Referred, answered and fed back, most of them; some left behind or overdue.
    let referred: BTreeSet<&str> = y.referrals.iter().map(|r| r.opinion_id.as_str()).collect();
    let unreferred = regular
        .iter()
        .filter(|o| !referred.contains(o.id.as_str()))
        .count();
    assert!(unreferred > 0 && referred.len() > regular.len() * 3 / 4);
    let answered: BTreeSet<&str> = y
        .answers
        .iter()
        .filter(|x| x.status == AnswerStatus::Answered)
        .map(|x| x.referral_id.as_str())
        .collect();
    let overdue = y
        .referrals
        .iter()
        .filter(|r| !answered.contains(r.id.as_str()))
        .count();
    assert!(overdue > 0 && answered.len() > y.referrals.len() * 3 / 4);
    assert!(
        y.answers
            .iter()
            .any(|x| x.status == AnswerStatus::InProgress)
    );
    let fed_back = y
        .opinions
        .iter()
        .filter(|o| o.satisfaction.is_some())
        .count();
    assert!(fed_back > answered.len() * 3 / 4 && fed_back < answered.len());
    let satisfaction: BTreeSet<_> = y
        .opinions
        .iter()
        .filter_map(|o| o.satisfaction.map(|s| s as u8))
        .collect();
    assert_eq!(satisfaction.len(), 3);
    assert!(y.suggestions.iter().any(|s| s.supervised));
    assert!(y.suggestions.iter().any(|s| !s.supervised));
    assert!(!y.leads.is_empty());
    // Some meetings were held online; most were not.
    let online_acts = y.activities.iter().filter(|a| a.online).count();
    assert!(online_acts > 0 && online_acts * 5 < y.activities.len());
}
