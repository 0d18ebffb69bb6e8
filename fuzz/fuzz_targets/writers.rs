//! The JSON and XML writers on arbitrary texts: JSON parses back, XML is well-formed or refused.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    pi2de::fuzzing::writers(data);
});
