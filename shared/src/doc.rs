//! Automerge documents: how each record kind is laid out in a CRDT document, and the only
//! place that reads or writes one.
//!
//! One document per record (the skeleton's model; the domain issue revisits it). Every
//! document carries its kind and a schema version at the root. Edits are reconciled with
//! autosurgeon, which writes only the fields that changed, so two devices editing
//! different fields of the same record offline both keep their edit after a merge.

use automerge::transaction::CommitOptions;
use automerge::{ActorId, AutoCommit, Change, ReadDoc};
use autosurgeon::{Hydrate, Reconcile, hydrate, reconcile};

use crate::Error;
use crate::model::{Directory, VoterMeeting};

/// The schema version this build writes.
pub const SCHEMA_VERSION: u64 = 1;

/// The kinds of document this build knows.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DocKind {
    /// The district's reference data (streets, towns, stations, deputies); written by the server.
    Directory,
    /// One voter meeting (进站见选民).
    VoterMeeting,
}

impl DocKind {
    pub fn as_str(self) -> &'static str {
        match self {
            DocKind::Directory => "directory",
            DocKind::VoterMeeting => "voter_meeting",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "directory" => Some(DocKind::Directory),
            "voter_meeting" => Some(DocKind::VoterMeeting),
            _ => None,
        }
    }
}

/// The id of the single directory document.
pub const DIRECTORY_DOC_ID: &str = "directory";

#[derive(Debug, Clone, PartialEq, Reconcile, Hydrate)]
struct MeetingDoc {
    schema: u64,
    station_id: String,
    /// `YYYY-MM-DD`.
    date: String,
    deputy_ids: Vec<String>,
    voters_received: u64,
    summary: String,
}

#[derive(Debug, Clone, PartialEq, Reconcile, Hydrate)]
struct DirectoryDoc {
    schema: u64,
    directory: Directory,
}

impl From<&VoterMeeting> for MeetingDoc {
    fn from(m: &VoterMeeting) -> Self {
        MeetingDoc {
            schema: SCHEMA_VERSION,
            station_id: m.station_id.clone(),
            date: m.date.format("%Y-%m-%d").to_string(),
            deputy_ids: m.deputy_ids.clone(),
            voters_received: u64::from(m.voters_received),
            summary: m.summary.clone(),
        }
    }
}

/// Opens an existing document's saved bytes as this device's actor.
pub fn load(bytes: &[u8], actor: &ActorId) -> Result<AutoCommit, Error> {
    let mut doc = AutoCommit::load(bytes)?;
    doc.set_actor(actor.clone());
    Ok(doc)
}

fn commit(doc: &mut AutoCommit, message: &str) {
    doc.commit_with(
        CommitOptions::default()
            .with_message(message)
            .with_time(chrono::Utc::now().timestamp()),
    );
}

/// Writes `m` into `doc` (new or existing) and returns the changes this made.
pub fn write_meeting(doc: &mut AutoCommit, m: &VoterMeeting) -> Result<Vec<Change>, Error> {
    let before = doc.get_heads();
    reconcile(doc, MeetingDoc::from(m))?;
    commit(doc, "voter_meeting");
    Ok(doc.get_changes(&before))
}

/// Reads a voter meeting back out of its document.
pub fn read_meeting(doc: &AutoCommit) -> Result<VoterMeeting, Error> {
    let d: MeetingDoc = hydrate(doc)?;
    let date = chrono::NaiveDate::parse_from_str(&d.date, "%Y-%m-%d")
        .map_err(|_| Error::Corrupt(format!("bad date {:?}", d.date)))?;
    Ok(VoterMeeting {
        station_id: d.station_id,
        date,
        deputy_ids: d.deputy_ids,
        voters_received: u32::try_from(d.voters_received)
            .map_err(|_| Error::Corrupt("voter count out of range".into()))?,
        summary: d.summary,
    })
}

/// One change to a voter meeting: who made it, when, and the record before and after.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MeetingRevision {
    /// The Automerge actor (device) that made the change, hex.
    pub actor: String,
    /// Seconds since the Unix epoch, as the device's clock had it.
    pub time: i64,
    /// `None` for the change that created the record.
    pub before: Option<VoterMeeting>,
    pub after: VoterMeeting,
}

/// The record's history from Automerge's own: each change, seen in isolation (the state
/// at its dependencies against the state just after it), oldest first.
pub fn meeting_history(doc: &mut AutoCommit) -> Result<Vec<MeetingRevision>, Error> {
    let mut revisions = Vec::new();
    for change in doc.get_changes(&[]) {
        let before = match change.deps() {
            [] => None,
            deps => read_meeting(&doc.fork_at(deps)?).ok(),
        };
        let Ok(after) = read_meeting(&doc.fork_at(&[change.hash()])?) else {
            continue; // a change that does not make a whole record on its own
        };
        if before.as_ref() == Some(&after) {
            continue;
        }
        revisions.push(MeetingRevision {
            actor: change.actor_id().to_hex_string(),
            time: change.timestamp(),
            before,
            after,
        });
    }
    Ok(revisions)
}

/// Writes the directory into `doc` and returns the changes this made.
pub fn write_directory(doc: &mut AutoCommit, dir: &Directory) -> Result<Vec<Change>, Error> {
    let before = doc.get_heads();
    reconcile(
        doc,
        DirectoryDoc {
            schema: SCHEMA_VERSION,
            directory: dir.clone(),
        },
    )?;
    commit(doc, "directory");
    Ok(doc.get_changes(&before))
}

pub fn read_directory(doc: &AutoCommit) -> Result<Directory, Error> {
    let d: DirectoryDoc = hydrate(doc)?;
    Ok(d.directory)
}

/// True if the document has no content yet (all its changes are still to come).
pub fn is_empty(doc: &AutoCommit) -> bool {
    doc.length(automerge::ROOT) == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    fn meeting() -> VoterMeeting {
        VoterMeeting {
            station_id: "st-zizhuyuan-home".into(),
            date: chrono::NaiveDate::from_ymd_opt(2026, 11, 20).unwrap(),
            deputy_ids: vec!["dep-001".into()],
            voters_received: 12,
            summary: "小区门口停车难".into(),
        }
    }

    #[test]
    fn concurrent_edits_of_different_fields_both_survive_a_merge() {
        let mut a = AutoCommit::new().with_actor(ActorId::random());
        write_meeting(&mut a, &meeting()).unwrap();
        let mut b = load(&a.save(), &ActorId::random()).unwrap();

        let mut on_a = meeting();
        on_a.voters_received = 30;
        write_meeting(&mut a, &on_a).unwrap();
        let mut on_b = meeting();
        on_b.summary = "老年人就医难".into();
        write_meeting(&mut b, &on_b).unwrap();

        a.merge(&mut b).unwrap();
        b.merge(&mut a).unwrap();
        for doc in [&a, &b] {
            let m = read_meeting(doc).unwrap();
            assert_eq!(m.voters_received, 30);
            assert_eq!(m.summary, "老年人就医难");
        }
    }

    #[test]
    fn an_edit_that_changes_nothing_makes_no_change() {
        let mut a = AutoCommit::new();
        write_meeting(&mut a, &meeting()).unwrap();
        assert!(write_meeting(&mut a, &meeting()).unwrap().is_empty());
    }

    #[test]
    fn directory_round_trips() {
        let mut d = AutoCommit::new();
        write_directory(&mut d, &crate::demo::directory()).unwrap();
        let d = AutoCommit::load(&d.save()).unwrap();
        assert_eq!(read_directory(&d).unwrap(), crate::demo::directory());
    }
}
