//! Reference data: stations, deputies, departments, campaigns, draft regulations.

use super::*;

impl Store {
    /// Streets and towns known to this device, by name.
    pub fn subdistricts(&self) -> Result<Vec<Subdistrict>, Error> {
        self.query(
            "SELECT id, name, kind FROM subdistricts ORDER BY kind, name",
            [],
            |r| {
                Ok(Subdistrict {
                    id: r.get(0)?,
                    name: r.get(1)?,
                    kind: enum_from(&r.get::<_, String>(2)?)?,
                })
            },
        )
    }

    /// Stations known to this device, in the pinyin order of their names.
    pub fn stations(&self) -> Result<Vec<Station>, Error> {
        let mut stations = self.query(
            "SELECT id, name, kind, subdistrict_id FROM stations",
            [],
            |r| {
                Ok(Station {
                    id: r.get(0)?,
                    name: r.get(1)?,
                    kind: enum_from(&r.get::<_, String>(2)?)?,
                    subdistrict_id: r.get(3)?,
                })
            },
        )?;
        crate::collate::sort_by_pinyin(&mut stations, |s| &s.name);
        Ok(stations)
    }

    /// The stations the signed-in account records for (its station, or its street's or
    /// town's): what the forms offer. Every station without a session.
    pub fn writable_stations(&self) -> Result<Vec<Station>, Error> {
        self.stations_with(|a| a == Access::Write)
    }

    /// The stations whose records the signed-in account reads (its station, its street
    /// or town, or all); every station before a sign-in.
    pub fn readable_stations(&self) -> Result<Vec<Station>, Error> {
        self.stations_with(|a| a != Access::None)
    }

    /// The stations whose month documents the signed-in account has `wanted` access to.
    fn stations_with(&self, wanted: impl Fn(Access) -> bool) -> Result<Vec<Station>, Error> {
        let Some(session) = self.session()? else {
            return self.stations();
        };
        let stations = self.stations()?;
        let subdistricts: HashMap<String, String> = stations
            .iter()
            .map(|s| (s.id.clone(), s.subdistrict_id.clone()))
            .collect();
        Ok(stations
            .into_iter()
            .filter(|s| {
                let month = DocId::Station {
                    station: s.id.clone(),
                    year: 2000,
                    month: 1,
                };
                wanted(crate::access::access(&session.account, &month, |id| {
                    subdistricts.get(id).cloned()
                }))
            })
            .collect())
    }

    /// The deputies grouped into `station_id`.
    pub fn deputies(&self, station_id: &str) -> Result<Vec<Deputy>, Error> {
        self.query(
            "SELECT id, name, levels, station_id FROM deputies WHERE station_id = ?1 ORDER BY id",
            [station_id],
            |r| {
                Ok(Deputy {
                    id: r.get(0)?,
                    name: r.get(1)?,
                    levels: from_json(&r.get::<_, String>(2)?)?,
                    station_id: r.get(3)?,
                })
            },
        )
    }

    /// Departments that answer referred opinions, by name.
    pub fn departments(&self) -> Result<Vec<Department>, Error> {
        self.query("SELECT id, name FROM departments ORDER BY name", [], |r| {
            Ok(Department {
                id: r.get(0)?,
                name: r.get(1)?,
            })
        })
    }

    /// Campaigns, newest first.
    pub fn campaigns(&self) -> Result<Vec<Campaign>, Error> {
        self.query(
            "SELECT id, name, activity_kind, starts, ends, station_ids FROM campaigns
             ORDER BY starts DESC",
            [],
            |r| {
                Ok(Campaign {
                    id: r.get(0)?,
                    name: r.get(1)?,
                    activity_kind: enum_from(&r.get::<_, String>(2)?)?,
                    starts: r.get(3)?,
                    ends: r.get(4)?,
                    station_ids: from_json(&r.get::<_, String>(5)?)?,
                })
            },
        )
    }

    /// Draft regulations with their articles, newest first.
    pub fn drafts(&self) -> Result<Vec<DraftRegulation>, Error> {
        self.query(
            "SELECT id, title, opens, closes, articles FROM drafts ORDER BY opens DESC",
            [],
            |r| {
                Ok(DraftRegulation {
                    id: r.get(0)?,
                    title: r.get(1)?,
                    opens: r.get(2)?,
                    closes: r.get(3)?,
                    articles: from_json(&r.get::<_, String>(4)?)?,
                })
            },
        )
    }
}
