//! Property: any interleaving of edits on three replicas, with changes delivered between
//! them in any order, ends (once everything has been delivered everywhere) with identical
//! projections on all three, each equal to its documents.
//!
//! Replicas are real stores on real files; delivery is the store's own sync path
//! (`sync_request` → `apply_sync_response`), without a server in between.

use chrono::NaiveDate;
use proptest::prelude::*;
use shared::protocol::SyncResponse;
use shared::{Store, StoreKey, VoterMeetingInput};

const REPLICAS: usize = 3;
const DEPUTIES: [&str; 3] = ["dep-001", "dep-002", "dep-003"];
const SUMMARIES: [&str; 4] = ["停车难", "就医难", "缺少文化活动场所", "早餐点不足"];

#[derive(Clone, Debug)]
enum Edit {
    Voters(u32),
    Summary(usize),
    ToggleDeputy(usize),
    Date(u32),
}

#[derive(Clone, Debug)]
enum Op {
    /// Replica `.0` records a new meeting.
    Create(usize),
    /// Replica `.0` edits the `.1`-th record it holds (modulo how many it has).
    Edit(usize, usize, Edit),
    /// Everything replica `.0` wrote so far reaches replica `.1`.
    Deliver(usize, usize),
}

fn edit() -> impl Strategy<Value = Edit> {
    prop_oneof![
        (0u32..200).prop_map(Edit::Voters),
        (0..SUMMARIES.len()).prop_map(Edit::Summary),
        (0..DEPUTIES.len()).prop_map(Edit::ToggleDeputy),
        (0u32..30).prop_map(Edit::Date),
    ]
}

fn op() -> impl Strategy<Value = Op> {
    let r = 0..REPLICAS;
    prop_oneof![
        1 => r.clone().prop_map(Op::Create),
        3 => (r.clone(), 0usize..8, edit()).prop_map(|(a, b, e)| Op::Edit(a, b, e)),
        2 => (r.clone(), r).prop_map(|(a, b)| Op::Deliver(a, b)),
    ]
}

fn today() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 11, 25).unwrap()
}

fn deliver(stores: &mut [Store], from: usize, to: usize) {
    if from == to {
        return;
    }
    let changes = stores[from].sync_request().unwrap().changes;
    stores[to]
        .apply_sync_response(&SyncResponse {
            acknowledged: vec![],
            cursor: 0,
            changes,
            more: false,
        })
        .unwrap();
}

fn run(ops: &[Op]) -> Result<(), TestCaseError> {
    let dir = tempfile::tempdir().unwrap();
    let key = StoreKey::from_bytes([3; 32]);
    let mut stores: Vec<Store> = (0..REPLICAS)
        .map(|i| {
            let mut s = Store::open(&dir.path().join(format!("r{i}.db")), &key).unwrap();
            s.receive_directory(&shared::demo::directory()).unwrap();
            s
        })
        .collect();
    for op in ops {
        match op {
            Op::Create(r) => {
                let input = VoterMeetingInput {
                    station_id: "st-zizhuyuan-home".into(),
                    date: "2026-11-01".into(),
                    deputy_ids: vec![DEPUTIES[0].into()],
                    voters_received: "10".into(),
                    summary: SUMMARIES[0].into(),
                };
                stores[*r].create_meeting(&input, today()).unwrap();
            }
            Op::Edit(r, n, e) => {
                let ids: Vec<String> = stores[*r]
                    .list_meetings()
                    .unwrap()
                    .into_iter()
                    .map(|m| m.id)
                    .collect();
                if ids.is_empty() {
                    continue;
                }
                let id = &ids[n % ids.len()];
                let mut input = stores[*r].meeting(id).unwrap();
                match e {
                    Edit::Voters(v) => input.voters_received = v.to_string(),
                    Edit::Summary(s) => input.summary = SUMMARIES[*s].into(),
                    Edit::Date(d) => input.date = format!("2026-10-{:02}", d + 1),
                    Edit::ToggleDeputy(d) => {
                        let dep = DEPUTIES[*d].to_string();
                        if input.deputy_ids.contains(&dep) {
                            if input.deputy_ids.len() > 1 {
                                input.deputy_ids.retain(|x| *x != dep);
                            }
                        } else {
                            input.deputy_ids.push(dep);
                        }
                    }
                }
                stores[*r].update_meeting(id, &input, today()).unwrap();
            }
            Op::Deliver(from, to) => deliver(&mut stores, *from, *to),
        }
    }
    // Everything everywhere.
    for from in 0..REPLICAS {
        for to in 0..REPLICAS {
            deliver(&mut stores, from, to);
        }
    }
    let view = |s: &Store| {
        let mut rows = s.list_meetings().unwrap();
        rows.iter_mut().for_each(|m| m.pending_sync = false);
        rows.sort_by(|a, b| a.id.cmp(&b.id));
        rows
    };
    let first = view(&stores[0]);
    for (i, store) in stores.iter().enumerate() {
        store.verify().unwrap();
        prop_assert_eq!(&view(store), &first, "replica {} differs from replica 0", i);
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: 48,
        // Failing cases found so far; replayed first on every run. Commit new ones.
        failure_persistence: Some(Box::new(
            proptest::test_runner::FileFailurePersistence::Direct(
                "tests/convergence.proptest-regressions",
            ),
        )),
        ..ProptestConfig::default()
    })]

    #[test]
    fn three_replicas_converge_whatever_the_order(ops in proptest::collection::vec(op(), 1..40)) {
        run(&ops)?;
    }
}

/// Found by the property above: an edit delivered before the record's creation was
/// dropped by the receiving store instead of waiting for its dependency.
#[test]
fn a_change_that_arrives_before_its_dependency_is_kept() {
    // In `run`'s final exchange replica 0's outbox (the edit) reaches replica 1 before
    // replica 2's (the creation), and is never sent again.
    run(&[
        Op::Create(2),
        Op::Deliver(2, 0),
        Op::Edit(0, 0, Edit::Voters(11)),
    ])
    .unwrap();
}
