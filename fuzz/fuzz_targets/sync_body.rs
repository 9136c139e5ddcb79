//! A sync request body, JSON or CBOR (the first byte chooses), then its changes decoded
//! as the server does (document ids, kinds, change chunks):
//! nothing may panic, and a change is never accepted past its inflated limit.
#![no_main]

use libfuzzer_sys::fuzz_target;
use sync_server::wire::{Format, MAX_CHANGE_BYTES, decode_changes, decode_sync_body};

fuzz_target!(
    // Panics the server catches (inside Automerge) are refusals; one that escapes the
    // target still aborts (libfuzzer-sys catches it and aborts).
    init: std::panic::set_hook(Box::new(|_| {})),
    |data: &[u8]| {
        let Some((first, body)) = data.split_first() else {
            return;
        };
        let format = if first % 2 == 0 { Format::Json } else { Format::Cbor };
        if let Ok(request) = decode_sync_body(format, body)
            && let Ok(changes) = decode_changes(&request)
        {
            for (_, c) in &changes {
                assert!(c.raw_bytes().len() <= MAX_CHANGE_BYTES + 32);
            }
        }
    }
);
