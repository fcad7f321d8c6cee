//! The RFC 6749 request body: `application/x-www-form-urlencoded` only, at most 16 KiB,
//! at most [`MAX_PARAMETERS`] parameters, each at most once.
//!
//! Parsing is linear in the body: one decoding pass that stops at the first parameter
//! beyond the cap, then one sort of at most 64 names to find repeats.

use axum::{
    body::Bytes,
    extract::{FromRequest, Request},
    http::{HeaderMap, StatusCode, header},
};

use zeroize::Zeroize as _;

use crate::error::OAuthError;

/// Parameters RFC 8707 lets a client repeat.
const REPEATABLE: [&str; 1] = ["resource"];

/// Most parameters a body may hold (empty ones included); a token request needs at most
/// a handful, plus repeated `resource`s.
pub const MAX_PARAMETERS: usize = 64;

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
    /// Parses a body, refusing repeated parameters and more than [`MAX_PARAMETERS`].
    /// Empty values count as absent (RFC 6749 §3.2) but still count as given for the
    /// repetition check and the cap.
    pub fn parse(body: &[u8]) -> Result<Self, OAuthError> {
        let mut pairs = Vec::new();
        for (name, value) in form_urlencoded::parse(body) {
            if pairs.len() == MAX_PARAMETERS {
                return Err(OAuthError::InvalidRequest("too many parameters"));
            }
            pairs.push((name.into_owned(), value.into_owned()));
        }
        let mut names: Vec<&str> = pairs
            .iter()
            .map(|(name, _)| name.as_str())
            .filter(|name| !REPEATABLE.contains(name))
            .collect();
        names.sort_unstable();
        if names.windows(2).any(|pair| pair[0] == pair[1]) {
            return Err(OAuthError::InvalidRequest("a parameter is repeated"));
        }
        pairs.retain(|(_, value)| !value.is_empty());
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

    #[test]
    fn at_most_64_parameters() {
        let body = |n: usize| {
            (0..n)
                .map(|i| format!("p{i}="))
                .collect::<Vec<_>>()
                .join("&")
        };
        assert!(OAuthForm::parse(body(MAX_PARAMETERS).as_bytes()).is_ok());
        let refused = OAuthForm::parse(body(MAX_PARAMETERS + 1).as_bytes());
        assert!(matches!(
            refused,
            Err(OAuthError::InvalidRequest("too many parameters"))
        ));
        let resources = vec!["resource=x"; MAX_PARAMETERS + 1].join("&");
        assert!(OAuthForm::parse(resources.as_bytes()).is_err());
        // Separators alone are no parameters.
        assert!(OAuthForm::parse("&".repeat(16 * 1024).as_bytes()).is_ok());
    }

    #[test]
    fn repeats_are_found_among_many_names() {
        let mut names: Vec<String> = (0..63).map(|i| format!("{}{i}", "n".repeat(200))).collect();
        names.push(names[17].clone());
        let body = names
            .iter()
            .map(|n| format!("{n}=v"))
            .collect::<Vec<_>>()
            .join("&");
        assert!(matches!(
            OAuthForm::parse(body.as_bytes()),
            Err(OAuthError::InvalidRequest("a parameter is repeated"))
        ));
    }
}
