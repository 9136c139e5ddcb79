//! Document ids: the families of document and the id of each document, from which its
//! scope follows without reading it (see [`crate::doc`] for what each holds).

use chrono::{Datelike, NaiveDate};

/// The families of document this build knows.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum DocFamily {
    District,
    Subdistrict,
    Consultation,
    Station,
    Referrals,
    Answers,
}

impl DocFamily {
    pub fn as_str(self) -> &'static str {
        match self {
            DocFamily::District => "district",
            DocFamily::Subdistrict => "subdistrict",
            DocFamily::Consultation => "consultation",
            DocFamily::Station => "station",
            DocFamily::Referrals => "referrals",
            DocFamily::Answers => "answers",
        }
    }

    /// Every family, in the order of the enum.
    pub const ALL: [DocFamily; 6] = [
        DocFamily::District,
        DocFamily::Subdistrict,
        DocFamily::Consultation,
        DocFamily::Station,
        DocFamily::Referrals,
        DocFamily::Answers,
    ];

    /// The reference documents every account reads (the directory and consultations).
    pub fn is_shared(self) -> bool {
        matches!(
            self,
            DocFamily::District | DocFamily::Subdistrict | DocFamily::Consultation
        )
    }
}

/// The id of a document; its string form is what travels and what is stored.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum DocId {
    District,
    Subdistrict(String),
    Consultation(String),
    /// A station's records of one month.
    Station {
        station: String,
        year: i32,
        month: u32,
    },
    Referrals {
        department: String,
        station: String,
        year: i32,
    },
    Answers {
        department: String,
        station: String,
        year: i32,
    },
}

/// Ids of reference data (stations, departments…) and records: 1–64 characters of
/// `[A-Za-z0-9_-]`, so a document id splits on `/` without ambiguity.
pub fn is_valid_id(id: &str) -> bool {
    !id.is_empty()
        && id.len() <= 64
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

impl DocId {
    /// The station whose document this is (months, referrals, answers).
    pub fn station_id(&self) -> Option<&str> {
        match self {
            DocId::Station { station, .. }
            | DocId::Referrals { station, .. }
            | DocId::Answers { station, .. } => Some(station),
            DocId::District | DocId::Subdistrict(_) | DocId::Consultation(_) => None,
        }
    }

    /// The department whose document this is too (referrals, answers).
    pub fn department_id(&self) -> Option<&str> {
        match self {
            DocId::Referrals { department, .. } | DocId::Answers { department, .. } => {
                Some(department)
            }
            _ => None,
        }
    }

    /// The month bucket of a station's record dated `date`.
    pub fn station(station: &str, date: NaiveDate) -> DocId {
        DocId::Station {
            station: station.to_owned(),
            year: date.year(),
            month: date.month(),
        }
    }

    pub fn family(&self) -> DocFamily {
        match self {
            DocId::District => DocFamily::District,
            DocId::Subdistrict(_) => DocFamily::Subdistrict,
            DocId::Consultation(_) => DocFamily::Consultation,
            DocId::Station { .. } => DocFamily::Station,
            DocId::Referrals { .. } => DocFamily::Referrals,
            DocId::Answers { .. } => DocFamily::Answers,
        }
    }

    /// Parses the string form strictly: anything else is `None`.
    pub fn parse(s: &str) -> Option<DocId> {
        let parts: Vec<&str> = s.split('/').collect();
        let id = |s: &str| is_valid_id(s).then(|| s.to_owned());
        let year = |s: &str| {
            (s.len() == 4)
                .then(|| s.parse::<i32>().ok())
                .flatten()
                .filter(|y| (2000..=9999).contains(y))
        };
        Some(match parts.as_slice() {
            ["district"] => DocId::District,
            ["subdistrict", s] => DocId::Subdistrict(id(s)?),
            ["consultation", s] => DocId::Consultation(id(s)?),
            ["station", s, ym] => {
                let (y, m) = ym.split_once('-')?;
                let month = (m.len() == 2)
                    .then(|| m.parse::<u32>().ok())
                    .flatten()
                    .filter(|m| (1..=12).contains(m))?;
                DocId::Station {
                    station: id(s)?,
                    year: year(y)?,
                    month,
                }
            }
            ["referrals", d, s, y] => DocId::Referrals {
                department: id(d)?,
                station: id(s)?,
                year: year(y)?,
            },
            ["answers", d, s, y] => DocId::Answers {
                department: id(d)?,
                station: id(s)?,
                year: year(y)?,
            },
            _ => return None,
        })
    }
}

impl std::fmt::Display for DocId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            DocId::District => write!(f, "district"),
            DocId::Subdistrict(id) => write!(f, "subdistrict/{id}"),
            DocId::Consultation(id) => write!(f, "consultation/{id}"),
            DocId::Station {
                station,
                year,
                month,
            } => write!(f, "station/{station}/{year:04}-{month:02}"),
            DocId::Referrals {
                department,
                station,
                year,
            } => write!(f, "referrals/{department}/{station}/{year:04}"),
            DocId::Answers {
                department,
                station,
                year,
            } => write!(f, "answers/{department}/{station}/{year:04}"),
        }
    }
}
