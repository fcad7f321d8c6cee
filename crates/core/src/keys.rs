//! Ed25519 keys: the signing key with its `kid`, and RFC 8037 OKP JWKs and key sets.

use alloc::{string::String, vec::Vec};
use core::fmt;

use base64ct::{Base64UrlUnpadded, Encoding};
use ed25519_dalek::VerifyingKey;
use jwt_compact::{AlgorithmExt as _, Header};
use serde::{
    Serialize,
    de::{IgnoredAny, MapAccess},
};
use serde_json::Value;
use sha2::{Digest as _, Sha256};
use zeroize::Zeroizing;

use crate::{
    alg::{ALG, StrictEd25519, is_ed25519},
    claims::Claims,
    error::{KeyError, SignError},
    json::{self, Member, Members, Objects},
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

    /// The RFC 7638 JWK thumbprint (SHA-256, base64url): a stable, collision-free `kid`.
    pub fn thumbprint(&self) -> String {
        let x = Base64UrlUnpadded::encode_string(self.key.as_bytes());
        // The required members in lexicographic order, no whitespace (RFC 7638 §3.2).
        let canonical = alloc::format!(r#"{{"crv":"Ed25519","kty":"OKP","x":"{x}"}}"#);
        Base64UrlUnpadded::encode_string(&Sha256::digest(canonical.as_bytes()))
    }

    /// Reads one public JWK, with the checks of [`Jwks::from_json`].
    pub fn from_json(json: &str) -> Result<Self, KeyError> {
        let raw = json::object::<RawJwk>(json.as_bytes()).ok_or(KeyError::Malformed)?;
        raw.into_jwk()
    }

    /// The JWK as a JSON value: `kty`, `crv`, `x`, `kid`, `alg`, `use`.
    pub fn to_value(&self) -> Value {
        serde_json::to_value(PublicJwk::from(self)).unwrap_or(Value::Null)
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
            let Some(kid) = &key.kid else { continue };
            if keys[..i].iter().any(|k| k.kid.as_ref() == Some(kid)) {
                return Err(KeyError::DuplicateKid(kid.clone()));
            }
        }
        Ok(Self { keys })
    }

    /// Reads `{"keys":[...]}`. Refuses keys that are not Ed25519 signature keys, bad or
    /// weak (small-order) points, private members, and repeated `kid`s.
    pub fn from_json(json: &str) -> Result<Self, KeyError> {
        let raw = json::object::<RawJwks>(json.as_bytes()).ok_or(KeyError::Malformed)?;
        Self::new(
            raw.keys
                .unwrap_or_default()
                .into_iter()
                .map(RawJwk::into_jwk)
                .collect::<Result<_, _>>()?,
        )
    }

    /// The set as JSON, ready to publish or embed.
    pub fn to_json(&self) -> String {
        #[derive(Serialize)]
        struct PublicJwks<'a> {
            keys: Vec<PublicJwk<'a>>,
        }
        let keys = self.keys.iter().map(PublicJwk::from).collect();
        serde_json::to_string(&PublicJwks { keys }).unwrap_or_default()
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

/// A key set as read: `keys` once; other members are skipped unread, as serde's derived
/// readers skip unknown fields.
#[derive(Default)]
struct RawJwks {
    keys: Option<Vec<RawJwk>>,
}

impl Members for RawJwks {
    fn member<'de, A: MapAccess<'de>>(
        &mut self,
        name: String,
        map: &mut A,
    ) -> Result<bool, A::Error> {
        if name != "keys" {
            map.next_value::<IgnoredAny>()?;
            return Ok(true);
        }
        let Objects(keys) = map.next_value()?;
        // A first `keys` that is refused has already refused the set.
        let repeated = self.keys.is_some();
        self.keys = keys;
        Ok(!repeated && self.keys.is_some())
    }

    fn complete(&self) -> bool {
        self.keys.is_some()
    }
}

/// The JWK members read; a bit each in [`RawJwk::seen`].
const JWK_MEMBERS: [&str; 8] = ["kty", "crv", "x", "d", "kid", "alg", "use", "key_ops"];

/// A JWK as read: `kty` a string; `crv`, `x`, `kid`, `alg`, `use` strings or `null`;
/// `key_ops` an array of strings or `null`; `d` any JSON but `null` marks a private key;
/// none repeated. Other members are skipped unread.
#[derive(Default)]
struct RawJwk {
    kty: Option<String>,
    crv: Option<String>,
    x: Option<String>,
    private: bool,
    kid: Option<String>,
    alg: Option<String>,
    use_: Option<String>,
    key_ops: Option<Vec<String>>,
    seen: u8,
}

impl Members for RawJwk {
    fn member<'de, A: MapAccess<'de>>(
        &mut self,
        name: String,
        map: &mut A,
    ) -> Result<bool, A::Error> {
        let Some(bit) = JWK_MEMBERS.iter().position(|m| *m == name) else {
            map.next_value::<IgnoredAny>()?;
            return Ok(true);
        };
        let value = map.next_value::<Member>()?;
        if self.seen & (1 << bit) != 0 {
            return Ok(false);
        }
        self.seen |= 1 << bit;
        match (name.as_str(), value) {
            ("d", Member::Null) => {}
            ("d", _) => self.private = true,
            ("kty", Member::Str(s)) => self.kty = Some(s),
            ("kty", _) => return Ok(false),
            (_, Member::Null) => {}
            ("key_ops", Member::Strings(ops)) => self.key_ops = Some(ops),
            ("crv", Member::Str(s)) => self.crv = Some(s),
            ("x", Member::Str(s)) => self.x = Some(s),
            ("kid", Member::Str(s)) => self.kid = Some(s),
            ("alg", Member::Str(s)) => self.alg = Some(s),
            ("use", Member::Str(s)) => self.use_ = Some(s),
            _ => return Ok(false),
        }
        Ok(true)
    }

    fn complete(&self) -> bool {
        self.kty.is_some()
    }
}

/// A public key as published by [`Jwks::to_json`] and [`Jwk::to_value`].
#[derive(Serialize)]
struct PublicJwk<'a> {
    kty: &'static str,
    crv: &'static str,
    x: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    kid: Option<&'a str>,
    alg: &'static str,
    #[serde(rename = "use")]
    use_: &'static str,
}

impl<'a> From<&'a Jwk> for PublicJwk<'a> {
    fn from(jwk: &'a Jwk) -> Self {
        Self {
            kty: "OKP",
            crv: "Ed25519",
            x: Base64UrlUnpadded::encode_string(jwk.key.as_bytes()),
            kid: jwk.kid.as_deref(),
            alg: ALG,
            use_: "sig",
        }
    }
}

impl RawJwk {
    fn into_jwk(self) -> Result<Jwk, KeyError> {
        let name = self.kid.clone().unwrap_or_default();
        if self.private {
            return Err(KeyError::PrivateKey(name));
        }
        if self.kty.as_deref() != Some("OKP") || self.crv.as_deref() != Some("Ed25519") {
            return Err(KeyError::Unsupported(alloc::format!(
                "{name:?} is not an OKP Ed25519 key"
            )));
        }
        if self.alg.as_deref().is_some_and(|a| !is_ed25519(a)) {
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
