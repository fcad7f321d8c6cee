//! JS values in and out: option readers, and the verified claims as a plain object.

use js_sys::{Array, JSON};
use tollgate_core::Claims;
use wasm_bindgen::prelude::*;

/// The claims as a plain object, members in the order the core serialises them: one JSON
/// text handed to `JSON.parse`, one string across the boundary instead of one per member
/// (12 µs less per token in Node). `JSON.parse` makes own data properties, so even a
/// `__proto__` claim stays a claim; it reads an `i64` time as `as f64` would round it.
/// Strings are escaped by serde_json; extra claims are the JSON text the core verified.
pub(crate) fn claims_to_js(claims: &Claims) -> Result<JsValue, JsValue> {
    let mut json = Json(String::with_capacity(256));
    for (name, value) in [("iss", &claims.iss), ("sub", &claims.sub)] {
        if let Some(value) = value {
            json.key(name).string(value);
        }
    }
    match claims.aud.0.as_slice() {
        [] => {}
        [one] => {
            json.key("aud").string(one);
        }
        many => {
            json.key("aud");
            for (i, aud) in many.iter().enumerate() {
                json.0.push(if i == 0 { '[' } else { ',' });
                json.string(aud);
            }
            json.0.push(']');
        }
    }
    for (name, value) in [
        ("exp", Some(claims.exp)),
        ("nbf", claims.nbf),
        ("iat", claims.iat),
    ] {
        if let Some(value) = value {
            json.key(name).0.push_str(&value.to_string());
        }
    }
    let texts = [
        ("jti", &claims.jti),
        ("client_id", &claims.client_id),
        ("scope", &claims.scope),
    ];
    for (name, value) in texts {
        if let Some(value) = value {
            json.key(name).string(value);
        }
    }
    for (name, value) in &claims.extra {
        json.key(name).0.push_str(value.get());
    }
    JSON::parse(&json.close())
}

/// A JSON object being written, members separated as they come.
struct Json(String);

impl Json {
    fn key(&mut self, name: &str) -> &mut Self {
        self.0.push(if self.0.is_empty() { '{' } else { ',' });
        self.string(name);
        self.0.push(':');
        self
    }

    fn string(&mut self, value: &str) -> &mut Self {
        // Serialising a `str` cannot fail.
        self.0
            .push_str(&serde_json::to_string(value).unwrap_or_default());
        self
    }

    fn close(mut self) -> String {
        if self.0.is_empty() {
            self.0.push('{');
        }
        self.0.push('}');
        self.0
    }
}

pub(crate) fn type_error(message: &str) -> JsValue {
    js_sys::TypeError::new(message).into()
}

/// `undefined`/`null` → none; an array of strings; a lone string only if `lone` allows it.
pub(crate) fn strings(value: &JsValue, name: &str, lone: bool) -> Result<Vec<String>, JsValue> {
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
pub(crate) fn seconds_option(value: &JsValue, name: &str) -> Result<u64, JsValue> {
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

/// `now` in whole seconds since the epoch; `undefined`/`null` → the JS clock.
pub(crate) fn now_seconds(now: &JsValue) -> Result<i64, JsValue> {
    let now = match now.as_f64() {
        _ if now.is_undefined() || now.is_null() => js_sys::Date::now() / 1000.0,
        Some(now) if now.is_finite() => now,
        _ => return Err(type_error("now must be a finite number of seconds")),
    };
    // `as` saturates: a time beyond the i64 range clamps instead of wrapping.
    Ok(now.floor() as i64)
}

/// The `Authorization` value: a string, or `null`/`undefined` when there is none.
pub(crate) fn header_value(authorization: &JsValue) -> Result<Option<String>, JsValue> {
    match authorization.as_string() {
        Some(header) => Ok(Some(header)),
        None if authorization.is_undefined() || authorization.is_null() => Ok(None),
        None => Err(type_error("authorization must be a string or null")),
    }
}
