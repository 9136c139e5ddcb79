//! The plan of the year's activities: the campaigns, the consultation, the quarterly
//! listenings, visits, duty reports and monthly receptions.

use super::*;

impl Gen<'_> {
    /// 进站见选民 in January: exactly [`VOTER_MEETING_DEPUTIES`] deputies, at least one
    /// at every station, one or two meetings a station, a fifth of them online.
    pub(super) fn voter_meeting_campaign(&mut self) {
        let n = self.dir.deputies.len();
        let mut chosen = vec![false; n];
        for s in 0..self.dir.stations.len() {
            let d = *self.station_deputies[s]
                .choose(&mut self.rng)
                .expect("deputies");
            chosen[d] = true;
        }
        let mut rest: Vec<usize> = (0..n).filter(|&d| !chosen[d]).collect();
        rest.shuffle(&mut self.rng);
        let have = chosen.iter().filter(|c| **c).count();
        for d in rest.into_iter().take(VOTER_MEETING_DEPUTIES - have) {
            chosen[d] = true;
        }
        for s in 0..self.dir.stations.len() {
            let mut here: Vec<usize> = self.station_deputies[s]
                .iter()
                .copied()
                .filter(|&d| chosen[d])
                .collect();
            here.shuffle(&mut self.rng);
            let max = if s == self.model_home || here.len() < 5 {
                here.len()
            } else {
                here.len().div_ceil(2)
            };
            for group in groups_of(here, max) {
                let day = date_in(&mut self.rng, date(1, 4), date(1, 28));
                let online = self.rng.random_bool(0.2);
                self.plan(
                    ActivityKind::VoterMeeting,
                    s,
                    day,
                    group,
                    online,
                    Some(VOTER_MEETING_CAMPAIGN),
                    None,
                    String::new(),
                );
            }
        }
    }

    /// The consultation on the draft, in June and July: four to six meetings a station
    /// (two at the model home), attendances per level exactly the report's.
    pub(super) fn consultation(&mut self) {
        use DeputyLevel::{City, District, Town as TownLevel};
        let stations = self.dir.stations.len();
        let meetings: Vec<usize> = (0..stations)
            .map(|s| {
                if s == self.model_home {
                    2
                } else {
                    self.rng.random_range(4..=6)
                }
            })
            .collect();
        // The five groups of levels and what each must attend, solving
        // city = C + CD, district = CD + D + DT, town = DT + T.
        let signature = |levels: &[DeputyLevel]| -> Option<usize> {
            let has = |l| levels.contains(&l);
            match (has(City), has(District), has(TownLevel)) {
                (true, false, false) => Some(0),
                (true, true, false) => Some(1),
                (false, true, false) => Some(2),
                (false, true, true) => Some(3),
                (false, false, true) => Some(4),
                _ => None,
            }
        };
        let city_district = self.rng.random_range(70..=90);
        let district_town = self.rng.random_range(160..=200);
        let mut budget: [u32; 5] = [
            CONSULTATION_CITY - city_district,
            city_district,
            CONSULTATION_DISTRICT - city_district - district_town,
            district_town,
            CONSULTATION_TOWN - district_town,
        ];
        let group: Vec<Option<usize>> = self
            .dir
            .deputies
            .iter()
            .map(|d| signature(&d.levels))
            .collect();
        let station_of = |d: usize, g: &Gen<'_>| {
            (0..stations)
                .find(|&s| g.station_deputies[s].contains(&d))
                .expect("a deputy's station")
        };
        let cap: Vec<usize> = (0..self.dir.deputies.len())
            .map(|d| meetings[station_of(d, self)])
            .collect();
        let mut times = vec![0usize; self.dir.deputies.len()];
        // Someone comes at every station (two at the model home, one for each meeting).
        for (s, &m) in meetings.iter().enumerate() {
            let mut here = self.station_deputies[s].clone();
            here.shuffle(&mut self.rng);
            for d in here
                .into_iter()
                .take(if s == self.model_home { m } else { 1 })
            {
                if let Some(g) = group[d].filter(|&g| budget[g] > 0) {
                    times[d] = 1;
                    budget[g] -= 1;
                }
            }
        }
        for (g, left) in budget.iter_mut().enumerate() {
            let mut open: Vec<usize> = (0..times.len())
                .filter(|&d| group[d] == Some(g) && times[d] < cap[d])
                .collect();
            while *left > 0 {
                assert!(
                    !open.is_empty(),
                    "consultation group {g} cannot take its share"
                );
                let i = self.rng.random_range(0..open.len());
                let d = open[i];
                times[d] += 1;
                *left -= 1;
                if times[d] == cap[d] {
                    open.swap_remove(i);
                }
            }
        }
        let days: Vec<NaiveDate> = (0..54).map(|i| later(date(6, 6), i)).collect();
        for (s, &m) in meetings.iter().enumerate() {
            let mut attend: Vec<Vec<usize>> = vec![Vec::new(); m];
            let mut here = self.station_deputies[s].clone();
            here.sort_by_key(|&d| std::cmp::Reverse(times[d]));
            for d in here {
                let mut order: Vec<usize> = (0..m).collect();
                order.shuffle(&mut self.rng);
                order.sort_by_key(|&i| attend[i].len());
                for &i in order.iter().take(times[d]) {
                    attend[i].push(d);
                }
            }
            let mut when: Vec<NaiveDate> =
                days.choose_multiple(&mut self.rng, m).copied().collect();
            when.sort();
            for (deputies, day) in attend.into_iter().zip(when) {
                if deputies.is_empty() {
                    continue;
                }
                let guests = if self.rng.random_bool(0.3) {
                    "区人大常委会法制工作室 1人".to_owned()
                } else {
                    String::new()
                };
                self.plan(
                    ActivityKind::LegislativeConsultation,
                    s,
                    day,
                    deputies,
                    false,
                    None,
                    None,
                    guests,
                );
            }
        }
    }

    /// 回家站听意见, 15 September – 15 October: the stations of the campaign's streets and
    /// towns, exactly [`HOME_LISTENING_DEPUTIES`] of their deputies; the first session
    /// of each at its home, the others at its liaison stations.
    pub(super) fn home_listening_campaign(&mut self) {
        let campaign = self
            .dir
            .campaigns
            .iter()
            .find(|c| c.id == HOME_LISTENING_CAMPAIGN)
            .expect("the directory has the 回家站听意见 campaign");
        let subs: Vec<usize> = (0..self.dir.subdistricts.len())
            .filter(|&sub| {
                campaign
                    .station_ids
                    .contains(&self.dir.stations[self.sub_home[sub]].id)
            })
            .collect();
        assert_eq!(subs.len(), HOME_LISTENING_SUBDISTRICTS);
        let weights: Vec<f64> = subs
            .iter()
            .map(|&sub| self.sub_deputies[sub].len() as f64 * self.rng.random_range(0.8..1.2))
            .collect();
        let mut quota = split_exact(HOME_LISTENING_DEPUTIES as u32, &weights);
        // At least three in each, no more than it has.
        loop {
            let size = |i: usize| self.sub_deputies[subs[i]].len() as u32;
            if let Some(i) = (0..subs.len()).find(|&i| quota[i] < 3.min(size(i))) {
                let j = (0..subs.len()).max_by_key(|&j| quota[j]).expect("subs");
                quota[j] -= 1;
                quota[i] += 1;
            } else if let Some(i) = (0..subs.len()).find(|&i| quota[i] > size(i)) {
                let j = (0..subs.len())
                    .find(|&j| quota[j] < size(j))
                    .expect("room for the campaign's deputies");
                quota[i] -= 1;
                quota[j] += 1;
            } else {
                break;
            }
        }
        for (i, &sub) in subs.iter().enumerate() {
            let chosen = self.some_of(
                &self.sub_deputies[sub].clone(),
                quota[i] as usize,
                quota[i] as usize,
            );
            let guests = self.listening_guests(sub);
            self.listen(
                sub,
                chosen,
                date(9, 15),
                date(10, 15),
                Some(HOME_LISTENING_CAMPAIGN),
                guests,
            );
        }
    }

    fn listening_guests(&self, sub: usize) -> String {
        if self.sub_town[sub] {
            "镇人大主席团 1人".into()
        } else {
            "街道人大工委 1人".into()
        }
    }

    /// Sessions of at most twelve deputies of street or town `sub` back home: the first
    /// at its home, the others at its liaison stations.
    fn listen(
        &mut self,
        sub: usize,
        mut deputies: Vec<usize>,
        from: NaiveDate,
        to: NaiveDate,
        campaign: Option<&'static str>,
        guests: String,
    ) {
        deputies.shuffle(&mut self.rng);
        let points = self.points_of(sub);
        for (k, group) in groups_of(deputies, 12).into_iter().enumerate() {
            let station = if k == 0 {
                self.sub_home[sub]
            } else {
                *points.choose(&mut self.rng).expect("points")
            };
            let day = date_in(&mut self.rng, from, to);
            self.plan(
                ActivityKind::HomeListening,
                station,
                day,
                group,
                false,
                campaign,
                None,
                guests.clone(),
            );
        }
    }

    /// 季回家: every quarter most of each street's and town's deputies come back to listen
    /// (outside the campaign's window).
    pub(super) fn quarterly_listening(&mut self) {
        let quarters = [
            (date(2, 14), date(3, 31)),
            (date(4, 6), date(6, 30)),
            (date(7, 4), date(9, 9)),
            (date(10, 17), date(12, 16)),
        ];
        for sub in 0..self.dir.subdistricts.len() {
            for (from, to) in quarters {
                let all = self.sub_deputies[sub].clone();
                let mut who = self.keen_ones(&all, 0.0);
                if who.is_empty() {
                    who.extend(all.choose(&mut self.rng));
                }
                let guests = if self.rng.random_bool(0.5) {
                    self.listening_guests(sub)
                } else {
                    String::new()
                };
                self.listen(sub, who, from, to, None, guests);
            }
        }
    }

    /// Bureau and prosecutor visits, training at the homes, inspections.
    pub(super) fn visits_training_inspections(&mut self) {
        let departments = self.dir.departments.len();
        for sub in 0..self.dir.subdistricts.len() {
            let home = self.sub_home[sub];
            let points = self.points_of(sub);
            // Training: once at every home, and once more at a town's liaison station.
            let month = if self.rng.random_bool(0.5) { 3 } else { 8 };
            let day = date_in(&mut self.rng, date(month, 1), date(month, 28));
            let mut who = self.keen_ones(&self.station_deputies[home].clone(), 0.1);
            if who.is_empty() {
                who = self.station_deputies[home].clone();
            }
            self.plan(
                ActivityKind::Training,
                home,
                day,
                who,
                false,
                None,
                None,
                "区人大常委会代表工作室 1人".into(),
            );
            if self.sub_town[sub] {
                let s = *points.choose(&mut self.rng).expect("points");
                let day = date_in(&mut self.rng, date(11, 1), date(11, 30));
                let who = self.some_of(&self.station_deputies[s].clone(), 3, 12);
                self.plan(
                    ActivityKind::Training,
                    s,
                    day,
                    who,
                    false,
                    None,
                    None,
                    "镇人大主席团 1人".into(),
                );
            }
            // 委办局走进代表家站: two or three a street or town (the model home's in April).
            let visits = self.rng.random_range(2..=3);
            let open: Vec<usize> = self.sub_stations[sub]
                .iter()
                .copied()
                .filter(|&s| s != self.model_home)
                .collect();
            for _ in 0..visits {
                let s = *open.choose(&mut self.rng).expect("stations");
                let month = *[3, 4, 5, 8, 9, 10, 11]
                    .choose(&mut self.rng)
                    .expect("months");
                let day = date_in(&mut self.rng, date(month, 3), date(month, 26));
                let who = self.some_of(&self.station_deputies[s].clone(), 2, 5);
                let dept = self.rng.random_range(0..departments);
                let guests = format!(
                    "{} {}人",
                    self.dir.departments[dept].name,
                    self.rng.random_range(1..=3)
                );
                self.plan(
                    ActivityKind::BureauVisit,
                    s,
                    day,
                    who,
                    false,
                    None,
                    Some(dept),
                    guests,
                );
            }
            if self.station_sub[self.model_home] == sub {
                let s = self.model_home;
                let day = date_in(&mut self.rng, date(4, 11), date(4, 22));
                let who = self.station_deputies[s].clone();
                let dept = ["dept-traffic", "dept-urban", "dept-civil"]
                    .choose(&mut self.rng)
                    .and_then(|id| self.department(id))
                    .unwrap_or(0);
                let guests = format!("{} 2人", self.dir.departments[dept].name);
                self.plan(
                    ActivityKind::BureauVisit,
                    s,
                    day,
                    who,
                    false,
                    None,
                    Some(dept),
                    guests,
                );
            }
            // 检察官走进代表之家: at most homes.
            if self.rng.random_bool(0.6) {
                let s = if home == self.model_home {
                    *points.choose(&mut self.rng).expect("points")
                } else {
                    home
                };
                let month = self.rng.random_range(4..=11);
                let day = date_in(&mut self.rng, date(month, 1), date(month, 28));
                let who = self.some_of(&self.station_deputies[s].clone(), 2, 6);
                let guests = format!("区人民检察院 检察官{}人", self.rng.random_range(1..=3));
                self.plan(
                    ActivityKind::ProsecutorVisit,
                    s,
                    day,
                    who,
                    false,
                    None,
                    None,
                    guests,
                );
            }
            // 视察调研: one or two at liaison stations.
            for _ in 0..self.rng.random_range(1..=2) {
                let s = *points.choose(&mut self.rng).expect("points");
                if s == self.model_home {
                    continue;
                }
                let month = *[3, 5, 8, 9, 11].choose(&mut self.rng).expect("months");
                let day = date_in(&mut self.rng, date(month, 1), date(month, 28));
                let who = self.some_of(&self.station_deputies[s].clone(), 2, 5);
                let dept = self.rng.random_range(0..departments);
                let guests = format!("{} 1人", self.dir.departments[dept].name);
                self.plan(
                    ActivityKind::Inspection,
                    s,
                    day,
                    who,
                    false,
                    None,
                    Some(dept),
                    guests,
                );
            }
        }
    }

    /// 年述职: most deputies report to their voters in late November or December.
    pub(super) fn duty_reports(&mut self) {
        for s in 0..self.dir.stations.len() {
            let all = self.station_deputies[s].clone();
            let mut who = self.keen_ones(&all, 0.12);
            if who.is_empty() && s == self.model_home {
                who.extend(all.choose(&mut self.rng));
            }
            if who.is_empty() {
                continue;
            }
            who.shuffle(&mut self.rng);
            let max = if s == self.model_home { who.len() } else { 10 };
            for group in groups_of(who, max) {
                let day = date_in(&mut self.rng, date(11, 21), date(12, 23));
                self.plan(
                    ActivityKind::DutyReport,
                    s,
                    day,
                    group,
                    false,
                    None,
                    None,
                    String::new(),
                );
            }
        }
    }

    /// 月进站: each month's reception days and voter meetings for the deputies who have
    /// not been to their station yet that month (keen ones most months, with gaps). The
    /// model home holds them in five months only.
    pub(super) fn monthly_reception(&mut self) {
        let reception_day: Vec<u32> = (0..self.dir.stations.len())
            .map(|_| self.rng.random_range(5..=24))
            .collect();
        for month in 1..=12u32 {
            for (s, &first_day) in reception_day.iter().enumerate() {
                if s == self.model_home && ![2, 3, 5, 10, 11].contains(&month) {
                    continue;
                }
                let waiting: Vec<usize> = self.station_deputies[s]
                    .iter()
                    .copied()
                    .filter(|&d| !self.kept.contains(&(d, month)))
                    .collect();
                let mut who = self.keen_ones(&waiting, 0.0);
                if s == self.model_home && who.is_empty() {
                    who = self.station_deputies[s].clone();
                }
                who.shuffle(&mut self.rng);
                let max = if s == self.model_home {
                    who.len().max(1)
                } else {
                    12
                };
                let online_chance = match month {
                    4 | 5 => 0.3,
                    12 => 0.25,
                    1 => 0.1,
                    _ => 0.03,
                };
                for (k, group) in groups_of(who, max).into_iter().enumerate() {
                    if group.is_empty() {
                        continue;
                    }
                    let day = (first_day + 2 * k as u32).min(days_in_month(month));
                    let kind = if month != 1 && self.rng.random_bool(0.25) {
                        ActivityKind::VoterMeeting
                    } else {
                        ActivityKind::ReceptionDay
                    };
                    let online = self.rng.random_bool(online_chance);
                    self.plan(
                        kind,
                        s,
                        date(month, day),
                        group,
                        online,
                        None,
                        None,
                        String::new(),
                    );
                }
            }
        }
    }
}
