//! Configuration: flags over environment over the TOML file (`--config`) over defaults.
//!
//! clap gives each flag precedence over its environment variable and checks numeric
//! ranges; this module lays the result over the file, checks the file's values against
//! the same ranges ([`spec`]), and builds the service [`Settings`].

mod layer;
pub mod spec;

use std::{
    net::SocketAddr,
    path::{Path, PathBuf},
    time::Duration,
};

use axum::http::StatusCode;
use ipnet::IpNet;

pub use self::layer::{InvalidClientStatus, Layer, LockoutScope, LogFormat, ServerArgs, StoreArgs};
use crate::{
    error::SetupError,
    store::{LockoutPolicy, StoreOptions},
};

/// The token endpoint path; `token_paths` adds aliases.
pub const TOKEN_PATH: &str = "/oauth/token";
/// Largest accepted form body (RFC 6749 endpoints).
pub const MAX_BODY_BYTES: usize = 16 * 1024;

/// How long connections may take, and how many there may be.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ConnectionLimits {
    /// Time to receive a request's headers.
    pub header_read_timeout: Duration,
    /// Time from the headers to the answer (the body read included).
    pub request_timeout: Duration,
    /// Idle keep-alive connections are closed after this.
    pub idle_timeout: Duration,
    /// Connections served at once.
    pub max_connections: usize,
    /// Connections one source may hold at once; 0 means an eighth of `max_connections`
    /// (see [`ConnectionLimits::per_source`]).
    pub max_connections_per_source: usize,
}

impl ConnectionLimits {
    /// The share of [`Self::max_connections`] one source may hold: the setting, at most
    /// every slot; by default an eighth of them, at least one.
    pub fn per_source(&self) -> usize {
        match self.max_connections_per_source {
            0 => (self.max_connections / 8).max(1),
            n => n.min(self.max_connections),
        }
    }
}

/// Everything the HTTP service needs to know besides its store and keys.
#[derive(Clone, Debug)]
pub struct Settings {
    /// `iss` of every token, and the base of the metadata URLs.
    pub issuer: String,
    /// `realm` of the Basic challenge on `invalid_client`.
    pub realm: String,
    /// Extra paths served by the token endpoint (seed platforms' paths).
    pub token_paths: Vec<String>,
    /// Brute-force lockout rule.
    pub lockout: LockoutPolicy,
    /// Whose failures a lockout counts.
    pub lockout_scope: LockoutScope,
    /// Peers whose forwarding headers name the source address.
    pub trusted_proxies: Vec<IpNet>,
    /// Status of `invalid_client`: 401 (RFC 6749) or 400 (IdentityServer style).
    pub invalid_client_status: StatusCode,
    /// How often each server re-reads the signing keys.
    pub key_reload: Duration,
    /// `max-age` of the JWKS and metadata documents, in seconds.
    pub jwks_max_age: u64,
    /// Longest access-token lifetime a client may be given, seconds.
    pub max_token_ttl: i64,
    /// Active refresh-token families a client may hold.
    pub refresh_max_families: u32,
    /// How long audit events are kept.
    pub audit_retention: Duration,
    /// Connection timeouts and cap.
    pub limits: ConnectionLimits,
}

impl Settings {
    /// Defaults for an issuer URL.
    pub fn new(issuer: impl Into<String>) -> Self {
        let defaults = ServerValues::resolve(&ServerArgs::default());
        // invariant: the defaults in `spec` lie inside their own ranges (tested).
        let values = defaults.expect("defaults are in range");
        values.settings(issuer.into())
    }

    /// `issuer` + `path`.
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.issuer)
    }
}

/// Where the store is and how its secrets are protected.
#[derive(Clone, Debug)]
pub struct StoreConfig {
    /// Database URL.
    pub database: String,
    /// Master key file, if one was named.
    pub master_key_file: Option<PathBuf>,
    /// Whether running without a master key was asked for.
    pub insecure_plaintext_keys: bool,
    /// Pool size and timeout of the database connection.
    pub options: StoreOptions,
}

/// The merged configuration.
#[derive(Clone, Debug)]
pub struct Config {
    /// Store location and protection.
    pub store: StoreConfig,
    /// Listen address.
    pub listen: String,
    /// Admin listen address; `None` when turned off.
    pub admin_listen: Option<String>,
    /// Issuer URL; `None` means `http://<bound address>` (loopback only).
    pub issuer: Option<String>,
    /// Log format.
    pub log_format: LogFormat,
    values: ServerValues,
}

/// The service values of a layer, checked.
#[derive(Clone, Debug)]
struct ServerValues {
    token_paths: Vec<String>,
    lockout: LockoutPolicy,
    lockout_scope: LockoutScope,
    trusted_proxies: Vec<IpNet>,
    invalid_client_status: InvalidClientStatus,
    key_reload: Duration,
    jwks_max_age: u64,
    max_token_ttl: i64,
    refresh_max_families: u32,
    audit_retention: Duration,
    limits: ConnectionLimits,
}

impl ServerValues {
    fn resolve(args: &ServerArgs) -> Result<Self, SetupError> {
        let num = |spec: &spec::Numeric, value: Option<u64>| {
            spec.resolve(value).map_err(SetupError::Config)
        };
        let secs = |spec: &spec::Numeric, value| num(spec, value).map(Duration::from_secs);
        let threshold = num(&spec::LOCKOUT_THRESHOLD, args.lockout_threshold)?;
        let base = num(&spec::LOCKOUT_BASE_SECS, args.lockout_base_secs)?;
        let max = num(&spec::LOCKOUT_MAX_SECS, args.lockout_max_secs)?;
        if max < base {
            return Err(SetupError::Config(format!(
                "lockout_max_secs ({max}) must be at least lockout_base_secs ({base})"
            )));
        }
        Ok(Self {
            token_paths: token_paths(args.token_paths.clone().unwrap_or_default())?,
            lockout: LockoutPolicy::new(threshold, base, max),
            lockout_scope: args.lockout_scope.unwrap_or_default(),
            trusted_proxies: args.trusted_proxies.clone().unwrap_or_default(),
            invalid_client_status: args.invalid_client_status.unwrap_or_default(),
            key_reload: secs(&spec::KEY_RELOAD_SECS, args.key_reload_secs)?,
            jwks_max_age: num(&spec::JWKS_MAX_AGE_SECS, args.jwks_max_age_secs)?,
            max_token_ttl: as_i64(num(&spec::MAX_TOKEN_TTL_SECS, args.max_token_ttl_secs)?),
            refresh_max_families: as_u32(num(
                &spec::REFRESH_MAX_FAMILIES,
                args.refresh_max_families,
            )?),
            audit_retention: Duration::from_secs(
                num(&spec::AUDIT_RETENTION_DAYS, args.audit_retention_days)?.saturating_mul(86_400),
            ),
            limits: ConnectionLimits {
                header_read_timeout: secs(
                    &spec::HEADER_READ_TIMEOUT_SECS,
                    args.header_read_timeout_secs,
                )?,
                request_timeout: secs(&spec::REQUEST_TIMEOUT_SECS, args.request_timeout_secs)?,
                idle_timeout: secs(&spec::IDLE_TIMEOUT_SECS, args.idle_timeout_secs)?,
                max_connections: as_usize(num(&spec::MAX_CONNECTIONS, args.max_connections)?),
                max_connections_per_source: as_usize(num(
                    &spec::MAX_CONNECTIONS_PER_SOURCE,
                    args.max_connections_per_source,
                )?),
            },
        })
    }

    fn settings(self, issuer: String) -> Settings {
        Settings {
            issuer: issuer.trim_end_matches('/').to_string(),
            realm: "tollgate".into(),
            token_paths: self.token_paths,
            lockout: self.lockout,
            lockout_scope: self.lockout_scope,
            trusted_proxies: self.trusted_proxies,
            invalid_client_status: match self.invalid_client_status {
                InvalidClientStatus::Unauthorized => StatusCode::UNAUTHORIZED,
                InvalidClientStatus::BadRequest => StatusCode::BAD_REQUEST,
            },
            key_reload: self.key_reload,
            jwks_max_age: self.jwks_max_age,
            max_token_ttl: self.max_token_ttl,
            refresh_max_families: self.refresh_max_families,
            audit_retention: self.audit_retention,
            limits: self.limits,
        }
    }
}

// Ranges in `spec` keep every value far below these types' limits.
fn as_i64(value: u64) -> i64 {
    i64::try_from(value).unwrap_or(i64::MAX)
}

fn as_u32(value: u64) -> u32 {
    u32::try_from(value).unwrap_or(u32::MAX)
}

fn as_usize(value: u64) -> usize {
    usize::try_from(value).unwrap_or(usize::MAX)
}

/// Reads and parses a TOML file.
pub fn read_file(path: &Path) -> Result<Layer, SetupError> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| SetupError::Config(format!("cannot read {}: {e}", path.display())))?;
    Layer::from_toml(&text)
        .map_err(|e| SetupError::Config(format!("invalid {}: {e}", path.display())))
}

impl Config {
    /// Merges flags/env over the file over defaults, and validates the result.
    pub fn resolve(over: Layer, file: Layer) -> Result<Self, SetupError> {
        let Layer { store, server } = over.over(file);
        let num = |spec: &spec::Numeric, value| spec.resolve(value).map_err(SetupError::Config);
        let admin_listen = match server.admin_listen.as_deref() {
            Some("off") => None,
            Some(addr) => Some(addr.to_string()),
            None => Some(spec::DEFAULT_ADMIN_LISTEN.to_string()),
        };
        Ok(Self {
            store: StoreConfig {
                database: store
                    .database
                    .unwrap_or_else(|| spec::DEFAULT_DATABASE.into()),
                master_key_file: store.master_key_file,
                insecure_plaintext_keys: store.insecure_plaintext_keys,
                options: StoreOptions {
                    pool_size: as_u32(num(&spec::DB_POOL_SIZE, store.db_pool_size)?),
                    timeout: Duration::from_millis(num(&spec::DB_TIMEOUT_MS, store.db_timeout_ms)?),
                },
            },
            listen: server
                .listen
                .clone()
                .unwrap_or_else(|| spec::DEFAULT_LISTEN.into()),
            admin_listen,
            issuer: server.issuer.clone().filter(|s| !s.is_empty()),
            log_format: server.log_format.unwrap_or_default(),
            values: ServerValues::resolve(&server)?,
        })
    }

    /// The listen address, parsed.
    pub fn listen_addr(&self) -> Result<SocketAddr, SetupError> {
        parse_addr(&self.listen)
    }

    /// The admin listen address, parsed; `None` when turned off.
    pub fn admin_addr(&self) -> Result<Option<SocketAddr>, SetupError> {
        self.admin_listen.as_deref().map(parse_addr).transpose()
    }

    /// Service settings once the address is bound. Without an explicit issuer the URL
    /// names the bound address, which only makes sense on loopback: tokens must not say
    /// `iss: http://0.0.0.0:8080`.
    pub fn settings(&self, bound: SocketAddr) -> Result<Settings, SetupError> {
        let issuer = match &self.issuer {
            Some(issuer) => issuer.clone(),
            None if bound.ip().is_loopback() => format!("http://{bound}"),
            None => {
                return Err(SetupError::Config(format!(
                    "listening on {bound} needs an explicit --issuer (TOLLGATE_ISSUER): \
                     the public URL clients use, e.g. https://auth.example.com"
                )));
            }
        };
        Ok(self.values.clone().settings(issuer))
    }

    /// Settings for commands that serve nothing (the issuer is not used by them).
    pub fn offline_settings(&self) -> Settings {
        let issuer = self
            .issuer
            .clone()
            .unwrap_or_else(|| format!("http://{}", self.listen));
        self.values.clone().settings(issuer)
    }
}

fn parse_addr(text: &str) -> Result<SocketAddr, SetupError> {
    text.parse()
        .map_err(|_| SetupError::Config(format!("invalid listen address {text:?}")))
}

/// Checks token-endpoint aliases: absolute, plain paths (no route patterns), no repeats.
fn token_paths(raw: Vec<String>) -> Result<Vec<String>, SetupError> {
    let mut paths: Vec<String> = Vec::new();
    for path in raw.iter().map(|p| p.trim()).filter(|p| !p.is_empty()) {
        let plain = path.starts_with('/')
            && path.len() > 1
            && path.len() <= 256
            && path
                .bytes()
                .all(|b| b.is_ascii_graphic() && !matches!(b, b'{' | b'}' | b'*' | b'?' | b'#'));
        if !plain {
            return Err(SetupError::Config(format!("invalid token path {path:?}")));
        }
        if path != TOKEN_PATH && !paths.iter().any(|p| p == path) {
            paths.push(path.to_string());
        }
    }
    Ok(paths)
}

#[cfg(test)]
mod tests;
