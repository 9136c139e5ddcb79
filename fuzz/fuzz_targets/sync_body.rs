//! A sync request body, JSON or CBOR (the first byte chooses), then every change in it:
//! nothing may panic, and a change is never accepted past its inflated limit.
#![no_main]

use libfuzzer_sys::fuzz_target;
use sync_server::wire::{Format, MAX_CHANGE_BYTES, decode_change, decode_sync_body};

fuzz_target!(
    // Panics the server catches (inside Automerge) are refusals; one that escapes the
    // target still aborts (libfuzzer-sys catches it and aborts).
    init: std::panic::set_hook(Box::new(|_| {})),
    |data: &[u8]| {
        let Some((first, body)) = data.split_first() else {
            return;
        };
        let format = if first % 2 == 0 { Format::Json } else { Format::Cbor };
        if let Ok(request) = decode_sync_body(format, body) {
            for change in &request.changes {
                if let Ok(c) = decode_change(&change.bytes) {
                    assert!(c.raw_bytes().len() <= MAX_CHANGE_BYTES + 32);
                }
            }
        }
    }
);
