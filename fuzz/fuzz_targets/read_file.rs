//! A whole input file (format sniffing, gzip, zip, BOM, encodings) on arbitrary bytes.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    pi2de::fuzzing::read_file(data);
});
