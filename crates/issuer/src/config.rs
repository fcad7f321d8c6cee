//! Configuration: flags over environment over the TOML file (`--config`) over defaults.
//!
//! clap already gives each flag precedence over its environment variable; this module
//! fills what neither set from the file, then checks the result.

use std::{net::SocketAddr, path::Path, time::Duration};

use axum::http::StatusCode;
use serde::Deserialize;

use crate::{error::SetupError, store::LockoutPolicy};

/// Default database: `tollgate.db` in the working directory.
pub const DEFAULT_DATABASE: &str = "sqlite://tollgate.db";
/// Default listen address.
pub const DEFAULT_LISTEN: &str = "127.0.0.1:8080";
/// The token endpoint path; `TOLLGATE_TOKEN_PATHS` adds aliases.
pub const TOKEN_PATH: &str = "/oauth/token";
/// Largest accepted form body (RFC 6749 endpoints).
pub const MAX_BODY_BYTES: usize = 16 * 1024;

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
    /// Status of `invalid_client`: 401 (RFC 6749) or 400 (IdentityServer style).
    pub invalid_client_status: StatusCode,
    /// How often each server re-reads the signing keys.
    pub key_reload: Duration,
    /// `max-age` of the JWKS and metadata documents, in seconds.
    pub jwks_max_age: u64,
}

impl Settings {
    /// Defaults for an issuer URL.
    pub fn new(issuer: impl Into<String>) -> Self {
        Self {
            issuer: issuer.into().trim_end_matches('/').to_string(),
            realm: "tollgate".into(),
            token_paths: Vec::new(),
            lockout: LockoutPolicy {
                threshold: 5,
                base_ms: 30_000,
                max_ms: 900_000,
            },
            invalid_client_status: StatusCode::UNAUTHORIZED,
            key_reload: Duration::from_secs(5),
            jwks_max_age: 300,
        }
    }

    /// `issuer` + `path`.
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.issuer)
    }
}

/// One layer of settings, every key optional: the TOML file, or flags and environment.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FileConfig {
    /// Database URL.
    pub database: Option<String>,
    /// Issuer URL.
    pub issuer: Option<String>,
    /// Listen address for `serve`.
    pub listen: Option<String>,
    /// Extra token endpoint paths.
    pub token_paths: Option<Vec<String>>,
    /// Failures before a lockout.
    pub lockout_threshold: Option<u32>,
    /// First lockout, seconds.
    pub lockout_base_secs: Option<u64>,
    /// Longest lockout, seconds.
    pub lockout_max_secs: Option<u64>,
    /// 401 or 400.
    pub invalid_client_status: Option<u16>,
    /// Key reload interval, seconds.
    pub key_reload_secs: Option<u64>,
    /// JWKS `max-age`, seconds.
    pub jwks_max_age_secs: Option<u64>,
    /// `text` or `json`.
    pub log_format: Option<String>,
}

impl FileConfig {
    /// This layer over `lower`: each key from here when set, else from `lower`.
    fn over(self, lower: Self) -> Self {
        Self {
            database: self.database.or(lower.database),
            issuer: self.issuer.or(lower.issuer),
            listen: self.listen.or(lower.listen),
            token_paths: self.token_paths.or(lower.token_paths),
            lockout_threshold: self.lockout_threshold.or(lower.lockout_threshold),
            lockout_base_secs: self.lockout_base_secs.or(lower.lockout_base_secs),
            lockout_max_secs: self.lockout_max_secs.or(lower.lockout_max_secs),
            invalid_client_status: self.invalid_client_status.or(lower.invalid_client_status),
            key_reload_secs: self.key_reload_secs.or(lower.key_reload_secs),
            jwks_max_age_secs: self.jwks_max_age_secs.or(lower.jwks_max_age_secs),
            log_format: self.log_format.or(lower.log_format),
        }
    }

    /// Reads and parses a TOML file.
    pub fn read(path: &Path) -> Result<Self, SetupError> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| SetupError::Config(format!("cannot read {}: {e}", path.display())))?;
        toml::from_str(&text)
            .map_err(|e| SetupError::Config(format!("invalid {}: {e}", path.display())))
    }
}

/// Values given by flags or environment (clap resolved those two already): the same
/// keys as the file, one layer above it.
pub type Overrides = FileConfig;

/// The merged configuration.
#[derive(Clone, Debug)]
pub struct Config {
    /// Database URL.
    pub database: String,
    /// Issuer URL; `None` means `http://<bound address>`.
    pub issuer: Option<String>,
    /// Listen address.
    pub listen: String,
    /// Log as JSON lines instead of text.
    pub log_json: bool,
    settings: Settings,
}

impl Config {
    /// Merges flags/env over the file over defaults, and validates the result.
    pub fn resolve(over: Overrides, file: FileConfig) -> Result<Self, SetupError> {
        let layer = over.over(file);
        let mut settings = Settings::new("");
        let threshold = layer.lockout_threshold.unwrap_or(5);
        let base = layer.lockout_base_secs.unwrap_or(30);
        let max = layer.lockout_max_secs.unwrap_or(900);
        if threshold == 0 || base == 0 {
            return Err(SetupError::Config(
                "lockout threshold and base must be at least 1".into(),
            ));
        }
        settings.lockout = LockoutPolicy {
            threshold: i64::from(threshold),
            base_ms: secs_to_ms(base),
            max_ms: secs_to_ms(max.max(base)),
        };
        settings.invalid_client_status = match layer.invalid_client_status {
            None | Some(401) => StatusCode::UNAUTHORIZED,
            Some(400) => StatusCode::BAD_REQUEST,
            Some(other) => {
                return Err(SetupError::Config(format!(
                    "invalid_client status must be 401 or 400, not {other}"
                )));
            }
        };
        let paths = layer.token_paths.unwrap_or_default();
        settings.token_paths = token_paths(paths)?;
        settings.key_reload = Duration::from_secs(layer.key_reload_secs.unwrap_or(5).max(1));
        settings.jwks_max_age = layer.jwks_max_age_secs.unwrap_or(300);
        let log_json = match layer.log_format.as_deref() {
            None | Some("text") => false,
            Some("json") => true,
            Some(other) => {
                return Err(SetupError::Config(format!(
                    "log format must be text or json, not {other:?}"
                )));
            }
        };
        Ok(Self {
            database: layer.database.unwrap_or_else(|| DEFAULT_DATABASE.into()),
            issuer: layer.issuer.filter(|s| !s.is_empty()),
            listen: layer.listen.unwrap_or_else(|| DEFAULT_LISTEN.into()),
            log_json,
            settings,
        })
    }

    /// The listen address, parsed.
    pub fn listen_addr(&self) -> Result<SocketAddr, SetupError> {
        self.listen
            .parse()
            .map_err(|_| SetupError::Config(format!("invalid listen address {:?}", self.listen)))
    }

    /// Service settings once the address is bound (the default issuer names it).
    pub fn settings(&self, bound: Option<SocketAddr>) -> Settings {
        let issuer = match (&self.issuer, bound) {
            (Some(issuer), _) => issuer.clone(),
            (None, Some(addr)) => format!("http://{addr}"),
            (None, None) => format!("http://{}", self.listen),
        };
        Settings {
            issuer: issuer.trim_end_matches('/').to_string(),
            ..self.settings.clone()
        }
    }
}

fn secs_to_ms(secs: u64) -> i64 {
    i64::try_from(secs.saturating_mul(1000)).unwrap_or(i64::MAX)
}

/// Checks token-endpoint aliases: absolute, plain paths (no route patterns), no repeats.
fn token_paths(raw: Vec<String>) -> Result<Vec<String>, SetupError> {
    let mut paths: Vec<String> = Vec::new();
    for path in raw.iter().map(|p| p.trim()).filter(|p| !p.is_empty()) {
        let plain = path.starts_with('/')
            && path.len() > 1
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
mod tests {
    use super::*;

    #[test]
    fn flags_and_env_win_over_the_file() {
        let file = FileConfig {
            database: Some("sqlite:file.db".into()),
            lockout_threshold: Some(9),
            lockout_base_secs: Some(7),
            ..FileConfig::default()
        };
        let over = Overrides {
            lockout_threshold: Some(3),
            ..Overrides::default()
        };
        let config = Config::resolve(over, file).unwrap();
        assert_eq!(config.database, "sqlite:file.db");
        let settings = config.settings(Some("127.0.0.1:9".parse().unwrap()));
        assert_eq!(settings.lockout.threshold, 3);
        assert_eq!(settings.lockout.base_ms, 7000);
        assert_eq!(settings.issuer, "http://127.0.0.1:9");
    }

    #[test]
    fn token_paths_are_checked() {
        let paths = token_paths(vec![
            " /connect/token".into(),
            "/oauth/token".into(),
            "/connect/token".into(),
            String::new(),
        ])
        .unwrap();
        assert_eq!(paths, ["/connect/token"]);
        assert!(token_paths(vec!["/a/{id}".into()]).is_err());
        assert!(token_paths(vec!["relative".into()]).is_err());
    }
}
