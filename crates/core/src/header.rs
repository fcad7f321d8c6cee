//! The JOSE header of a token (RFC 7515 §4).
//!
//! It accepts exactly the headers jwt-compact's `UntrustedToken` accepted before this
//! reader replaced it (that one buffered every member for a flattened map, which costs a
//! lot of code in the WebAssembly build):
//!
//! - a JSON object; `alg` present and a string;
//! - `kid`, `typ`, `cty`, `jku`, `x5u`, `x5t`, `x5t#S256` strings or `null`, none repeated;
//!   `cty`, when given, `JSON` in any case (nested JWTs and CBOR are not read); `x5t` and
//!   `x5t#S256` base64url thumbprints, as jwt-compact reads them;
//! - any other member valid JSON, and ignored, except that `crit` is noted: present at all,
//!   even as `null` or repeated, the token is refused.
//!
//! `jku`, `jwk`, `x5u` and `x5c` never choose the key.

use alloc::string::String;

use base64ct::{Base64UrlUnpadded, Encoding};
use serde::de::MapAccess;

use crate::json::{self, Member, Members};

/// The members with a meaning or a fixed type; a bit each in [`Header::seen`].
const KNOWN: [&str; 8] = ["alg", "kid", "typ", "cty", "jku", "x5u", "x5t", "x5t#S256"];

/// The header members verification uses.
#[derive(Debug, Default)]
pub(crate) struct Header {
    pub(crate) alg: Option<String>,
    pub(crate) kid: Option<String>,
    pub(crate) typ: Option<String>,
    pub(crate) crit: bool,
    seen: u8,
}

impl Header {
    /// Reads decoded header bytes; `None` when they are not an acceptable header.
    pub(crate) fn from_json(json: &[u8]) -> Option<Self> {
        json::object::<Self>(json)
    }
}

impl Members for Header {
    fn complete(&self) -> bool {
        self.alg.is_some()
    }

    fn member<'de, A: MapAccess<'de>>(
        &mut self,
        name: String,
        map: &mut A,
    ) -> Result<bool, A::Error> {
        let Some(bit) = KNOWN.iter().position(|k| *k == name) else {
            map.next_value::<Member>()?;
            self.crit |= name == "crit";
            return Ok(true);
        };
        let value = map.next_value::<Member>()?;
        if self.seen & (1 << bit) != 0 {
            return Ok(false);
        }
        self.seen |= 1 << bit;
        let value = match value {
            Member::Str(s) => Some(s),
            Member::Null if name != "alg" => None,
            _ => return Ok(false),
        };
        let acceptable = match name.as_str() {
            "cty" => value
                .as_deref()
                .is_none_or(|c| c.eq_ignore_ascii_case("json")),
            "x5t" => value.as_deref().is_none_or(|t| thumbprint(t, 20)),
            "x5t#S256" => value.as_deref().is_none_or(|t| thumbprint(t, 32)),
            _ => true,
        };
        match name.as_str() {
            "alg" => self.alg = value,
            "kid" => self.kid = value,
            "typ" => self.typ = value,
            _ => {}
        }
        Ok(acceptable)
    }
}

/// jwt-compact's reading of a certificate thumbprint of `len` bytes: up to two `=` are
/// trimmed, then strict base64url of at least `len` bytes, which must be UTF-8 if longer.
fn thumbprint(value: &str, len: usize) -> bool {
    let value = value.strip_suffix('=').unwrap_or(value);
    let value = value.strip_suffix('=').unwrap_or(value);
    let decoded_len = value.len() * 3 / 4;
    match Base64UrlUnpadded::decode_vec(value) {
        Ok(_) if decoded_len == len => true,
        Ok(bytes) => decoded_len > len && core::str::from_utf8(&bytes).is_ok(),
        Err(_) => false,
    }
}

#[cfg(test)]
mod tests {
    use alloc::format;

    use super::Header;

    fn read(json: &str) -> Option<Header> {
        Header::from_json(json.as_bytes())
    }

    #[test]
    fn rfc7515_4_header_forms() {
        let h = read(r#"{"alg":"EdDSA","kid":"k","typ":"at+jwt","cty":"json"}"#).expect("ok");
        assert_eq!(
            (h.alg.as_deref(), h.kid.as_deref(), h.typ.as_deref(), h.crit),
            (Some("EdDSA"), Some("k"), Some("at+jwt"), false)
        );
        let h = read(r#"{"alg":"EdDSA","kid":null,"typ":null,"x":[1,{"y":2.5}]}"#).expect("ok");
        assert_eq!((h.kid, h.typ), (None, None));
        // Unknown members may repeat; `crit` counts even when `null`.
        assert!(read(r#"{"alg":"EdDSA","x":1,"x":2}"#).is_some());
        assert!(read(r#"{"alg":"EdDSA","crit":null}"#).is_some_and(|h| h.crit));
        assert!(read(r#"{"alg":"EdDSA","crit":[],"crit":[]}"#).is_some_and(|h| h.crit));
        // x5t: 27 characters are 20 bytes; shorter is refused.
        assert!(read(&format!(r#"{{"alg":"EdDSA","x5t":"{}"}}"#, "A".repeat(27))).is_some());
        assert!(read(&format!(r#"{{"alg":"EdDSA","x5t":"{}"}}"#, "A".repeat(26))).is_none());
        for bad in [
            r#"{"alg":null}"#,
            r#"{"alg":"EdDSA","alg":"EdDSA"}"#,
            r#"{"alg":"EdDSA","typ":"a","typ":"a"}"#,
            r#"{"alg":"EdDSA","kid":1}"#,
            r#"{"alg":"EdDSA","cty":"JWT"}"#,
            r#"{"alg":"EdDSA","jku":{}}"#,
            r#"{"alg":"EdDSA","x5t":"!"}"#,
            r#"{"alg":"EdDSA","x":"\ud800"}"#,
            r#"{"alg":"EdDSA","x":1e400}"#,
            r#"{"alg":"EdDSA"} x"#,
            r#"["EdDSA"]"#,
            r#""EdDSA""#,
            "1.5",
        ] {
            assert!(read(bad).is_none(), "{bad}");
        }
    }
}
