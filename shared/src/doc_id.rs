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

/// Where a record's document is: the placement rule of its kind, as its `kinds!` entry in
/// [`crate::registry`] names it, with the record's values. It decides the document a new
/// record goes in ([`Home::doc_id`]), the documents a pushed record may sit in
/// ([`Home::admits`]) and what else it must belong to ([`Home::must_belong_to`]); the
/// protocol docs print [`Home::pattern`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Home<'a> {
    /// `district`: the streets and towns, departments and campaigns.
    District(),
    /// `subdistrict/<id>`: a station, in its street's or town's document.
    Subdistrict(&'a str),
    /// The document of the street or town of station `.0`, which must hold that station:
    /// its staff and deputies.
    BesideStation(&'a str),
    /// `consultation/<id>`: a draft regulation, in a document of its own.
    Consultation(&'a str),
    /// `station/<station>/<YYYY-MM of date>`. A record stays in the month it was first
    /// saved in when its date is edited, so it belongs in any month of its station.
    StationMonth(&'a str, NaiveDate),
    /// `referrals/<department>/<station>/<YYYY of date>`; it belongs in any year of the
    /// pair.
    Referrals(&'a str, &'a str, NaiveDate),
    /// `answers/<department>/<station>/<YYYY>`, the year of the document of the referral
    /// `.2` it answers, which must be one of that station's to that department.
    Answers(&'a str, &'a str, &'a str),
}

/// The family of document a place of [`Home`] names, for a `kinds!` entry (so a kind's
/// family is known without a record).
#[macro_export]
#[doc(hidden)]
macro_rules! family_of {
    (District) => {
        $crate::doc_id::DocFamily::District
    };
    (Subdistrict) => {
        $crate::doc_id::DocFamily::Subdistrict
    };
    (BesideStation) => {
        $crate::doc_id::DocFamily::Subdistrict
    };
    (Consultation) => {
        $crate::doc_id::DocFamily::Consultation
    };
    (StationMonth) => {
        $crate::doc_id::DocFamily::Station
    };
    (Referrals) => {
        $crate::doc_id::DocFamily::Referrals
    };
    (Answers) => {
        $crate::doc_id::DocFamily::Answers
    };
}

/// What a record alone cannot tell about where it goes: answered from the store's
/// tables, a directory, or a generated year.
pub trait Places {
    /// The street or town of station `station`.
    fn subdistrict_of(&self, station: &str) -> Option<String>;
    /// The year of the document of referral `referral`.
    fn referral_year(&self, referral: &str) -> Option<i32>;
}

/// What [`Home::doc_id`] could not find.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Unplaced {
    Station(String),
    Referral(String),
}

impl std::fmt::Display for Unplaced {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Unplaced::Station(id) => write!(f, "unknown station {id}"),
            Unplaced::Referral(id) => write!(f, "unknown referral {id}"),
        }
    }
}

/// What a record must belong to beyond its document's id, checked with the document (or
/// the department's referrals) in hand.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BelongsTo<'a> {
    /// Nothing: the document's id says it all.
    Nothing,
    /// The station of this id, held by the same document.
    StationBeside(&'a str),
    /// The referral of this id, of the same station, department and opinion.
    Referral(&'a str),
}

impl<'a> Home<'a> {
    /// The document a new record goes in.
    pub fn doc_id(&self, places: &dyn Places) -> Result<DocId, Unplaced> {
        Ok(match *self {
            Home::District() => DocId::District,
            Home::Subdistrict(id) => DocId::Subdistrict(id.to_owned()),
            Home::BesideStation(station) => DocId::Subdistrict(
                places
                    .subdistrict_of(station)
                    .ok_or_else(|| Unplaced::Station(station.to_owned()))?,
            ),
            Home::Consultation(id) => DocId::Consultation(id.to_owned()),
            Home::StationMonth(station, date) => DocId::station(station, date),
            Home::Referrals(department, station, date) => DocId::Referrals {
                department: department.to_owned(),
                station: station.to_owned(),
                year: date.year(),
            },
            Home::Answers(department, station, referral) => DocId::Answers {
                department: department.to_owned(),
                station: station.to_owned(),
                year: places
                    .referral_year(referral)
                    .ok_or_else(|| Unplaced::Referral(referral.to_owned()))?,
            },
        })
    }

    /// Whether a record with this home may sit in document `doc`, as far as the
    /// document's id tells (see [`Home::must_belong_to`] for the rest).
    pub fn admits(&self, doc: &DocId) -> bool {
        match *self {
            Home::District() => matches!(doc, DocId::District),
            Home::Subdistrict(id) => matches!(doc, DocId::Subdistrict(s) if s == id),
            Home::BesideStation(_) => matches!(doc, DocId::Subdistrict(_)),
            Home::Consultation(id) => matches!(doc, DocId::Consultation(c) if c == id),
            Home::StationMonth(station, _) => {
                matches!(doc, DocId::Station { station: s, .. } if s == station)
            }
            Home::Referrals(department, station, _) => matches!(
                doc,
                DocId::Referrals { department: d, station: s, .. } if d == department && s == station
            ),
            Home::Answers(department, station, _) => matches!(
                doc,
                DocId::Answers { department: d, station: s, .. } if d == department && s == station
            ),
        }
    }

    /// What the record must belong to besides its document.
    pub fn must_belong_to(&self) -> BelongsTo<'a> {
        match *self {
            Home::BesideStation(station) => BelongsTo::StationBeside(station),
            Home::Answers(_, _, referral) => BelongsTo::Referral(referral),
            Home::District()
            | Home::Subdistrict(_)
            | Home::Consultation(_)
            | Home::StationMonth(..)
            | Home::Referrals(..) => BelongsTo::Nothing,
        }
    }

    /// The rule in words, as docs/PROTOCOL.md prints it.
    pub fn pattern(&self) -> &'static str {
        match self {
            Home::District() => "`district`",
            Home::Subdistrict(_) => "`subdistrict/<subdistrict_id>`",
            Home::BesideStation(_) => "`subdistrict/<the station's subdistrict_id>`",
            Home::Consultation(_) => "`consultation/<id>` (its own document)",
            Home::StationMonth(..) => "`station/<station_id>/<YYYY-MM of date>`",
            Home::Referrals(..) => "`referrals/<department_id>/<station_id>/<YYYY of referred_on>`",
            Home::Answers(..) => {
                "`answers/<department_id>/<station_id>/<YYYY>`, the year of its referral's document (not of the answer's date)"
            }
        }
    }
}
