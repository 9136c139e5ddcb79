//! Campaign progress and legislative-consultation counts.

use super::*;

impl Store {
    /// How many opinions each article of draft `draft_id` has gathered, in article order.
    pub fn article_counts(&self, draft_id: &str) -> Result<Vec<ArticleCount>, Error> {
        let draft = self
            .drafts()?
            .into_iter()
            .find(|d| d.id == draft_id)
            .ok_or(Error::NotFound)?;
        let counts: HashMap<String, u32> = self
            .query(
                "SELECT article_id, COUNT(*) FROM opinions
                 WHERE draft_id = ?1 AND article_id IS NOT NULL GROUP BY article_id",
                [draft_id],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )?
            .into_iter()
            .collect();
        let mut out: Vec<ArticleCount> = draft
            .articles
            .iter()
            .map(|a| ArticleCount {
                article_id: a.id.clone(),
                number: a.number,
                opinions: counts.get(&a.id).copied().unwrap_or(0),
            })
            .collect();
        out.sort_by_key(|a| a.number);
        Ok(out)
    }

    /// Each target station's progress in campaign `id`, of the stations the account reads:
    /// the activities tagged with the campaign, or of its kind within its window at the
    /// station.
    pub fn campaign_progress(&self, id: &str) -> Result<Vec<CampaignProgress>, Error> {
        let c = self
            .campaigns()?
            .into_iter()
            .find(|c| c.id == id)
            .ok_or(Error::NotFound)?;
        let stations = self.names("stations")?;
        // Only the stations whose records this device holds: another station's row would
        // read 0 whatever it did.
        let readable: HashSet<String> = self
            .readable_stations()?
            .into_iter()
            .map(|s| s.id)
            .collect();
        c.station_ids
            .iter()
            .filter(|station| readable.contains(*station))
            .map(|station| {
                let (activities, voters, attendances, opinions) = self.conn.query_row(
                    "WITH x AS (SELECT id, voters_received, attendances FROM activities
                                WHERE station_id = ?1 AND (campaign_id = ?2
                                   OR (campaign_id IS NULL AND kind = ?3
                                       AND date BETWEEN ?4 AND ?5)))
                     SELECT COUNT(*), COALESCE(SUM(voters_received), 0),
                            COALESCE(SUM(attendances), 0),
                            (SELECT COUNT(*) FROM opinions WHERE activity_id IN (SELECT id FROM x))
                     FROM x",
                    params![station, c.id, enum_str(c.activity_kind), c.starts, c.ends],
                    |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
                )?;
                Ok(CampaignProgress {
                    station_id: station.clone(),
                    station_name: stations
                        .get(station)
                        .cloned()
                        .unwrap_or_else(|| station.clone()),
                    activities,
                    voters_received: voters,
                    attendances,
                    opinions,
                })
            })
            .collect()
    }
}
