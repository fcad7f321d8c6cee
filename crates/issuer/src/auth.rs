//! Client authentication (RFC 6749 §2.3.1) as an extractor, with brute-force lockout.
//!
//! `client_secret_basic`: base64 of `urlencode(id) ":" urlencode(secret)`, so ids and
//! secrets may hold `:`, `%` and `+`. `client_secret_post`: `client_id` and
//! `client_secret` in the form. Using both is refused.
//!
//! Failures are counted per (client id, source) — the source is the peer address, or
//! what a trusted proxy says it is ([`crate::source`]) — or per client id alone with
//! `--lockout-scope client`. An attacker who knows a client id therefore locks out only
//! itself. Each pair is authenticated one request at a time ([`Gate`]): its state is
//! read, the secret compared and a failure counted before the next request of the pair
//! is looked at, so at most `threshold` wrong secrets are evaluated per lockout window.
//!
//! Unknown ids answer exactly like wrong secrets (same status, body and headers, and the
//! same lockout after `threshold` failures), but their failures are held in a bounded
//! in-memory limiter instead of the store: a flood of random ids costs no disk. Client
//! ids are not secrets (every token carries one in `sub`), so the difference in timing
//! between the two paths is accepted; see docs/security.md.

use std::{
    net::{IpAddr, Ipv4Addr, SocketAddr},
    sync::Arc,
};

use axum::{
    extract::{ConnectInfo, FromRequest, Request},
    http::{HeaderMap, StatusCode, header},
};
use base64ct::{Base64, Base64Unpadded, Encoding};
use percent_encoding::percent_decode_str;
use zeroize::Zeroizing;

use crate::{
    AppState,
    config::LockoutScope,
    directory::Entry,
    error::OAuthError,
    form::OAuthForm,
    lockout::{FailureOutcome, FailureState},
    secrets::digest_eq,
    source,
    store::Client,
};

/// Longest client id accepted on the wire (and by `client create --id`).
pub const MAX_CLIENT_ID_LEN: usize = 128;

/// How the client presented its credentials.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Method {
    /// `Authorization: Basic`.
    Basic,
    /// Form parameters.
    Post,
}

/// Presented credentials; the secret is wiped on drop and never printed.
pub struct Credentials {
    /// The client id.
    pub id: String,
    /// The secret, if one was given.
    pub secret: Option<Zeroizing<String>>,
    /// Where they came from.
    pub method: Method,
}

impl std::fmt::Debug for Credentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Credentials")
            .field("method", &self.method)
            .finish_non_exhaustive()
    }
}

/// Decodes one RFC 6749 Appendix B component: `+` is a space, then percent-decoding.
fn form_decode(part: &str) -> Option<String> {
    // The part may be a secret: the intermediate copy is wiped as well.
    let spaced = Zeroizing::new(part.replace('+', " "));
    percent_decode_str(&spaced)
        .decode_utf8()
        .ok()
        .map(|s| s.into_owned())
}

/// Reads `Authorization: Basic`, if present.
pub fn basic_credentials(headers: &HeaderMap) -> Result<Option<Credentials>, OAuthError> {
    let mut values = headers.get_all(header::AUTHORIZATION).iter();
    let Some(value) = values.next() else {
        return Ok(None);
    };
    if values.next().is_some() {
        return Err(OAuthError::InvalidRequest(
            "send one Authorization header, not several",
        ));
    }
    let value = value.to_str().map_err(|_| malformed_basic())?;
    let (scheme, encoded) = value.split_once(' ').unwrap_or((value, ""));
    if !scheme.eq_ignore_ascii_case("basic") {
        return Err(OAuthError::InvalidRequest(
            "only the Basic authorization scheme is supported",
        ));
    }
    let encoded = encoded.trim();
    let decoded = Base64::decode_vec(encoded)
        .or_else(|_| Base64Unpadded::decode_vec(encoded))
        .map_err(|_| malformed_basic())?;
    let decoded = Zeroizing::new(decoded);
    let text = std::str::from_utf8(&decoded).map_err(|_| malformed_basic())?;
    let (id, secret) = text.split_once(':').ok_or_else(malformed_basic)?;
    let id = form_decode(id).ok_or_else(malformed_basic)?;
    let secret = Zeroizing::new(form_decode(secret).ok_or_else(malformed_basic)?);
    Ok(Some(Credentials {
        id,
        secret: (!secret.is_empty()).then_some(secret),
        method: Method::Basic,
    }))
}

fn malformed_basic() -> OAuthError {
    OAuthError::InvalidRequest("malformed Basic authorization header")
}

/// Picks the one authentication method the request used.
pub fn credentials(
    basic: Option<Credentials>,
    form: &OAuthForm,
) -> Result<Option<Credentials>, OAuthError> {
    let form_id = form.get("client_id");
    let form_secret = form.get("client_secret");
    match basic {
        Some(basic) => {
            if form_secret.is_some() {
                return Err(OAuthError::InvalidRequest(
                    "use one client authentication method, not both",
                ));
            }
            // Some clients also repeat their id in the form; it must agree.
            if form_id.is_some_and(|id| id != basic.id) {
                return Err(OAuthError::InvalidRequest(
                    "client_id does not match the Authorization header",
                ));
            }
            Ok(Some(basic))
        }
        None => match (form_id, form_secret) {
            (Some(id), secret) => Ok(Some(Credentials {
                id: id.to_string(),
                secret: secret.map(|s| Zeroizing::new(s.to_string())),
                method: Method::Post,
            })),
            (None, Some(_)) => Err(OAuthError::InvalidRequest(
                "client_secret given without client_id",
            )),
            (None, None) => Ok(None),
        },
    }
}

fn invalid_client(state: &AppState) -> OAuthError {
    let settings = state.settings();
    let rfc = settings.invalid_client_status == StatusCode::UNAUTHORIZED;
    OAuthError::InvalidClient {
        status: settings.invalid_client_status,
        // RFC 9110 §11.6.1: every 401 carries a challenge; Basic is the scheme to use,
        // whichever method the client tried (RFC 6749 §2.3.1).
        challenge: rfc.then(|| settings.realm.clone()),
    }
}

fn locked(state: FailureState, now_ms: i64) -> OAuthError {
    let ms = u64::try_from(state.locked_until_ms.saturating_sub(now_ms)).unwrap_or(1);
    OAuthError::Locked {
        retry_after: ms.div_ceil(1000).max(1),
    }
}

/// The failure-counting key of a request: its source address (IPv6 per /64), or `*`
/// when failures are counted per client id alone.
pub fn source_key(state: &AppState, peer: IpAddr, headers: &HeaderMap) -> String {
    match state.settings().lockout_scope {
        LockoutScope::Client => "*".to_string(),
        LockoutScope::Source => source::lockout_key(source::client_addr(
            peer,
            headers,
            &state.settings().trusted_proxies,
        )),
    }
}

/// Whether `secret` is the client's current secret, or its previous one within the
/// rotation grace. The same work whether or not the client exists: one HMAC and two
/// constant-time comparisons.
fn secret_matches(state: &AppState, client: Option<&Client>, secret: &str, now_ms: i64) -> bool {
    let presented = state.hasher().client_secret(secret);
    let dummy = state.dummy_digest();
    let now = now_ms.div_euclid(1000);
    let (current, previous, previous_valid) = match client {
        Some(c) => (
            &c.secret_hash,
            c.previous_secret_hash.as_ref().unwrap_or(dummy),
            c.previous_secret_hash.is_some()
                && c.previous_secret_expires_at.is_some_and(|at| now < at),
        ),
        None => (dummy, dummy, false),
    };
    let current_ok = bool::from(digest_eq(&presented, current));
    let previous_ok = bool::from(digest_eq(&presented, previous));
    // A disabled client fails like a wrong secret, and is counted like one.
    let enabled = client.is_some_and(|c| !c.disabled);
    enabled && (current_ok || (previous_ok && previous_valid))
}

/// What one look at a pair's state decides.
enum Verdict {
    /// The pair is locked: refuse without looking at the secret.
    Locked(FailureState),
    /// The secret is the client's.
    Matched(Arc<Client>),
    /// Wrong secret, disabled client or unknown id.
    Mismatch,
}

fn judge(
    state: &AppState,
    id: &str,
    source: &str,
    entry: &Entry,
    secret: &str,
    now_ms: i64,
) -> Verdict {
    let failures = match entry.client {
        Some(_) => entry.failures,
        None => state.unknown_ids().state(id, source),
    };
    if failures.is_locked(now_ms) {
        return Verdict::Locked(failures);
    }
    // One HMAC and two comparisons whether or not the id exists.
    let matched = secret_matches(state, entry.client.as_deref(), secret, now_ms);
    match &entry.client {
        Some(client) if matched => Verdict::Matched(Arc::clone(client)),
        _ => Verdict::Mismatch,
    }
}

/// The id and secret, if both were given and the id can exist.
fn presented<'a>(
    state: &AppState,
    creds: &'a Option<Credentials>,
) -> Result<(&'a str, &'a str), OAuthError> {
    let Some(creds) = creds else {
        return Err(invalid_client(state));
    };
    match creds.secret.as_deref() {
        Some(secret) if creds.id.len() <= MAX_CLIENT_ID_LEN => Ok((&creds.id, secret)),
        _ => Err(invalid_client(state)),
    }
}

/// Authenticates `creds` from `source` (see [`source_key`]) and returns the client,
/// counting failures and applying the lockout.
///
/// The in-process view ([`crate::directory`]) answers first, so a success reads no
/// database. A secret that does not match the view is judged again on the store's
/// current row before it counts (a rotation, a new client or an unlock made elsewhere
/// takes effect at once); a lock the view knows of is refused without a read.
pub async fn authenticate(
    state: &AppState,
    creds: Option<Credentials>,
    source: &str,
) -> Result<Arc<Client>, OAuthError> {
    let (id, secret) = presented(state, &creds)?;
    let now_ms = state.clock().now_ms();
    // The common case: a settled pair (no failures on record, none being counted) and the
    // right secret. Nothing is counted, so no turn is needed.
    if let Some(entry) = state.directory().lookup(id, source)
        && entry.settled
        && let Some(client) = &entry.client
        && secret_matches(state, Some(client), secret, now_ms)
    {
        return Ok(Arc::clone(client));
    }
    // invariant: the read, the comparison and the failure count of one pair happen in
    // one turn, so concurrent attempts cannot all read the same unlocked state; the
    // careful mark sends matching secrets of the pair here too until the turn ends.
    let _turn = state.gate().turn(id, source).await;
    let _careful = state.directory().careful(id, source);
    let now_ms = state.clock().now_ms();
    if let Some(entry) = state.directory().lookup(id, source) {
        match judge(state, id, source, &entry, secret, now_ms) {
            Verdict::Locked(f) => return Err(locked(f, now_ms)),
            Verdict::Matched(client) => {
                return accept(state, client, source, entry.failures, now_ms).await;
            }
            Verdict::Mismatch => {}
        }
    }
    let (client, failures) = state.store().lockout.auth_lookup(id, source).await?;
    let entry = Entry {
        client: client.map(Arc::new),
        failures,
        settled: false,
    };
    match judge(state, id, source, &entry, secret, now_ms) {
        Verdict::Locked(f) => Err(locked(f, now_ms)),
        Verdict::Matched(client) => accept(state, client, source, failures, now_ms).await,
        Verdict::Mismatch => Err(reject(state, id, source, entry.client.as_deref(), now_ms).await?),
    }
}

async fn accept(
    state: &AppState,
    client: Arc<Client>,
    source: &str,
    failures: FailureState,
    now_ms: i64,
) -> Result<Arc<Client>, OAuthError> {
    // A plain success touches nothing. A pair with failures on record is judged again on
    // the store's state (another replica may have locked it since the view was read),
    // and its count reset only if it is not locked.
    if !failures.is_clean() {
        let (_, current) = state
            .store()
            .lockout
            .auth_lookup(&client.id, source)
            .await?;
        if current.is_locked(now_ms) {
            return Err(locked(current, now_ms));
        }
        state
            .store()
            .lockout
            .reset_failures(&client.id, source, now_ms)
            .await?;
        state.refresh_directory().await?;
    }
    Ok(client)
}

/// Counts a failure (in the store for a client, in memory for an unknown id) and says
/// what to answer.
async fn reject(
    state: &AppState,
    id: &str,
    source: &str,
    client: Option<&Client>,
    now_ms: i64,
) -> Result<OAuthError, OAuthError> {
    state.metrics().auth_failure();
    let policy = state.settings().lockout;
    let outcome = match client {
        Some(c) => {
            let outcome = state
                .store()
                .lockout
                .record_failure(&c.id, source, now_ms, &policy)
                .await?;
            // In the view before the next request of the pair is judged.
            state.refresh_directory().await?;
            outcome
        }
        None => state.unknown_ids().record(id, source, now_ms, &policy),
    };
    if let (FailureOutcome::Locked(s), Some(c)) = (outcome, client) {
        state.metrics().lockout();
        tracing::warn!(
            client_id = ?c.id,
            source = %source,
            locked_for_ms = s.locked_until_ms - now_ms,
            "client locked for this source after repeated failed authentications"
        );
        // One event per lockout: failures while locked are `AlreadyLocked`.
        let detail = format!("source {source}, {} s", (s.locked_until_ms - now_ms) / 1000);
        if let Err(e) = crate::audit::record(state, "client.lockout", &c.id, detail).await {
            tracing::warn!(error = %e, client_id = ?c.id, "recording a lockout event failed");
        }
    }
    Ok(match outcome {
        FailureOutcome::Counted(_) => invalid_client(state),
        FailureOutcome::Locked(s) | FailureOutcome::AlreadyLocked(s) => locked(s, now_ms),
    })
}

/// An authenticated client and the rest of its form: the extractor of every
/// client-authenticated endpoint (token, revocation, introspection).
#[derive(Debug)]
pub struct Authenticated {
    /// The client, after its secret and lockout state were checked.
    pub client: Arc<Client>,
    /// The request parameters.
    pub form: OAuthForm,
}

impl FromRequest<AppState> for Authenticated {
    type Rejection = OAuthError;

    async fn from_request(req: Request, state: &AppState) -> Result<Self, Self::Rejection> {
        let basic = basic_credentials(req.headers())?;
        // Requests always come through `run`, which records the peer; an in-process
        // caller without one counts as a single unspecified source.
        let peer = req
            .extensions()
            .get::<ConnectInfo<SocketAddr>>()
            .map_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED), |c| c.0.ip());
        let source = source_key(state, peer, req.headers());
        let form = OAuthForm::from_request(req, state).await?;
        let creds = credentials(basic, &form)?;
        let client = authenticate(state, creds, &source).await?;
        Ok(Self { client, form })
    }
}

#[cfg(test)]
mod tests {
    use axum::http::HeaderValue;

    use super::*;

    fn basic(raw: &str) -> Result<Option<Credentials>, OAuthError> {
        let mut headers = HeaderMap::new();
        headers.insert(header::AUTHORIZATION, HeaderValue::from_str(raw).unwrap());
        basic_credentials(&headers)
    }

    #[test]
    fn basic_is_form_decoded_after_base64() {
        // id "a:b", secret "p%+ q" → "a%3Ab:p%25%2B+q".
        let encoded = Base64::encode_string(b"a%3Ab:p%25%2B+q");
        let creds = basic(&format!("Basic {encoded}")).unwrap().unwrap();
        assert_eq!(creds.id, "a:b");
        assert_eq!(creds.secret.as_deref().map(String::as_str), Some("p%+ q"));
        assert_eq!(creds.method, Method::Basic);
    }

    #[test]
    fn malformed_basic_is_invalid_request() {
        for raw in ["Basic !!!", "Basic", "Bearer abc", "Basic bm9jb2xvbg=="] {
            let err = basic(raw).err().unwrap();
            assert_eq!(err.code(), "invalid_request", "{raw}");
        }
    }

    #[test]
    fn two_authorization_headers_are_refused() {
        let mut headers = HeaderMap::new();
        let value = format!("Basic {}", Base64::encode_string(b"a:b"));
        for _ in 0..2 {
            headers.append(
                header::AUTHORIZATION,
                HeaderValue::from_str(&value).unwrap(),
            );
        }
        let err = basic_credentials(&headers).err().unwrap();
        assert_eq!(err.code(), "invalid_request");
    }

    #[test]
    fn both_methods_are_refused() {
        let encoded = Base64::encode_string(b"id:secret");
        let b = basic(&format!("Basic {encoded}")).unwrap();
        let form = OAuthForm::parse(b"client_secret=secret").unwrap();
        assert_eq!(credentials(b, &form).unwrap_err().code(), "invalid_request");
    }
}
