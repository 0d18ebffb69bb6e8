//! The mapping loader on arbitrary bytes, as an .xlsx and as a .csv.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    pi2de::fuzzing::mapping(data);
});
