//! The JSON reader's two paths on one object: the fast path's values are the serde path's.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    pi2de::fuzzing::json_paths(data);
});
