//! One change chunk as pushed: plain or deflated, any bytes. Nothing may panic; what is
//! accepted is within its limit and its checksum is its hash's.
#![no_main]

use libfuzzer_sys::fuzz_target;
use sync_server::wire::{MAX_CHANGE_BYTES, decode_change};

fuzz_target!(
    // Panics the server catches (inside Automerge) are refusals; one that escapes the
    // target still aborts (libfuzzer-sys catches it and aborts).
    init: std::panic::set_hook(Box::new(|_| {})),
    |data: &[u8]| {
        if let Ok(change) = decode_change(data) {
            assert!(change.raw_bytes().len() <= MAX_CHANGE_BYTES + 32);
            assert_eq!(data[4..8], change.hash().0[..4]);
        }
    }
);
