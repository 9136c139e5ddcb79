//! A `Range` header: nothing may panic, and an accepted range starts at or before its end.
#![no_main]

use libfuzzer_sys::fuzz_target;
use sync_server::wire::byte_range;

fuzz_target!(|data: &[u8]| {
    if let Ok((start, end)) = byte_range(data) {
        assert!(start <= end);
    }
});
