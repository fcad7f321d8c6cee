//! The store conformance suite: one set of tests written against `Store`'s roles, run on
//! SQLite (a temporary file) and on PostgreSQL (a fresh database on the server named by
//! `TOLLGATE_TEST_POSTGRES_URL`; `./scripts/test` starts a throwaway one). No behaviour
//! may differ between the backends.

// Helpers outside #[test] functions panic on failure too: that is how a test fails.
#![allow(clippy::unwrap_used)]

mod admin;
mod audit;
mod backend;
mod clients;
mod failures;
mod keys;
#[path = "../support/postgres.rs"]
mod pg;
mod tokens;

use tollgate_issuer::store::AuditEvent;

/// The audit event of an admin change made by a test.
pub(crate) fn ev() -> AuditEvent {
    AuditEvent {
        at_ms: 1,
        actor: "test".into(),
        action: "test.change".into(),
        subject: "a".into(),
        detail: String::new(),
    }
}

/// Generates one test per backend for each case: `sqlite::case` and `postgres::case`.
macro_rules! conformance {
    ($($module:ident::$case:ident),* $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
                async fn $case() {
                    let fixture = crate::backend::sqlite().await;
                    crate::$module::$case(fixture.store.clone()).await;
                }
            )*
        }
        mod postgres {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
                async fn $case() {
                    let fixture = crate::backend::postgres().await;
                    crate::$module::$case(fixture.store.clone()).await;
                }
            )*
        }
    };
}

conformance!(
    admin::an_admin_change_and_its_audit_event_commit_together,
    admin::clients_are_listed_by_page_in_id_order,
    clients::clients_round_trip,
    clients::secrets_rotate_with_grace_and_clients_disable,
    clients::deleting_a_client_removes_its_failures_and_refresh_tokens,
    clients::updates_change_settings_and_keep_secrets_and_state,
    audit::events_are_listed_in_order_from_a_time_and_pruned,
    audit::concurrent_events_are_all_kept,
    keys::revoking_a_key_activates_its_successor_in_one_step,
    failures::failures_are_counted_per_client_and_source,
    failures::concurrent_failures_are_counted_exactly,
    failures::concurrent_failures_start_exactly_one_lockout,
    failures::lockouts_double_up_to_the_cap,
    failures::unknown_ids_get_no_rows,
    failures::reset_clear_and_prune,
    failures::a_reset_never_lifts_a_lock,
    failures::every_client_and_failure_change_moves_a_mark,
    tokens::refresh_tokens_are_single_use_under_concurrency,
    tokens::refresh_families_are_capped_oldest_first,
    tokens::families_are_revoked_whole_and_expired_rows_pruned,
    tokens::revoked_access_tokens_are_remembered_until_expiry,
    keys::settings_insert_once_and_reseal_conditionally,
    keys::replicas_racing_on_first_start_create_one_key,
    keys::keys_are_listed_oldest_first_and_resealed_conditionally,
    keys::missing_public_halves_are_filled_once,
);
