//! The `tollgate` command line: global options (each with its environment variable) and
//! subcommands. Execution lives in [`crate::commands`].

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

use crate::config::Overrides;

/// Tollgate: OAuth 2.0 client-credentials tokens (Ed25519 JWTs) for API platforms.
#[derive(Debug, Parser)]
#[command(name = "tollgate", version, about, propagate_version = true)]
pub struct Cli {
    /// Options shared by every command.
    #[command(flatten)]
    pub global: Global,
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// Options for every command: flags over environment over `--config` file.
#[derive(Debug, Args)]
pub struct Global {
    /// TOML configuration file (lowest precedence).
    #[arg(long, global = true, env = "TOLLGATE_CONFIG", value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Database URL [default: sqlite://tollgate.db].
    #[arg(long, global = true, env = "TOLLGATE_DATABASE_URL", value_name = "URL")]
    pub database: Option<String>,
    /// Issuer URL put in `iss` [default: `http://` + the listen address].
    #[arg(long, global = true, env = "TOLLGATE_ISSUER", value_name = "URL")]
    pub issuer: Option<String>,
    /// Extra token endpoint paths, comma-separated (e.g. /connect/token).
    #[arg(
        long,
        global = true,
        env = "TOLLGATE_TOKEN_PATHS",
        value_delimiter = ',',
        value_name = "PATHS"
    )]
    pub token_paths: Option<Vec<String>>,
    /// Consecutive failed authentications that lock a client id [default: 5].
    #[arg(
        long,
        global = true,
        env = "TOLLGATE_LOCKOUT_THRESHOLD",
        value_name = "N"
    )]
    pub lockout_threshold: Option<u32>,
    /// First lockout in seconds; doubles with each further lockout [default: 30].
    #[arg(
        long,
        global = true,
        env = "TOLLGATE_LOCKOUT_BASE_SECS",
        value_name = "SECS"
    )]
    pub lockout_base_secs: Option<u64>,
    /// Longest lockout in seconds [default: 900].
    #[arg(
        long,
        global = true,
        env = "TOLLGATE_LOCKOUT_MAX_SECS",
        value_name = "SECS"
    )]
    pub lockout_max_secs: Option<u64>,
    /// Status of invalid_client answers: 401 (RFC 6749) or 400 (IdentityServer style).
    #[arg(
        long,
        global = true,
        env = "TOLLGATE_INVALID_CLIENT_STATUS",
        value_name = "STATUS"
    )]
    pub invalid_client_status: Option<u16>,
    /// Seconds between signing-key reloads from the store [default: 5].
    #[arg(
        long,
        global = true,
        env = "TOLLGATE_KEY_RELOAD_SECS",
        value_name = "SECS"
    )]
    pub key_reload_secs: Option<u64>,
    /// Cache max-age of the JWKS and metadata, seconds [default: 300].
    #[arg(
        long,
        global = true,
        env = "TOLLGATE_JWKS_MAX_AGE_SECS",
        value_name = "SECS"
    )]
    pub jwks_max_age_secs: Option<u64>,
    /// Log format: text or json [default: text].
    #[arg(
        long,
        global = true,
        env = "TOLLGATE_LOG_FORMAT",
        value_name = "FORMAT"
    )]
    pub log_format: Option<String>,
}

impl Global {
    /// The flag/env layer of the configuration.
    pub fn overrides(&self, listen: Option<String>) -> Overrides {
        Overrides {
            database: self.database.clone(),
            issuer: self.issuer.clone(),
            listen,
            token_paths: self.token_paths.clone(),
            lockout_threshold: self.lockout_threshold,
            lockout_base_secs: self.lockout_base_secs,
            lockout_max_secs: self.lockout_max_secs,
            invalid_client_status: self.invalid_client_status,
            key_reload_secs: self.key_reload_secs,
            jwks_max_age_secs: self.jwks_max_age_secs,
            log_format: self.log_format.clone(),
        }
    }
}

/// Subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the token service.
    Serve {
        /// Address to listen on [default: 127.0.0.1:8080].
        #[arg(long, env = "TOLLGATE_LISTEN", value_name = "ADDR")]
        listen: Option<String>,
    },
    /// First run in an empty directory: create the store, a key and a demo client, then serve.
    Quickstart {
        /// Address to listen on [default: 127.0.0.1:8080].
        #[arg(long, env = "TOLLGATE_LISTEN", value_name = "ADDR")]
        listen: Option<String>,
    },
    /// Manage clients.
    #[command(subcommand)]
    Client(ClientCommand),
    /// Manage signing keys.
    #[command(subcommand)]
    Keys(KeysCommand),
    /// Print the public JWKS (to embed in an edge worker).
    Jwks,
}

/// `tollgate client ...`
#[derive(Debug, Subcommand)]
pub enum ClientCommand {
    /// Register a client and print its secret (shown once).
    Create {
        /// Client id [default: generated]. Printable ASCII, up to 128 characters.
        #[arg(long)]
        id: Option<String>,
        /// Human-readable name.
        #[arg(long, default_value = "")]
        name: String,
        /// Allowed scopes, space-separated; also the default grant.
        #[arg(long, required = true)]
        scope: String,
        /// Allowed audience (repeatable) [default: the issuer URL].
        #[arg(long = "audience", value_name = "AUDIENCE")]
        audiences: Vec<String>,
        /// Access-token lifetime in seconds.
        #[arg(long, default_value_t = crate::admin::DEFAULT_TTL)]
        ttl: i64,
        /// Also issue refresh tokens (Caspio style).
        #[arg(long)]
        refresh: bool,
        /// Refresh-token lifetime in seconds.
        #[arg(long, default_value_t = crate::admin::DEFAULT_REFRESH_TTL)]
        refresh_ttl: i64,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// List clients.
    List {
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Show one client, with its lockout state.
    Show {
        /// Client id.
        id: String,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Issue a new secret (shown once).
    RotateSecret {
        /// Client id.
        id: String,
        /// Seconds the old secret keeps working.
        #[arg(long, default_value_t = 0)]
        grace: i64,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Stop a client from authenticating.
    Disable {
        /// Client id.
        id: String,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Let a disabled client authenticate again.
    Enable {
        /// Client id.
        id: String,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Delete a client and its refresh tokens.
    Delete {
        /// Client id.
        id: String,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
}

/// `tollgate keys ...`
#[derive(Debug, Subcommand)]
pub enum KeysCommand {
    /// List signing keys and their states.
    List {
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Create a key: published in the JWKS now, signing after --activate-after seconds.
    Rotate {
        /// Seconds between publication and first use (time to update embedded JWKS).
        #[arg(long, default_value_t = 86_400)]
        activate_after: i64,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
}
