//! One step of Automerge's sync protocol as a repair request carries it. What the
//! server's checks accept is then run through Automerge against a small document, as the
//! server does: nothing may panic.
#![no_main]

use automerge::sync::{State, SyncDoc as _};
use automerge::transaction::Transactable as _;
use automerge::{AutoCommit, ROOT};
use libfuzzer_sys::fuzz_target;
use sync_server::wire::decode_repair_message;

fuzz_target!(|data: &[u8]| {
    if let Ok(message) = decode_repair_message(data) {
        let mut doc = AutoCommit::new();
        let _ = doc.put(ROOT, "schema", 2u64);
        doc.commit();
        let mut state = State::new();
        if doc.sync().receive_sync_message(&mut state, message).is_ok() {
            let _ = doc.sync().generate_sync_message(&mut state);
        }
    }
});
