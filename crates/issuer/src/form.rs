//! The RFC 6749 request body: `application/x-www-form-urlencoded` only, at most 16 KiB,
//! each parameter at most once.

use axum::{
    body::Bytes,
    extract::{FromRequest, Request},
    http::{HeaderMap, StatusCode, header},
};

use zeroize::Zeroize as _;

use crate::error::OAuthError;

/// Parameters RFC 8707 lets a client repeat.
const REPEATABLE: [&str; 1] = ["resource"];

/// A parsed OAuth form body.
#[derive(Clone, Default)]
pub struct OAuthForm {
    pairs: Vec<(String, String)>,
}

impl std::fmt::Debug for OAuthForm {
    // Values may be secrets or tokens: only names are shown.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list()
            .entries(self.pairs.iter().map(|(k, _)| k))
            .finish()
    }
}

impl Drop for OAuthForm {
    // Values may be secrets or refresh tokens: wiped when the request is done.
    fn drop(&mut self) {
        for (_, value) in &mut self.pairs {
            value.zeroize();
        }
    }
}

impl OAuthForm {
    /// Parses a body, refusing repeated parameters. Empty values count as absent (RFC 6749
    /// §3.2) but still count as given for the repetition check.
    pub fn parse(body: &[u8]) -> Result<Self, OAuthError> {
        let mut seen: Vec<String> = Vec::new();
        let mut pairs = Vec::new();
        for (name, value) in form_urlencoded::parse(body) {
            if !REPEATABLE.contains(&name.as_ref()) {
                if seen.iter().any(|s| *s == name) {
                    return Err(OAuthError::InvalidRequest("a parameter is repeated"));
                }
                seen.push(name.to_string());
            }
            if !value.is_empty() {
                pairs.push((name.into_owned(), value.into_owned()));
            }
        }
        Ok(Self { pairs })
    }

    /// The value of a single-valued parameter.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.pairs
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    /// Every value of a parameter.
    pub fn all<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a str> + 'a {
        self.pairs
            .iter()
            .filter(move |(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }
}

fn is_form(headers: &HeaderMap) -> bool {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .is_some_and(|mime| {
            mime.trim()
                .eq_ignore_ascii_case("application/x-www-form-urlencoded")
        })
}

impl<S: Send + Sync> FromRequest<S> for OAuthForm {
    type Rejection = OAuthError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        if !is_form(req.headers()) {
            return Err(OAuthError::InvalidRequest(
                "content type must be application/x-www-form-urlencoded",
            ));
        }
        // The size cap is the DefaultBodyLimit layer on these routes; it also covers
        // bodies without Content-Length.
        let body = Bytes::from_request(req, state).await.map_err(|rejection| {
            if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
                OAuthError::PayloadTooLarge
            } else {
                OAuthError::InvalidRequest("the request body could not be read")
            }
        })?;
        Self::parse(&body)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn repeats_are_refused_except_resource() {
        assert!(OAuthForm::parse(b"a=1&a=2").is_err());
        assert!(OAuthForm::parse(b"a=1&a=").is_err());
        let form = OAuthForm::parse(b"resource=x&resource=y&scope=&b=%2B+").unwrap();
        assert_eq!(form.all("resource").collect::<Vec<_>>(), ["x", "y"]);
        assert_eq!(form.get("scope"), None);
        assert_eq!(form.get("b"), Some("+ "));
    }
}
