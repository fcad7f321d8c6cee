//! Errors, split by the phase that produced them, each with a stable machine `code()`.
//!
//! The codes are a contract shared by the issuer, the wasm verifier and their users:
//! they never change meaning. [`VerifyError::bearer_error`] maps every verification
//! failure onto RFC 6750 §3.1 so that all halves of Tollgate answer identically.

use alloc::string::String;
use core::fmt;

use crate::bearer::BearerError;

/// The token could not be read: it failed before any key was used.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum FormatError {
    /// Longer than the verifier's `max_token_size`.
    TooLarge,
    /// Not three strict base64url segments, or a header that is not a JOSE header.
    Malformed,
    /// The header names an algorithm other than Ed25519 (`EdDSA` or `Ed25519`).
    AlgNotAllowed,
    /// The header carries a `crit` member; no extension is understood.
    CritUnsupported,
    /// No key in the set matches the header's `kid`.
    UnknownKid,
}

impl FormatError {
    /// Stable machine code.
    pub const fn code(&self) -> &'static str {
        match self {
            Self::TooLarge => "too_large",
            Self::Malformed => "malformed",
            Self::AlgNotAllowed => "alg_not_allowed",
            Self::CritUnsupported => "crit_unsupported",
            Self::UnknownKid => "unknown_kid",
        }
    }
}

impl fmt::Display for FormatError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::TooLarge => "token is larger than allowed",
            Self::Malformed => "token is malformed",
            Self::AlgNotAllowed => "token algorithm is not allowed",
            Self::CritUnsupported => "token has critical header parameters",
            Self::UnknownKid => "token signing key is unknown",
        })
    }
}

/// The signature did not verify. Deliberately opaque: the cause (length, encoding,
/// non-canonical scalar, small-order point, mismatch) is never revealed.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct SignatureError;

impl fmt::Display for SignatureError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("token signature is invalid")
    }
}

/// The signature is good but the token is not acceptable under the verifier's policy.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum ClaimsError {
    /// The payload is not a JSON object of well-typed claims (or repeats a name).
    Malformed,
    /// The header `typ` is not the required type (`at+jwt` by default).
    InvalidType,
    /// A claim the policy requires is absent.
    MissingClaim(String),
    /// `exp` is at or before now, beyond the clock tolerance.
    Expired,
    /// `nbf` is after now, beyond the clock tolerance.
    NotYetValid,
    /// `iat` is after now, beyond the clock tolerance.
    IssuedInFuture,
    /// `iss` is not one of the accepted issuers.
    InvalidIssuer,
    /// `aud` shares no value with the accepted audiences.
    InvalidAudience,
    /// The token lacks a scope the caller requires.
    InsufficientScope,
}

impl ClaimsError {
    /// Stable machine code.
    pub const fn code(&self) -> &'static str {
        match self {
            Self::Malformed => "malformed",
            Self::InvalidType => "invalid_type",
            Self::MissingClaim(_) => "missing_claim",
            Self::Expired => "expired",
            Self::NotYetValid => "not_yet_valid",
            Self::IssuedInFuture => "issued_in_future",
            Self::InvalidIssuer => "invalid_issuer",
            Self::InvalidAudience => "invalid_audience",
            Self::InsufficientScope => "insufficient_scope",
        }
    }
}

impl fmt::Display for ClaimsError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Malformed => f.write_str("token claims are malformed"),
            Self::InvalidType => f.write_str("token type is not at+jwt"),
            Self::MissingClaim(name) => write!(f, "token is missing the {name} claim"),
            Self::Expired => f.write_str("token has expired"),
            Self::NotYetValid => f.write_str("token is not valid yet"),
            Self::IssuedInFuture => f.write_str("token was issued in the future"),
            Self::InvalidIssuer => f.write_str("token issuer is not accepted"),
            Self::InvalidAudience => f.write_str("token audience is not accepted"),
            Self::InsufficientScope => f.write_str("token lacks a required scope"),
        }
    }
}

/// Any reason a token was refused, by phase.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum VerifyError {
    /// Refused before the signature was checked.
    Format(FormatError),
    /// The signature did not verify.
    Signature(SignatureError),
    /// Refused after the signature verified.
    Claims(ClaimsError),
}

impl VerifyError {
    /// Stable machine code, one of `malformed`, `too_large`, `alg_not_allowed`,
    /// `crit_unsupported`, `unknown_kid`, `invalid_signature`, `expired`, `not_yet_valid`,
    /// `issued_in_future`, `invalid_issuer`, `invalid_audience`, `invalid_type`,
    /// `missing_claim`, `insufficient_scope`.
    pub const fn code(&self) -> &'static str {
        match self {
            Self::Format(e) => e.code(),
            Self::Signature(_) => "invalid_signature",
            Self::Claims(e) => e.code(),
        }
    }

    /// The RFC 6750 error a resource server answers with.
    pub const fn bearer_error(&self) -> BearerError {
        match self {
            Self::Claims(ClaimsError::InsufficientScope) => BearerError::InsufficientScope,
            _ => BearerError::InvalidToken,
        }
    }
}

impl fmt::Display for VerifyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Format(e) => fmt::Display::fmt(e, f),
            Self::Signature(e) => fmt::Display::fmt(e, f),
            Self::Claims(e) => fmt::Display::fmt(e, f),
        }
    }
}

impl From<FormatError> for VerifyError {
    fn from(e: FormatError) -> Self {
        Self::Format(e)
    }
}

impl From<SignatureError> for VerifyError {
    fn from(e: SignatureError) -> Self {
        Self::Signature(e)
    }
}

impl From<ClaimsError> for VerifyError {
    fn from(e: ClaimsError) -> Self {
        Self::Claims(e)
    }
}

/// A key or key set could not be loaded.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum KeyError {
    /// Not a JSON Web Key Set (`{"keys":[...]}`) or a JSON Web Key.
    Malformed,
    /// The set holds no key.
    Empty,
    /// A key that is not an Ed25519 signing key (`kty`, `crv`, `alg` or `use`).
    Unsupported(String),
    /// `x` is not 32 bytes of strict base64url, or not a canonically encoded curve point.
    InvalidKey(String),
    /// A small-order ("weak") public key, which would accept forged signatures.
    WeakKey(String),
    /// A private member (`d`) in a set meant to be public.
    PrivateKey(String),
    /// Two keys share one `kid`.
    DuplicateKid(String),
    /// A key without `kid` in a set of several keys.
    MissingKid,
}

impl KeyError {
    /// Stable machine code.
    pub const fn code(&self) -> &'static str {
        match self {
            Self::Malformed => "jwks_malformed",
            Self::Empty => "jwks_empty",
            Self::Unsupported(_) => "jwk_unsupported",
            Self::InvalidKey(_) => "jwk_invalid",
            Self::WeakKey(_) => "jwk_weak",
            Self::PrivateKey(_) => "jwk_private",
            Self::DuplicateKid(_) => "jwk_duplicate_kid",
            Self::MissingKid => "jwk_missing_kid",
        }
    }
}

impl fmt::Display for KeyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Malformed => f.write_str("not a JSON Web Key Set"),
            Self::Empty => f.write_str("the key set is empty"),
            Self::Unsupported(what) => write!(f, "unsupported key: {what}"),
            Self::InvalidKey(kid) => write!(f, "key {kid:?} is not a valid Ed25519 public key"),
            Self::WeakKey(kid) => write!(f, "key {kid:?} is a weak (small-order) key"),
            Self::PrivateKey(kid) => {
                write!(f, "key {kid:?} carries private material in a public set")
            }
            Self::DuplicateKid(kid) => write!(f, "kid {kid:?} appears more than once"),
            Self::MissingKid => f.write_str("every key in a set of several needs a kid"),
        }
    }
}

/// A token could not be created.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum SignError {
    /// An extra claim reuses a registered claim name.
    ReservedClaim(String),
    /// The claims could not be serialised.
    Serialize,
}

impl SignError {
    /// Stable machine code.
    pub const fn code(&self) -> &'static str {
        match self {
            Self::ReservedClaim(_) => "reserved_claim",
            Self::Serialize => "serialize",
        }
    }
}

impl fmt::Display for SignError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::ReservedClaim(name) => write!(f, "extra claim {name:?} is a registered claim"),
            Self::Serialize => f.write_str("claims could not be serialised"),
        }
    }
}

impl core::error::Error for FormatError {}
impl core::error::Error for SignatureError {}
impl core::error::Error for ClaimsError {}
impl core::error::Error for KeyError {}
impl core::error::Error for SignError {}
impl core::error::Error for VerifyError {
    fn source(&self) -> Option<&(dyn core::error::Error + 'static)> {
        match self {
            Self::Format(e) => Some(e),
            Self::Signature(e) => Some(e),
            Self::Claims(e) => Some(e),
        }
    }
}
