//! The registry of record kinds: every kind of record is declared here once, with its key
//! prefix (the root key `<prefix>:<id>` in a document), the family of document that holds
//! it, its projection table and columns, and the fields its history shows.
//!
//! Everything that must treat each kind alike is driven from [`KINDS`] and the code the
//! `kinds!` entry generates: reading a record from a document ([`AnyRecord::read`]),
//! where its document is and what it must belong to (`home`), projection (the row written
//! to the kind's table), wiping an account's data (every kind's table is emptied),
//! history (which kinds have one and which fields it shows), `Store::verify` (every
//! kind's rows against the documents, both ways), and, for a kind with a form, making
//! and listing its records ([`create_record`], `Store::records`). A new kind is its model
//! type and form, one entry here, and the migration that creates its table
//! (ARCHITECTURE.md, "Adding a record kind"); tests fail if the table is missing, if its
//! rows survive an account switch, or if `verify` skips it.

use automerge::AutoCommit;

use crate::Error;
use crate::doc;
use crate::doc_id::{BelongsTo, DocFamily};
use crate::model::*;

/// What every part of the store knows about one kind of record.
#[derive(Debug)]
pub struct KindInfo {
    /// The type's name, for messages.
    pub name: &'static str,
    /// The root-key prefix, e.g. `activity` for `activity:<uuid>`.
    pub prefix: &'static str,
    /// The family of document that holds it, from its placement rule ([`Home`](crate::doc_id::Home)).
    pub family: DocFamily,
    /// Fields that hold a sealed value ([`crate::seal`]) whenever they hold one.
    pub sealed: &'static [&'static str],
    /// Whether a pushed record of this kind carries exactly the kind's fields, nothing a
    /// newer app might add (a referral: never a voter's name or phone).
    pub only_its_fields: bool,
    /// The projection table the UI lists from.
    pub table: &'static str,
    /// The projection's columns after `doc_id`, in the order of [`AnyRecord::row`].
    pub columns: &'static [&'static str],
    /// How each column keeps its value: the name of its [`cell`] function.
    pub cells: &'static [&'static str],
    /// The form that makes records of this kind ([`RecordForm`]), if it has one: its
    /// records are then made by [`crate::Store::create`] and listed whole by
    /// [`crate::Store::records`].
    pub form: Option<&'static str>,
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

/// Projection values, as the tables keep them: a `row` entry of `kinds!` names one of
/// these per column, which is also how [`crate::Store::records`] reads the column back.
pub mod cell {
    use chrono::NaiveDate;
    use rusqlite::types::Value;

    use super::enum_name;

    pub fn text(s: &str) -> Value {
        Value::Text(s.to_owned())
    }
    pub fn opt(s: &Option<String>) -> Value {
        s.as_deref().map_or(Value::Null, text)
    }
    pub fn date(d: &NaiveDate) -> Value {
        Value::Text(d.to_string())
    }
    pub fn opt_date(d: &Option<NaiveDate>) -> Value {
        d.as_ref().map_or(Value::Null, date)
    }
    /// Lists and other nested values are kept as JSON.
    pub fn json<T: serde::Serialize + ?Sized>(v: &T) -> Value {
        Value::Text(serde_json::to_string(v).expect("plain data serializes"))
    }
    pub fn int(n: impl Into<i64>) -> Value {
        Value::Integer(n.into())
    }
    pub fn flag(b: bool) -> Value {
        Value::Integer(i64::from(b))
    }
    /// A unit enum as its snake_case name (how projection rows keep kinds and states).
    pub fn name<T: serde::Serialize>(v: T) -> Value {
        Value::Text(enum_name(v))
    }
    pub fn opt_name<T: serde::Serialize>(v: Option<T>) -> Value {
        v.map_or(Value::Null, name)
    }
}

/// A unit enum's snake_case name.
pub(crate) fn enum_name<T: serde::Serialize>(v: T) -> String {
    match serde_json::to_value(v) {
        Ok(serde_json::Value::String(s)) => s,
        other => panic!("not a unit enum: {other:?}"),
    }
}

/// What the code `kinds!` generates names, for its use from other crates (its doctests).
#[doc(hidden)]
pub mod __kinds {
    pub use crate::Error;
    pub use crate::doc::{Record, Revision, read_at, record_history, write_record};
    pub use crate::doc_id::{DocFamily, Home};
    pub use crate::model::Field;
    pub use crate::model::RecordForm;
    pub use crate::registry::{KindInfo, cell};
    pub use crate::store::Store;
    pub use automerge::{AutoCommit, Change, ROOT};
    pub use autosurgeon::{ReconcileError, reconcile, reconcile_prop};
    pub use chrono::NaiveDate;
    pub use rusqlite::types::Value;
    pub use serde_json;

    /// Whether two texts are the same, in a constant (a form's kind against its entry's).
    pub const fn same(a: &str, b: &str) -> bool {
        let (a, b) = (a.as_bytes(), b.as_bytes());
        if a.len() != b.len() {
            return false;
        }
        let mut i = 0;
        while i < a.len() {
            if a[i] != b[i] {
                return false;
            }
            i += 1;
        }
        true
    }

    /// A form, from the JSON the shell was given; an error names the field, never its
    /// value (serde's message can quote it).
    pub fn form_from_json<F: RecordForm>(input: serde_json::Value) -> Result<F, Error> {
        serde_path_to_error::deserialize(input)
            .map_err(|e| Error::Corrupt(format!("not a form of kind {}: at {}", F::KIND, e.path())))
    }
}

/// Declares the record kinds: for each, its type, key prefix, placement rule (`home`:
/// a variant of [`Home`](crate::doc_id::Home) and the record's values for it, from which its family
/// follows), sealed fields, whether it carries only its own fields, projection table,
/// history and projection row. Everything per kind is generated from here; an entry
/// without any of these does not build:
///
/// ```
/// # use serde::{Deserialize, Serialize};
/// # use autosurgeon::{Hydrate, Reconcile};
/// #[derive(Clone, Debug, PartialEq, Serialize, Deserialize, Reconcile, Hydrate)]
/// #[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
/// pub struct Petition {
///     id: String,
///     station_id: String,
///     #[autosurgeon(with = "shared::model::am_date")]
///     date: chrono::NaiveDate,
/// }
///
/// shared::kinds! {
///     Petition => "petition", home StationMonth |p| (&p.station_id, p.date),
///         sealed [], only_its_fields false,
///         table "petitions",
///         history ["date" => Date],
///         row |p| [id = text(&p.id)];
/// }
/// let p = Petition { id: "p1".into(), station_id: "st-1".into(), date: "2026-12-07".parse().unwrap() };
/// let doc = shared::doc::DocId::parse("station/st-1/2026-12").unwrap();
/// assert!(AnyRecord::from(p.clone()).belongs_in(&doc, "petition:p1"));
/// ```
///
/// A kind made by a form names it (`form PetitionInput`), and the form must make that
/// kind under that prefix:
///
/// ```
/// # use serde::{Deserialize, Serialize};
/// # use autosurgeon::{Hydrate, Reconcile};
/// # #[derive(Clone, Debug, PartialEq, Serialize, Deserialize, Reconcile, Hydrate)]
/// # #[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
/// # pub struct Petition {
/// #     id: String,
/// #     station_id: String,
/// #     #[autosurgeon(with = "shared::model::am_date")]
/// #     date: chrono::NaiveDate,
/// # }
/// #[derive(Serialize, Deserialize)]
/// pub struct PetitionInput { station_id: String }
///
/// impl shared::RecordForm for PetitionInput {
///     const KIND: &'static str = "petition";
///     type Record = Petition;
///     fn validate(&self, today: chrono::NaiveDate) -> Result<Petition, Vec<shared::FieldError>> {
///         Ok(Petition { id: String::new(), station_id: self.station_id.clone(), date: today })
///     }
///     fn references(p: &Petition) -> Vec<shared::Reference<'_>> {
///         vec![shared::Reference::new(shared::Field::Station, shared::Referent::Station, &p.station_id)]
///     }
/// }
///
/// shared::kinds! {
///     Petition => "petition", home StationMonth |p| (&p.station_id, p.date),
///         sealed [], only_its_fields false,
///         table "petitions", form PetitionInput,
///         history ["date" => Date],
///         row |p| [id = text(&p.id), station_id = text(&p.station_id), date = date(&p.date)];
/// }
/// assert_eq!(kind("petition").unwrap().form, Some("PetitionInput"));
/// ```
///
/// ```compile_fail
/// # use serde::{Deserialize, Serialize};
/// # use autosurgeon::{Hydrate, Reconcile};
/// # #[derive(Clone, Debug, PartialEq, Serialize, Deserialize, Reconcile, Hydrate)]
/// # #[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
/// # pub struct Petition {
/// #     id: String,
/// #     station_id: String,
/// #     #[autosurgeon(with = "shared::model::am_date")]
/// #     date: chrono::NaiveDate,
/// # }
/// #[derive(Serialize, Deserialize)]
/// pub struct PetitionInput { station_id: String }
///
/// // The same form, saying it makes another kind: refused.
/// impl shared::RecordForm for PetitionInput {
///     const KIND: &'static str = "complaint";
///     type Record = Petition;
///     fn validate(&self, today: chrono::NaiveDate) -> Result<Petition, Vec<shared::FieldError>> {
///         Ok(Petition { id: String::new(), station_id: self.station_id.clone(), date: today })
///     }
///     fn references(p: &Petition) -> Vec<shared::Reference<'_>> {
///         vec![shared::Reference::new(shared::Field::Station, shared::Referent::Station, &p.station_id)]
///     }
/// }
///
/// shared::kinds! {
///     Petition => "petition", home StationMonth |p| (&p.station_id, p.date),
///         sealed [], only_its_fields false,
///         table "petitions", form PetitionInput,
///         history ["date" => Date],
///         row |p| [id = text(&p.id), station_id = text(&p.station_id), date = date(&p.date)];
/// }
/// ```
///
/// The same kind without its placement rule is refused by the compiler:
///
/// ```compile_fail
/// # use serde::{Deserialize, Serialize};
/// # use autosurgeon::{Hydrate, Reconcile};
/// #[derive(Clone, Debug, PartialEq, Serialize, Deserialize, Reconcile, Hydrate)]
/// #[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
/// pub struct Petition {
///     id: String,
///     station_id: String,
///     #[autosurgeon(with = "shared::model::am_date")]
///     date: chrono::NaiveDate,
/// }
///
/// shared::kinds! {
///     Petition => "petition",
///         sealed [], only_its_fields false,
///         table "petitions",
///         history ["date" => Date],
///         row |p| [id = text(&p.id)];
/// }
/// ```
#[macro_export]
macro_rules! kinds {
    ($(@$store:ident;)? $(
        $ty:ident => $prefix:literal, home $place:ident |$h:ident| $args:tt,
        sealed [$($sealed:literal),* $(,)?], only_its_fields $closed:literal,
        table $table:literal, $(form $form:ident,)?
        history [$($hkey:literal => $hfield:ident),* $(,)?],
        row |$r:ident| [$($col:ident = $cell:ident($($arg:tt)*)),* $(,)?];
    )*) => {
        $(impl $crate::registry::__kinds::Record for $ty {
            const PREFIX: &'static str = $prefix;
            const FAMILY: $crate::registry::__kinds::DocFamily = $crate::family_of!($place);
            fn id(&self) -> &str {
                &self.id
            }
            fn set_id(&mut self, id: String) {
                self.id = id;
            }
            fn home(&self) -> $crate::registry::__kinds::Home<'_> {
                let $h = self;
                $crate::registry::__kinds::Home::$place $args
            }
        }

        impl From<$ty> for AnyRecord {
            fn from(r: $ty) -> AnyRecord {
                AnyRecord::$ty(r)
            }
        }

        $(const _: () = {
            assert!(
                $crate::registry::__kinds::same(
                    <$form as $crate::registry::__kinds::RecordForm>::KIND,
                    $prefix,
                ),
                concat!(stringify!($form), "::KIND is not \"", $prefix, "\""),
            );
            #[allow(dead_code)]
            fn makes(r: <$form as $crate::registry::__kinds::RecordForm>::Record) -> $ty {
                r
            }
        };)?)*

        /// Any record, as read from a document root key.
        #[derive(Clone, Debug, PartialEq, serde::Serialize)]
        #[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
        pub enum AnyRecord {
            $($ty($ty),)*
        }

        /// Every kind of record this build knows.
        pub const KINDS: &[$crate::registry::__kinds::KindInfo] = &[$($crate::registry::__kinds::KindInfo {
            name: stringify!($ty),
            prefix: $prefix,
            family: $crate::family_of!($place),
            sealed: &[$($sealed),*],
            only_its_fields: $closed,
            table: $table,
            columns: &[$(stringify!($col)),*],
            cells: &[$(stringify!($cell)),*],
            form: { let _form: Option<&str> = None; $(let _form = Some(stringify!($form));)? _form },
            history: &[$(($hkey, $crate::registry::__kinds::Field::$hfield)),*],
        }),*];

        /// The kind with key prefix `prefix`, if this build knows it.
        pub fn kind(prefix: &str) -> Option<&'static $crate::registry::__kinds::KindInfo> {
            KINDS.iter().find(|k| k.prefix == prefix)
        }

        impl AnyRecord {
            /// Reads the record under root key `key`; `None` for a key this build does
            /// not know (a record kind from a newer app, kept but not shown).
            pub fn read(
                doc: &$crate::registry::__kinds::AutoCommit,
                key: &str,
            ) -> Result<Option<AnyRecord>, $crate::registry::__kinds::Error> {
                let Some((prefix, _)) = key.split_once(':') else {
                    return Ok(None);
                };
                Ok(match prefix {
                    $($prefix => Some(AnyRecord::$ty($crate::registry::__kinds::read_at(doc, key)?)),)*
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
            pub fn kind(&self) -> &'static $crate::registry::__kinds::KindInfo {
                match self {
                    $(AnyRecord::$ty(_) => kind($prefix).expect("registered"),)*
                }
            }

            pub fn family(&self) -> $crate::registry::__kinds::DocFamily {
                self.kind().family
            }

            /// Where the record's document is ([`Record::home`]).
            pub fn home(&self) -> $crate::registry::__kinds::Home<'_> {
                use $crate::registry::__kinds::Record as _;
                match self {
                    $(AnyRecord::$ty(r) => r.home(),)*
                }
            }

            /// Whether this record, read under root key `key`, may live in document
            /// `doc`: its id is the key's and its home admits the document (its kind's
            /// family, its station and department). A record that fails this is never
            /// projected: a device may write station documents, but never a deputy or
            /// another station's record through one. What the id cannot tell
            /// ([`Home::must_belong_to`]) is checked with the document:
            /// [`crate::validate`] on the server.
            pub fn belongs_in(&self, doc: &$crate::doc_id::DocId, key: &str) -> bool {
                let id_matches = key.split_once(':').is_some_and(|(_, id)| id == self.id());
                id_matches && self.home().admits(doc)
            }

            /// Writes the record (new or edited) into `doc` as the app writes it
            /// ([`crate::doc::write_record`]); the changes this made.
            pub fn write_into(
                &self,
                doc: &mut $crate::registry::__kinds::AutoCommit,
            ) -> Result<Vec<$crate::registry::__kinds::Change>, $crate::registry::__kinds::Error> {
                match self {
                    $(AnyRecord::$ty(r) => $crate::registry::__kinds::write_record(doc, r),)*
                }
            }

            /// Writes the record's fields at the root of the empty `doc`, with the
            /// app's writer (its `Reconcile`): into an empty document autosurgeon writes
            /// the whole map at once, seven times faster than field by field under a key.
            pub fn write_at_root(
                &self,
                doc: &mut $crate::registry::__kinds::AutoCommit,
            ) -> Result<(), $crate::registry::__kinds::ReconcileError> {
                match self {
                    $(AnyRecord::$ty(r) => $crate::registry::__kinds::reconcile(doc, r),)*
                }
            }

            /// Puts the record under its root key in `doc`, uncommitted (the demo's
            /// writer: one change for a whole document's records).
            pub fn put(
                &self,
                doc: &mut $crate::registry::__kinds::AutoCommit,
            ) -> Result<(), $crate::registry::__kinds::ReconcileError> {
                use $crate::registry::__kinds::Record as _;
                match self {
                    $(AnyRecord::$ty(r) => $crate::registry::__kinds::reconcile_prop(
                        doc,
                        $crate::registry::__kinds::ROOT,
                        r.record_key().as_str(),
                        r,
                    ),)*
                }
            }

            /// The record's own fields as a JSON object, as serde writes them.
            pub fn fields_json(
                &self,
            ) -> Result<$crate::registry::__kinds::serde_json::Value, $crate::registry::__kinds::serde_json::Error> {
                match self {
                    $(AnyRecord::$ty(r) => $crate::registry::__kinds::serde_json::to_value(r),)*
                }
            }

            /// The record's projection row: values of [`KindInfo::columns`], in order.
            pub fn row(&self) -> Vec<$crate::registry::__kinds::Value> {
                match self {
                    $(AnyRecord::$ty($r) => vec![$($crate::registry::__kinds::cell::$cell($($arg)*)),*],)*
                }
            }
        }

        $crate::__kinds_forms! { $($store)?; $($prefix $(=> $form)?),* }

        /// The revisions of record `id` of the kind with prefix `prefix` in `doc`.
        pub fn record_history(
            prefix: &str,
            doc: &mut $crate::registry::__kinds::AutoCommit,
            id: &str,
        ) -> Result<Option<Vec<$crate::registry::__kinds::Revision>>, $crate::registry::__kinds::Error> {
            Ok(match prefix {
                $($prefix => Some($crate::registry::__kinds::record_history::<$ty>(doc, id)?),)*
                _ => None,
            })
        }
    };
}

/// The one command behind every form (`kinds!` with `@store;`: only the registry's own
/// list, whose kinds the store can save; a `kinds!` elsewhere, as in its doctests, has
/// no store).
#[doc(hidden)]
#[macro_export]
macro_rules! __kinds_forms {
    (; $($rest:tt)*) => {};
    (store; $($prefix:literal $(=> $form:ident)?),*) => {
        /// Makes a record of the kind with prefix `prefix` from its form, given as JSON
        /// (the shell's one command for every form), through
        /// [`Store::create`](crate::Store::create); its id.
        pub fn create_record(
            store: &mut $crate::registry::__kinds::Store,
            prefix: &str,
            input: $crate::registry::__kinds::serde_json::Value,
            today: $crate::registry::__kinds::NaiveDate,
        ) -> Result<String, $crate::registry::__kinds::Error> {
            match prefix {
                $($($prefix => store.create(
                    &$crate::registry::__kinds::form_from_json::<$form>(input)?,
                    today,
                ),)?)*
                // No form makes records of this kind.
                _ => Err($crate::registry::__kinds::Error::NotFound),
            }
        }
    };
}

impl AnyRecord {
    /// What the record must belong to besides its document.
    pub fn must_belong_to(&self) -> BelongsTo<'_> {
        self.home().must_belong_to()
    }
}

/// Every record `doc` holds, by root key; an error if any record does not read (a
/// document this build cannot make sense of is refused whole, never half-read). Keys of
/// record kinds from a newer app are skipped.
pub fn read_records(doc: &AutoCommit) -> Result<Vec<(String, AnyRecord)>, Error> {
    let mut out = Vec::new();
    for key in doc::record_keys(doc) {
        if let Some(r) = AnyRecord::read(doc, &key)? {
            out.push((key, r));
        }
    }
    Ok(out)
}

kinds! {
    @store;
    Activity => "activity", home StationMonth |a| (&a.station_id, a.date),
        sealed [], only_its_fields false,
        table "activities",
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
    Opinion => "opinion", home StationMonth |o| (&o.station_id, o.date),
        sealed ["contact"], only_its_fields false,
        table "opinions",
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
    DeputySuggestion => "suggestion", home StationMonth |s| (&s.station_id, s.date),
        sealed [], only_its_fields false,
        table "suggestions", form SuggestionInput,
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
    LivelihoodLead => "lead", home StationMonth |l| (&l.station_id, l.date),
        sealed [], only_its_fields false,
        table "leads", form LeadInput,
        history [
            "station_id" => Station, "date" => Date, "title" => Title, "content" => Content,
            "opinion_ids" => Opinions,
        ],
        row |x| [
            id = text(&x.id), station_id = text(&x.station_id), date = date(&x.date),
            title = text(&x.title), content = text(&x.content),
            opinion_ids = json(&x.opinion_ids),
        ];
    YearReport => "report", home StationMonth |y| (&y.station_id, y.date),
        sealed [], only_its_fields false,
        table "reports",
        history ["title" => Title, "text" => Content],
        row |x| [
            id = text(&x.id), deputy_id = text(&x.deputy_id), station_id = text(&x.station_id),
            year = int(x.year), date = date(&x.date), title = text(&x.title),
            text = text(&x.text),
        ];
    Referral => "referral", home Referrals |r| (&r.department_id, &r.station_id, r.referred_on),
        sealed [], only_its_fields true,
        table "referrals",
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
    Answer => "answer", home Answers |a| (&a.department_id, &a.station_id, &a.referral_id),
        sealed [], only_its_fields false,
        table "answers",
        history [
            "station_id" => Station, "department_id" => Department, "status" => Status,
            "date" => Date, "text" => Answer,
        ],
        row |x| [
            id = text(&x.id), referral_id = text(&x.referral_id), opinion_id = text(&x.opinion_id),
            station_id = text(&x.station_id), department_id = text(&x.department_id),
            status = name(x.status), date = date(&x.date), text = text(&x.text),
        ];
    Subdistrict => "subdistrict", home District |_s| (),
        sealed [], only_its_fields false,
        table "subdistricts",
        history [],
        row |x| [id = text(&x.id), name = text(&x.name), kind = name(x.kind)];
    Department => "department", home District |_d| (),
        sealed [], only_its_fields false,
        table "departments",
        history [],
        row |x| [id = text(&x.id), name = text(&x.name)];
    Campaign => "campaign", home District |_c| (),
        sealed [], only_its_fields false,
        table "campaigns",
        history [],
        row |x| [
            id = text(&x.id), name = text(&x.name), activity_kind = name(x.activity_kind),
            starts = date(&x.starts), ends = date(&x.ends), station_ids = json(&x.station_ids),
        ];
    Station => "station", home Subdistrict |s| (&s.subdistrict_id),
        sealed [], only_its_fields false,
        table "stations",
        history [],
        row |x| [
            id = text(&x.id), name = text(&x.name), kind = name(x.kind),
            subdistrict_id = text(&x.subdistrict_id),
        ];
    StationStaff => "staff", home BesideStation |s| (&s.station_id),
        sealed [], only_its_fields false,
        table "station_staff",
        history [],
        row |x| [
            id = text(&x.id), station_id = text(&x.station_id), name = text(&x.name),
            post = text(&x.post),
        ];
    Deputy => "deputy", home BesideStation |d| (&d.station_id),
        sealed [], only_its_fields false,
        table "deputies",
        history [],
        row |x| [
            id = text(&x.id), name = text(&x.name), levels = json(&x.levels),
            station_id = text(&x.station_id),
        ];
    DraftRegulation => "draft", home Consultation |d| (&d.id),
        sealed [], only_its_fields false,
        table "drafts",
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
