//! How deep values nest: refused past [`MAX_DEPTH`] from the operations of the changes
//! that make them, before Automerge builds them.

use automerge::{AutoCommit, Change};

use super::{WireError, unpanicked};

/// How deep values may nest in a document: a record at the document's root is depth 1,
/// its fields' lists and maps 2; the app writes at most 3. Deeper nesting is refused
/// before Automerge builds it: working through a document costs memory by the square
/// of its depth (each patch carries its whole path).
pub const MAX_DEPTH: usize = 12;

/// A value nested deeper than [`MAX_DEPTH`]: the record it is in (the root key it sits
/// under) and how deep it goes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TooDeep {
    pub record: String,
    pub depth: usize,
}

/// Checks that the objects `changes` make nest at most [`MAX_DEPTH`] deep, from their
/// operations, before Automerge applies them, in whatever order the changes come (all
/// the objects they make are gathered first). `outside` gives the depth and record of
/// an object of the document the changes do not make, by its id as Automerge writes it
/// (`counter@actor`); one it does not know counts as a record (depth 1): a change that
/// works on an object nobody made is refused later anyway.
pub fn check_depth(
    changes: &[Change],
    outside: &mut dyn FnMut(&str) -> Option<(usize, String)>,
) -> Result<Result<(), TooDeep>, WireError> {
    use automerge::legacy::{Key, ObjectId, OpType};
    type Id = (u64, automerge::ActorId);
    /// Where an object made by the changes sits: under the root at a key, or in another
    /// object.
    enum Parent {
        Root(String),
        Object(Id),
    }
    let mut made: std::collections::HashMap<Id, Parent> = std::collections::HashMap::new();
    for change in changes {
        let expanded = unpanicked("a change", || change.decode())?;
        let start = change.start_op().get();
        for (i, op) in expanded.operations.iter().enumerate() {
            if !matches!(op.action, OpType::Make(_)) {
                continue;
            }
            let parent = match &op.obj {
                ObjectId::Root => Parent::Root(match &op.key {
                    Key::Map(key) => key.to_string(),
                    Key::Seq(_) => String::new(),
                }),
                ObjectId::Id(id) => Parent::Object((id.0, id.1.clone())),
            };
            made.insert((start + i as u64, change.actor_id().clone()), parent);
        }
    }
    // Each object's depth, walking up to a known one (at most MAX_DEPTH steps: a longer
    // chain, or a cycle, is too deep), and remembered.
    let mut known: std::collections::HashMap<Id, (usize, String)> =
        std::collections::HashMap::new();
    for id in made.keys() {
        let mut chain = vec![id.clone()];
        let (base, record) = loop {
            let at = chain.last().cloned().unwrap_or_else(|| id.clone());
            if let Some(found) = known.get(&at) {
                chain.pop();
                break found.clone();
            }
            if chain.len() > MAX_DEPTH {
                // The record it is in: further up, at most as many steps as objects.
                let mut up = at;
                let mut record = String::new();
                for _ in 0..=made.len() {
                    match made.get(&up) {
                        Some(Parent::Root(key)) => {
                            record = key.clone();
                            break;
                        }
                        Some(Parent::Object(parent)) => up = parent.clone(),
                        None => {
                            if let Some((_, r)) = outside(&format!("{}@{}", up.0, up.1)) {
                                record = r;
                            }
                            break;
                        }
                    }
                }
                return Ok(Err(TooDeep {
                    record,
                    depth: chain.len(),
                }));
            }
            match made.get(&at) {
                Some(Parent::Root(key)) => break (0, key.clone()),
                Some(Parent::Object(parent)) => chain.push(parent.clone()),
                None => {
                    chain.pop();
                    let found = outside(&format!("{}@{}", at.0, at.1))
                        .unwrap_or_else(|| (1, String::new()));
                    known.insert(at, found.clone());
                    break found;
                }
            }
        };
        // `chain` runs from `id` up to the object just below the one of depth `base`.
        for (n, obj) in chain.into_iter().rev().enumerate() {
            let depth = base + n + 1;
            if depth > MAX_DEPTH {
                return Ok(Err(TooDeep {
                    record: record.clone(),
                    depth,
                }));
            }
            known.insert(obj, (depth, record.clone()));
        }
    }
    Ok(Ok(()))
}

/// The depth of object `obj` (`counter@actor`) in `doc` and the record (root key) it is
/// in, for [`check_depth`]; past [`MAX_DEPTH`] it stops
/// counting.
pub fn depth_in(doc: &AutoCommit, obj: &str) -> Option<(usize, String)> {
    use automerge::ReadDoc as _;
    let (obj, _) = doc.import(obj).ok()?;
    let mut depth = 0;
    let mut record = String::new();
    for parent in doc.parents(&obj).ok()?.take(MAX_DEPTH + 1) {
        depth += 1;
        if let automerge::Prop::Map(key) = parent.prop {
            record = key;
        }
    }
    Some((depth, record))
}
