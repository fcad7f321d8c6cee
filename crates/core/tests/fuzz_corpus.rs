//! Replays the committed fuzz corpus (`fuzz/corpus/<target>/`) through the checks the
//! libFuzzer targets run, on stable: every input that once found new code in a parser is
//! checked again by `cargo test` (no panic, round-trips, and the differential agreement of
//! our verifier with jwt-compact and raw `verify_strict`).

use std::{
    panic::{AssertUnwindSafe, catch_unwind},
    path::PathBuf,
};

#[allow(
    unreachable_pub,
    reason = "the same file is the fuzz crate's public module"
)]
#[path = "../../../fuzz/src/verifier.rs"]
mod verifier;

use verifier::Fixture;

/// Every input of one target's corpus, by file name.
fn corpus(target: &str) -> Vec<(String, Vec<u8>)> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../fuzz/corpus")
        .join(target);
    let entries = std::fs::read_dir(&dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display()));
    let mut inputs: Vec<_> = entries
        .map(|entry| {
            // invariant: the corpus directory is readable (it was just listed).
            let path = entry.expect("corpus entry").path();
            let name = path.file_name().map(|n| n.to_string_lossy().into_owned());
            let data = std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
            (name.unwrap_or_default(), data)
        })
        .collect();
    inputs.sort();
    assert!(!inputs.is_empty(), "{target}: the corpus is missing");
    inputs
}

/// Runs `check` on every input; fails naming each input that panicked.
fn replay(target: &str, check: impl Fn(&[u8])) {
    let failed: Vec<String> = corpus(target)
        .into_iter()
        .filter(|(_, data)| catch_unwind(AssertUnwindSafe(|| check(data))).is_err())
        .map(|(name, _)| name)
        .collect();
    assert!(failed.is_empty(), "{target}: {failed:?} failed");
}

#[test]
fn token_corpus_verifies_without_panic() {
    let fx = Fixture::new();
    replay("token", |data| verifier::token(&fx, data));
}

#[test]
fn jwks_corpus_parses_without_panic_and_round_trips() {
    let fx = Fixture::new();
    replay("jwks", |data| verifier::jwks(&fx, data));
}

#[test]
fn rfc6750_bearer_corpus_yields_b64tokens_only() {
    replay("bearer", verifier::bearer);
}

#[test]
fn differential_corpus_agrees_with_jwt_compact_and_verify_strict() {
    let fx = Fixture::new();
    replay("differential", |data| verifier::differential(&fx, data));
    // The corpus exercises both verdicts, each also judged by jwt-compact.
    let verdicts: Vec<_> = corpus("differential")
        .iter()
        .filter_map(|(_, data)| verifier::differential_verdict(&fx, data))
        .collect();
    for accepted in [true, false] {
        let judged = verdicts.iter().filter(|&&v| v == (accepted, true)).count();
        assert!(judged > 0, "no input where both verifiers say {accepted}");
    }
}
