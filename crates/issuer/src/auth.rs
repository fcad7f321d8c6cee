//! Client authentication (RFC 6749 §2.3.1) as an extractor, with brute-force lockout.
//!
//! `client_secret_basic`: base64 of `urlencode(id) ":" urlencode(secret)`, so ids and
//! secrets may hold `:`, `%` and `+`. `client_secret_post`: `client_id` and
//! `client_secret` in the form. Using both is refused.
//!
//! Unknown ids take the same path as wrong secrets: one lookup, one HMAC, two
//! constant-time comparisons and one failure count, so neither the answer nor the time
//! tells whether an id exists. Failures are counted per id in the store, known or not.

use axum::{
    extract::{FromRequest, Request},
    http::{HeaderMap, header},
};
use base64ct::{Base64, Base64Unpadded, Encoding};
use percent_encoding::percent_decode_str;
use zeroize::Zeroizing;

use crate::{
    AppState,
    error::OAuthError,
    form::OAuthForm,
    secrets::digest_eq,
    store::{Client, FailureOutcome},
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
    let Some(value) = headers.get(header::AUTHORIZATION) else {
        return Ok(None);
    };
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

fn invalid_client(state: &AppState, method: Option<Method>) -> OAuthError {
    let settings = state.settings();
    let rfc = settings.invalid_client_status == axum::http::StatusCode::UNAUTHORIZED;
    OAuthError::InvalidClient {
        status: settings.invalid_client_status,
        // RFC 6749 §5.2: a Basic attempt gets a matching challenge; so does a request
        // with no credentials, to say which scheme to use.
        challenge: (rfc && method != Some(Method::Post)).then(|| settings.realm.clone()),
    }
}

fn retry_after(locked_until_ms: i64, now_ms: i64) -> u64 {
    let ms = u64::try_from(locked_until_ms - now_ms).unwrap_or(1).max(1);
    ms.div_ceil(1000)
}

/// Authenticates `creds` and returns the client, counting failures and applying the
/// lockout.
pub async fn authenticate(
    state: &AppState,
    creds: Option<Credentials>,
) -> Result<Client, OAuthError> {
    let Some(creds) = creds else {
        return Err(invalid_client(state, None));
    };
    let method = Some(creds.method);
    let Some(secret) = creds.secret.as_ref() else {
        return Err(invalid_client(state, method));
    };
    if creds.id.len() > MAX_CLIENT_ID_LEN {
        return Err(invalid_client(state, method));
    }
    let now_ms = state.clock().now_ms();
    let (client, failures) = state.store().auth_lookup(&creds.id).await?;
    if failures.locked_until_ms > now_ms {
        return Err(OAuthError::Locked {
            retry_after: retry_after(failures.locked_until_ms, now_ms),
        });
    }

    // Same work whether or not the id exists: one HMAC and two comparisons.
    let presented = state.hasher().client_secret(secret);
    let dummy = state.dummy_digest();
    let now = now_ms.div_euclid(1000);
    let (current, previous, previous_valid) = match &client {
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
    let enabled = client.as_ref().is_some_and(|c| !c.disabled);
    let matched = enabled && (current_ok || (previous_ok && previous_valid));

    let Some(client) = client.filter(|_| matched) else {
        state.metrics().auth_failure();
        let outcome = state
            .store()
            .record_failure(&creds.id, now_ms, &state.settings().lockout)
            .await?;
        if let FailureOutcome::Locked(_) = outcome {
            state.metrics().lockout();
            tracing::warn!("a client id was locked after repeated failed authentications");
        }
        return Err(match outcome {
            FailureOutcome::Counted(_) => invalid_client(state, method),
            FailureOutcome::Locked(s) | FailureOutcome::AlreadyLocked(s) => OAuthError::Locked {
                retry_after: retry_after(s.locked_until_ms, now_ms),
            },
        });
    };
    // Only write when there is something to reset: a plain success touches nothing.
    if failures.failed_count > 0 || failures.lockouts > 0 {
        state.store().reset_failures(&client.id).await?;
    }
    Ok(client)
}

/// An authenticated client and the rest of its form: the extractor of every
/// client-authenticated endpoint (token, revocation, introspection).
#[derive(Debug)]
pub struct Authenticated {
    /// The client, after its secret and lockout state were checked.
    pub client: Client,
    /// The request parameters.
    pub form: OAuthForm,
}

impl FromRequest<AppState> for Authenticated {
    type Rejection = OAuthError;

    async fn from_request(req: Request, state: &AppState) -> Result<Self, Self::Rejection> {
        let basic = basic_credentials(req.headers())?;
        let form = OAuthForm::from_request(req, state).await?;
        let creds = credentials(basic, &form)?;
        let client = authenticate(state, creds).await?;
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
    fn both_methods_are_refused() {
        let encoded = Base64::encode_string(b"id:secret");
        let b = basic(&format!("Basic {encoded}")).unwrap();
        let form = OAuthForm::parse(b"client_secret=secret").unwrap();
        assert_eq!(credentials(b, &form).unwrap_err().code(), "invalid_request");
    }
}
