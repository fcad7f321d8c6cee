//! Strict verification: untrusted string → [`UntrustedToken`] → [`AccessToken`].
//!
//! The order is fixed: size cap, structure, header (algorithm, `crit`, key selection),
//! signature, then `typ` and the claims (types, `exp`, `nbf`, `iat`, `iss`, `aud`, then
//! the required claims). Nothing about the claims is reported before the signature has
//! verified, so a forger learns nothing from the answer.

use alloc::{
    string::{String, ToString},
    vec::Vec,
};

use base64ct::{Base64UrlUnpadded, Encoding};
use ed25519_dalek::Signature;
use jwt_compact::Algorithm as _;

use crate::{
    alg::{StrictEd25519, is_ed25519},
    claims::{Claims, RFC9068_REQUIRED},
    encoding::signature_is_acceptable,
    error::{ClaimsError, FormatError, SignatureError, VerifyError},
    header::Header,
    keys::{Jwk, Jwks, TOKEN_TYPE},
};

/// Default cap on the length of a token, in bytes.
pub const DEFAULT_MAX_TOKEN_SIZE: usize = 8 * 1024;

/// What a verifier accepts besides a good signature.
#[derive(Clone, Debug)]
pub struct Policy {
    issuers: Vec<String>,
    audiences: Vec<String>,
    clock_tolerance: u64,
    max_token_size: usize,
    token_type: Option<String>,
    required_claims: Vec<String>,
}

impl Default for Policy {
    /// Any issuer and audience, no clock tolerance, 8 KiB tokens, `typ` `at+jwt`, and the
    /// claims RFC 9068 requires.
    fn default() -> Self {
        Self {
            issuers: Vec::new(),
            audiences: Vec::new(),
            clock_tolerance: 0,
            max_token_size: DEFAULT_MAX_TOKEN_SIZE,
            token_type: Some(TOKEN_TYPE.to_string()),
            required_claims: RFC9068_REQUIRED.iter().map(|c| c.to_string()).collect(),
        }
    }
}

impl Policy {
    /// Accepts tokens whose `iss` is `issuer` (call again to accept several).
    #[must_use]
    pub fn issuer(mut self, issuer: impl Into<String>) -> Self {
        self.issuers.push(issuer.into());
        self
    }

    /// Accepts tokens whose `aud` holds `audience` (call again to accept several).
    #[must_use]
    pub fn audience(mut self, audience: impl Into<String>) -> Self {
        self.audiences.push(audience.into());
        self
    }

    /// Seconds of clock skew allowed on `exp`, `nbf` and `iat`.
    #[must_use]
    pub fn clock_tolerance(mut self, seconds: u64) -> Self {
        self.clock_tolerance = seconds;
        self
    }

    /// Longest token accepted, in bytes.
    #[must_use]
    pub fn max_token_size(mut self, bytes: usize) -> Self {
        self.max_token_size = bytes;
        self
    }

    /// The header `typ` required (compared as jose does: case-insensitive, optional
    /// `application/` prefix), or `None` to accept any.
    #[must_use]
    pub fn token_type(mut self, typ: Option<&str>) -> Self {
        self.token_type = typ.map(normalize_typ);
        self
    }

    /// Replaces the set of claims every token must carry (`exp` is always required).
    #[must_use]
    pub fn required_claims<S: AsRef<str>>(mut self, names: &[S]) -> Self {
        self.required_claims = names.iter().map(|n| n.as_ref().to_string()).collect();
        self
    }
}

/// A token that is well-formed and names a known key, but is not yet verified.
#[derive(Debug)]
pub struct UntrustedToken<'a> {
    signed_part: &'a str,
    payload: Vec<u8>,
    signature: Vec<u8>,
    token_type: Option<String>,
    key: &'a Jwk,
}

impl<'a> UntrustedToken<'a> {
    /// The signature, if it is 64 bytes that can verify at all (`S < L`, `R` canonical and
    /// not of small order); the cause of a refusal stays opaque.
    pub(crate) fn acceptable_signature(&self) -> Result<[u8; 64], SignatureError> {
        let signature: [u8; 64] = self
            .signature
            .as_slice()
            .try_into()
            .map_err(|_| SignatureError)?;
        if signature_is_acceptable(&signature) {
            Ok(signature)
        } else {
            Err(SignatureError)
        }
    }

    /// The signing input: the header and payload segments as sent.
    pub fn signing_input(&self) -> &'a [u8] {
        self.signed_part.as_bytes()
    }

    /// The key the header selected.
    pub fn key(&self) -> &'a Jwk {
        self.key
    }

    pub(crate) fn into_parts(self) -> (Vec<u8>, Option<String>) {
        (self.payload, self.token_type)
    }
}

/// A token whose signature and claims have been verified.
#[derive(Clone, Debug, PartialEq)]
pub struct AccessToken {
    claims: Claims,
    kid: Option<String>,
}

impl AccessToken {
    /// The verified claims.
    pub fn claims(&self) -> &Claims {
        &self.claims
    }

    /// The `kid` of the key that signed the token.
    pub fn kid(&self) -> Option<&str> {
        self.kid.as_deref()
    }

    /// Fails with `insufficient_scope` unless every scope in `required` was granted.
    pub fn require_scopes<S: AsRef<str>>(&self, required: &[S]) -> Result<(), VerifyError> {
        if self.claims.has_scopes(required) {
            Ok(())
        } else {
            Err(ClaimsError::InsufficientScope.into())
        }
    }

    /// Consumes the token, returning its claims.
    pub fn into_claims(self) -> Claims {
        self.claims
    }
}

/// Verifies Tollgate access tokens against a fixed key set and policy.
///
/// Build one per process (or per isolate) and share it: it holds only decoded keys.
#[derive(Clone, Debug)]
pub struct Verifier {
    keys: Jwks,
    policy: Policy,
}

impl Verifier {
    /// A verifier for tokens signed by any key in `keys`, acceptable under `policy`.
    pub fn new(keys: Jwks, policy: Policy) -> Self {
        Self { keys, policy }
    }

    /// The key set tokens are checked against.
    pub fn keys(&self) -> &Jwks {
        &self.keys
    }

    /// Checks size, structure and header, and selects the key; no signature check yet.
    pub fn parse<'a>(&'a self, token: &'a str) -> Result<UntrustedToken<'a>, FormatError> {
        if token.len() > self.policy.max_token_size {
            return Err(FormatError::TooLarge);
        }
        // Exactly three segments, each strict unpadded base64url (RFC 7515 §3.1, §2).
        let (signed_part, signature) = token.rsplit_once('.').ok_or(FormatError::Malformed)?;
        let (header, payload) = signed_part
            .split_once('.')
            .filter(|(_, payload)| !payload.contains('.'))
            .ok_or(FormatError::Malformed)?;
        let decode =
            |segment| Base64UrlUnpadded::decode_vec(segment).map_err(|_| FormatError::Malformed);
        let (header, payload, signature) = (decode(header)?, decode(payload)?, decode(signature)?);
        let header = Header::from_json(&header).ok_or(FormatError::Malformed)?;
        if !header.alg.as_deref().is_some_and(is_ed25519) {
            return Err(FormatError::AlgNotAllowed);
        }
        if header.crit {
            return Err(FormatError::CritUnsupported);
        }
        let key = self
            .keys
            .select(header.kid.as_deref())
            .ok_or(FormatError::UnknownKid)?;
        Ok(UntrustedToken {
            signed_part,
            payload,
            signature,
            token_type: header.typ,
            key,
        })
    }

    /// Checks the signature with `verify_strict`, then the claims at time `now` (seconds
    /// since the epoch).
    pub fn verify_parsed(
        &self,
        token: UntrustedToken<'_>,
        now: i64,
    ) -> Result<AccessToken, VerifyError> {
        let signature = Signature::from_bytes(&token.acceptable_signature()?);
        if !StrictEd25519.verify_signature(
            &signature,
            token.key.verifying_key(),
            token.signed_part.as_bytes(),
        ) {
            return Err(SignatureError.into());
        }
        self.accept(
            &token.payload,
            token.token_type.as_deref(),
            token.key.kid(),
            now,
        )
    }

    /// The checks after a good signature: `typ`, then the claims at `now`.
    pub(crate) fn accept(
        &self,
        payload: &[u8],
        token_type: Option<&str>,
        kid: Option<&str>,
        now: i64,
    ) -> Result<AccessToken, VerifyError> {
        let policy = &self.policy;
        if let Some(required) = &policy.token_type {
            match token_type {
                Some(typ) if normalize_typ(typ) == *required => {}
                _ => return Err(ClaimsError::InvalidType.into()),
            }
        }
        let claims = Claims::from_json(payload)?;
        // i128 holds every i64 time plus any u64 tolerance: no overflow, no panic.
        let now = i128::from(now);
        let tolerance = i128::from(policy.clock_tolerance);
        if i128::from(claims.exp) <= now - tolerance {
            return Err(ClaimsError::Expired.into());
        }
        if claims
            .nbf
            .is_some_and(|nbf| i128::from(nbf) > now + tolerance)
        {
            return Err(ClaimsError::NotYetValid.into());
        }
        if claims
            .iat
            .is_some_and(|iat| i128::from(iat) > now + tolerance)
        {
            return Err(ClaimsError::IssuedInFuture.into());
        }
        if !policy.issuers.is_empty()
            && !claims
                .iss
                .as_ref()
                .is_some_and(|iss| policy.issuers.contains(iss))
        {
            return Err(ClaimsError::InvalidIssuer.into());
        }
        if !policy.audiences.is_empty() && !claims.aud.intersects(&policy.audiences) {
            return Err(ClaimsError::InvalidAudience.into());
        }
        // Required claims come last: a token refused for its times, issuer or audience
        // reports that, not a missing claim.
        if let Some(missing) = policy.required_claims.iter().find(|c| !claims.has(c)) {
            return Err(ClaimsError::MissingClaim(missing.clone()).into());
        }
        Ok(AccessToken {
            claims,
            kid: kid.map(ToString::to_string),
        })
    }

    /// The whole pipeline: [`parse`](Self::parse), then
    /// [`verify_parsed`](Self::verify_parsed).
    pub fn verify(&self, token: &str, now: i64) -> Result<AccessToken, VerifyError> {
        let untrusted = self.parse(token)?;
        self.verify_parsed(untrusted, now)
    }

    /// [`verify`](Self::verify), then [`AccessToken::require_scopes`].
    pub fn verify_with_scopes<S: AsRef<str>>(
        &self,
        token: &str,
        now: i64,
        scopes: &[S],
    ) -> Result<AccessToken, VerifyError> {
        let token = self.verify(token, now)?;
        token.require_scopes(scopes)?;
        Ok(token)
    }
}

/// `application/AT+JWT` → `at+jwt`, as jose's `normalizeTyp` does.
fn normalize_typ(typ: &str) -> String {
    let lower = typ.to_ascii_lowercase();
    match lower.strip_prefix("application/") {
        Some(rest) => rest.to_string(),
        None => lower,
    }
}
