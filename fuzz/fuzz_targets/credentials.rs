#![no_main]

use libfuzzer_sys::fuzz_target;
use tollgate_fuzz::credentials;

fuzz_target!(|data: &[u8]| credentials::check(data));
