//! Tollgate's token core: RFC 9068 claims, Ed25519 keys and JWKs, signing, and strict
//! verification of JWT access tokens.
//!
//! This crate is the only place a Tollgate token is built, parsed or checked: the issuer
//! and the WebAssembly verifier both call it, so they accept and refuse exactly the same
//! tokens with the same error codes.
//!
//! # Design choices
//!
//! - **One algorithm.** Tokens are signed with Ed25519 (`alg: "EdDSA"`, RFC 8037). The
//!   algorithm comes from the verifier, never from the token header, which may name it
//!   `EdDSA` or, as RFC 9864 prefers, `Ed25519`; anything else is `alg_not_allowed`.
//! - **Strict signatures.** Signatures are checked with dalek's `verify_strict`, and key
//!   sets refuse small-order keys, so the "any message under a weak key" forgery fails.
//! - **Parse, don't validate.** `&str` → [`UntrustedToken`] (size, structure, header, key
//!   selection) → [`AccessToken`] (signature, then claims). Claim errors are only reported
//!   once the signature has verified.
//! - **Native signatures when there are some.** [`Verifier::prepare`] does every check
//!   but the Ed25519 equation and returns a [`PendingToken`]; a runtime with a native
//!   Ed25519 (WebCrypto) computes the equation, and [`Verifier::verify_pending`] checks
//!   the claims. Both paths give every token the same answer and code.
//! - **Time is an input.** Every check takes `now` in seconds since the epoch; the crate
//!   reads no clock unless you call [`unix_now`] (feature `std`).
//! - **Stable codes.** Every failure has a `code()` and an RFC 6750 mapping
//!   ([`VerifyError::bearer_error`]).
//!
//! # Features
//!
//! - `std` (default): `std` support in dependencies and [`unix_now`]. Without it the crate is
//!   `no_std` + `alloc` and builds for `wasm32-unknown-unknown`.
//!
//! # Example
//!
//! ```
//! use tollgate_core::{Claims, Jwks, Policy, SigningKey, Verifier};
//!
//! // The issuer side: a key with a `kid`, and the public set it publishes.
//! let key = SigningKey::from_seed("2026-11", &[7u8; 32]);
//! let jwks = Jwks::new(vec![key.public_jwk()])?;
//! let published: String = jwks.to_json();
//!
//! let now = 1_780_000_000;
//! let mut claims = Claims::new(now + 3600);
//! claims.iss = Some("https://auth.example.com".into());
//! claims.sub = Some("partner-42".into());
//! claims.client_id = Some("partner-42".into());
//! claims.aud.0.push("https://api.example.com".into());
//! claims.iat = Some(now);
//! claims.jti = Some("b3f1c9".into());
//! claims.scope = Some("orders:read orders:write".into());
//! let token = key.sign(&claims)?;
//!
//! // The resource-server side: built once from the published set and a policy.
//! let verifier = Verifier::new(
//!     Jwks::from_json(&published)?,
//!     Policy::default()
//!         .issuer("https://auth.example.com")
//!         .audience("https://api.example.com")
//!         .clock_tolerance(5),
//! );
//! let verified = verifier.verify_with_scopes(&token, now + 10, &["orders:read"])?;
//! assert_eq!(verified.claims().client_id.as_deref(), Some("partner-42"));
//!
//! // Every refusal carries a stable code.
//! let err = verifier.verify(&token, now + 7200).unwrap_err();
//! assert_eq!(err.code(), "expired");
//! assert_eq!(err.bearer_error().status(), 401);
//! # Ok::<(), Box<dyn core::error::Error>>(())
//! ```

#![no_std]
#![warn(
    missing_docs,
    clippy::std_instead_of_core,
    clippy::std_instead_of_alloc,
    clippy::alloc_instead_of_core
)]

extern crate alloc;
#[cfg(any(feature = "std", test))]
extern crate std;

mod alg;
pub mod bearer;
mod claims;
mod encoding;
mod error;
mod header;
mod json;
mod keys;
mod pending;
mod verify;

pub use crate::{
    alg::{ALG, ALGS, StrictEd25519},
    claims::{Audience, Claims, REGISTERED, RFC9068_REQUIRED, RawJson},
    error::{ClaimsError, FormatError, KeyError, SignError, SignatureError, VerifyError},
    keys::{Jwk, Jwks, SigningKey, TOKEN_TYPE},
    pending::PendingToken,
    verify::{AccessToken, DEFAULT_MAX_TOKEN_SIZE, Policy, UntrustedToken, Verifier},
};
pub use ed25519_dalek::VerifyingKey;

/// Seconds since the Unix epoch by the system clock (0 if the clock is before 1970).
#[cfg(feature = "std")]
pub fn unix_now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
}
