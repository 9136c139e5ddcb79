//! Property: any interleaving of edits on three replicas, with changes delivered between
//! them in any order, ends (once everything has been delivered everywhere) with identical
//! projections on all three, each equal to its documents.
//!
//! Replicas are real stores on real files; delivery is the store's own sync path
//! (`sync_request` → `apply_sync_response`), without a server in between.

use chrono::NaiveDate;
use proptest::prelude::*;
use shared::protocol::SyncResponse;
use shared::{
    ActivityInput, AnswerInput, AnswerStatus, FeedbackInput, OpinionCategory, OpinionFilter,
    OpinionInput, ReferralInput, Satisfaction, Store, StoreKey,
};

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
    /// Replica `.0` records a voter's opinion.
    Opinion(usize),
    /// Replica `.0` refers the `.1`-th opinion it holds to a department.
    Refer(usize, usize),
    /// Replica `.0` answers the `.1`-th referral it holds (answered or in progress).
    Answer(usize, usize, bool),
    /// Replica `.0` records feedback on the `.1`-th opinion, satisfaction `.2`.
    Feedback(usize, usize, usize),
}

const SATISFACTION: [Satisfaction; 3] = [
    Satisfaction::Satisfied,
    Satisfaction::BasicallySatisfied,
    Satisfaction::Dissatisfied,
];

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
        2 => (r.clone(), r.clone()).prop_map(|(a, b)| Op::Deliver(a, b)),
        1 => r.clone().prop_map(Op::Opinion),
        1 => (r.clone(), 0usize..4).prop_map(|(a, b)| Op::Refer(a, b)),
        1 => (r.clone(), 0usize..4, any::<bool>()).prop_map(|(a, b, c)| Op::Answer(a, b, c)),
        1 => (r, 0usize..4, 0usize..3).prop_map(|(a, b, c)| Op::Feedback(a, b, c)),
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
            ..Default::default()
        })
        .unwrap();
}

/// The id of the `n`-th opinion (modulo how many) replica `store` holds.
fn nth_opinion(store: &Store, n: usize) -> Option<String> {
    let mut ids: Vec<String> = store
        .list_opinions(&OpinionFilter::default(), today())
        .unwrap()
        .into_iter()
        .map(|o| o.id)
        .collect();
    ids.sort();
    (!ids.is_empty()).then(|| ids[n % ids.len()].clone())
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
                let input = ActivityInput {
                    station_id: "st-zizhuyuan-home".into(),
                    date: "2026-11-01".into(),
                    deputy_ids: vec![DEPUTIES[0].into()],
                    voters_received: "10".into(),
                    summary: SUMMARIES[0].into(),
                    ..ActivityInput::default()
                };
                stores[*r].create_activity(&input, today()).unwrap();
            }
            Op::Edit(r, n, e) => {
                let ids: Vec<String> = stores[*r]
                    .list_activities(&shared::ActivityFilter::default())
                    .unwrap()
                    .into_iter()
                    .map(|m| m.id)
                    .collect();
                if ids.is_empty() {
                    continue;
                }
                let id = &ids[n % ids.len()];
                let mut input = stores[*r].activity(id).unwrap();
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
                if input.deputy_ids.is_empty() {
                    // Two replicas each removed a different deputy: the merged record has
                    // none. A save that leaves it so is refused, as the form's would be,
                    // and changes nothing; the user must name a deputy first.
                    let before = stores[*r].activity(id).unwrap();
                    let refused = stores[*r].update_activity(id, &input, today());
                    prop_assert!(
                        matches!(&refused, Err(shared::Error::Invalid(fields))
                            if fields.iter().any(|f| f.field == shared::Field::Deputies)),
                        "an edit leaving no deputy was not refused: {:?}",
                        refused
                    );
                    prop_assert_eq!(stores[*r].activity(id).unwrap(), before);
                    continue;
                }
                stores[*r].update_activity(id, &input, today()).unwrap();
            }
            Op::Deliver(from, to) => deliver(&mut stores, *from, *to),
            Op::Opinion(r) => {
                let input = OpinionInput {
                    station_id: "st-zizhuyuan-home".into(),
                    date: "2026-11-02".into(),
                    categories: vec![OpinionCategory::Traffic],
                    content: SUMMARIES[*r % SUMMARIES.len()].into(),
                    ..OpinionInput::default()
                };
                stores[*r].create_opinion(&input, today()).unwrap();
            }
            Op::Refer(r, n) => {
                if let Some(id) = nth_opinion(&stores[*r], *n) {
                    let input = ReferralInput {
                        opinion_id: id,
                        department_id: "dept-traffic".into(),
                        deadline: "2026-12-31".into(),
                        ..ReferralInput::default()
                    };
                    stores[*r].refer_opinion(&input, today()).unwrap();
                }
            }
            Op::Answer(r, n, answered) => {
                let inbox = stores[*r]
                    .department_inbox("dept-traffic", today())
                    .unwrap();
                if !inbox.is_empty() {
                    let input = AnswerInput {
                        referral_id: inbox[n % inbox.len()].id.clone(),
                        status: if *answered {
                            AnswerStatus::Answered
                        } else {
                            AnswerStatus::InProgress
                        },
                        date: "2026-11-25".into(),
                        text: format!("答复{r}"),
                    };
                    stores[*r].answer_referral(&input, today()).unwrap();
                }
            }
            Op::Feedback(r, n, sat) => {
                if let Some(id) = nth_opinion(&stores[*r], *n) {
                    let input = FeedbackInput {
                        opinion_id: id,
                        date: "2026-11-25".into(),
                        text: format!("反馈{r}"),
                        satisfaction: Some(SATISFACTION[*sat]),
                    };
                    stores[*r].record_feedback(&input, today()).unwrap();
                }
            }
        }
    }
    // Everything everywhere.
    for from in 0..REPLICAS {
        for to in 0..REPLICAS {
            deliver(&mut stores, from, to);
        }
    }
    let view = |s: &Store| {
        let mut rows = s
            .list_activities(&shared::ActivityFilter::default())
            .unwrap();
        rows.iter_mut().for_each(|m| m.pending_sync = false);
        rows.sort_by(|a, b| a.id.cmp(&b.id));
        rows
    };
    let opinions = |s: &Store| {
        let mut rows = s.list_opinions(&OpinionFilter::default(), today()).unwrap();
        rows.iter_mut().for_each(|m| m.pending_sync = false);
        rows.sort_by(|a, b| a.id.cmp(&b.id));
        let timelines: Vec<_> = rows
            .iter()
            .map(|o| s.opinion_timeline(&o.id).unwrap())
            .collect();
        (
            rows,
            timelines,
            s.department_inbox("dept-traffic", today()).unwrap(),
        )
    };
    let first = view(&stores[0]);
    let first_opinions = opinions(&stores[0]);
    for (i, store) in stores.iter().enumerate() {
        store.verify().unwrap();
        prop_assert_eq!(&view(store), &first, "replica {} differs from replica 0", i);
        prop_assert_eq!(
            &opinions(store),
            &first_opinions,
            "replica {} opinions differ",
            i
        );
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

/// Found by the property above: two replicas each removed a different one of the
/// meeting's two deputies; once merged the record has none, and a later edit of its date
/// must be refused (and change nothing) rather than break the store.
#[test]
fn a_record_whose_deputies_two_replicas_removed_refuses_an_edit_that_names_none() {
    run(&[
        Op::Create(2),
        Op::Edit(2, 0, Edit::ToggleDeputy(2)),
        Op::Deliver(2, 0),
        Op::Edit(0, 0, Edit::ToggleDeputy(2)),
        Op::Edit(2, 0, Edit::ToggleDeputy(0)),
        Op::Deliver(2, 0),
        Op::Edit(0, 0, Edit::Date(0)),
    ])
    .unwrap();
}
