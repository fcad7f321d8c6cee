//! Replays the committed `credentials` fuzz corpus (`fuzz/corpus/credentials/`) through
//! the checks the libFuzzer target runs, on stable: `Authorization: Basic` and the form
//! body parse without panic, and no secret changes their `Debug` output.

use std::{
    panic::{AssertUnwindSafe, catch_unwind},
    path::PathBuf,
};

#[allow(
    unreachable_pub,
    reason = "the same file is the fuzz crate's public module"
)]
#[path = "../../../fuzz/src/credentials.rs"]
mod credentials;

#[test]
fn rfc6749_credentials_corpus_parses_without_panic_or_secret_in_debug() {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../fuzz/corpus/credentials");
    let mut count = 0;
    let mut failed = Vec::new();
    for entry in std::fs::read_dir(&dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display())) {
        // invariant: the corpus directory is readable (it was just listed).
        let path = entry.expect("corpus entry").path();
        let data = std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        count += 1;
        if catch_unwind(AssertUnwindSafe(|| credentials::check(&data))).is_err() {
            failed.push(path.display().to_string());
        }
    }
    assert!(count > 0, "the credentials corpus is missing");
    assert!(failed.is_empty(), "{failed:?} failed");
}
