//! The JSON reader serially and on two threads in small chunks: the same values, places and end.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    pi2de::fuzzing::json_parallel(data);
});
