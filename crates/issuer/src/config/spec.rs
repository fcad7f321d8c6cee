//! Every setting's names, default and accepted range, written once.
//!
//! The CLI help, the range checks of flags, environment and file values, and the
//! reference table in `docs/configuration.md` (checked by a test) all read these.

use std::fmt::Write as _;

/// A numeric setting.
#[derive(Clone, Copy, Debug)]
pub struct Numeric {
    /// TOML key (the flag is the same with `-`).
    pub key: &'static str,
    /// Long flag.
    pub flag: &'static str,
    /// Environment variable.
    pub env: &'static str,
    /// Value when nothing sets it.
    pub default: u64,
    /// Smallest accepted value.
    pub min: u64,
    /// Largest accepted value.
    pub max: u64,
    /// What it does (one line, for `--help` and the docs).
    pub doc: &'static str,
}

impl Numeric {
    /// `--help` text: the doc, the default and the range.
    pub fn help(&self) -> String {
        format!(
            "{} [default: {}] [range: {}..={}]",
            self.doc, self.default, self.min, self.max
        )
    }

    /// A clap parser that refuses values outside the range, naming the flag.
    pub fn parser(&self) -> clap::builder::RangedU64ValueParser<u64> {
        clap::builder::RangedU64ValueParser::new().range(self.min..=self.max)
    }

    /// `value` (or the default) if in range, else an error naming the setting.
    pub fn resolve(&self, value: Option<u64>) -> Result<u64, String> {
        let value = value.unwrap_or(self.default);
        if (self.min..=self.max).contains(&value) {
            Ok(value)
        } else {
            Err(format!(
                "{} must be between {} and {} (got {value})",
                self.key, self.min, self.max
            ))
        }
    }
}

const DAY: u64 = 86_400;

/// Consecutive failures that lock a client id for one source.
pub const LOCKOUT_THRESHOLD: Numeric = Numeric {
    key: "lockout_threshold",
    flag: "lockout-threshold",
    env: "TOLLGATE_LOCKOUT_THRESHOLD",
    default: 5,
    min: 1,
    max: 1000,
    doc: "Consecutive failed authentications that lock a client id (per source by default)",
};

/// First lockout.
pub const LOCKOUT_BASE_SECS: Numeric = Numeric {
    key: "lockout_base_secs",
    flag: "lockout-base-secs",
    env: "TOLLGATE_LOCKOUT_BASE_SECS",
    default: 30,
    min: 1,
    max: DAY,
    doc: "First lockout in seconds; doubles with each further lockout",
};

/// Longest lockout.
pub const LOCKOUT_MAX_SECS: Numeric = Numeric {
    key: "lockout_max_secs",
    flag: "lockout-max-secs",
    env: "TOLLGATE_LOCKOUT_MAX_SECS",
    default: 900,
    min: 1,
    max: DAY,
    doc: "Longest lockout in seconds (at least the base)",
};

/// Signing-key reload interval.
pub const KEY_RELOAD_SECS: Numeric = Numeric {
    key: "key_reload_secs",
    flag: "key-reload-secs",
    env: "TOLLGATE_KEY_RELOAD_SECS",
    default: 5,
    min: 1,
    max: 3600,
    doc: "Seconds between signing-key reloads from the store",
};

/// JWKS and metadata cache lifetime.
pub const JWKS_MAX_AGE_SECS: Numeric = Numeric {
    key: "jwks_max_age_secs",
    flag: "jwks-max-age-secs",
    env: "TOLLGATE_JWKS_MAX_AGE_SECS",
    default: 300,
    min: 0,
    max: DAY,
    doc: "Cache-Control max-age of the JWKS and metadata, seconds",
};

/// Longest access-token lifetime a client may be given.
pub const MAX_TOKEN_TTL_SECS: Numeric = Numeric {
    key: "max_token_ttl_secs",
    flag: "max-token-ttl-secs",
    env: "TOLLGATE_MAX_TOKEN_TTL_SECS",
    default: DAY,
    min: 60,
    max: 30 * DAY,
    doc: "Longest access-token lifetime a client may have, seconds (raise explicitly)",
};

/// Active refresh-token families per client.
pub const REFRESH_MAX_FAMILIES: Numeric = Numeric {
    key: "refresh_max_families",
    flag: "refresh-max-families",
    env: "TOLLGATE_REFRESH_MAX_FAMILIES",
    default: 100,
    min: 1,
    max: 100_000,
    doc: "Active refresh-token families a client may hold; the oldest is revoked first",
};

/// How long audit events are kept.
pub const AUDIT_RETENTION_DAYS: Numeric = Numeric {
    key: "audit_retention_days",
    flag: "audit-retention-days",
    env: "TOLLGATE_AUDIT_RETENTION_DAYS",
    default: 365,
    min: 1,
    max: 36_500,
    doc: "Days an audit event (admin action, lockout) is kept before `serve` prunes it",
};

/// Time to receive a request's headers.
pub const HEADER_READ_TIMEOUT_SECS: Numeric = Numeric {
    key: "header_read_timeout_secs",
    flag: "header-read-timeout-secs",
    env: "TOLLGATE_HEADER_READ_TIMEOUT_SECS",
    default: 5,
    min: 1,
    max: 300,
    doc: "Seconds a connection may take to send a request's headers, from the accept or the first byte after an idle spell; trickling bytes does not extend it",
};

/// Time to receive a body and answer.
pub const REQUEST_TIMEOUT_SECS: Numeric = Numeric {
    key: "request_timeout_secs",
    flag: "request-timeout-secs",
    env: "TOLLGATE_REQUEST_TIMEOUT_SECS",
    default: 10,
    min: 1,
    max: 300,
    doc: "Seconds from the end of the headers to the answer, body read included (408 after)",
};

/// Idle keep-alive connections are closed after this.
pub const IDLE_TIMEOUT_SECS: Numeric = Numeric {
    key: "idle_timeout_secs",
    flag: "idle-timeout-secs",
    env: "TOLLGATE_IDLE_TIMEOUT_SECS",
    default: 30,
    min: 1,
    max: 3600,
    doc: "Seconds a keep-alive connection may stay idle between requests",
};

/// Open connections at once.
pub const MAX_CONNECTIONS: Numeric = Numeric {
    key: "max_connections",
    flag: "max-connections",
    env: "TOLLGATE_MAX_CONNECTIONS",
    default: 4096,
    min: 1,
    max: 1_000_000,
    doc: "Connections served at once; more wait in the listen backlog (capped by the open-file limit)",
};

/// Open connections one source may hold at once.
pub const MAX_CONNECTIONS_PER_SOURCE: Numeric = Numeric {
    key: "max_connections_per_source",
    flag: "max-connections-per-source",
    env: "TOLLGATE_MAX_CONNECTIONS_PER_SOURCE",
    default: 0,
    min: 0,
    max: 1_000_000,
    doc: "Connections one source (IPv4 address or IPv6 /64 of the TCP peer) may hold at once; more are closed at accept, unread. 0: an eighth of max-connections (at least 1). Trusted proxies are exempt",
};

/// Database connections per process.
pub const DB_POOL_SIZE: Numeric = Numeric {
    key: "db_pool_size",
    flag: "db-pool-size",
    env: "TOLLGATE_DB_POOL_SIZE",
    default: 16,
    min: 1,
    max: 500,
    doc: "PostgreSQL connections per process",
};

/// Longest wait for the database.
pub const DB_TIMEOUT_MS: Numeric = Numeric {
    key: "db_timeout_ms",
    flag: "db-timeout-ms",
    env: "TOLLGATE_DB_TIMEOUT_MS",
    default: 1500,
    min: 100,
    max: 60_000,
    doc: "Longest wait for a database connection, lock or statement before a 503 \
          (SQLite's busy timeout too; commands wait at least 30 s), milliseconds",
};

/// Every numeric setting, in documentation order.
pub const NUMERIC: [&Numeric; 15] = [
    &DB_POOL_SIZE,
    &DB_TIMEOUT_MS,
    &LOCKOUT_THRESHOLD,
    &LOCKOUT_BASE_SECS,
    &LOCKOUT_MAX_SECS,
    &KEY_RELOAD_SECS,
    &JWKS_MAX_AGE_SECS,
    &MAX_TOKEN_TTL_SECS,
    &REFRESH_MAX_FAMILIES,
    &AUDIT_RETENTION_DAYS,
    &HEADER_READ_TIMEOUT_SECS,
    &REQUEST_TIMEOUT_SECS,
    &IDLE_TIMEOUT_SECS,
    &MAX_CONNECTIONS,
    &MAX_CONNECTIONS_PER_SOURCE,
];

/// Default database: `tollgate.db` in the working directory.
pub const DEFAULT_DATABASE: &str = "sqlite://tollgate.db";
/// Default listen address of the token service.
pub const DEFAULT_LISTEN: &str = "127.0.0.1:8080";
/// Default listen address of the admin endpoints (metrics, health).
pub const DEFAULT_ADMIN_LISTEN: &str = "127.0.0.1:9464";
/// File name of the master key created beside a SQLite store.
pub const MASTER_KEY_FILE_NAME: &str = "tollgate.key";

/// Settings that are not numbers, for the reference table: flag, env, key, default, doc.
const OTHER: &[[&str; 5]] = &[
    [
        "--database URL",
        "TOLLGATE_DATABASE_URL",
        "database",
        DEFAULT_DATABASE,
        "the store: `sqlite:PATH` or a path (created 0600, only by `serve` and `quickstart`), or `postgres://…` for several replicas ([scaling](scaling.md))",
    ],
    [
        "--master-key-file FILE",
        "TOLLGATE_MASTER_KEY_FILE",
        "master_key_file",
        "`tollgate.key` beside a SQLite store",
        "32-byte master key that seals signing keys and the pepper; created (0600) by the first `serve`",
    ],
    [
        "—",
        "TOLLGATE_MASTER_KEY",
        "—",
        "unset",
        "the master key itself, base64 (wins over the file)",
    ],
    [
        "--insecure-plaintext-keys",
        "TOLLGATE_INSECURE_PLAINTEXT_KEYS",
        "insecure_plaintext_keys",
        "false",
        "run without a master key: private keys and the pepper stay in clear in the store",
    ],
    [
        "--listen ADDR",
        "TOLLGATE_LISTEN",
        "listen",
        DEFAULT_LISTEN,
        "token service address; port 0 picks a free one (printed as `listening on ...`)",
    ],
    [
        "--admin-listen ADDR",
        "TOLLGATE_ADMIN_LISTEN",
        "admin_listen",
        DEFAULT_ADMIN_LISTEN,
        "`/metrics`, `/healthz`, `/readyz`; `off` disables it",
    ],
    [
        "--issuer URL",
        "TOLLGATE_ISSUER",
        "issuer",
        "`http://<bound address>` on loopback; required otherwise",
        "the `iss` claim and the metadata `issuer`: your public HTTPS URL",
    ],
    [
        "--token-paths PATHS",
        "TOLLGATE_TOKEN_PATHS",
        "token_paths",
        "none",
        "extra token endpoint paths, comma-separated (TOML: an array)",
    ],
    [
        "--lockout-scope source\\|client",
        "TOLLGATE_LOCKOUT_SCOPE",
        "lockout_scope",
        "source",
        "count failures per client id and source address, or per client id alone",
    ],
    [
        "--trusted-proxies CIDRS",
        "TOLLGATE_TRUSTED_PROXIES",
        "trusted_proxies",
        "none",
        "peers whose `Forwarded`/`X-Forwarded-For` names the source (rightmost untrusted hop)",
    ],
    [
        "--invalid-client-status 401\\|400",
        "TOLLGATE_INVALID_CLIENT_STATUS",
        "invalid_client_status",
        "401",
        "400 answers `invalid_client` like IdentityServer",
    ],
    [
        "--log-format text\\|json",
        "TOLLGATE_LOG_FORMAT",
        "log_format",
        "text",
        "log output; secrets, tokens and `Authorization` values are never logged",
    ],
];

/// The reference table of every setting, as Markdown rows (docs/configuration.md holds
/// the same text between its `settings` markers).
pub fn reference_table() -> String {
    let mut out = String::from(
        "| flag | environment | TOML key | default | range | meaning |\n\
         |---|---|---|---|---|---|\n",
    );
    for [flag, env, key, default, doc] in OTHER {
        let key = if *key == "—" {
            "—".into()
        } else {
            format!("`{key}`")
        };
        let flag = if *flag == "—" {
            "—".into()
        } else {
            format!("`{flag}`")
        };
        let _ = writeln!(out, "| {flag} | `{env}` | {key} | {default} | — | {doc} |");
    }
    for n in NUMERIC {
        let _ = writeln!(
            out,
            "| `--{} N` | `{}` | `{}` | {} | {}–{} | {} |",
            n.flag, n.env, n.key, n.default, n.min, n.max, n.doc
        );
    }
    out
}
