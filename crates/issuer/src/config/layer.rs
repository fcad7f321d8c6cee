//! One layer of settings, every key optional: the same structs are the clap arguments
//! (flags and environment) and the TOML file, merged once by [`Layer::over`].

use std::path::PathBuf;

use clap::{Args, ValueEnum};
use ipnet::IpNet;
use serde::Deserialize;

use super::spec;

/// Whose failures a lockout counts.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, ValueEnum, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LockoutScope {
    /// Per client id and source address: an attacker locks only itself out.
    #[default]
    Source,
    /// Per client id from every source (anyone can lock a client out).
    Client,
}

/// The status of `invalid_client` answers.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, ValueEnum, Deserialize)]
#[serde(try_from = "u16")]
pub enum InvalidClientStatus {
    /// 401 with a challenge (RFC 6749 §5.2).
    #[default]
    #[value(name = "401")]
    Unauthorized,
    /// 400, as IdentityServer answers.
    #[value(name = "400")]
    BadRequest,
}

impl TryFrom<u16> for InvalidClientStatus {
    type Error = String;

    fn try_from(status: u16) -> Result<Self, String> {
        match status {
            401 => Ok(Self::Unauthorized),
            400 => Ok(Self::BadRequest),
            other => Err(format!(
                "invalid_client_status must be 401 or 400, not {other}"
            )),
        }
    }
}

/// Log line format.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, ValueEnum, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    /// Human-readable lines.
    #[default]
    Text,
    /// One JSON object per line.
    Json,
}

/// Settings every command uses: where the store and its master key are.
#[derive(Clone, Debug, Default, Args, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StoreArgs {
    /// Database URL [default: sqlite://tollgate.db].
    #[arg(long, global = true, env = "TOLLGATE_DATABASE_URL", value_name = "URL")]
    pub database: Option<String>,
    /// Master key file [default: tollgate.key beside a SQLite store]; TOLLGATE_MASTER_KEY wins.
    #[arg(
        long,
        global = true,
        env = "TOLLGATE_MASTER_KEY_FILE",
        value_name = "FILE"
    )]
    pub master_key_file: Option<PathBuf>,
    /// Keep private keys and the pepper in clear in the store (no master key).
    #[arg(long, global = true, env = "TOLLGATE_INSECURE_PLAINTEXT_KEYS")]
    #[serde(default)]
    pub insecure_plaintext_keys: bool,
    /// See `spec::DB_POOL_SIZE`.
    #[arg(long = spec::DB_POOL_SIZE.flag, env = spec::DB_POOL_SIZE.env, global = true,
          help = spec::DB_POOL_SIZE.help(), value_parser = spec::DB_POOL_SIZE.parser(),
          value_name = "N")]
    pub db_pool_size: Option<u64>,
    /// See `spec::DB_TIMEOUT_MS`.
    #[arg(long = spec::DB_TIMEOUT_MS.flag, env = spec::DB_TIMEOUT_MS.env, global = true,
          help = spec::DB_TIMEOUT_MS.help(), value_parser = spec::DB_TIMEOUT_MS.parser(),
          value_name = "MS")]
    pub db_timeout_ms: Option<u64>,
}

/// Settings of the running service (`serve`, `quickstart`).
#[derive(Clone, Debug, Default, Args, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ServerArgs {
    /// Address to listen on [default: 127.0.0.1:8080].
    #[arg(long, env = "TOLLGATE_LISTEN", value_name = "ADDR")]
    pub listen: Option<String>,
    /// Address of /metrics, /healthz and /readyz, or `off` [default: 127.0.0.1:9464].
    #[arg(long, env = "TOLLGATE_ADMIN_LISTEN", value_name = "ADDR")]
    pub admin_listen: Option<String>,
    /// Issuer URL put in `iss`; required unless listening on loopback.
    #[arg(long, env = "TOLLGATE_ISSUER", value_name = "URL")]
    pub issuer: Option<String>,
    /// Extra token endpoint paths, comma-separated (e.g. /connect/token).
    #[arg(
        long,
        env = "TOLLGATE_TOKEN_PATHS",
        value_delimiter = ',',
        value_name = "PATHS"
    )]
    pub token_paths: Option<Vec<String>>,
    /// Count failures per client id and source, or per client id [default: source].
    #[arg(long, env = "TOLLGATE_LOCKOUT_SCOPE", value_name = "SCOPE")]
    pub lockout_scope: Option<LockoutScope>,
    /// Proxies whose Forwarded / X-Forwarded-For headers name the source, comma-separated CIDRs.
    #[arg(
        long,
        env = "TOLLGATE_TRUSTED_PROXIES",
        value_delimiter = ',',
        value_name = "CIDRS"
    )]
    pub trusted_proxies: Option<Vec<IpNet>>,
    /// Status of invalid_client answers: 401 (RFC 6749) or 400 (IdentityServer) [default: 401].
    #[arg(long, env = "TOLLGATE_INVALID_CLIENT_STATUS", value_name = "STATUS")]
    pub invalid_client_status: Option<InvalidClientStatus>,
    /// Log format [default: text].
    #[arg(long, env = "TOLLGATE_LOG_FORMAT", value_name = "FORMAT")]
    pub log_format: Option<LogFormat>,
    /// See `spec::LOCKOUT_THRESHOLD`.
    #[arg(long = spec::LOCKOUT_THRESHOLD.flag, env = spec::LOCKOUT_THRESHOLD.env,
          help = spec::LOCKOUT_THRESHOLD.help(), value_parser = spec::LOCKOUT_THRESHOLD.parser(),
          value_name = "N")]
    pub lockout_threshold: Option<u64>,
    /// See `spec::LOCKOUT_BASE_SECS`.
    #[arg(long = spec::LOCKOUT_BASE_SECS.flag, env = spec::LOCKOUT_BASE_SECS.env,
          help = spec::LOCKOUT_BASE_SECS.help(), value_parser = spec::LOCKOUT_BASE_SECS.parser(),
          value_name = "SECS")]
    pub lockout_base_secs: Option<u64>,
    /// See `spec::LOCKOUT_MAX_SECS`.
    #[arg(long = spec::LOCKOUT_MAX_SECS.flag, env = spec::LOCKOUT_MAX_SECS.env,
          help = spec::LOCKOUT_MAX_SECS.help(), value_parser = spec::LOCKOUT_MAX_SECS.parser(),
          value_name = "SECS")]
    pub lockout_max_secs: Option<u64>,
    /// See `spec::KEY_RELOAD_SECS`.
    #[arg(long = spec::KEY_RELOAD_SECS.flag, env = spec::KEY_RELOAD_SECS.env,
          help = spec::KEY_RELOAD_SECS.help(), value_parser = spec::KEY_RELOAD_SECS.parser(),
          value_name = "SECS")]
    pub key_reload_secs: Option<u64>,
    /// See `spec::JWKS_MAX_AGE_SECS`.
    #[arg(long = spec::JWKS_MAX_AGE_SECS.flag, env = spec::JWKS_MAX_AGE_SECS.env,
          help = spec::JWKS_MAX_AGE_SECS.help(), value_parser = spec::JWKS_MAX_AGE_SECS.parser(),
          value_name = "SECS")]
    pub jwks_max_age_secs: Option<u64>,
    /// See `spec::MAX_TOKEN_TTL_SECS`.
    #[arg(long = spec::MAX_TOKEN_TTL_SECS.flag, env = spec::MAX_TOKEN_TTL_SECS.env,
          help = spec::MAX_TOKEN_TTL_SECS.help(), value_parser = spec::MAX_TOKEN_TTL_SECS.parser(),
          value_name = "SECS")]
    pub max_token_ttl_secs: Option<u64>,
    /// See `spec::REFRESH_MAX_FAMILIES`.
    #[arg(long = spec::REFRESH_MAX_FAMILIES.flag, env = spec::REFRESH_MAX_FAMILIES.env,
          help = spec::REFRESH_MAX_FAMILIES.help(),
          value_parser = spec::REFRESH_MAX_FAMILIES.parser(), value_name = "N")]
    pub refresh_max_families: Option<u64>,
    /// See `spec::AUDIT_RETENTION_DAYS`.
    #[arg(long = spec::AUDIT_RETENTION_DAYS.flag, env = spec::AUDIT_RETENTION_DAYS.env,
          help = spec::AUDIT_RETENTION_DAYS.help(),
          value_parser = spec::AUDIT_RETENTION_DAYS.parser(), value_name = "DAYS")]
    pub audit_retention_days: Option<u64>,
    /// See `spec::HEADER_READ_TIMEOUT_SECS`.
    #[arg(long = spec::HEADER_READ_TIMEOUT_SECS.flag, env = spec::HEADER_READ_TIMEOUT_SECS.env,
          help = spec::HEADER_READ_TIMEOUT_SECS.help(),
          value_parser = spec::HEADER_READ_TIMEOUT_SECS.parser(), value_name = "SECS")]
    pub header_read_timeout_secs: Option<u64>,
    /// See `spec::REQUEST_TIMEOUT_SECS`.
    #[arg(long = spec::REQUEST_TIMEOUT_SECS.flag, env = spec::REQUEST_TIMEOUT_SECS.env,
          help = spec::REQUEST_TIMEOUT_SECS.help(),
          value_parser = spec::REQUEST_TIMEOUT_SECS.parser(), value_name = "SECS")]
    pub request_timeout_secs: Option<u64>,
    /// See `spec::IDLE_TIMEOUT_SECS`.
    #[arg(long = spec::IDLE_TIMEOUT_SECS.flag, env = spec::IDLE_TIMEOUT_SECS.env,
          help = spec::IDLE_TIMEOUT_SECS.help(),
          value_parser = spec::IDLE_TIMEOUT_SECS.parser(), value_name = "SECS")]
    pub idle_timeout_secs: Option<u64>,
    /// See `spec::MAX_CONNECTIONS`.
    #[arg(long = spec::MAX_CONNECTIONS.flag, env = spec::MAX_CONNECTIONS.env,
          help = spec::MAX_CONNECTIONS.help(),
          value_parser = spec::MAX_CONNECTIONS.parser(), value_name = "N")]
    pub max_connections: Option<u64>,
    /// See `spec::MAX_CONNECTIONS_PER_SOURCE`.
    #[arg(long = spec::MAX_CONNECTIONS_PER_SOURCE.flag, env = spec::MAX_CONNECTIONS_PER_SOURCE.env,
          help = spec::MAX_CONNECTIONS_PER_SOURCE.help(),
          value_parser = spec::MAX_CONNECTIONS_PER_SOURCE.parser(), value_name = "N")]
    pub max_connections_per_source: Option<u64>,
}

/// The TOML file: every key of both groups at the top level.
#[derive(Clone, Debug, Default)]
pub struct Layer {
    /// Store location.
    pub store: StoreArgs,
    /// Service settings.
    pub server: ServerArgs,
}

impl Layer {
    /// This layer over `lower`: each key from here when set, else from `lower`.
    pub fn over(self, lower: Self) -> Self {
        let (a, b) = (self.store, lower.store);
        let store = StoreArgs {
            database: a.database.or(b.database),
            master_key_file: a.master_key_file.or(b.master_key_file),
            insecure_plaintext_keys: a.insecure_plaintext_keys || b.insecure_plaintext_keys,
            db_pool_size: a.db_pool_size.or(b.db_pool_size),
            db_timeout_ms: a.db_timeout_ms.or(b.db_timeout_ms),
        };
        let (a, b) = (self.server, lower.server);
        let server = ServerArgs {
            listen: a.listen.or(b.listen),
            admin_listen: a.admin_listen.or(b.admin_listen),
            issuer: a.issuer.or(b.issuer),
            token_paths: a.token_paths.or(b.token_paths),
            lockout_scope: a.lockout_scope.or(b.lockout_scope),
            trusted_proxies: a.trusted_proxies.or(b.trusted_proxies),
            invalid_client_status: a.invalid_client_status.or(b.invalid_client_status),
            log_format: a.log_format.or(b.log_format),
            lockout_threshold: a.lockout_threshold.or(b.lockout_threshold),
            lockout_base_secs: a.lockout_base_secs.or(b.lockout_base_secs),
            lockout_max_secs: a.lockout_max_secs.or(b.lockout_max_secs),
            key_reload_secs: a.key_reload_secs.or(b.key_reload_secs),
            jwks_max_age_secs: a.jwks_max_age_secs.or(b.jwks_max_age_secs),
            max_token_ttl_secs: a.max_token_ttl_secs.or(b.max_token_ttl_secs),
            refresh_max_families: a.refresh_max_families.or(b.refresh_max_families),
            audit_retention_days: a.audit_retention_days.or(b.audit_retention_days),
            header_read_timeout_secs: a.header_read_timeout_secs.or(b.header_read_timeout_secs),
            request_timeout_secs: a.request_timeout_secs.or(b.request_timeout_secs),
            idle_timeout_secs: a.idle_timeout_secs.or(b.idle_timeout_secs),
            max_connections: a.max_connections.or(b.max_connections),
            max_connections_per_source: a
                .max_connections_per_source
                .or(b.max_connections_per_source),
        };
        Self { store, server }
    }

    /// Parses a TOML file: keys of either group, nothing else.
    pub fn from_toml(text: &str) -> Result<Self, String> {
        let table: toml::Table = toml::from_str(text).map_err(|e| e.to_string())?;
        let (mut store, mut server) = (toml::Table::new(), toml::Table::new());
        for (key, value) in table {
            let target = match key.as_str() {
                "database"
                | "master_key_file"
                | "insecure_plaintext_keys"
                | "db_pool_size"
                | "db_timeout_ms" => &mut store,
                _ => &mut server,
            };
            target.insert(key, value);
        }
        Ok(Self {
            store: store
                .try_into()
                .map_err(|e: toml::de::Error| e.to_string())?,
            server: server
                .try_into()
                .map_err(|e: toml::de::Error| e.to_string())?,
        })
    }
}
