//! Changes (one chunk per length-prefixed piece of the input) decoded within one
//! request's budget as the server decodes them, then their nesting measured as the
//! server measures it before Automerge builds anything: nothing may panic, and what is
//! accepted nests at most `MAX_DEPTH` deep once applied.
#![no_main]

use automerge::{AutoCommit, ReadDoc as _};
use libfuzzer_sys::fuzz_target;
use sync_server::wire::{Budget, MAX_DEPTH, check_depth, decode_change_within};

/// How deep `doc`'s objects nest (a record at the root is 1), walking from the root.
fn depth(doc: &AutoCommit) -> usize {
    let mut deepest = 0;
    let mut stack = vec![(automerge::ROOT, 0usize)];
    while let Some((obj, d)) = stack.pop() {
        deepest = deepest.max(d);
        match doc.object_type(&obj) {
            Ok(automerge::ObjType::Map | automerge::ObjType::Table) => {
                for item in doc.map_range(&obj, ..) {
                    if let automerge::ValueRef::Object(_) = item.value {
                        stack.push((item.id(), d + 1));
                    }
                }
            }
            Ok(automerge::ObjType::List) => {
                for item in doc.list_range(&obj, ..) {
                    if let automerge::ValueRef::Object(_) = item.value {
                        stack.push((item.id(), d + 1));
                    }
                }
            }
            _ => {}
        }
    }
    deepest
}

fuzz_target!(
    init: std::panic::set_hook(Box::new(|_| {})),
    |data: &[u8]| {
        let mut budget = Budget::request();
        let mut changes = Vec::new();
        let mut rest = data;
        while rest.len() > 2 {
            let len = usize::from(u16::from_le_bytes([rest[0], rest[1]])).min(rest.len() - 2);
            let (chunk, next) = rest[2..].split_at(len);
            rest = next;
            match decode_change_within(chunk, &mut budget) {
                Ok(change) => changes.push(change),
                Err(_) => return,
            }
        }
        let Ok(Ok(())) = check_depth(&changes, &mut |_| None) else {
            return;
        };
        let mut doc = AutoCommit::new();
        if sync_server::wire::unpanicked("changes", || doc.apply_changes(changes))
            .is_ok_and(|r| r.is_ok())
        {
            assert!(depth(&doc) <= MAX_DEPTH);
        }
    }
);
