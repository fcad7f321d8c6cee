//! The checks behind each fuzz target. The same files are compiled into the stable corpus
//! replays (`crates/core/tests/fuzz_corpus.rs`, `crates/issuer/tests/fuzz_corpus.rs`), so a
//! committed input is checked the same way with or without libFuzzer.

pub mod credentials;
pub mod verifier;
