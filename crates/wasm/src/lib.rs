//! The WebAssembly face of `tollgate-core`, for the `@tollgate/verify` npm package.
//!
//! Every decision — token parsing, the signature, claims, scopes, the `Authorization` header
//! and the RFC 6750 answer — is the core's. This crate only converts: JS values in, the
//! core's results out as plain JS objects, and the core's errors out as JS `Error`s with a
//! stable `code` (classes in `js/errors.js`):
//!
//! - `VerifyError` — a refused token or request: `code` (the core's
//!   [`VerifyError::code`](tollgate_core::VerifyError::code), or the
//!   [`RequestError::code`](tollgate_core::bearer::RequestError::code) `missing_token` /
//!   `invalid_request`), `status`, `bearerError` and the exact `wwwAuthenticate` value built
//!   by [`bearer::challenge`].
//! - `JwksError` — a key set the core refuses, with its
//!   [`KeyError::code`](tollgate_core::KeyError::code).
//! - `TypeError` — an argument of the wrong JS type (a programming error, not a refusal).
//!
//! Built with `wasm-bindgen --target web`; the JS package wraps it with `authenticate` and
//! the runtime-specific loading (a precompiled `WebAssembly.Module` in workerd).
//!
//! ```js
//! import { initSync, Verifier } from "./pkg/tollgate_wasm.js";
//! initSync({ module });
//! const verifier = new Verifier({ jwks, issuer, audience, clockTolerance: 5 });
//! const claims = verifier.verify(token, undefined, ["orders:read"]);
//! ```

use js_sys::{Array, JSON, Object};
use tollgate_core::{
    Claims, Jwks, KeyError, Policy, Verifier as CoreVerifier, VerifyError as CoreError,
    bearer::{self, BearerError, RequestError},
};
use wasm_bindgen::prelude::*;

#[wasm_bindgen(module = "/js/errors.js")]
extern "C" {
    /// `js/errors.js` `VerifyError`.
    type VerifyError;
    #[wasm_bindgen(constructor)]
    fn new(
        code: &str,
        message: &str,
        status: u16,
        bearer_error: Option<&str>,
        www_authenticate: &str,
    ) -> VerifyError;

    /// `js/errors.js` `JwksError`.
    type JwksError;
    #[wasm_bindgen(constructor)]
    fn new(code: &str, message: &str) -> JwksError;
}

#[wasm_bindgen]
extern "C" {
    /// The options object given to `new Verifier(...)`.
    type Options;
    #[wasm_bindgen(method, getter)]
    fn jwks(this: &Options) -> JsValue;
    #[wasm_bindgen(method, getter)]
    fn issuer(this: &Options) -> JsValue;
    #[wasm_bindgen(method, getter)]
    fn audience(this: &Options) -> JsValue;
    #[wasm_bindgen(method, getter, js_name = clockTolerance)]
    fn clock_tolerance(this: &Options) -> JsValue;
    #[wasm_bindgen(method, getter)]
    fn realm(this: &Options) -> JsValue;
}

/// A [`tollgate_core::Verifier`] built once from a JWKS and a policy.
#[wasm_bindgen]
#[derive(Debug)]
pub struct Verifier {
    inner: CoreVerifier,
    realm: Option<String>,
}

#[wasm_bindgen]
impl Verifier {
    /// `new Verifier({ jwks, issuer?, audience?, clockTolerance?, realm? })`.
    ///
    /// `jwks` is a `{"keys":[...]}` object or its JSON text; `issuer` and `audience` are a
    /// string or an array of accepted values; `clockTolerance` is in seconds.
    #[wasm_bindgen(constructor)]
    pub fn new(options: &JsValue) -> Result<Verifier, JsValue> {
        if !options.is_object() {
            return Err(type_error("Verifier options must be an object"));
        }
        let options: &Options = options.unchecked_ref();
        let jwks = options.jwks();
        let jwks = match jwks.as_string() {
            Some(text) => text,
            None if jwks.is_object() => JSON::stringify(&jwks)?.into(),
            None => return Err(type_error("jwks must be a JWKS object or its JSON text")),
        };
        let keys = Jwks::from_json(&jwks).map_err(|e| jwks_error(&e))?;
        let mut policy = Policy::default().clock_tolerance(seconds_option(
            &options.clock_tolerance(),
            "clockTolerance",
        )?);
        for issuer in strings(&options.issuer(), "issuer", true)? {
            policy = policy.issuer(issuer);
        }
        for audience in strings(&options.audience(), "audience", true)? {
            policy = policy.audience(audience);
        }
        let realm = options.realm();
        let realm = match realm.as_string() {
            Some(realm) => Some(realm),
            None if realm.is_undefined() || realm.is_null() => None,
            None => return Err(type_error("realm must be a string")),
        };
        Ok(Self {
            inner: CoreVerifier::new(keys, policy),
            realm,
        })
    }

    /// Verifies `token` at `now` (seconds since the epoch; default: the JS clock) and
    /// requires every scope in `scopes`. Returns the claims as a plain object.
    pub fn verify(
        &self,
        token: &JsValue,
        now: &JsValue,
        scopes: &JsValue,
    ) -> Result<JsValue, JsValue> {
        let token = token
            .as_string()
            .ok_or_else(|| type_error("token must be a string"))?;
        self.check(&token, now, scopes)
    }

    /// Like [`verify`](Self::verify), for the value of an `Authorization` header (or
    /// `null`/`undefined` when the request has none).
    pub fn authenticate(
        &self,
        authorization: &JsValue,
        now: &JsValue,
        scopes: &JsValue,
    ) -> Result<JsValue, JsValue> {
        let header = match authorization.as_string() {
            Some(header) => Some(header),
            None if authorization.is_undefined() || authorization.is_null() => None,
            None => return Err(type_error("authorization must be a string or null")),
        };
        let token =
            bearer::token_from_header(header.as_deref()).map_err(|e| self.request_error(e))?;
        self.check(token, now, scopes)
    }
}

impl Verifier {
    fn check(&self, token: &str, now: &JsValue, scopes: &JsValue) -> Result<JsValue, JsValue> {
        let scopes = strings(scopes, "scopes", false)?;
        let now = match now.as_f64() {
            _ if now.is_undefined() || now.is_null() => js_sys::Date::now() / 1000.0,
            Some(now) if now.is_finite() => now,
            _ => return Err(type_error("now must be a finite number of seconds")),
        };
        // `as` saturates: a time beyond the i64 range clamps instead of wrapping.
        let verified = self
            .inner
            .verify_with_scopes(token, now.floor() as i64, &scopes)
            .map_err(|e| self.verify_error(&e, &scopes))?;
        claims_to_js(verified.claims())
    }

    fn verify_error(&self, error: &CoreError, scopes: &[String]) -> JsValue {
        let description = error.to_string();
        let bearer_error = error.bearer_error();
        // RFC 6750 §3: an insufficient_scope answer names the scope the resource needs.
        let scope = (bearer_error == BearerError::InsufficientScope).then(|| scopes.join(" "));
        let challenge = bearer::challenge(
            self.realm.as_deref(),
            Some((bearer_error, &description)),
            scope.as_deref(),
        );
        VerifyError::new(
            error.code(),
            &description,
            bearer_error.status(),
            Some(bearer_error.as_str()),
            &challenge,
        )
        .into()
    }

    fn request_error(&self, error: RequestError) -> JsValue {
        let description = error.to_string();
        let bearer_error = error.bearer_error();
        let challenge = bearer::challenge(
            self.realm.as_deref(),
            bearer_error.map(|e| (e, description.as_str())),
            None,
        );
        VerifyError::new(
            error.code(),
            &description,
            error.status(),
            bearer_error.map(BearerError::as_str),
            &challenge,
        )
        .into()
    }
}

/// The claims as a plain object, members in the order the core serialises them. Extra
/// claims are the JSON text the core verified, so `JSON.parse` builds them.
fn claims_to_js(claims: &Claims) -> Result<JsValue, JsValue> {
    let members = Array::new();
    let add = |name: &str, value: JsValue| {
        members.push(&Array::of2(&JsValue::from_str(name), &value));
    };
    let text = |value: &Option<String>| value.as_deref().map(JsValue::from_str);
    let time = |value: Option<i64>| value.map(|t| JsValue::from_f64(t as f64));
    let aud = match claims.aud.0.as_slice() {
        [] => None,
        [one] => Some(JsValue::from_str(one)),
        many => Some(
            many.iter()
                .map(|a| JsValue::from_str(a))
                .collect::<Array>()
                .into(),
        ),
    };
    for (name, value) in [
        ("iss", text(&claims.iss)),
        ("sub", text(&claims.sub)),
        ("aud", aud),
        ("exp", time(Some(claims.exp))),
        ("nbf", time(claims.nbf)),
        ("iat", time(claims.iat)),
        ("jti", text(&claims.jti)),
        ("client_id", text(&claims.client_id)),
        ("scope", text(&claims.scope)),
    ] {
        if let Some(value) = value {
            add(name, value);
        }
    }
    for (name, value) in &claims.extra {
        add(name, JSON::parse(value.get())?);
    }
    Ok(object(&members))
}

/// `Object.fromEntries`: own data properties, so even a `__proto__` claim stays a claim.
fn object(members: &Array) -> JsValue {
    Object::from_entries(members).map_or(JsValue::UNDEFINED, JsValue::from)
}

fn jwks_error(error: &KeyError) -> JsValue {
    JwksError::new(error.code(), &error.to_string()).into()
}

fn type_error(message: &str) -> JsValue {
    js_sys::TypeError::new(message).into()
}

/// `undefined`/`null` → none; an array of strings; a lone string only if `lone` allows it.
fn strings(value: &JsValue, name: &str, lone: bool) -> Result<Vec<String>, JsValue> {
    if value.is_undefined() || value.is_null() {
        return Ok(Vec::new());
    }
    if let Some(one) = value.as_string().filter(|_| lone) {
        return Ok(vec![one]);
    }
    let expected = || {
        type_error(&if lone {
            format!("{name} must be a string or an array of strings")
        } else {
            format!("{name} must be an array of strings")
        })
    };
    if !Array::is_array(value) {
        return Err(expected());
    }
    Array::from(value)
        .iter()
        .map(|item| item.as_string().ok_or_else(expected))
        .collect()
}

/// A non-negative whole number of seconds; `undefined`/`null` → 0.
fn seconds_option(value: &JsValue, name: &str) -> Result<u64, JsValue> {
    if value.is_undefined() || value.is_null() {
        return Ok(0);
    }
    match value.as_f64() {
        Some(secs) if secs.is_finite() && secs >= 0.0 => Ok(secs as u64),
        _ => Err(type_error(&format!(
            "{name} must be a non-negative number of seconds"
        ))),
    }
}
