//! Statistics and duty records, counted from the projection tables (the rules are in
//! [`crate::model::Statistics`]'s module). Every query starts from the same selection:
//! the activities, attendances and opinions the [`StatsQuery`] covers.

use super::*;

/// The selection every statistics query starts from, as SQL common table expressions
/// (after a `WITH`) on parameters ?1 from, ?2 to, ?3 campaign, ?4 draft, ?5 street/town,
/// ?6 station, ?7 today: `q` (the parameters, each bound once), `place` (the stations the
/// query covers), `act` (its activities), `att` (their attendances), `op` (its opinions
/// with their status, as [`opinions_with_status`]; no text or personal data); then
/// [`FORMED`] adds `sug` and `lead`.
macro_rules! selection {
    () => {
        concat!(
            "q AS (SELECT ?1 AS d_from, ?2 AS d_to, ?3 AS campaign, ?4 AS draft,
                          ?5 AS sd, ?6 AS st, ?7 AS today),
             place AS (SELECT s.id, s.subdistrict_id FROM stations s, q
                       WHERE (q.sd IS NULL OR s.subdistrict_id = q.sd)
                         AND (q.st IS NULL OR s.id = q.st)),
             act AS (SELECT a.* FROM activities a, q
                     WHERE (q.d_from IS NULL OR a.date >= q.d_from)
                       AND (q.d_to IS NULL OR a.date <= q.d_to)
                       AND ((q.sd IS NULL AND q.st IS NULL)
                            OR a.station_id IN (SELECT id FROM place))
                       AND (q.campaign IS NULL OR a.campaign_id = q.campaign)
                       AND (q.draft IS NULL OR a.draft_id = q.draft)),
             att AS (SELECT ad.deputy_id, ad.station_id, ad.date, ad.activity_id
                     FROM activity_deputies ad JOIN act ON act.id = ad.activity_id),
             -- The opinions covered, before their status is derived (for them only).
             o_in AS (SELECT o.rowid AS rowid, o.* FROM opinions o, q
                      WHERE (q.d_from IS NULL OR o.date >= q.d_from)
                        AND (q.d_to IS NULL OR o.date <= q.d_to)
                        AND ((q.sd IS NULL AND q.st IS NULL)
                             OR o.station_id IN (SELECT id FROM place))
                        AND (q.campaign IS NULL OR o.activity_id IN (SELECT id FROM act))
                        AND (q.draft IS NULL OR o.draft_id = q.draft)),
             ",
            opinions_with_status!("o_in"),
            ",
             op AS (SELECT v.id, v.station_id, v.date, v.categories, v.channel, v.status,
                           v.deadline, v.satisfaction, v.activity_id, v.draft_id, v.dept,
                           v.referred_on, v.answered_on
                    FROM v)
             "
        )
    };
}

/// The suggestions and leads of the selection (on `q`, `place` and `op`, which are
/// materialised by then).
const FORMED: &str = "sug AS (SELECT x.* FROM suggestions x, q
                     WHERE (q.d_from IS NULL OR x.date >= q.d_from)
                       AND (q.d_to IS NULL OR x.date <= q.d_to)
                       AND ((q.sd IS NULL AND q.st IS NULL)
                            OR x.station_id IN (SELECT id FROM place))
                       AND ((q.campaign IS NULL AND q.draft IS NULL) OR EXISTS (
                            SELECT 1 FROM json_each(x.opinion_ids) j
                            WHERE j.value IN (SELECT id FROM op)))),
             lead AS (SELECT x.* FROM leads x, q
                     WHERE (q.d_from IS NULL OR x.date >= q.d_from)
                       AND (q.d_to IS NULL OR x.date <= q.d_to)
                       AND ((q.sd IS NULL AND q.st IS NULL)
                            OR x.station_id IN (SELECT id FROM place))
                       AND ((q.campaign IS NULL AND q.draft IS NULL) OR EXISTS (
                            SELECT 1 FROM json_each(x.opinion_ids) j
                            WHERE j.value IN (SELECT id FROM op))))
             ";

/// The selection's parts, each kept in a temporary table (in memory) while the
/// statistics are counted, so the opinions' status is derived once, not per figure.
const PARTS: [(&str, &str); 7] = [
    ("stat_q", "q"),
    ("stat_place", "place"),
    ("stat_act", "act"),
    ("stat_att", "att"),
    ("stat_op", "op"),
    ("stat_sug", "sug"),
    ("stat_lead", "lead"),
];

/// Referred and not answered, past the deadline, as of `q.today` (SQL on `op` rows).
const OVERDUE: &str =
    "(status IN ('referred', 'in_progress') AND deadline < (SELECT today FROM q))";

/// One grouped count per key: `(key, n)`.
type Counts = Vec<(String, u64)>;

/// Where a station stands in the places' tables: streets before towns, each street or
/// town by the pinyin of its name, its home before its liaison stations, then the
/// station's name by pinyin (the name itself between homophones).
type PlaceOrder = (bool, String, bool, String, String);

impl Store {
    /// The statistics `query` covers, as of `today` (which decides what is overdue).
    pub fn statistics(&self, query: &StatsQuery, today: NaiveDate) -> Result<Statistics, Error> {
        query.check().map_err(Error::Invalid)?;
        self.select_for(query, today)?;
        let result = self.count_selected(query);
        for (table, _) in PARTS {
            let _ = self
                .conn
                .execute(&format!("DROP TABLE IF EXISTS temp.{table}"), []);
        }
        result
    }

    /// Keeps the selection `query` covers in the temporary tables [`PARTS`].
    fn select_for(&self, query: &StatsQuery, today: NaiveDate) -> Result<(), Error> {
        let params = params![
            query.from,
            query.to,
            query.campaign_id,
            query.draft_id,
            query.subdistrict_id,
            query.station_id,
            today
        ];
        for (table, part) in PARTS {
            self.conn
                .execute(&format!("DROP TABLE IF EXISTS temp.{table}"), [])?;
            if part == "att" && query.campaign_id.is_none() && query.draft_id.is_none() {
                // Dates and places alone: straight from the attendances' own index.
                self.conn.execute(
                    &format!(
                        "CREATE TEMP TABLE {table} AS
                         SELECT ad.deputy_id, ad.station_id, ad.date, ad.activity_id
                         FROM activity_deputies ad, temp.stat_q q
                         WHERE (q.d_from IS NULL OR ad.date >= q.d_from)
                           AND (q.d_to IS NULL OR ad.date <= q.d_to)
                           AND ((q.sd IS NULL AND q.st IS NULL)
                                OR ad.station_id IN (SELECT id FROM temp.stat_place))"
                    ),
                    [],
                )?;
            } else if part == "att" {
                // From the activities just kept, not the selection again.
                self.conn.execute(
                    &format!(
                        "CREATE TEMP TABLE {table} AS
                         SELECT ad.deputy_id, ad.station_id, ad.date, ad.activity_id
                         FROM temp.stat_act a JOIN activity_deputies ad ON ad.activity_id = a.id"
                    ),
                    [],
                )?;
            } else if matches!(part, "sug" | "lead") {
                self.conn.execute(
                    &format!(
                        "CREATE TEMP TABLE {table} AS WITH q AS (SELECT * FROM temp.stat_q),
                         place AS (SELECT * FROM temp.stat_place),
                         op AS (SELECT * FROM temp.stat_op), {} SELECT * FROM {part}",
                        FORMED
                    ),
                    [],
                )?;
            } else {
                self.conn.execute(
                    &format!(
                        "CREATE TEMP TABLE {table} AS WITH {} SELECT * FROM {part}",
                        selection!()
                    ),
                    params,
                )?;
            }
        }
        Ok(())
    }

    /// The statistics of the selection kept by [`Store::select_for`].
    fn count_selected(&self, query: &StatsQuery) -> Result<Statistics, Error> {
        let params: &[&dyn rusqlite::ToSql] = &[];
        let sql = |select: &str| {
            let parts: Vec<String> = PARTS
                .iter()
                .map(|(table, part)| format!("{part} AS (SELECT * FROM temp.{table})"))
                .collect();
            format!("WITH {} {select}", parts.join(", "))
        };
        let counts = |select: &str| -> Result<Counts, Error> {
            self.query(&sql(select), params, |r| {
                Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)? as u64))
            })
        };
        let keyed = |select: &str| -> Result<HashMap<String, Vec<i64>>, Error> {
            let rows: Vec<(String, Vec<i64>)> = self.query(&sql(select), params, |r| {
                let n = r.as_ref().column_count();
                let values = (1..n)
                    .map(|i| r.get::<_, Option<i64>>(i).map(|v| v.unwrap_or(0)))
                    .collect::<rusqlite::Result<Vec<i64>>>()?;
                Ok((r.get::<_, String>(0)?, values))
            })?;
            Ok(rows.into_iter().collect())
        };

        // Figures by station; the totals and the streets/towns add them up, except the
        // distinct deputies, counted at each level of place on its own.
        let acts = keyed(
            "SELECT station_id, COUNT(*), SUM(CASE WHEN online THEN 0 ELSE voters_received END),
                    SUM(CASE WHEN online THEN voters_received ELSE 0 END)
             FROM act GROUP BY station_id",
        )?;
        let atts = keyed(
            "SELECT station_id, COUNT(*), COUNT(DISTINCT deputy_id) FROM att GROUP BY station_id",
        )?;
        let ops = keyed(&format!(
            "SELECT station_id, COUNT(*), SUM(channel IS 'online'),
                    SUM(status IN ('answered', 'fed_back')), SUM({OVERDUE})
             FROM op GROUP BY station_id"
        ))?;
        let sugs = keyed("SELECT station_id, COUNT(*) FROM sug GROUP BY station_id")?;
        let leads = keyed("SELECT station_id, COUNT(*) FROM lead GROUP BY station_id")?;
        let figures_of = |station: &str| {
            let get = |m: &HashMap<String, Vec<i64>>, i: usize| {
                m.get(station).and_then(|v| v.get(i)).copied().unwrap_or(0) as u64
            };
            Figures {
                activities: get(&acts, 0),
                voters_on_site: get(&acts, 1),
                voters_online: get(&acts, 2),
                attendances: get(&atts, 0),
                deputies: get(&atts, 1),
                opinions: get(&ops, 0),
                opinions_online: get(&ops, 1),
                answered: get(&ops, 2),
                overdue: get(&ops, 3),
                suggestions: get(&sugs, 0),
                leads: get(&leads, 0),
            }
        };
        // Every station the query covers, and any other a record names: streets before
        // towns, each street's or town's stations (its home first) in pinyin order, as
        // the district's own lists run.
        let mut places: Vec<(String, String, String, PlaceOrder)> = self.query(
            &sql(
                "SELECT s.id, s.name, s.subdistrict_id, COALESCE(sd.kind, ''), s.kind,
                         COALESCE(sd.name, '')
                 FROM place p JOIN stations s ON s.id = p.id
                      LEFT JOIN subdistricts sd ON sd.id = s.subdistrict_id",
            ),
            params,
            |r| {
                let name: String = r.get(1)?;
                let order = (
                    r.get::<_, String>(3)? != "street",
                    crate::collate::pinyin_key(&r.get::<_, String>(5)?),
                    r.get::<_, String>(4)? != "home",
                    crate::collate::pinyin_key(&name),
                    name.clone(),
                );
                Ok((r.get(0)?, name, r.get(2)?, order))
            },
        )?;
        places.sort_by(|a, b| a.3.cmp(&b.3));
        let mut named: HashSet<String> = acts
            .keys()
            .chain(atts.keys())
            .chain(ops.keys())
            .chain(sugs.keys())
            .chain(leads.keys())
            .cloned()
            .collect();
        for (id, ..) in &places {
            named.remove(id);
        }
        let mut others: Vec<String> = named.into_iter().collect();
        others.sort();
        places.extend(
            others
                .into_iter()
                .map(|id| (id.clone(), id, String::new(), PlaceOrder::default())),
        );
        let sub_names = self.names("subdistricts")?;
        let by_station: Vec<PlaceFigures> = places
            .iter()
            .map(|(id, name, sub, _)| PlaceFigures {
                id: id.clone(),
                name: name.clone(),
                subdistrict: sub_names.get(sub).cloned(),
                figures: figures_of(id),
            })
            .collect();

        let sub_deputies = keyed(
            "SELECT COALESCE(s.subdistrict_id, ''), COUNT(DISTINCT att.deputy_id)
             FROM att LEFT JOIN stations s ON s.id = att.station_id GROUP BY 1",
        )?;
        let mut by_subdistrict: Vec<PlaceFigures> = Vec::new();
        for ((_, _, sub, _), station) in places.iter().zip(&by_station) {
            let i = match by_subdistrict.iter().position(|p| &p.id == sub) {
                Some(i) => i,
                None => {
                    by_subdistrict.push(PlaceFigures {
                        id: sub.clone(),
                        name: sub_names.get(sub).cloned().unwrap_or_else(|| sub.clone()),
                        subdistrict: None,
                        figures: Figures::default(),
                    });
                    by_subdistrict.len() - 1
                }
            };
            add(&mut by_subdistrict[i].figures, &station.figures);
        }
        for p in &mut by_subdistrict {
            p.figures.deputies = sub_deputies.get(&p.id).map_or(0, |v| v[0] as u64);
        }
        by_subdistrict.retain(|p| !p.id.is_empty() || p.figures != Figures::default());

        let mut totals = Figures::default();
        for p in &by_station {
            add(&mut totals, &p.figures);
        }
        totals.deputies = self.query(
            &sql("SELECT COUNT(DISTINCT deputy_id) FROM att"),
            params,
            |r| r.get::<_, i64>(0),
        )?[0] as u64;

        // Each deputy's attendances first, then their levels (a deputy's levels are read
        // once, not once per attendance).
        let levels = keyed(
            "SELECT l.value, SUM(n.n), COUNT(*)
             FROM (SELECT deputy_id, COUNT(*) AS n FROM att GROUP BY deputy_id) n
                  JOIN deputies d ON d.id = n.deputy_id, json_each(d.levels) l
             GROUP BY l.value",
        )?;
        let level_counts = |i: usize| -> Vec<(DeputyLevel, u64)> {
            [DeputyLevel::City, DeputyLevel::District, DeputyLevel::Town]
                .into_iter()
                .map(|l| (l, levels.get(&enum_str(l)).map_or(0, |v| v[i] as u64)))
                .collect()
        };

        // The opinions covered that were referred, by the department of their latest
        // referral (as the opinion list filters them), with the days that referral took
        // to its first answer.
        struct Referred {
            department: String,
            name: String,
            answered_after: Option<f64>,
            answered: bool,
            overdue: bool,
        }
        let referred: Vec<Referred> = self.query(
            &sql(&format!(
                "SELECT op.dept, COALESCE(d.name, op.dept),
                        julianday(op.answered_on) - julianday(op.referred_on),
                        op.status IN ('answered', 'fed_back'), {OVERDUE}
                 FROM op LEFT JOIN departments d ON d.id = op.dept
                 WHERE op.dept IS NOT NULL ORDER BY op.dept"
            )),
            params,
            |r| {
                Ok(Referred {
                    department: r.get(0)?,
                    name: r.get(1)?,
                    answered_after: r.get(2)?,
                    answered: r.get(3)?,
                    overdue: r.get(4)?,
                })
            },
        )?;
        let mut referrals_by_department: Vec<DepartmentFigures> = Vec::new();
        for group in referred.chunk_by(|a, b| a.department == b.department) {
            let mut days: Vec<f64> = group.iter().filter_map(|r| r.answered_after).collect();
            referrals_by_department.push(DepartmentFigures {
                id: group[0].department.clone(),
                name: group[0].name.clone(),
                referred: group.len() as u64,
                answered: group.iter().filter(|r| r.answered).count() as u64,
                overdue: group.iter().filter(|r| r.overdue).count() as u64,
                median_days: median(&mut days),
            });
        }
        referrals_by_department.sort_by(|a, b| b.referred.cmp(&a.referred).then(a.id.cmp(&b.id)));
        let mut all_days: Vec<f64> = referred.iter().filter_map(|r| r.answered_after).collect();

        let by_month = self.by_month(&sql, params, query)?;
        Ok(Statistics {
            query: query.clone(),
            totals,
            activities_by_kind: in_order(
                &ActivityKind::ALL,
                counts("SELECT kind, COUNT(*) FROM act GROUP BY kind")?,
            ),
            attendances_by_level: level_counts(0),
            deputies_by_level: level_counts(1),
            opinions_by_category: in_order(
                &OpinionCategory::ALL,
                counts(
                    "SELECT c.value, COUNT(*) FROM op, json_each(op.categories) c
                     GROUP BY c.value",
                )?,
            ),
            opinions_by_status: in_order(
                &[
                    OpinionStatus::Recorded,
                    OpinionStatus::Referred,
                    OpinionStatus::InProgress,
                    OpinionStatus::Answered,
                    OpinionStatus::FedBack,
                ],
                counts("SELECT status, COUNT(*) FROM op GROUP BY status")?,
            ),
            satisfaction: in_order(
                &Satisfaction::ALL,
                counts(
                    "SELECT satisfaction, COUNT(*) FROM op WHERE satisfaction IS NOT NULL
                     GROUP BY satisfaction",
                )?,
            ),
            referrals_by_department,
            median_days_to_answer: median(&mut all_days),
            supervised_suggestions: self.query(
                &sql("SELECT COUNT(*) FROM sug WHERE supervised"),
                params,
                |r| r.get::<_, i64>(0),
            )?[0] as u64,
            by_subdistrict,
            by_station,
            by_month,
        })
    }

    /// The months of the query's period (or of the records, without dates), each with
    /// its figures.
    fn by_month(
        &self,
        sql: &dyn Fn(&str) -> String,
        params: &[&dyn rusqlite::ToSql],
        query: &StatsQuery,
    ) -> Result<Vec<MonthFigures>, Error> {
        // Each kind of row grouped on its own (one pass each), then put side by side.
        let mut found: BTreeMap<String, (i64, i64, i64, i64)> = BTreeMap::new();
        for (i, select) in [
            "SELECT substr(date, 1, 7), COUNT(*), SUM(voters_received) FROM act GROUP BY 1",
            "SELECT substr(date, 1, 7), COUNT(*), 0 FROM att GROUP BY 1",
            "SELECT substr(date, 1, 7), COUNT(*), 0 FROM op GROUP BY 1",
        ]
        .into_iter()
        .enumerate()
        {
            for (m, n, v) in self.query(&sql(select), params, |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, i64>(1)?,
                    r.get::<_, i64>(2)?,
                ))
            })? {
                let e = found.entry(m).or_default();
                match i {
                    0 => (e.0, e.2) = (n, v),
                    1 => e.1 = n,
                    _ => e.3 = n,
                }
            }
        }
        let rows: Vec<String> = found.keys().cloned().collect();
        let first = query
            .from
            .map(|d| d.format("%Y-%m").to_string())
            .or_else(|| rows.first().cloned());
        let last = query
            .to
            .map(|d| d.format("%Y-%m").to_string())
            .or_else(|| rows.last().cloned());
        let (Some(first), Some(last)) = (first, last) else {
            return Ok(Vec::new());
        };
        Ok(months_between(&first, &last)
            .into_iter()
            .map(|month| {
                let (a, t, v, o) = found.get(&month).copied().unwrap_or_default();
                MonthFigures {
                    month,
                    activities: a as u64,
                    attendances: t as u64,
                    voters: v as u64,
                    opinions: o as u64,
                }
            })
            .collect())
    }

    /// Deputy `deputy_id`'s duty record for `year`.
    pub fn duty_record(&self, deputy_id: &str, year: i32) -> Result<DutyRecord, Error> {
        let (name, levels, station_id, station_name): (String, String, String, String) = self
            .conn
            .query_row(
                "SELECT d.name, d.levels, d.station_id, COALESCE(s.name, d.station_id)
                 FROM deputies d LEFT JOIN stations s ON s.id = d.station_id WHERE d.id = ?1",
                [deputy_id],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
            )
            .optional()?
            .ok_or(Error::NotFound)?;
        let from = NaiveDate::from_ymd_opt(year, 1, 1).ok_or(Error::NotFound)?;
        let to = NaiveDate::from_ymd_opt(year, 12, 31).ok_or(Error::NotFound)?;
        let activities = self.list_activities(&ActivityFilter {
            deputy_id: Some(deputy_id.to_owned()),
            from: Some(from),
            to: Some(to),
            ..ActivityFilter::default()
        })?;
        let kept = |rhythm: Rhythm, part: &str| -> Result<Vec<usize>, Error> {
            self.query(
                &format!(
                    "SELECT DISTINCT {part} FROM activity_deputies
                     WHERE deputy_id = ?1 AND date >= ?2 AND date <= ?3
                       AND kind IN (SELECT value FROM json_each(?4))"
                ),
                params![deputy_id, from, to, home::rhythm_kinds(rhythm)],
                |r| r.get::<_, i64>(0).map(|n| n as usize),
            )
        };
        let mut months = [false; 12];
        for m in kept(Rhythm::Month, "CAST(substr(date, 6, 2) AS INTEGER) - 1")? {
            months[m.min(11)] = true;
        }
        let mut quarters = [false; 4];
        for q in kept(
            Rhythm::Quarter,
            "(CAST(substr(date, 6, 2) AS INTEGER) - 1) / 3",
        )? {
            quarters[q.min(3)] = true;
        }
        let duty_report = !kept(Rhythm::Year, "1")?.is_empty();
        let (opinions, opinions_answered): (i64, Option<i64>) = self.conn.query_row(
            concat!(
                "WITH ",
                opinions_with_status!(),
                " SELECT COUNT(*), SUM(status IN ('answered', 'fed_back')) FROM v
                  WHERE date >= ?2 AND date <= ?3
                    AND (received_by = ?1 OR activity_id IN (
                         SELECT activity_id FROM activity_deputies WHERE deputy_id = ?1))"
            ),
            params![deputy_id, from, to],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )?;
        let suggestions = self.query(
            "SELECT x.date, x.title, x.supervised FROM suggestions x
             WHERE x.date >= ?2 AND x.date <= ?3
               AND EXISTS (SELECT 1 FROM json_each(x.deputy_ids) j WHERE j.value = ?1)
             ORDER BY x.date DESC",
            params![deputy_id, from, to],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )?;
        let report_id = self
            .conn
            .query_row(
                "SELECT id FROM reports WHERE deputy_id = ?1 AND year = ?2
                 ORDER BY date, id LIMIT 1",
                params![deputy_id, year],
                |r| r.get(0),
            )
            .optional()?;
        Ok(DutyRecord {
            deputy_id: deputy_id.to_owned(),
            name,
            levels: from_json(&levels)?,
            station_id,
            station_name,
            year,
            voters_met: activities
                .iter()
                .map(|a| u64::from(a.voters_received))
                .sum(),
            activities,
            opinions: opinions as u64,
            opinions_answered: opinions_answered.unwrap_or(0) as u64,
            suggestions,
            months,
            quarters,
            duty_report,
            report_id,
        })
    }
}

fn add(to: &mut Figures, f: &Figures) {
    to.activities += f.activities;
    to.attendances += f.attendances;
    to.deputies += f.deputies;
    to.voters_on_site += f.voters_on_site;
    to.voters_online += f.voters_online;
    to.opinions += f.opinions;
    to.opinions_online += f.opinions_online;
    to.answered += f.answered;
    to.overdue += f.overdue;
    to.suggestions += f.suggestions;
    to.leads += f.leads;
}

/// Counts keyed by enum name, as `(value, n)` for every value of `all` in its order.
fn in_order<T: Copy + serde::Serialize>(all: &[T], counts: Counts) -> Vec<(T, u64)> {
    all.iter()
        .map(|v| {
            let name = enum_str(*v);
            let n = counts
                .iter()
                .find(|(k, _)| *k == name)
                .map_or(0, |(_, n)| *n);
            (*v, n)
        })
        .collect()
}

/// The median, or `None` of nothing.
fn median(values: &mut [f64]) -> Option<f64> {
    if values.is_empty() {
        return None;
    }
    values.sort_by(f64::total_cmp);
    let mid = values.len() / 2;
    Some(if values.len() % 2 == 1 {
        values[mid]
    } else {
        (values[mid - 1] + values[mid]) / 2.0
    })
}

/// `YYYY-MM` months from `first` to `last`, inclusive (at most 20 years of them).
fn months_between(first: &str, last: &str) -> Vec<String> {
    let parse = |m: &str| -> Option<(i32, u32)> {
        let (y, m) = m.split_once('-')?;
        Some((y.parse().ok()?, m.parse().ok()?))
    };
    let (Some((mut y, mut m)), Some(end)) = (parse(first), parse(last)) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    while (y, m) <= end && out.len() < 240 {
        out.push(format!("{y:04}-{m:02}"));
        (y, m) = if m == 12 { (y + 1, 1) } else { (y, m + 1) };
    }
    out
}
