//! The year's voters, opinions, referrals, answers, suggestions and leads, and the
//! records made of the plan.

use super::*;

impl Gen<'_> {
    /// Voters received and opinions to collect at each activity: the report's totals
    /// exactly where it gives them, a plausible number elsewhere.
    pub(super) fn voters_and_opinion_counts(&mut self) {
        let model: Vec<usize> = (0..self.plans.len())
            .filter(|&i| self.plans[i].station == self.model_home)
            .collect();
        assert_eq!(model.len(), MODEL_HOME_ACTIVITIES, "the model home's plan");
        let kind_weight = |k: ActivityKind| match k {
            ActivityKind::VoterMeeting => 28.0,
            ActivityKind::ReceptionDay => 15.0,
            ActivityKind::HomeListening => 22.0,
            ActivityKind::BureauVisit => 18.0,
            ActivityKind::ProsecutorVisit => 16.0,
            ActivityKind::LegislativeConsultation => 40.0,
            ActivityKind::DutyReport => 30.0,
            ActivityKind::Training | ActivityKind::Inspection => 0.0,
        };
        let weights: Vec<f64> = model
            .iter()
            .map(|&i| kind_weight(self.plans[i].kind) * self.rng.random_range(0.7..1.3))
            .collect();
        for (&i, v) in model.iter().zip(split_exact(MODEL_HOME_VOTERS, &weights)) {
            self.plans[i].voters = v;
        }
        let is_model = |p: &Plan, g: &Gen<'_>| p.station == g.model_home;
        // 进站见选民 and the consultation: what the model home's share leaves.
        let january: Vec<usize> = (0..self.plans.len())
            .filter(|&i| self.plans[i].campaign == Some(VOTER_MEETING_CAMPAIGN))
            .collect();
        let consultation: Vec<usize> = (0..self.plans.len())
            .filter(|&i| self.plans[i].consultation)
            .collect();
        for (list, total) in [
            (&january, VOTER_MEETING_VOTERS),
            (&consultation, CONSULTATION_CITIZENS),
        ] {
            let fixed: u32 = list
                .iter()
                .filter(|&&i| is_model(&self.plans[i], self))
                .map(|&i| self.plans[i].voters)
                .sum();
            let free: Vec<usize> = list
                .iter()
                .copied()
                .filter(|&i| !is_model(&self.plans[i], self))
                .collect();
            let weights: Vec<f64> = free
                .iter()
                .map(|&i| {
                    (self.plans[i].deputies.len() as f64 + 3.0) * self.rng.random_range(0.5..1.5)
                })
                .collect();
            for (&i, v) in free.iter().zip(split_exact(total - fixed, &weights)) {
                self.plans[i].voters = v;
            }
        }
        for i in 0..self.plans.len() {
            let p = &self.plans[i];
            if is_model(p, self) || p.campaign == Some(VOTER_MEETING_CAMPAIGN) || p.consultation {
                continue;
            }
            let range = match p.kind {
                ActivityKind::ReceptionDay => 4..=30,
                ActivityKind::VoterMeeting => 10..=45,
                ActivityKind::HomeListening => 8..=40,
                ActivityKind::BureauVisit => 8..=30,
                ActivityKind::ProsecutorVisit => 10..=35,
                ActivityKind::DutyReport => 15..=50,
                _ => 0..=0,
            };
            self.plans[i].voters = self.rng.random_range(range);
        }
        // Opinions on the draft: the model home's dozen, the rest elsewhere.
        let model_on_draft: u32 = self.rng.random_range(10..=16);
        let (model_lc, other_lc): (Vec<usize>, Vec<usize>) = consultation
            .iter()
            .copied()
            .partition(|&i| is_model(&self.plans[i], self));
        let w: Vec<f64> = model_lc
            .iter()
            .map(|&i| f64::from(self.plans[i].voters) + 1.0)
            .collect();
        for (&i, n) in model_lc.iter().zip(split_exact(model_on_draft, &w)) {
            self.plans[i].opinions = n;
        }
        let w: Vec<f64> = other_lc
            .iter()
            .map(|&i| f64::from(self.plans[i].voters) * self.rng.random_range(0.5..1.5) + 1.0)
            .collect();
        for (&i, n) in other_lc
            .iter()
            .zip(split_exact(CONSULTATION_OPINIONS - model_on_draft, &w))
        {
            self.plans[i].opinions = n;
        }
        // The model home's other opinions (less the few sent online).
        self.model_online = self.rng.random_range(1..=3);
        let model_online = self.model_online;
        let rest: Vec<usize> = model
            .iter()
            .copied()
            .filter(|&i| !self.plans[i].consultation)
            .collect();
        let w: Vec<f64> = rest
            .iter()
            .map(|&i| f64::from(self.plans[i].voters))
            .collect();
        let left = MODEL_HOME_OPINIONS - model_on_draft - model_online;
        for (&i, n) in rest.iter().zip(split_exact(left, &w)) {
            self.plans[i].opinions = n;
        }
        for i in 0..self.plans.len() {
            let p = &self.plans[i];
            if is_model(p, self) || p.consultation {
                continue;
            }
            let n = match p.kind {
                ActivityKind::Training => 0,
                ActivityKind::Inspection => u32::from(self.rng.random_bool(0.4)),
                ActivityKind::BureauVisit => self.rng.random_range(1..=3),
                _ => {
                    let mean = f64::from(p.voters) / 18.0 * self.rng.random_range(0.3..1.7);
                    (mean.round() as u32).min(5)
                }
            };
            self.plans[i].opinions = n;
        }
    }

    fn voter_contact(&mut self) -> (String, String) {
        let mut used = BTreeSet::new();
        let name = new_name(&mut self.rng, &mut used);
        let prefix = *[
            "139", "138", "136", "135", "158", "186", "187", "150", "159", "188",
        ]
        .choose(&mut self.rng)
        .expect("prefixes");
        let phone = format!("{prefix}{:08}", self.rng.random_range(0..100_000_000u32));
        (name, phone)
    }

    /// Where station `s` is: its place, or its street's or town's name for a home.
    fn station_place(&self, s: usize) -> String {
        if self.dir.stations[s].kind == StationKind::Home {
            self.dir.subdistricts[self.station_sub[s]].name.clone()
        } else {
            self.place[s].clone()
        }
    }

    /// The place an opinion at station `s` is about (a home: one of its street's or
    /// town's places).
    fn place_of(&mut self, s: usize) -> String {
        if self.dir.stations[s].kind == StationKind::Home {
            let points = self.points_of(self.station_sub[s]);
            let p = *points.choose(&mut self.rng).expect("points");
            self.place[p].clone()
        } else {
            self.place[s].clone()
        }
    }

    /// What a voter at station `s` says (on `about` if given), as the station writes it
    /// down (`recorded`: perhaps who said it) or as the voter typed it.
    fn words(
        &mut self,
        s: usize,
        about: Option<OpinionCategory>,
        recorded: bool,
    ) -> (Vec<OpinionCategory>, String) {
        let town = self.sub_town[self.station_sub[s]];
        let fits = |t: &&Topic| match t.at {
            At::Anywhere => true,
            At::Streets => !town,
            At::Towns => town,
        };
        let mut candidates: Vec<&Topic> = TOPICS
            .iter()
            .filter(fits)
            .filter(|t| about.is_none_or(|c| t.cats[0] == c))
            .collect();
        if candidates.is_empty() {
            candidates = TOPICS.iter().filter(fits).collect();
        }
        let topic = *candidates.choose(&mut self.rng).expect("topics");
        let openings = if town {
            OPENINGS_TOWNS
        } else {
            OPENINGS_STREETS
        };
        let opening = if recorded {
            *openings.choose(&mut self.rng).expect("openings")
        } else {
            ""
        };
        let place = self.place_of(s);
        (
            topic.cats.to_vec(),
            format!("{opening}{}", topic.text.replace("{place}", &place)),
        )
    }

    fn opinion(
        &self,
        s: usize,
        day: NaiveDate,
        cats: Vec<OpinionCategory>,
        content: String,
    ) -> Opinion {
        Opinion {
            id: String::new(),
            station_id: self.dir.stations[s].id.clone(),
            date: day,
            categories: cats,
            content,
            voter_name: String::new(),
            voter_phone: String::new(),
            consent: false,
            contact: None,
            channel: None,
            received_by: None,
            activity_id: None,
            draft_id: None,
            article_id: None,
            feedback_date: None,
            feedback: String::new(),
            satisfaction: None,
        }
    }

    pub(super) fn records(mut self) -> YearRecords {
        // Activities in date order take their ids.
        let mut order: Vec<usize> = (0..self.plans.len()).collect();
        order.sort_by_key(|&i| (self.plans[i].date, self.plans[i].station));
        let plans: Vec<Plan> = {
            let mut slots: Vec<Option<Plan>> = std::mem::take(&mut self.plans)
                .into_iter()
                .map(Some)
                .collect();
            order
                .iter()
                .map(|&i| slots[i].take().expect("each plan once"))
                .collect()
        };
        let activity_id = |i: usize| format!("act-{:05}", i + 1);

        // What voters said at each activity, and online.
        let mut said: Vec<Said> = Vec::new();
        for (i, p) in plans.iter().enumerate() {
            for _ in 0..p.opinions {
                let mut o = if p.consultation {
                    let (article, text) =
                        *ON_THE_DRAFT.choose(&mut self.rng).expect("draft opinions");
                    let mut o =
                        self.opinion(p.station, p.date, vec![Cat::Legislation], text.to_owned());
                    o.draft_id = Some(DRAFT_ID.into());
                    o.article_id = Some(article.into());
                    o
                } else {
                    let about = p
                        .department
                        .map(|d| department_topic(&self.dir.departments[d].id));
                    let (cats, text) = self.words(p.station, about, true);
                    let mut o = self.opinion(p.station, p.date, cats, text);
                    if self.rng.random_bool(0.03) {
                        (o.voter_name, o.voter_phone) = self.voter_contact();
                        o.consent = true;
                    }
                    o
                };
                if p.consultation || self.rng.random_bool(0.9) {
                    o.received_by = p
                        .deputies
                        .choose(&mut self.rng)
                        .map(|&d| self.dir.deputies[d].id.clone());
                }
                o.activity_id = Some(activity_id(i));
                said.push(Said {
                    opinion: o,
                    plan: Some(i),
                });
            }
        }
        let model_online = self.model_online;
        for s in 0..self.dir.stations.len() {
            let n = if s == self.model_home {
                model_online
            } else {
                [0, 0, 1, 1, 1, 2, 2, 3][self.rng.random_range(0..8)]
            };
            for _ in 0..n {
                let day = date_in(&mut self.rng, date(2, 1), date(12, 28));
                let (cats, text) = self.words(s, None, false);
                let mut o = self.opinion(s, day, cats, text);
                o.channel = Some(crate::model::OpinionChannel::Online);
                if self.rng.random_bool(0.3) {
                    (o.voter_name, o.voter_phone) = self.voter_contact();
                    o.consent = true;
                }
                said.push(Said {
                    opinion: o,
                    plan: None,
                });
            }
        }
        said.sort_by_key(|x| (x.opinion.date, x.opinion.station_id.clone(), x.plan));
        let mut opinions: Vec<Opinion> = Vec::with_capacity(said.len());
        let mut by_plan: Vec<Vec<usize>> = vec![Vec::new(); plans.len()];
        for (n, x) in said.into_iter().enumerate() {
            let mut o = x.opinion;
            o.id = format!("op-{:05}", n + 1);
            if let Some(p) = x.plan {
                by_plan[p].push(n);
            }
            opinions.push(o);
        }

        let activities: Vec<Activity> = plans
            .iter()
            .enumerate()
            .map(|(i, p)| self.activity(activity_id(i), p, &by_plan[i], &opinions))
            .collect();

        let (referrals, answers) = self.referrals_and_answers(&mut opinions);
        let (suggestions, leads) = self.suggestions_and_leads(&opinions);
        YearRecords {
            activities,
            opinions,
            referrals,
            answers,
            suggestions,
            leads,
        }
    }

    fn activity(&self, id: String, p: &Plan, said: &[usize], opinions: &[Opinion]) -> Activity {
        let station = &self.dir.stations[p.station];
        let sub = &self.dir.subdistricts[self.station_sub[p.station]];
        let mut counts: BTreeMap<OpinionCategory, usize> = BTreeMap::new();
        for &o in said {
            *counts.entry(opinions[o].categories[0]).or_default() += 1;
        }
        let mut topics: Vec<(OpinionCategory, usize)> = counts.into_iter().collect();
        topics.sort_by_key(|(c, n)| (std::cmp::Reverse(*n), *c));
        let topics: Vec<&str> = topics
            .iter()
            .take(3)
            .map(|(c, _)| topic_words(*c))
            .collect();
        let heard = if topics.is_empty() {
            String::new()
        } else {
            format!("，选民重点反映{}等方面的问题", topics.join("、"))
        };
        let k = p.deputies.len();
        let v = p.voters;
        let location = if p.online {
            "线上（视频连线）".to_owned()
        } else if station.kind == StationKind::Home {
            format!("{}活动室", station.name)
        } else if self.place[p.station].ends_with('村') || self.place[p.station].ends_with("社区")
        {
            format!("{}党群服务中心", self.place[p.station])
        } else {
            format!("{}会议室", self.place[p.station])
        };
        let department = p.department.map(|d| self.dir.departments[d].name.clone());
        // Where deputies come back to: the home, or a station of their street or town.
        let back = if station.kind == StationKind::Home {
            station.name.clone()
        } else {
            format!("{}{}", sub.name, self.place[p.station])
        };
        let summary = match p.kind {
            ActivityKind::VoterMeeting if p.campaign.is_some() && p.online => format!(
                "以“云见面”方式开展进站见选民活动，{k}名代表通过视频连线与{v}名选民交流{heard}。"
            ),
            ActivityKind::VoterMeeting if p.campaign.is_some() => {
                format!("开展“进站见选民”活动，{k}名代表与{v}名选民面对面交流{heard}。")
            }
            ActivityKind::VoterMeeting => {
                format!("召开选民见面会，代表通报近期履职情况，听取{v}名选民意见{heard}。")
            }
            ActivityKind::ReceptionDay if p.online => {
                format!("选民接待日（电话和视频接待），代表接待选民{v}人次{heard}。")
            }
            ActivityKind::ReceptionDay => format!("选民接待日，代表接待来访选民{v}人次{heard}。"),
            ActivityKind::HomeListening if p.campaign.is_some() => {
                format!("“回家站听意见”专题活动：{k}名代表回到{back}听取{v}名选民意见{heard}。")
            }
            ActivityKind::HomeListening => {
                format!("季度回家站活动：{k}名代表回到{back}听取选民意见{heard}。")
            }
            ActivityKind::BureauVisit => format!(
                "{}走进代表家站，就{}与代表和选民面对面沟通{heard}，现场答复有关问题。",
                department.as_deref().unwrap_or("区政府部门"),
                topic_words(department_topic(
                    &self.dir.departments[p.department.unwrap_or(0)].id
                )),
            ),
            ActivityKind::ProsecutorVisit => format!(
                "检察官走进代表家站，介绍公益诉讼和未成年人检察工作，听取代表和选民意见{heard}。"
            ),
            ActivityKind::LegislativeConsultation => format!(
                "“万名代表下基层”征求《{}》意见：{k}名代表组织{v}名群众逐条讨论草案，收集意见{}条。",
                self.dir
                    .drafts
                    .iter()
                    .find(|d| d.id == DRAFT_ID)
                    .map_or("北京市接诉即办条例(草案)", |d| d.title.as_str()),
                said.len()
            ),
            ActivityKind::Training => {
                "代表学习培训：学习宪法和代表法，交流“月进站、季回家、年述职”履职经验。".to_owned()
            }
            ActivityKind::Inspection => format!(
                "代表视察调研：实地查看{}情况，听取有关部门汇报，提出改进建议{heard}。",
                inspected(department_topic(
                    &self.dir.departments[p.department.unwrap_or(0)].id
                ))
            ),
            ActivityKind::DutyReport => {
                format!("年度述职：{k}名代表向选民报告{YEAR}年履职情况，{v}名选民参加评议{heard}。")
            }
        };
        Activity {
            id,
            kind: p.kind,
            station_id: station.id.clone(),
            date: p.date,
            deputy_ids: p
                .deputies
                .iter()
                .map(|&d| self.dir.deputies[d].id.clone())
                .collect(),
            guests: p.guests.clone(),
            voters_received: v,
            online: p.online,
            location,
            summary,
            photos: Vec::new(),
            campaign_id: p.campaign.map(str::to_owned),
            draft_id: p.consultation.then(|| DRAFT_ID.to_owned()),
        }
    }

    /// Opinions referred to the department of their topic (most; not those of the last
    /// days of the year, nor those on the draft), answered (most), fed back (most of
    /// those answered); some overdue, in progress or unanswered.
    fn referrals_and_answers(&mut self, opinions: &mut [Opinion]) -> (Vec<Referral>, Vec<Answer>) {
        let end = date(12, 31);
        let mut referrals = Vec::new();
        let mut answers = Vec::new();
        for o in opinions.iter_mut() {
            if o.draft_id.is_some() || o.date > date(12, 20) || self.rng.random_bool(0.15) {
                continue;
            }
            let choices = answering(o.categories[0]);
            if choices.is_empty() {
                continue;
            }
            let weights: Vec<f64> = choices.iter().map(|(_, w)| *w).collect();
            let choice = choices[pick_weighted(&mut self.rng, &weights)].0;
            let Some(dept) = self.department(choice) else {
                continue;
            };
            let department = &self.dir.departments[dept];
            let referred_on = later(o.date, self.rng.random_range(1..=6));
            let deadline = later(referred_on, self.rng.random_range(15..=30));
            let referral = Referral {
                id: format!("ref-{:05}", referrals.len() + 1),
                opinion_id: o.id.clone(),
                station_id: o.station_id.clone(),
                department_id: department.id.clone(),
                referred_on,
                deadline,
                categories: o.categories.clone(),
                content: o.content.clone(),
                note: (*NOTES.choose(&mut self.rng).expect("notes")).to_owned(),
            };
            let roll = self.rng.random::<f64>();
            let answered_on = later(
                referred_on,
                self.rng
                    .random_range(5..=(deadline - referred_on).num_days() as u64 + 8),
            );
            let answer = if roll < 0.82 && answered_on <= end {
                let text = *answers_for(o.categories[0])
                    .choose(&mut self.rng)
                    .expect("answers");
                Some((AnswerStatus::Answered, answered_on, text))
            } else if roll < 0.92 {
                let on = later(referred_on, self.rng.random_range(2..=7)).min(end);
                let text = *IN_PROGRESS.choose(&mut self.rng).expect("texts");
                Some((AnswerStatus::InProgress, on, text))
            } else {
                None
            };
            if let Some((status, on, text)) = answer {
                answers.push(Answer {
                    id: format!("ans-{:05}", answers.len() + 1),
                    referral_id: referral.id.clone(),
                    opinion_id: o.id.clone(),
                    station_id: o.station_id.clone(),
                    department_id: department.id.clone(),
                    status,
                    date: on,
                    text: text.to_owned(),
                });
                if status == AnswerStatus::Answered && self.rng.random_bool(0.88) {
                    o.feedback_date = Some(later(on, self.rng.random_range(1..=10)).min(end));
                    o.feedback = (*FEEDBACK.choose(&mut self.rng).expect("feedback")).to_owned();
                    let r = self.rng.random::<f64>();
                    o.satisfaction = Some(if r < 0.68 {
                        Satisfaction::Satisfied
                    } else if r < 0.92 {
                        Satisfaction::BasicallySatisfied
                    } else {
                        Satisfaction::Dissatisfied
                    });
                }
            }
            referrals.push(referral);
        }
        (referrals, answers)
    }

    /// Deputy suggestions and livelihood leads from a station's opinions on one topic.
    fn suggestions_and_leads(
        &mut self,
        opinions: &[Opinion],
    ) -> (Vec<DeputySuggestion>, Vec<LivelihoodLead>) {
        let station_index: BTreeMap<&str, usize> = self
            .dir
            .stations
            .iter()
            .enumerate()
            .map(|(i, s)| (s.id.as_str(), i))
            .collect();
        let mut groups: BTreeMap<(usize, OpinionCategory), Vec<&Opinion>> = BTreeMap::new();
        for o in opinions.iter().filter(|o| o.draft_id.is_none()) {
            groups
                .entry((station_index[o.station_id.as_str()], o.categories[0]))
                .or_default()
                .push(o);
        }
        let end = date(12, 31);
        let mut suggestions = Vec::new();
        for ((s, topic), group) in groups {
            if group.len() < 3 || !self.rng.random_bool(0.35) {
                continue;
            }
            let n = self.rng.random_range(3..=group.len().min(5));
            let picked = &group[group.len() - n..];
            let last = picked.iter().map(|o| o.date).max().expect("opinions");
            let day = later(last, self.rng.random_range(3..=15)).min(end);
            let place = self.station_place(s);
            let own = &self.station_deputies[s];
            let mut deputies: Vec<String> = picked
                .iter()
                .filter_map(|o| o.received_by.clone())
                .filter(|d| own.iter().any(|&x| self.dir.deputies[x].id == *d))
                .collect();
            deputies.sort();
            deputies.dedup();
            deputies.truncate(3);
            if deputies.is_empty() {
                let d = *own.choose(&mut self.rng).expect("deputies");
                deputies.push(self.dir.deputies[d].id.clone());
            }
            let department = answering(topic)
                .first()
                .and_then(|(id, _)| self.department(id))
                .map(|d| self.dir.departments[d].id.clone());
            let mut said: Vec<&str> = Vec::new();
            for o in picked {
                if !said.contains(&quoted(&o.content)) {
                    said.push(quoted(&o.content));
                }
            }
            suggestions.push(DeputySuggestion {
                id: String::new(),
                station_id: self.dir.stations[s].id.clone(),
                date: day,
                title: format!(
                    "关于{}的建议",
                    suggestion_subject(topic).replace("{place}", &place)
                ),
                content: format!(
                    "{place}选民多次反映：{}（共{n}条）。建议有关部门统筹研究，制定解决方案并限期落实。",
                    said.join("；")
                ),
                deputy_ids: deputies,
                opinion_ids: picked.iter().map(|o| o.id.clone()).collect(),
                department_id: department,
                supervised: self.rng.random_bool(0.25),
            });
        }
        // Livelihood leads: a station's opinions that call for the same project.
        let mut calls: BTreeMap<(usize, &str), Vec<&Opinion>> = BTreeMap::new();
        for o in opinions.iter().filter(|o| o.draft_id.is_none()) {
            if let Some(project) = project_of(&o.content) {
                calls
                    .entry((station_index[o.station_id.as_str()], project))
                    .or_default()
                    .push(o);
            }
        }
        let mut leads = Vec::new();
        for ((s, project), group) in calls {
            if group.len() < 2 || !self.rng.random_bool(0.3) {
                continue;
            }
            let n = self.rng.random_range(2..=group.len().min(4));
            let picked = &group[..n];
            let last = picked.iter().map(|o| o.date).max().expect("opinions");
            let day = later(last, self.rng.random_range(5..=30)).min(end);
            let mut said: Vec<&str> = Vec::new();
            for o in picked {
                if !said.contains(&quoted(&o.content)) {
                    said.push(quoted(&o.content));
                }
            }
            leads.push(LivelihoodLead {
                id: String::new(),
                station_id: self.dir.stations[s].id.clone(),
                date: day,
                title: format!("{}{project}", self.station_place(s)),
                content: format!(
                    "根据{n}条选民意见形成：{}。建议纳入{}年民生实事项目。",
                    said.join("；"),
                    YEAR + 1
                ),
                opinion_ids: picked.iter().map(|o| o.id.clone()).collect(),
            });
        }
        suggestions.sort_by(|a, b| (a.date, &a.station_id).cmp(&(b.date, &b.station_id)));
        for (i, x) in suggestions.iter_mut().enumerate() {
            x.id = format!("sug-{:04}", i + 1);
        }
        leads.sort_by(|a, b| (a.date, &a.station_id).cmp(&(b.date, &b.station_id)));
        for (i, x) in leads.iter_mut().enumerate() {
            x.id = format!("lead-{:04}", i + 1);
        }
        (suggestions, leads)
    }
}
