//! Ed25519 keys: the signing key with its `kid`, and RFC 8037 OKP JWKs and key sets.

use alloc::{
    string::{String, ToString},
    vec::Vec,
};
use core::fmt;

use base64ct::{Base64UrlUnpadded, Encoding};
use ed25519_dalek::VerifyingKey;
use jwt_compact::{AlgorithmExt as _, Header};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use zeroize::Zeroizing;

use crate::{
    alg::{ALG, StrictEd25519},
    claims::Claims,
    error::{KeyError, SignError},
};

/// The JOSE `typ` of every token Tollgate signs (RFC 9068 §2.1).
pub const TOKEN_TYPE: &str = "at+jwt";

/// An Ed25519 signing key and the `kid` its tokens name.
///
/// The secret never appears in `Debug` output and is zeroized on drop.
pub struct SigningKey {
    kid: String,
    key: ed25519_dalek::SigningKey,
}

impl SigningKey {
    /// The key whose 32-byte secret seed is `seed` (RFC 8032 §5.1.5).
    pub fn from_seed(kid: impl Into<String>, seed: &[u8; 32]) -> Self {
        Self {
            kid: kid.into(),
            key: ed25519_dalek::SigningKey::from_bytes(seed),
        }
    }

    /// The key id put in every token header.
    pub fn kid(&self) -> &str {
        &self.kid
    }

    /// The secret seed, for storage; wiped when the returned value drops.
    pub fn seed(&self) -> Zeroizing<[u8; 32]> {
        Zeroizing::new(self.key.to_bytes())
    }

    /// The public half as a JWK with this key's `kid`.
    pub fn public_jwk(&self) -> Jwk {
        Jwk {
            kid: Some(self.kid.clone()),
            key: self.key.verifying_key(),
        }
    }

    /// Signs `claims` as a compact JWS with header `{"alg":"EdDSA","kid":...,"typ":"at+jwt"}`.
    pub fn sign(&self, claims: &Claims) -> Result<String, SignError> {
        // Rejects extras that shadow a registered claim before anything is signed.
        claims.to_json()?;
        let header = Header::empty()
            .with_key_id(self.kid.as_str())
            .with_token_type(TOKEN_TYPE);
        StrictEd25519
            .token(&header, &jwt_compact::Claims::new(claims), &self.key)
            .map_err(|_| SignError::Serialize)
    }
}

impl fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SigningKey")
            .field("kid", &self.kid)
            .finish_non_exhaustive()
    }
}

/// A public Ed25519 key as an RFC 8037 OKP JSON Web Key.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Jwk {
    kid: Option<String>,
    key: VerifyingKey,
}

impl Jwk {
    /// A JWK for `key`, refusing small-order keys and non-canonical point encodings.
    pub fn new(kid: Option<String>, key: VerifyingKey) -> Result<Self, KeyError> {
        if key.is_weak() {
            return Err(KeyError::WeakKey(kid.unwrap_or_default()));
        }
        // RFC 8032 §5.1.3: decoding fails when y >= p. dalek accepts such encodings, and
        // keeps the bytes as given, so the same point would have two `x` values.
        if key.to_edwards().compress().to_bytes() != key.to_bytes() {
            return Err(KeyError::InvalidKey(kid.unwrap_or_default()));
        }
        Ok(Self { kid, key })
    }

    /// The key id, if any.
    pub fn kid(&self) -> Option<&str> {
        self.kid.as_deref()
    }

    /// The Ed25519 public key.
    pub fn verifying_key(&self) -> &VerifyingKey {
        &self.key
    }

    /// Reads one public JWK, with the checks of [`Jwks::from_json`].
    pub fn from_json(json: &str) -> Result<Self, KeyError> {
        let raw: RawJwk = serde_json::from_str(json).map_err(|_| KeyError::Malformed)?;
        raw.into_jwk()
    }

    /// The JWK as a JSON value: `kty`, `crv`, `x`, `kid`, `alg`, `use`.
    pub fn to_value(&self) -> Value {
        serde_json::to_value(RawJwk::from(self)).unwrap_or(Value::Null)
    }
}

/// A set of public keys (RFC 7517 §5), every one a usable Ed25519 verification key.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Jwks {
    keys: Vec<Jwk>,
}

impl Jwks {
    /// A set of `keys`; `kid`s must be unique, and present when there are several keys.
    pub fn new(keys: Vec<Jwk>) -> Result<Self, KeyError> {
        if keys.is_empty() {
            return Err(KeyError::Empty);
        }
        if keys.len() > 1 && keys.iter().any(|k| k.kid.is_none()) {
            return Err(KeyError::MissingKid);
        }
        for (i, key) in keys.iter().enumerate() {
            if let Some(kid) = &key.kid
                && keys[..i].iter().any(|k| k.kid.as_ref() == Some(kid))
            {
                return Err(KeyError::DuplicateKid(kid.clone()));
            }
        }
        Ok(Self { keys })
    }

    /// Reads `{"keys":[...]}`. Refuses keys that are not Ed25519 signature keys, bad or
    /// weak (small-order) points, private members, and repeated `kid`s.
    pub fn from_json(json: &str) -> Result<Self, KeyError> {
        let raw: RawJwks = serde_json::from_str(json).map_err(|_| KeyError::Malformed)?;
        Self::new(
            raw.keys
                .into_iter()
                .map(RawJwk::into_jwk)
                .collect::<Result<_, _>>()?,
        )
    }

    /// The set as JSON, ready to publish or embed.
    pub fn to_json(&self) -> String {
        let keys: Vec<RawJwk> = self.keys.iter().map(RawJwk::from).collect();
        serde_json::to_string(&RawJwks { keys }).unwrap_or_default()
    }

    /// The keys in publication order.
    pub fn keys(&self) -> &[Jwk] {
        &self.keys
    }

    /// The key a token header selects: exact `kid` match, or the only key when the token
    /// names none.
    pub fn select(&self, kid: Option<&str>) -> Option<&Jwk> {
        match (kid, self.keys.as_slice()) {
            (None, [only]) => Some(only),
            (None, _) => None,
            (Some(kid), keys) => keys.iter().find(|k| k.kid.as_deref() == Some(kid)),
        }
    }
}

#[derive(Deserialize, Serialize)]
struct RawJwks {
    keys: Vec<RawJwk>,
}

#[derive(Deserialize, Serialize)]
struct RawJwk {
    kty: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    crv: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    x: Option<String>,
    #[serde(default, skip_serializing)]
    d: Option<Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    kid: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    alg: Option<String>,
    #[serde(rename = "use", default, skip_serializing_if = "Option::is_none")]
    use_: Option<String>,
    #[serde(default, skip_serializing)]
    key_ops: Option<Vec<String>>,
}

impl RawJwk {
    fn into_jwk(self) -> Result<Jwk, KeyError> {
        let name = self.kid.clone().unwrap_or_default();
        if self.d.is_some() {
            return Err(KeyError::PrivateKey(name));
        }
        if self.kty != "OKP" || self.crv.as_deref() != Some("Ed25519") {
            return Err(KeyError::Unsupported(alloc::format!(
                "{name:?} is not an OKP Ed25519 key"
            )));
        }
        if self.alg.as_deref().is_some_and(|a| a != ALG) {
            return Err(KeyError::Unsupported(alloc::format!(
                "{name:?} is not for EdDSA"
            )));
        }
        if self.use_.as_deref().is_some_and(|u| u != "sig")
            || self
                .key_ops
                .as_ref()
                .is_some_and(|ops| !ops.iter().any(|op| op == "verify"))
        {
            return Err(KeyError::Unsupported(alloc::format!(
                "{name:?} is not a verification key"
            )));
        }
        let mut bytes = [0u8; 32];
        let x = self.x.as_deref().unwrap_or("");
        match Base64UrlUnpadded::decode(x, &mut bytes) {
            Ok(decoded) if decoded.len() == 32 => {}
            _ => return Err(KeyError::InvalidKey(name)),
        }
        let key = VerifyingKey::from_bytes(&bytes).map_err(|_| KeyError::InvalidKey(name))?;
        Jwk::new(self.kid, key)
    }
}

impl From<&Jwk> for RawJwk {
    fn from(jwk: &Jwk) -> Self {
        Self {
            kty: "OKP".to_string(),
            crv: Some("Ed25519".to_string()),
            x: Some(Base64UrlUnpadded::encode_string(jwk.key.as_bytes())),
            d: None,
            kid: jwk.kid.clone(),
            alg: Some(ALG.to_string()),
            use_: Some("sig".to_string()),
            key_ops: None,
        }
    }
}
