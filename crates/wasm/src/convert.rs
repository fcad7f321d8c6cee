//! JS values in and out: option readers, and the verified claims as a plain object.

use js_sys::{Array, JSON, Object};
use tollgate_core::Claims;
use wasm_bindgen::prelude::*;

/// The claims as a plain object, members in the order the core serialises them. Extra
/// claims are the JSON text the core verified, so `JSON.parse` builds them.
pub(crate) fn claims_to_js(claims: &Claims) -> Result<JsValue, JsValue> {
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
