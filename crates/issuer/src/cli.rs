//! The `tollgate` command line: global options (each with its environment variable) and
//! subcommands. Execution lives in [`crate::commands`].

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

use crate::config::{ServerArgs, StoreArgs};

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

/// Options for every command: where the store and its master key are.
#[derive(Debug, Args)]
pub struct Global {
    /// TOML configuration file (lowest precedence).
    #[arg(long, global = true, env = "TOLLGATE_CONFIG", value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// The store and its master key.
    #[command(flatten)]
    pub store: StoreArgs,
}

/// Subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the token service.
    Serve(ServerArgs),
    /// First run in an empty directory: create the store, a key and a demo client, then serve.
    Quickstart(ServerArgs),
    /// Manage clients.
    #[command(subcommand)]
    Client(ClientCommand),
    /// Manage signing keys.
    #[command(subcommand)]
    Keys(KeysCommand),
    /// Print the public JWKS (to embed in an edge worker).
    Jwks,
    /// List the audit trail: admin actions and lockouts, oldest first.
    Audit {
        /// Only events at or after this time (RFC 3339, e.g. 2026-12-01T00:00:00Z).
        #[arg(long, value_name = "RFC3339")]
        since: Option<String>,
        /// Print JSON (times in milliseconds since the epoch).
        #[arg(long)]
        json: bool,
    },
    /// Copy a live SQLite store to PATH (a new file, mode 0600), consistent while `serve`
    /// runs. The master key file is not part of it: back it up separately.
    Backup {
        /// The new file (must not exist).
        path: PathBuf,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
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
    /// Change a client's settings; its secret stays as it is.
    Update {
        /// Client id.
        id: String,
        /// New human-readable name.
        #[arg(long)]
        name: Option<String>,
        /// New allowed scopes, space-separated (replacing the current ones).
        #[arg(long)]
        scope: Option<String>,
        /// New allowed audience (repeatable; replaces the current ones).
        #[arg(long = "audience", value_name = "AUDIENCE")]
        audiences: Vec<String>,
        /// New access-token lifetime in seconds.
        #[arg(long, value_name = "SECS")]
        ttl: Option<i64>,
        /// Issue refresh tokens.
        #[arg(long, conflicts_with = "no_refresh")]
        refresh: bool,
        /// Stop issuing refresh tokens (those issued keep working until they expire).
        #[arg(long)]
        no_refresh: bool,
        /// New refresh-token lifetime in seconds.
        #[arg(long, value_name = "SECS")]
        refresh_ttl: Option<i64>,
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
    /// End a lockout now: for every source, or for one (`--source`).
    Unlock {
        /// Client id.
        id: String,
        /// Only this source address (as `client show` lists it).
        #[arg(long, value_name = "ADDR")]
        source: Option<String>,
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
        /// Seconds between publication and first use (time to update embedded JWKS); at
        /// least the JWKS max-age plus one key reload, raised if less; 0 signs at once
        /// (emergency).
        #[arg(long, default_value_t = 86_400)]
        activate_after: i64,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Withdraw a key now (a leaked one): out of the JWKS, never signing again, and the
    /// tokens it signed no longer verify. The active key needs a successor.
    Revoke {
        /// Key id (as `keys list` shows it).
        kid: String,
        /// Activate this pending key now, in the same step.
        #[arg(long, value_name = "KID", conflicts_with = "rotate")]
        activate: Option<String>,
        /// Create a new key, active now, in the same step.
        #[arg(long)]
        rotate: bool,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
}
