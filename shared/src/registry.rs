//! The registry of record kinds: every kind of record is declared here once, with its key
//! prefix (the root key `<prefix>:<id>` in a document), the family of document that holds
//! it, its projection table and columns, and the fields its history shows.
//!
//! Everything that must treat each kind alike is driven from [`KINDS`] and the code the
//! `kinds!` entry generates: reading a record from a document ([`AnyRecord::read`]),
//! projection (the row written to the kind's table), wiping an account's data (every
//! kind's table is emptied), history (which kinds have one and which fields it shows) and
//! `Store::verify` (every kind's rows against the documents, both ways). A new kind is its
//! model type, one entry here, and the migration that creates its table; tests fail if the
//! table is missing, if its rows survive an account switch, or if `verify` skips it.

use automerge::AutoCommit;
use chrono::NaiveDate;
use rusqlite::types::Value;

use crate::Error;
use crate::doc::{self, DocFamily, Record, Revision};
use crate::model::*;

/// What every part of the store knows about one kind of record.
#[derive(Debug)]
pub struct KindInfo {
    /// The type's name, for messages.
    pub name: &'static str,
    /// The root-key prefix, e.g. `activity` for `activity:<uuid>`.
    pub prefix: &'static str,
    pub family: DocFamily,
    /// The projection table the UI lists from.
    pub table: &'static str,
    /// The projection's columns after `doc_id`, in the order of [`AnyRecord::row`].
    pub columns: &'static [&'static str],
    /// The record's JSON keys that a history shows, with the form field each one is. A
    /// kind with none has no history (reference data).
    pub history: &'static [(&'static str, Field)],
}

impl KindInfo {
    /// The form field that JSON key `key` of this kind is, if its history shows it.
    pub fn history_field(&self, key: &str) -> Option<Field> {
        self.history
            .iter()
            .find(|(k, _)| *k == key)
            .map(|(_, f)| *f)
    }
}

/// The kind with key prefix `prefix`, if this build knows it.
pub fn kind(prefix: &str) -> Option<&'static KindInfo> {
    KINDS.iter().find(|k| k.prefix == prefix)
}

// Projection values, as the tables keep them.
fn text(s: &str) -> Value {
    Value::Text(s.to_owned())
}
fn opt(s: &Option<String>) -> Value {
    s.as_deref().map_or(Value::Null, text)
}
fn date(d: &NaiveDate) -> Value {
    Value::Text(d.to_string())
}
fn opt_date(d: &Option<NaiveDate>) -> Value {
    d.as_ref().map_or(Value::Null, date)
}
/// Lists and other nested values are kept as JSON.
fn json<T: serde::Serialize + ?Sized>(v: &T) -> Value {
    Value::Text(serde_json::to_string(v).expect("plain data serializes"))
}
fn int(n: impl Into<i64>) -> Value {
    Value::Integer(n.into())
}
fn flag(b: bool) -> Value {
    Value::Integer(i64::from(b))
}
/// A unit enum as its snake_case name (how projection rows keep kinds and states).
fn name<T: serde::Serialize>(v: T) -> Value {
    Value::Text(enum_name(v))
}
fn opt_name<T: serde::Serialize>(v: Option<T>) -> Value {
    v.map_or(Value::Null, name)
}

/// A unit enum's snake_case name.
pub(crate) fn enum_name<T: serde::Serialize>(v: T) -> String {
    match serde_json::to_value(v) {
        Ok(serde_json::Value::String(s)) => s,
        other => panic!("not a unit enum: {other:?}"),
    }
}

macro_rules! kinds {
    ($(
        $ty:ident => $prefix:literal in $family:ident, table $table:literal,
        history [$($hkey:literal => $hfield:ident),* $(,)?],
        row |$r:ident| [$($col:ident = $val:expr),* $(,)?];
    )*) => {
        $(impl Record for $ty {
            const PREFIX: &'static str = $prefix;
            const FAMILY: DocFamily = DocFamily::$family;
            fn id(&self) -> &str {
                &self.id
            }
        }

        impl From<$ty> for AnyRecord {
            fn from(r: $ty) -> AnyRecord {
                AnyRecord::$ty(r)
            }
        })*

        /// Any record, as read from a document root key.
        #[derive(Clone, Debug, PartialEq, serde::Serialize)]
        #[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
        pub enum AnyRecord {
            $($ty($ty),)*
        }

        /// Every kind of record this build knows.
        pub const KINDS: &[KindInfo] = &[$(KindInfo {
            name: stringify!($ty),
            prefix: $prefix,
            family: DocFamily::$family,
            table: $table,
            columns: &[$(stringify!($col)),*],
            history: &[$(($hkey, Field::$hfield)),*],
        }),*];

        impl AnyRecord {
            /// Reads the record under root key `key`; `None` for a key this build does
            /// not know (a record kind from a newer app, kept but not shown).
            pub fn read(doc: &AutoCommit, key: &str) -> Result<Option<AnyRecord>, Error> {
                let Some((prefix, _)) = key.split_once(':') else {
                    return Ok(None);
                };
                Ok(match prefix {
                    $($prefix => Some(AnyRecord::$ty(doc::read_at(doc, key)?)),)*
                    _ => None,
                })
            }

            /// The record's own id.
            pub fn id(&self) -> &str {
                match self {
                    $(AnyRecord::$ty(r) => &r.id,)*
                }
            }

            /// The record's kind.
            pub fn kind(&self) -> &'static KindInfo {
                match self {
                    $(AnyRecord::$ty(_) => kind($prefix).expect("registered"),)*
                }
            }

            pub fn family(&self) -> DocFamily {
                self.kind().family
            }

            /// The record's projection row: values of [`KindInfo::columns`], in order.
            pub fn row(&self) -> Vec<Value> {
                match self {
                    $(AnyRecord::$ty($r) => vec![$($val),*],)*
                }
            }
        }

        /// The revisions of record `id` of the kind with prefix `prefix` in `doc`.
        pub fn record_history(
            prefix: &str,
            doc: &mut AutoCommit,
            id: &str,
        ) -> Result<Option<Vec<Revision>>, Error> {
            Ok(match prefix {
                $($prefix => Some(doc::record_history::<$ty>(doc, id)?),)*
                _ => None,
            })
        }
    };
}

kinds! {
    Activity => "activity" in Station, table "activities",
        history [
            "kind" => Kind, "station_id" => Station, "date" => Date, "deputy_ids" => Deputies,
            "guests" => Guests, "voters_received" => VotersReceived, "online" => Online,
            "location" => Location, "summary" => Summary, "photos" => Photos,
            "campaign_id" => Campaign, "draft_id" => Draft,
        ],
        row |a| [
            id = text(&a.id), kind = name(a.kind), station_id = text(&a.station_id),
            date = date(&a.date), deputy_ids = json(&a.deputy_ids), guests = text(&a.guests),
            voters_received = int(a.voters_received), online = flag(a.online),
            location = text(&a.location), summary = text(&a.summary), photos = json(&a.photos),
            campaign_id = opt(&a.campaign_id), draft_id = opt(&a.draft_id),
            attendances = int(a.deputy_ids.len() as i64),
        ];
    Opinion => "opinion" in Station, table "opinions",
        history [
            "station_id" => Station, "date" => Date, "categories" => Categories,
            "content" => Content, "voter_name" => VoterName, "voter_phone" => VoterPhone,
            "consent" => Consent, "received_by" => ReceivedBy, "activity_id" => Activity,
            "draft_id" => Draft, "article_id" => Article, "feedback_date" => Feedback,
            "feedback" => Feedback, "satisfaction" => Satisfaction,
            "contact" => VoterContact,
        ],
        row |x| [
            id = text(&x.id), station_id = text(&x.station_id), date = date(&x.date),
            categories = json(&x.categories), content = text(&x.content),
            voter_name = text(&x.voter_name), voter_phone = text(&x.voter_phone),
            consent = flag(x.consent), received_by = opt(&x.received_by),
            activity_id = opt(&x.activity_id), draft_id = opt(&x.draft_id),
            article_id = opt(&x.article_id), feedback_date = opt_date(&x.feedback_date),
            feedback = text(&x.feedback), satisfaction = opt_name(x.satisfaction),
            channel = opt_name(x.channel), contact = opt(&x.contact),
        ];
    DeputySuggestion => "suggestion" in Station, table "suggestions",
        history [
            "station_id" => Station, "date" => Date, "title" => Title, "content" => Content,
            "deputy_ids" => Deputies, "opinion_ids" => Opinions, "department_id" => Department,
            "supervised" => Supervised,
        ],
        row |x| [
            id = text(&x.id), station_id = text(&x.station_id), date = date(&x.date),
            title = text(&x.title), content = text(&x.content), deputy_ids = json(&x.deputy_ids),
            opinion_ids = json(&x.opinion_ids), department_id = opt(&x.department_id),
            supervised = flag(x.supervised),
        ];
    LivelihoodLead => "lead" in Station, table "leads",
        history [
            "station_id" => Station, "date" => Date, "title" => Title, "content" => Content,
            "opinion_ids" => Opinions,
        ],
        row |x| [
            id = text(&x.id), station_id = text(&x.station_id), date = date(&x.date),
            title = text(&x.title), content = text(&x.content),
            opinion_ids = json(&x.opinion_ids),
        ];
    YearReport => "report" in Station, table "reports",
        history ["title" => Title, "text" => Content],
        row |x| [
            id = text(&x.id), deputy_id = text(&x.deputy_id), station_id = text(&x.station_id),
            year = int(x.year), date = date(&x.date), title = text(&x.title),
            text = text(&x.text),
        ];
    Referral => "referral" in Referrals, table "referrals",
        history [
            "station_id" => Station, "department_id" => Department, "referred_on" => Date,
            "deadline" => Deadline, "categories" => Categories, "content" => Content,
            "note" => Note,
        ],
        row |x| [
            id = text(&x.id), opinion_id = text(&x.opinion_id), station_id = text(&x.station_id),
            department_id = text(&x.department_id), referred_on = date(&x.referred_on),
            deadline = date(&x.deadline), categories = json(&x.categories),
            content = text(&x.content), note = text(&x.note),
        ];
    Answer => "answer" in Answers, table "answers",
        history [
            "station_id" => Station, "department_id" => Department, "status" => Status,
            "date" => Date, "text" => Answer,
        ],
        row |x| [
            id = text(&x.id), referral_id = text(&x.referral_id), opinion_id = text(&x.opinion_id),
            station_id = text(&x.station_id), department_id = text(&x.department_id),
            status = name(x.status), date = date(&x.date), text = text(&x.text),
        ];
    Subdistrict => "subdistrict" in District, table "subdistricts",
        history [],
        row |x| [id = text(&x.id), name = text(&x.name), kind = name(x.kind)];
    Department => "department" in District, table "departments",
        history [],
        row |x| [id = text(&x.id), name = text(&x.name)];
    Campaign => "campaign" in District, table "campaigns",
        history [],
        row |x| [
            id = text(&x.id), name = text(&x.name), activity_kind = name(x.activity_kind),
            starts = date(&x.starts), ends = date(&x.ends), station_ids = json(&x.station_ids),
        ];
    Station => "station" in Subdistrict, table "stations",
        history [],
        row |x| [
            id = text(&x.id), name = text(&x.name), kind = name(x.kind),
            subdistrict_id = text(&x.subdistrict_id),
        ];
    StationStaff => "staff" in Subdistrict, table "station_staff",
        history [],
        row |x| [
            id = text(&x.id), station_id = text(&x.station_id), name = text(&x.name),
            post = text(&x.post),
        ];
    Deputy => "deputy" in Subdistrict, table "deputies",
        history [],
        row |x| [
            id = text(&x.id), name = text(&x.name), levels = json(&x.levels),
            station_id = text(&x.station_id),
        ];
    DraftRegulation => "draft" in Consultation, table "drafts",
        history [],
        row |x| [
            id = text(&x.id), title = text(&x.title), opens = date(&x.opens),
            closes = date(&x.closes), articles = json(&x.articles),
        ];
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_kind_is_declared_once_with_an_id_column_first() {
        for (i, k) in KINDS.iter().enumerate() {
            assert!(
                KINDS[..i]
                    .iter()
                    .all(|o| o.prefix != k.prefix && o.table != k.table),
                "{} shares a prefix or table",
                k.name
            );
            assert_eq!(k.columns.first(), Some(&"id"), "{}", k.name);
            assert!(
                !k.prefix.contains(':') && !k.prefix.contains('/'),
                "{}: a prefix is one word",
                k.name
            );
        }
    }
}
