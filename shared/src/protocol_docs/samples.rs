//! Field shapes and order, the demo records every table is drawn from, and where each document is.

use super::*;

// ---------------------------------------------------------------------------------------
// Field order: the order serde writes fields in (the declaration order), whatever order
// a JSON map keeps its keys in.

/// A JSON value's shape, with object keys in the order they were written.
pub enum Shape {
    Map(Vec<(String, Shape)>),
    Seq(Vec<Shape>),
    Leaf,
}

impl<'de> serde::Deserialize<'de> for Shape {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Shape, D::Error> {
        struct V;
        impl<'de> serde::de::Visitor<'de> for V {
            type Value = Shape;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("JSON")
            }
            fn visit_bool<E>(self, _: bool) -> Result<Shape, E> {
                Ok(Shape::Leaf)
            }
            fn visit_i64<E>(self, _: i64) -> Result<Shape, E> {
                Ok(Shape::Leaf)
            }
            fn visit_u64<E>(self, _: u64) -> Result<Shape, E> {
                Ok(Shape::Leaf)
            }
            fn visit_f64<E>(self, _: f64) -> Result<Shape, E> {
                Ok(Shape::Leaf)
            }
            fn visit_str<E>(self, _: &str) -> Result<Shape, E> {
                Ok(Shape::Leaf)
            }
            fn visit_unit<E>(self) -> Result<Shape, E> {
                Ok(Shape::Leaf)
            }
            fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut a: A) -> Result<Shape, A::Error> {
                let mut items = Vec::new();
                while let Some(item) = a.next_element()? {
                    items.push(item);
                }
                Ok(Shape::Seq(items))
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(self, mut a: A) -> Result<Shape, A::Error> {
                let mut entries = Vec::new();
                while let Some(entry) = a.next_entry()? {
                    entries.push(entry);
                }
                Ok(Shape::Map(entries))
            }
        }
        d.deserialize_any(V)
    }
}

/// The field paths of a record as serde writes it, in order.
pub fn field_order(record: &AnyRecord) -> Vec<String> {
    pub fn walk(shape: &Shape, path: &str, out: &mut Vec<String>) {
        match shape {
            Shape::Map(entries) => {
                for (k, v) in entries {
                    let p = if path.is_empty() {
                        k.clone()
                    } else {
                        format!("{path}.{k}")
                    };
                    out.push(p.clone());
                    walk(v, &p, out);
                }
            }
            Shape::Seq(items) => {
                let mut seen = Vec::new();
                for item in items {
                    walk(item, &format!("{path}[]"), &mut seen);
                }
                for p in seen {
                    if !out.contains(&p) {
                        out.push(p);
                    }
                }
            }
            Shape::Leaf => {}
        }
    }
    // An `AnyRecord` serializes as `{"Kind": {…}}`.
    let text = serde_json::to_string(record).unwrap();
    let Shape::Map(outer) = serde_json::from_str::<Shape>(&text).unwrap() else {
        panic!("a record is a map");
    };
    let mut out = Vec::new();
    walk(&outer[0].1, "", &mut out);
    out
}

/// Adds the paths of `seq` to `into`, keeping the order of both.
pub fn merge_order(into: &mut Vec<String>, seq: &[String]) {
    let mut at = 0;
    for p in seq {
        match into.iter().position(|x| x == p) {
            Some(i) => at = i + 1,
            None => {
                into.insert(at, p.clone());
                at += 1;
            }
        }
    }
}

// ---------------------------------------------------------------------------------------
// The samples: every demo record, as written into its document by the app's writers.

pub struct Sample {
    pub doc_id: DocId,
    pub key: String,
    pub value: Am,
    pub record: AnyRecord,
}

pub struct Samples {
    /// Every record, in document order.
    pub records: Vec<Sample>,
    /// The types the documents' `schema` keys were written as.
    pub schema_types: BTreeSet<&'static str>,
    /// Per station, its street or town (for the placement check).
    pub subdistrict_of: BTreeMap<String, String>,
    /// Per referral, the year it was referred in.
    pub referral_year: BTreeMap<String, i32>,
    /// The referrals, by id (what the server looks an answer's referral up in).
    pub referrals: BTreeMap<String, crate::Referral>,
    /// Per document, its records (indices into `records`).
    pub by_doc: BTreeMap<DocId, Vec<usize>>,
}

pub static SAMPLES: LazyLock<Samples> = LazyLock::new(|| {
    let dir = haidian::directory();
    let mut docs = doc::directory_documents(&dir).unwrap();
    let year = haidian::year(&dir, haidian::DEMO_SEED);
    docs.extend(year_documents(&year).unwrap().documents);
    // The demo year has no duty report: one, as the store saves it (in the station's
    // month of the day it was first saved).
    let deputy = &dir.deputies[0];
    let report = crate::YearReport {
        id: "report-0001".into(),
        deputy_id: deputy.id.clone(),
        station_id: deputy.station_id.clone(),
        year: 2022,
        date: NaiveDate::from_ymd_opt(2022, 12, 20).unwrap(),
        title: "2022年度履职报告".into(),
        text: "# 一、参加活动\n\n全年进站见选民12次。".into(),
    };
    let mut d = AutoCommit::new();
    doc::write_record(&mut d, &report).unwrap();
    docs.push((DocId::station(&report.station_id, report.date), d));
    // Nor photos: an activity with two, as the app saves it.
    let mut activity = year.activities[0].clone();
    activity.id = format!("{}-photos", activity.id);
    activity.photos = vec![
        crate::protocol::content_hash(b"photo 1"),
        crate::protocol::content_hash(b"photo 2"),
    ];
    let mut d = AutoCommit::new();
    doc::write_record(&mut d, &activity).unwrap();
    docs.push((DocId::station(&activity.station_id, activity.date), d));
    // Nor a suggestion addressed to no department.
    let mut suggestion = year.suggestions[0].clone();
    suggestion.id = format!("{}-undirected", suggestion.id);
    suggestion.department_id = None;
    let mut d = AutoCommit::new();
    doc::write_record(&mut d, &suggestion).unwrap();
    docs.push((DocId::station(&suggestion.station_id, suggestion.date), d));

    let mut records = Vec::new();
    let mut schema_types = BTreeSet::new();
    let mut by_doc: BTreeMap<DocId, Vec<usize>> = BTreeMap::new();
    for (doc_id, d) in &docs {
        schema_types.insert(read_root(d, "schema").type_name());
        for key in doc::record_keys(d) {
            let record = AnyRecord::read(d, &key).unwrap().expect("a known kind");
            by_doc
                .entry(doc_id.clone())
                .or_default()
                .push(records.len());
            records.push(Sample {
                doc_id: doc_id.clone(),
                value: read_root(d, &key),
                key,
                record,
            });
        }
    }
    Samples {
        records,
        schema_types,
        subdistrict_of: dir
            .stations
            .iter()
            .map(|s| (s.id.clone(), s.subdistrict_id.clone()))
            .collect(),
        referral_year: year
            .referrals
            .iter()
            .map(|r| (r.id.clone(), r.referred_on.year()))
            .collect(),
        referrals: year
            .referrals
            .iter()
            .map(|r| (r.id.clone(), r.clone()))
            .collect(),
        by_doc,
    }
});

pub fn samples_of(kind: &KindInfo) -> impl Iterator<Item = &'static Sample> {
    let prefix = kind.prefix;
    SAMPLES
        .records
        .iter()
        .filter(move |s| s.record.kind().prefix == prefix)
}

// ---------------------------------------------------------------------------------------
// Where records live. The id patterns are written here once, and checked against the
// document every demo record is in.

/// The families in the order the docs list them (every family of `KINDS` must be here).
pub const FAMILIES: [DocFamily; 6] = [
    DocFamily::District,
    DocFamily::Subdistrict,
    DocFamily::Consultation,
    DocFamily::Station,
    DocFamily::Referrals,
    DocFamily::Answers,
];

pub fn family_pattern(family: DocFamily) -> &'static str {
    match family {
        DocFamily::District => "district",
        DocFamily::Subdistrict => "subdistrict/<subdistrict id>",
        DocFamily::Consultation => "consultation/<draft id>",
        DocFamily::Station => "station/<station id>/<YYYY-MM>",
        DocFamily::Referrals => "referrals/<department id>/<station id>/<YYYY>",
        DocFamily::Answers => "answers/<department id>/<station id>/<YYYY>",
    }
}

/// Which document of its family a record is written into, in words, and as computed.
pub fn placement(record: &AnyRecord) -> (&'static str, DocId) {
    let home = record.home();
    (home.pattern(), home.doc_id(&*SAMPLES).expect("placed"))
}

impl Places for Samples {
    fn subdistrict_of(&self, station: &str) -> Option<String> {
        self.subdistrict_of.get(station).cloned()
    }
    fn referral_year(&self, referral: &str) -> Option<i32> {
        self.referral_year.get(referral).copied()
    }
}

/// Whether document id `id` has the shape of `pattern` (`<…>` stands for one part).
pub fn matches_pattern(id: &str, pattern: &str) -> bool {
    let parts: Vec<&str> = id.split('/').collect();
    let wanted: Vec<&str> = pattern.split('/').collect();
    parts.len() == wanted.len()
        && parts.iter().zip(&wanted).all(|(p, w)| match *w {
            "<YYYY-MM>" => p.len() == 7 && p.as_bytes()[4] == b'-',
            "<YYYY>" => p.len() == 4 && p.bytes().all(|b| b.is_ascii_digit()),
            w if w.starts_with('<') => doc::is_valid_id(p),
            w => *p == w,
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A kind with a form is listed whole from its projection row
    /// (`Store::records`): its columns must be exactly the record's fields.
    #[test]
    fn a_kind_with_a_form_projects_exactly_its_fields() {
        let mut checked = 0;
        for kind in crate::registry::KINDS.iter().filter(|k| k.form.is_some()) {
            let columns: BTreeSet<&str> = kind.columns.iter().copied().collect();
            for sample in samples_of(kind) {
                let fields = sample.record.fields_json().unwrap();
                let fields: BTreeSet<&str> = fields
                    .as_object()
                    .unwrap()
                    .keys()
                    .map(String::as_str)
                    .collect();
                assert_eq!(fields, columns, "{}", kind.name);
                checked += 1;
            }
        }
        assert!(checked > 0);
    }
}
