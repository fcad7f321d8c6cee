//! RFC 9068 access-token claims, read strictly.
//!
//! Every security claim has a typed field. The payload must be a JSON object that never
//! repeats a name (so `{"exp":1,"exp":2}` cannot mean different things to different
//! parsers), and each registered claim must have its exact JSON type: times are JSON
//! integers, never strings or floats. Other claims are kept as their JSON text.

use alloc::{boxed::Box, collections::BTreeMap, string::String, vec::Vec};

use serde::{
    Serialize, Serializer,
    de::MapAccess,
    ser::{Error as _, SerializeMap},
};
use serde_json::value::RawValue;

use crate::{
    error::{ClaimsError, SignError},
    json::{self, Member, Members},
};

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

/// The value of an extra claim: its JSON text, exactly as the token carries it.
///
/// In verified claims it is the text that was signed and checked as strictly as the rest
/// of the payload; read it with any JSON parser (`serde_json::from_str(raw.get())`,
/// JavaScript's `JSON.parse`). Equality compares the text.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RawJson(Box<str>);

impl RawJson {
    /// `value` serialised by serde_json, e.g. `RawJson::from_value(&json!({"id": 7}))`; a
    /// serde_json `RawValue` keeps its text.
    pub fn from_value<T: Serialize + ?Sized>(value: &T) -> Result<Self, SignError> {
        serde_json::to_string(value)
            .map(|text| Self(text.into_boxed_str()))
            .map_err(|_| SignError::Serialize)
    }

    /// The JSON text.
    pub fn get(&self) -> &str {
        &self.0
    }
}

impl Serialize for RawJson {
    /// Writes the text unchanged (serde_json's raw-value protocol).
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        RawValue::from_string(self.0.clone().into())
            .map_err(S::Error::custom)?
            .serialize(s)
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
    /// Every other claim, by name, as its JSON text.
    pub extra: BTreeMap<String, RawJson>,
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
        let Reader {
            mut claims, exp, ..
        } = json::object::<Reader>(payload).ok_or(ClaimsError::Malformed)?;
        // The reader checked the extra claims; now keep their text.
        if !claims.extra.is_empty() {
            for (name, text) in json::members(payload).ok_or(ClaimsError::Malformed)? {
                if let Some(value) = claims.extra.get_mut(&name) {
                    *value = RawJson(text.into());
                }
            }
        }
        let exp = exp.ok_or_else(|| ClaimsError::MissingClaim("exp".into()))?;
        Ok(Self { exp, ..claims })
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

/// The payload read member by member; a refused member makes it `malformed`.
#[derive(Default)]
struct Reader {
    claims: Claims,
    exp: Option<i64>,
    /// One bit per [`REGISTERED`] claim already read.
    seen: u16,
}

impl Members for Reader {
    fn member<'de, A: MapAccess<'de>>(
        &mut self,
        name: String,
        map: &mut A,
    ) -> Result<bool, A::Error> {
        let Some(bit) = REGISTERED.iter().position(|r| *r == name) else {
            // Checked in full here; its text is taken afterwards (`json::members`).
            map.next_value::<Member>()?;
            let repeated = self.claims.extra.contains_key(&name);
            self.claims.extra.insert(name, RawJson(Box::default()));
            return Ok(!repeated);
        };
        let value = map.next_value::<Member>()?;
        if self.seen & (1 << bit) != 0 {
            return Ok(false);
        }
        self.seen |= 1 << bit;
        let c = &mut self.claims;
        match (name.as_str(), value) {
            ("iss", Member::Str(s)) => c.iss = Some(s),
            ("sub", Member::Str(s)) => c.sub = Some(s),
            ("jti", Member::Str(s)) => c.jti = Some(s),
            ("client_id", Member::Str(s)) => c.client_id = Some(s),
            ("scope", Member::Str(s)) => c.scope = Some(s),
            ("aud", Member::Str(s)) => c.aud = Audience(alloc::vec![s]),
            ("aud", Member::Strings(all)) => c.aud = Audience(all),
            ("exp", Member::Int(t)) => self.exp = Some(t),
            ("nbf", Member::Int(t)) => c.nbf = Some(t),
            ("iat", Member::Int(t)) => c.iat = Some(t),
            _ => return Ok(false),
        }
        Ok(true)
    }
}

#[cfg(test)]
mod tests {
    use alloc::{format, string::String};

    use super::{Claims, ClaimsError};

    fn read(payload: &str) -> Result<Claims, ClaimsError> {
        Claims::from_json(payload.as_bytes())
    }

    fn nested(depth: usize) -> String {
        format!(
            r#"{{"exp":1,"x":{}{}}}"#,
            "[".repeat(depth),
            "]".repeat(depth)
        )
    }

    #[test]
    fn rfc7519_4_3_extra_claims_are_read_strictly_and_kept_as_text() {
        let claims =
            read(r#"{"exp":1, "t\u0065nant" : {"a" : [1, 2.5e3]} ,"n":null}"#).expect("valid");
        assert_eq!(claims.extra["tenant"].get(), r#"{"a" : [1, 2.5e3]}"#);
        assert_eq!(claims.extra["n"].get(), "null");
        // serde_json's own limit of 128 levels, counted from the payload object.
        assert!(serde_json::from_str::<serde_json::Value>(&nested(126)).is_ok());
        assert!(serde_json::from_str::<serde_json::Value>(&nested(127)).is_err());
        assert!(read(&nested(126)).is_ok());
        for bad in [
            nested(127),
            r#"{"exp":1,"x":"\ud800"}"#.into(),
            r#"{"exp":1,"x":[1e400]}"#.into(),
            r#"{"exp":1,"x":{"\udc00":1}}"#.into(),
            r#"{"exp":1,"a":1,"\u0061":2}"#.into(),
            r#"{"exp":-0}"#.into(),
            r#"{"exp":1,"iss":null}"#.into(),
            r#"{"exp":1,"aud":["a",["b"]]}"#.into(),
            r#"{"exp":1} {}"#.into(),
        ] {
            assert_eq!(read(&bad), Err(ClaimsError::Malformed), "{bad}");
        }
        assert_eq!(
            read(r#"{"x":1}"#),
            Err(ClaimsError::MissingClaim("exp".into()))
        );
    }
}
