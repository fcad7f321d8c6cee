#![no_main]

use libfuzzer_sys::fuzz_target;
use tollgate_fuzz::verifier;

fuzz_target!(|data: &[u8]| verifier::bearer(data));
