//! Integration tests: real HTTP over 127.0.0.1 against `app()`/`run()` or the `tollgate`
//! binary, each test with its own SQLite file in a temporary directory.

// Helpers outside #[test] functions panic on failure too: that is how a test fails.
#![allow(clippy::unwrap_used)]

mod admin_verbs;
mod at_rest;
mod auth;
mod cli;
mod common;
mod config;
mod connections;
mod connections_per_source;
mod contention;
mod crash;
mod edges;
mod endpoints;
mod introspection;
mod keys;
mod lockout;
mod logs;
mod operator;
mod outage;
#[path = "../support/postgres.rs"]
mod pg;
mod refresh;
mod replica;
mod replicas;
mod sources;
mod storage;
mod token;
