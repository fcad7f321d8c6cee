//! `tollgate-issuer`: the Tollgate OAuth 2.0 client-credentials token service.
//!
//! An axum + tokio service that authenticates API clients (`client_secret_basic` or
//! `client_secret_post`) and issues RFC 9068 Ed25519 JWT access tokens signed by
//! [`tollgate_core`]. The `tollgate` binary wraps it with a CLI; this library exposes the
//! pieces so tests and embedders can run it on their own listener.
//!
//! # Design choices
//!
//! - **No database on the hot path.** A `client_credentials` success reads the client
//!   and its failure state from the in-process view ([`directory`]), then costs one HMAC
//!   and one Ed25519 signature: no read, no write. The store is read when a secret does
//!   not match the view (before the failure counts) and written only to count or reset
//!   failures or to keep a refresh token.
//! - **Secrets are keys, not passwords.** Server-generated 256-bit secrets are stored as
//!   HMAC-SHA-256 under a pepper and compared in constant time; unknown ids run the same
//!   code path as wrong secrets.
//! - **A lockout nobody else can trigger.** Failures are counted per (client id, source
//!   address) in one store transaction, so an attacker who knows an id locks out only
//!   itself and the count is exact across processes; one pair is authenticated at a time
//!   ([`lockout::Gate`]), so at most `threshold` wrong secrets are ever evaluated per
//!   window. Unknown ids are limited in memory ([`lockout::UnknownIds`]) and cost no disk.
//! - **Keys in memory.** Signing keys are decoded once and refreshed from the store every
//!   few seconds, so `tollgate keys rotate` from another process reaches running servers.
//! - **One store trait.** [`store::Store`] hides the database; SQLite is the default, and
//!   handlers contain no SQL.
//! - **Bounded connections.** Our own accept loop on hyper times header reads and idle
//!   keep-alives (trickling bytes buys nothing), caps concurrent connections below the
//!   open-file limit (excess ones wait in the backlog), gives one source at most a share
//!   of them (its excess is closed at accept) and backs off on accept errors. Metrics
//!   live on a separate admin listener.
//! - **Default audience.** A client with no configured audience gets tokens whose `aud`
//!   is the issuer URL; every token carries `aud`.
//!
//! # Configuration
//!
//! Flags win over environment variables, which win over the `--config` TOML file, which
//! wins over the defaults. Every setting's name, default and range is declared once in
//! [`config::spec`]; `docs/configuration.md` carries the same table (a test keeps them
//! equal) and `tollgate serve --help` prints it.
//!
//! # Example
//!
//! ```no_run
//! use tollgate_issuer::{AppState, Settings, admin, store};
//!
//! # async fn example() -> Result<(), Box<dyn std::error::Error>> {
//! let store = store::open("sqlite://tollgate.db", &store::StoreOptions::default()).await?;
//! let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
//! let admin = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
//! let issuer = format!("http://{}", listener.local_addr()?);
//! let state = AppState::new(store, Settings::new(issuer), None).await?;
//!
//! // Register a partner; the secret is shown once and stored only as a keyed hash.
//! let spec = admin::ClientSpec::new(["orders:read"]);
//! let created = admin::create_client(&state, spec).await?;
//! println!("{} {}", created.client.client_id, created.client_secret.as_str());
//!
//! // Serve (metrics on the admin listener) until Ctrl-C or SIGTERM.
//! tollgate_issuer::run(listener, Some(admin), state, tollgate_issuer::shutdown_signal()).await?;
//! # Ok(())
//! # }
//! ```

pub mod admin;
pub mod audit;
pub mod auth;
pub mod cli;
pub mod clock;
pub mod commands;
pub mod config;
pub mod directory;
pub mod edges;
pub mod error;
pub mod form;
pub mod keys;
pub mod lockout;
pub mod metrics;
mod routes;
pub mod seal;
pub mod secrets;
mod server;
pub mod source;
mod state;
pub mod store;
pub mod telemetry;

use std::future::Future;

use axum::{Router, http::StatusCode, middleware};
use tokio::{net::TcpListener, sync::watch};
use tower_http::{
    request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer},
    timeout::TimeoutLayer,
};

pub use crate::{config::Settings, error::OAuthError, state::AppState};

/// Connections the admin listener serves at once (it is for scrapers and probes).
const ADMIN_MAX_CONNECTIONS: usize = 64;

/// The public HTTP service: the OAuth endpoints, the JWKS and metadata, `/healthz` and
/// `/readyz`.
pub fn app(state: AppState) -> Router {
    layered(routes::router(&state), state)
}

/// The admin service: `/metrics`, `/healthz` and `/readyz`.
pub fn admin_app(state: AppState) -> Router {
    layered(routes::admin_router(), state)
}

/// The layers every answer passes, innermost first: the request timeout (408), the
/// header limits (431), JSON bodies for edge statuses, metrics, internal-error logging,
/// the request span and its log line, and the request id — so a 408 or a 404 is timed,
/// logged and carries an id.
fn layered(router: Router<AppState>, state: AppState) -> Router {
    let timeout = state.settings().limits.request_timeout;
    router
        .layer(TimeoutLayer::with_status_code(
            StatusCode::REQUEST_TIMEOUT,
            timeout,
        ))
        .layer(middleware::from_fn(edges::header_limits))
        .layer(middleware::from_fn(edges::json_bodies))
        .layer(middleware::from_fn_with_state(
            state.clone(),
            metrics::track,
        ))
        .layer(middleware::from_fn(telemetry::log_internal_errors))
        .layer(middleware::from_fn_with_state(
            state.clone(),
            telemetry::log_requests,
        ))
        .layer(PropagateRequestIdLayer::new(telemetry::REQUEST_ID.clone()))
        .layer(SetRequestIdLayer::new(
            telemetry::REQUEST_ID.clone(),
            MakeRequestUuid,
        ))
        .layer(middleware::map_request(telemetry::drop_invalid_request_id))
        .with_state(state)
}

/// Serves [`app`] on `listener` and [`admin_app`] on `admin` (if given) until `shutdown`
/// resolves, then drains open requests. Also runs the key-reload and pruning jobs for as
/// long as it serves, and reloads the keys on SIGHUP. Connections are limited by [`Settings::limits`] (see
/// [`config::ConnectionLimits`]); the process's soft open-file limit is raised to its hard
/// limit and `max_connections` lowered to fit below it. Each request carries its peer
/// address as [`axum::extract::ConnectInfo`]`<SocketAddr>`.
pub async fn run(
    listener: TcpListener,
    admin: Option<TcpListener>,
    state: AppState,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let limits = server::fit_to_fd_limit(state.settings().limits);
    let (stop, stopped) = watch::channel(false);
    let signal = tokio::spawn(async move {
        shutdown.await;
        let _ = stop.send(true);
    });
    let jobs = state.spawn_background();
    let hangups = reload_keys_on_hangup(state.clone());
    let sources = server::SourceSlots::new(
        limits.per_source(),
        state.settings().trusted_proxies.clone(),
        state.metrics().source_cap_refusals(),
    );
    let public = server::serve(
        listener,
        app(state.clone()),
        limits,
        sources,
        stopped.clone(),
    );
    match admin {
        Some(admin) => {
            // Scrapers and probes: one small pool, no per-source share.
            let max = ADMIN_MAX_CONNECTIONS.min(limits.max_connections);
            let admin_limits = config::ConnectionLimits {
                max_connections: max,
                ..limits
            };
            let refused = state.metrics().source_cap_refusals();
            let sources = server::SourceSlots::new(max, Vec::new(), refused);
            let admin = server::serve(admin, admin_app(state), admin_limits, sources, stopped);
            tokio::join!(public, admin);
        }
        None => public.await,
    }
    signal.abort();
    jobs.abort();
    hangups.abort();
    Ok(())
}

/// Reloads the key ring from the store on every SIGHUP and says so (SIGHUP would
/// otherwise end the process). The periodic reload does the same every few seconds;
/// SIGHUP is for an operator who wants it now, e.g. after `keys revoke`. The handler is
/// installed before this returns, so a SIGHUP sent once the server announced itself
/// never kills it.
fn reload_keys_on_hangup(state: AppState) -> tokio::task::JoinHandle<()> {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        match signal(SignalKind::hangup()) {
            Ok(mut hangups) => tokio::spawn(async move {
                while hangups.recv().await.is_some() {
                    reload_keys(&state).await;
                }
            }),
            Err(e) => {
                tracing::warn!(error = %e, "cannot handle SIGHUP; keys reload on their timer");
                tokio::spawn(async {})
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = state;
        tokio::spawn(async {})
    }
}

async fn reload_keys(state: &AppState) {
    if let Err(e) = state.keys().reload(state.clock().now()).await {
        tracing::error!(error = %e, "SIGHUP: reloading signing keys failed; keeping the current set");
        return;
    }
    let keys = state.keys().current();
    let plan = keys.plan();
    let active = plan
        .iter()
        .find(|k| k.state == keys::KeyState::Active)
        .map_or("none", |k| k.kid.as_str());
    let published = plan
        .iter()
        .filter(|k| k.state != keys::KeyState::Retired)
        .count();
    tracing::info!(active, published, "SIGHUP: signing keys reloaded");
}

/// Resolves on Ctrl-C or SIGTERM.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        if tokio::signal::ctrl_c().await.is_err() {
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = terminate => {},
    }
    tracing::info!("shutting down");
}
