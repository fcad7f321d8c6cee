//! RFC 9068 access-token claims, read strictly.
//!
//! Every security claim has a typed field. The payload is read into an object that refuses
//! repeated names (so `{"exp":1,"exp":2}` cannot mean different things to different
//! parsers), then each registered claim must have its exact JSON type: times are JSON
//! integers, never strings or floats.

use alloc::{collections::BTreeMap, string::String, vec::Vec};
use core::fmt;

use serde::{
    Deserialize, Deserializer, Serialize, Serializer,
    de::{MapAccess, Visitor},
    ser::SerializeMap,
};
use serde_json::Value;

use crate::error::{ClaimsError, SignError};

/// Registered claim names with a typed field in [`Claims`].
pub const REGISTERED: [&str; 9] = [
    "iss",
    "sub",
    "aud",
    "exp",
    "nbf",
    "iat",
    "jti",
    "client_id",
    "scope",
];

/// The claims RFC 9068 §2.2 requires in every access token.
pub const RFC9068_REQUIRED: [&str; 7] = ["iss", "exp", "aud", "sub", "client_id", "iat", "jti"];

/// The `aud` claim: one string or an array of strings (RFC 7519 §4.1.3).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Audience(pub Vec<String>);

impl Audience {
    /// Whether the claim is absent (an empty array counts as absent).
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Whether `aud` shares at least one value with `accepted`.
    pub fn intersects(&self, accepted: &[String]) -> bool {
        self.0.iter().any(|a| accepted.contains(a))
    }
}

impl Serialize for Audience {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self.0.as_slice() {
            [one] => s.serialize_str(one),
            many => many.serialize(s),
        }
    }
}

/// The claims of a Tollgate access token (RFC 9068 §2.2).
#[derive(Clone, Debug, Default, PartialEq)]
#[non_exhaustive]
pub struct Claims {
    /// `iss`: the issuer URL.
    pub iss: Option<String>,
    /// `sub`: for client credentials, the client id.
    pub sub: Option<String>,
    /// `aud`: the resource servers the token is meant for.
    pub aud: Audience,
    /// `exp`: expiry, seconds since the epoch. Always required.
    pub exp: i64,
    /// `nbf`: not before, seconds since the epoch.
    pub nbf: Option<i64>,
    /// `iat`: issued at, seconds since the epoch.
    pub iat: Option<i64>,
    /// `jti`: unique token id.
    pub jti: Option<String>,
    /// `client_id`: the OAuth client the token was issued to.
    pub client_id: Option<String>,
    /// `scope`: space-delimited scopes (RFC 8693 §4.2).
    pub scope: Option<String>,
    /// Every other claim, by name.
    pub extra: BTreeMap<String, Value>,
}

impl Claims {
    /// Claims expiring at `exp` (seconds since the epoch), all else empty.
    pub fn new(exp: i64) -> Self {
        Self {
            exp,
            ..Self::default()
        }
    }

    /// The individual scopes in `scope`.
    pub fn scopes(&self) -> impl Iterator<Item = &str> {
        self.scope
            .as_deref()
            .unwrap_or("")
            .split(' ')
            .filter(|s| !s.is_empty())
    }

    /// Whether every scope in `required` is granted.
    pub fn has_scopes<S: AsRef<str>>(&self, required: &[S]) -> bool {
        required
            .iter()
            .all(|r| self.scopes().any(|s| s == r.as_ref()))
    }

    /// Whether the claim `name` is present.
    pub fn has(&self, name: &str) -> bool {
        match name {
            "iss" => self.iss.is_some(),
            "sub" => self.sub.is_some(),
            "aud" => !self.aud.is_empty(),
            "exp" => true,
            "nbf" => self.nbf.is_some(),
            "iat" => self.iat.is_some(),
            "jti" => self.jti.is_some(),
            "client_id" => self.client_id.is_some(),
            "scope" => self.scope.is_some(),
            other => self.extra.contains_key(other),
        }
    }

    /// Reads claims from a JSON payload, refusing repeated names and mistyped claims.
    pub fn from_json(payload: &[u8]) -> Result<Self, ClaimsError> {
        let StrictObject(mut object) =
            serde_json::from_slice(payload).map_err(|_| ClaimsError::Malformed)?;
        let mut take = |name: &str| object.remove(name);
        let claims = Self {
            iss: string(take("iss"))?,
            sub: string(take("sub"))?,
            aud: audience(take("aud"))?,
            exp: integer(take("exp"))?.ok_or_else(|| ClaimsError::MissingClaim("exp".into()))?,
            nbf: integer(take("nbf"))?,
            iat: integer(take("iat"))?,
            jti: string(take("jti"))?,
            client_id: string(take("client_id"))?,
            scope: string(take("scope"))?,
            extra: BTreeMap::new(),
        };
        Ok(Self {
            extra: object,
            ..claims
        })
    }

    /// Serialises the claims as a JSON object, refusing extras that shadow a typed claim.
    pub fn to_json(&self) -> Result<String, SignError> {
        if let Some(name) = self.extra.keys().find(|k| REGISTERED.contains(&k.as_str())) {
            return Err(SignError::ReservedClaim(name.clone()));
        }
        serde_json::to_string(self).map_err(|_| SignError::Serialize)
    }
}

impl Serialize for Claims {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut map = s.serialize_map(None)?;
        if let Some(v) = &self.iss {
            map.serialize_entry("iss", v)?;
        }
        if let Some(v) = &self.sub {
            map.serialize_entry("sub", v)?;
        }
        if !self.aud.is_empty() {
            map.serialize_entry("aud", &self.aud)?;
        }
        map.serialize_entry("exp", &self.exp)?;
        if let Some(v) = self.nbf {
            map.serialize_entry("nbf", &v)?;
        }
        if let Some(v) = self.iat {
            map.serialize_entry("iat", &v)?;
        }
        if let Some(v) = &self.jti {
            map.serialize_entry("jti", v)?;
        }
        if let Some(v) = &self.client_id {
            map.serialize_entry("client_id", v)?;
        }
        if let Some(v) = &self.scope {
            map.serialize_entry("scope", v)?;
        }
        for (k, v) in &self.extra {
            map.serialize_entry(k, v)?;
        }
        map.end()
    }
}

fn string(value: Option<Value>) -> Result<Option<String>, ClaimsError> {
    match value {
        None => Ok(None),
        Some(Value::String(s)) => Ok(Some(s)),
        Some(_) => Err(ClaimsError::Malformed),
    }
}

/// A JSON integer in `i64` range; floats such as `1.0` or `1e300` are refused.
fn integer(value: Option<Value>) -> Result<Option<i64>, ClaimsError> {
    match value {
        None => Ok(None),
        Some(Value::Number(n)) => n.as_i64().map(Some).ok_or(ClaimsError::Malformed),
        Some(_) => Err(ClaimsError::Malformed),
    }
}

fn audience(value: Option<Value>) -> Result<Audience, ClaimsError> {
    Ok(Audience(match value {
        None => Vec::new(),
        Some(Value::String(s)) => alloc::vec![s],
        Some(Value::Array(items)) => items
            .into_iter()
            .map(|v| match v {
                Value::String(s) => Ok(s),
                _ => Err(ClaimsError::Malformed),
            })
            .collect::<Result<_, _>>()?,
        Some(_) => return Err(ClaimsError::Malformed),
    }))
}

/// A JSON object whose member names are unique at the top level.
pub(crate) struct StrictObject(pub(crate) BTreeMap<String, Value>);

impl<'de> Deserialize<'de> for StrictObject {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct ObjectVisitor;
        impl<'de> Visitor<'de> for ObjectVisitor {
            type Value = StrictObject;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a JSON object with unique member names")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut access: A) -> Result<StrictObject, A::Error> {
                let mut object = BTreeMap::new();
                while let Some((key, value)) = access.next_entry::<String, Value>()? {
                    if object.contains_key(&key) {
                        return Err(serde::de::Error::custom("duplicate member"));
                    }
                    object.insert(key, value);
                }
                Ok(StrictObject(object))
            }
        }
        d.deserialize_map(ObjectVisitor)
    }
}
