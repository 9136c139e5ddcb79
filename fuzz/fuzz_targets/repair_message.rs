//! One step of Automerge's sync protocol as a repair request carries it. What the
//! server's checks accept is then run through Automerge against a small document, as the
//! server does: nothing may panic.
#![no_main]

use automerge::sync::{State, SyncDoc as _};
use automerge::transaction::Transactable as _;
use automerge::{AutoCommit, ROOT};
use libfuzzer_sys::fuzz_target;
use sync_server::wire::{decode_repair_message, unpanicked};

fuzz_target!(
    // Panics the server catches (inside Automerge) are refusals; one that escapes the
    // target still aborts (libfuzzer-sys catches it and aborts).
    init: std::panic::set_hook(Box::new(|_| {})),
    |data: &[u8]| {
        if let Ok(message) = decode_repair_message(data) {
            let mut doc = AutoCommit::new();
            let _ = doc.put(ROOT, "schema", 2u64);
            doc.commit();
            let mut state = State::new();
            // As the server does: a panic inside Automerge is a refused message.
            let received = unpanicked("a sync message", || {
                doc.sync().receive_sync_message(&mut state, message)
            });
            if matches!(received, Ok(Ok(()))) {
                let _ = doc.sync().generate_sync_message(&mut state);
            }
        }
    }
);
