//! Period ids and --periods windows on arbitrary text.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    pi2de::fuzzing::period(data);
});
