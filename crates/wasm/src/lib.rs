//! The WebAssembly face of `tollgate-core`, for the `@tollgate/verify` npm package.
//!
//! Every decision — token parsing, the signature, claims, scopes, the `Authorization` header
//! and the RFC 6750 answer ([`Refusal`]) — is the core's. This crate only converts: JS
//! values in, the core's results out as plain JS objects, and the core's errors out as JS
//! `Error`s with a stable `code` (classes in `js/errors.js`):
//!
//! - `VerifyError` — a refused token or request, carrying the core's [`Refusal`]: `code`,
//!   `status`, `bearerError`, the exact `wwwAuthenticate` value and the `body`.
//! - `JwksError` — a key set the core refuses, with its
//!   [`KeyError::code`](tollgate_core::KeyError::code).
//! - `TypeError` — an argument of the wrong JS type (a programming error, not a refusal).
//!
//! Two ways to verify: `verify`/`authenticate` do everything here, Ed25519 included;
//! `prepare`/`prepareAuthorization` do every check but the signature equation and return
//! a [`Pending`] whose signature the JS side hands to WebCrypto, and `finish` takes
//! WebCrypto's answer and checks the claims (the core's split path).
//!
//! ```js
//! import { initSync, Verifier } from "./pkg/tollgate_wasm.js";
//! initSync({ module });
//! const verifier = new Verifier({ jwks, issuer, audience, clockTolerance: 5 });
//! const claims = verifier.verify(token, undefined, ["orders:read"]);
//! ```

mod convert;

use js_sys::{Array, JSON, Uint8Array};
use tollgate_core::{
    Jwks, KeyError, PendingToken, Policy, Verifier as CoreVerifier, VerifyError as CoreError,
    bearer::{self, BearerError, Refusal},
};
use wasm_bindgen::prelude::*;

use crate::convert::{
    claims_to_js, header_value, now_seconds, seconds_option, strings, type_error,
};

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
        body: Option<String>,
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

/// A token checked up to the signature equation, with the `now` and scopes to finish it.
#[wasm_bindgen]
#[derive(Debug)]
pub struct Pending {
    token: PendingToken,
    signing_input: Vec<u8>,
    now: i64,
    scopes: Vec<String>,
}

#[wasm_bindgen]
impl Pending {
    /// Index of the key that must have signed, in the order of [`Verifier::keys`].
    #[wasm_bindgen(getter, js_name = keyIndex)]
    pub fn key_index(&self) -> usize {
        self.token.key_index()
    }

    /// The bytes signed: header `.` payload, as sent.
    #[wasm_bindgen(js_name = signingInput)]
    pub fn signing_input(&self) -> Uint8Array {
        Uint8Array::from(self.signing_input.as_slice())
    }

    /// The 64-byte signature, its encoding already checked.
    pub fn signature(&self) -> Uint8Array {
        Uint8Array::from(self.token.signature().as_slice())
    }
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

    /// The raw 32-byte public keys, in set order, for importing into WebCrypto.
    pub fn keys(&self) -> Array {
        self.inner
            .keys()
            .keys()
            .iter()
            .map(|k| Uint8Array::from(k.verifying_key().as_bytes().as_slice()))
            .collect()
    }

    /// Every check of `verify` before the signature equation.
    pub fn prepare(
        &self,
        token: &JsValue,
        now: &JsValue,
        scopes: &JsValue,
    ) -> Result<Pending, JsValue> {
        let token = token_string(token)?;
        self.pending(&token, now, scopes)
    }

    /// [`prepare`](Self::prepare) for the value of an `Authorization` header.
    #[wasm_bindgen(js_name = prepareAuthorization)]
    pub fn prepare_authorization(
        &self,
        authorization: &JsValue,
        now: &JsValue,
        scopes: &JsValue,
    ) -> Result<Pending, JsValue> {
        let header = header_value(authorization)?;
        let token =
            bearer::token_from_header(header.as_deref()).map_err(|e| self.request_error(e))?;
        self.pending(token, now, scopes)
    }

    /// Finishes a [`Pending`] token: `valid` is WebCrypto's answer for its signature; then
    /// `typ`, the claims and the scopes. Returns the claims as a plain object.
    pub fn finish(&self, pending: Pending, valid: bool) -> Result<JsValue, JsValue> {
        let scopes = pending.scopes;
        let verified = self
            .inner
            .verify_pending_with_scopes(pending.token, valid, pending.now, &scopes)
            .map_err(|e| self.verify_error(&e, &scopes))?;
        claims_to_js(verified.claims())
    }
}

/// The whole check in wasm, Ed25519 included: left out of the WebCrypto-only build, which
/// then carries no Ed25519 arithmetic at all.
#[cfg(feature = "wasm-ed25519")]
#[wasm_bindgen]
impl Verifier {
    /// Verifies `token` at `now` (seconds since the epoch; default: the JS clock) and
    /// requires every scope in `scopes`. Returns the claims as a plain object.
    pub fn verify(
        &self,
        token: &JsValue,
        now: &JsValue,
        scopes: &JsValue,
    ) -> Result<JsValue, JsValue> {
        let token = token_string(token)?;
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
        let header = header_value(authorization)?;
        let token =
            bearer::token_from_header(header.as_deref()).map_err(|e| self.request_error(e))?;
        self.check(token, now, scopes)
    }
}

impl Verifier {
    #[cfg(feature = "wasm-ed25519")]
    fn check(&self, token: &str, now: &JsValue, scopes: &JsValue) -> Result<JsValue, JsValue> {
        let scopes = strings(scopes, "scopes", false)?;
        let now = now_seconds(now)?;
        let verified = self
            .inner
            .verify_with_scopes(token, now, &scopes)
            .map_err(|e| self.verify_error(&e, &scopes))?;
        claims_to_js(verified.claims())
    }

    fn pending(&self, token: &str, now: &JsValue, scopes: &JsValue) -> Result<Pending, JsValue> {
        let scopes = strings(scopes, "scopes", false)?;
        let now = now_seconds(now)?;
        let pending = self
            .inner
            .prepare(token)
            .map_err(|e| self.verify_error(&e, &scopes))?;
        let signing_input = token.as_bytes()[..pending.signing_input_len()].to_vec();
        Ok(Pending {
            token: pending,
            signing_input,
            now,
            scopes,
        })
    }

    fn verify_error(&self, error: &CoreError, scopes: &[String]) -> JsValue {
        refusal_error(&Refusal::for_token(error, self.realm.as_deref(), scopes))
    }

    fn request_error(&self, error: bearer::RequestError) -> JsValue {
        refusal_error(&Refusal::for_request(error, self.realm.as_deref()))
    }
}

fn token_string(token: &JsValue) -> Result<String, JsValue> {
    token
        .as_string()
        .ok_or_else(|| type_error("token must be a string"))
}

/// The core's answer, carried as is.
fn refusal_error(refusal: &Refusal) -> JsValue {
    VerifyError::new(
        refusal.code(),
        refusal.description(),
        refusal.status(),
        refusal.error().map(BearerError::as_str),
        refusal.www_authenticate(),
        refusal.body(),
    )
    .into()
}

fn jwks_error(error: &KeyError) -> JsValue {
    JwksError::new(error.code(), &error.to_string()).into()
}
