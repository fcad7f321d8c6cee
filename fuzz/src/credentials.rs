//! Checks for the issuer's credential parsers: `Authorization: Basic` and the form body.
//!
//! Besides "no panic", each check is a non-interference test: the `Debug` output of what
//! was parsed does not change when the secret does, so no secret can reach a log line
//! through `{:?}`.

use axum::http::{HeaderMap, HeaderValue, header::AUTHORIZATION};
use base64ct::{Base64, Encoding};
use tollgate_issuer::{auth::basic_credentials, form::OAuthForm};

/// Arbitrary bytes as an `Authorization` value, as the base64 of a Basic credential, and
/// as a form body.
pub fn check(data: &[u8]) {
    if let Ok(value) = HeaderValue::from_bytes(data) {
        let _ = basic(value);
    }
    basic_secret_stays_out_of_debug(data);
    form_values_stay_out_of_debug(data);
}

fn basic(value: HeaderValue) -> String {
    let mut headers = HeaderMap::new();
    headers.insert(AUTHORIZATION, value);
    format!("{:?}", basic_credentials(&headers))
}

fn basic_of(credential: &[u8]) -> HeaderValue {
    let value = format!("Basic {}", Base64::encode_string(credential));
    // invariant: base64 text after an ASCII scheme is a valid header value.
    HeaderValue::from_str(&value).expect("Basic header value")
}

/// `id:secret` and `id:xxxx` (same length) print the same.
fn basic_secret_stays_out_of_debug(credential: &[u8]) {
    let shown = basic(basic_of(credential));
    let Some(colon) = credential.iter().position(|&b| b == b':') else {
        return;
    };
    let mut masked = credential.to_vec();
    masked[colon + 1..].fill(b'x');
    let masked_shown = basic(basic_of(&masked));
    if shown.starts_with("Ok(") && masked_shown.starts_with("Ok(") {
        assert_eq!(
            shown, masked_shown,
            "a Basic secret changed the Debug output"
        );
    }
}

/// A body and the same body with every non-empty value masked print the same.
fn form_values_stay_out_of_debug(body: &[u8]) {
    let parsed = OAuthForm::parse(body);
    let mut masked = form_urlencoded::Serializer::new(String::new());
    for (name, value) in form_urlencoded::parse(body) {
        let mask = "x".repeat(value.chars().count());
        masked.append_pair(&name, &mask);
    }
    let masked = masked.finish();
    let masked_parsed = OAuthForm::parse(masked.as_bytes());
    assert_eq!(
        format!("{parsed:?}"),
        format!("{masked_parsed:?}"),
        "a form value changed the Debug output"
    );
}
