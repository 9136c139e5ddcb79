//! A `Range` header: nothing may panic, and an accepted range starts at or before its end.
#![no_main]

use libfuzzer_sys::fuzz_target;
use sync_server::wire::byte_range;

fuzz_target!(
    // Panics the server catches (inside Automerge) are refusals; one that escapes the
    // target still aborts (libfuzzer-sys catches it and aborts).
    init: std::panic::set_hook(Box::new(|_| {})),
    |data: &[u8]| {
        if let Ok((start, end)) = byte_range(data) {
            assert!(start <= end);
        }
    }
);
