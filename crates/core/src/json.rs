//! Strict reading of the JOSE header, the claims and key sets, over serde_json.
//!
//! Values are read with serde_json's `deserialize_any`, so every check of a full parse
//! applies: UTF-8, escapes and surrogate pairs in strings, numbers in range, nesting
//! limited to 128. (Key sets skip members they do not know with `IgnoredAny`, unchecked,
//! as serde's derived readers did.) Types are then decided here, not by serde: its
//! type-mismatch errors describe the value they met (`invalid type: floating point ...`),
//! and that formatting code would be most of the JSON layer's size in the WebAssembly
//! build.

use alloc::{string::String, vec::Vec};
use core::{fmt, marker::PhantomData};

use serde::de::{Deserialize, Deserializer, Error, IgnoredAny, MapAccess, SeqAccess, Visitor};

/// One JSON value, reduced to what the header and the registered claims need.
pub(crate) enum Member {
    Null,
    Str(String),
    /// An integer literal in `i64` range (`-0`, fractions and exponents are not).
    Int(i64),
    /// An array whose items are all strings, possibly none.
    Strings(Vec<String>),
    /// Anything else, checked and dropped.
    Other,
}

impl<'de> Deserialize<'de> for Member {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(MemberVisitor)
    }
}

struct MemberVisitor;

impl<'de> Visitor<'de> for MemberVisitor {
    type Value = Member;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON value")
    }

    fn visit_unit<E: Error>(self) -> Result<Member, E> {
        Ok(Member::Null)
    }

    fn visit_bool<E: Error>(self, _: bool) -> Result<Member, E> {
        Ok(Member::Other)
    }

    fn visit_i64<E: Error>(self, v: i64) -> Result<Member, E> {
        Ok(Member::Int(v))
    }

    fn visit_u64<E: Error>(self, v: u64) -> Result<Member, E> {
        Ok(i64::try_from(v).map_or(Member::Other, Member::Int))
    }

    // serde_json hands over `-0`, fractions, exponents and integers beyond u64 as f64.
    fn visit_f64<E: Error>(self, _: f64) -> Result<Member, E> {
        Ok(Member::Other)
    }

    fn visit_str<E: Error>(self, v: &str) -> Result<Member, E> {
        Ok(Member::Str(v.into()))
    }

    fn visit_string<E: Error>(self, v: String) -> Result<Member, E> {
        Ok(Member::Str(v))
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Member, A::Error> {
        let mut strings = Some(Vec::new());
        while let Some(item) = seq.next_element::<Member>()? {
            match (item, &mut strings) {
                (Member::Str(s), Some(all)) => all.push(s),
                _ => strings = None,
            }
        }
        Ok(strings.map_or(Member::Other, Member::Strings))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Member, A::Error> {
        // Names are still parsed and checked as strings: serde_json reads every key
        // through `deserialize_any`, whatever the target type.
        while map.next_entry::<IgnoredAny, Member>()?.is_some() {}
        Ok(Member::Other)
    }
}

/// Each member of `object` as its name and the exact text of its value, in order.
///
/// `object` must already have been read as a JSON object: this only finds where each value
/// ends, with serde_json reading every name and value. (serde_json's `RawValue` would do it
/// while reading, but its visitor links the value-describing error messages.)
pub(crate) fn members(object: &[u8]) -> Option<Vec<(String, &str)>> {
    let mut members = Vec::new();
    let mut at = after_whitespace(object, 0);
    if object.get(at) != Some(&b'{') {
        return None;
    }
    at += 1;
    loop {
        at = after_whitespace(object, at);
        match object.get(at)? {
            b'}' => return Some(members),
            b',' => at = after_whitespace(object, at + 1),
            _ => {}
        }
        let (Member::Str(name), end) = value::<Member>(object, at)? else {
            return None;
        };
        at = after_whitespace(object, end);
        if object.get(at) != Some(&b':') {
            return None;
        }
        let start = after_whitespace(object, at + 1);
        let (IgnoredAny, end) = value::<IgnoredAny>(object, start)?;
        members.push((name, core::str::from_utf8(object.get(start..end)?).ok()?));
        at = end;
    }
}

/// The JSON value at `start`, and the offset just past it.
fn value<'de, T: Deserialize<'de>>(json: &'de [u8], start: usize) -> Option<(T, usize)> {
    let mut stream = serde_json::Deserializer::from_slice(json.get(start..)?).into_iter::<T>();
    let value = stream.next()?.ok()?;
    Some((value, start + stream.byte_offset()))
}

/// The offset of the first byte at or after `at` that is not JSON whitespace.
fn after_whitespace(json: &[u8], at: usize) -> usize {
    let rest = json.get(at..).unwrap_or_default();
    at + rest
        .iter()
        .take_while(|b| matches!(b, b' ' | b'\t' | b'\n' | b'\r'))
        .count()
}

/// Reads the members of a JSON object one at a time.
pub(crate) trait Members: Default {
    /// Reads the value of member `name` from `map`, always consuming it; `Ok(false)`
    /// refuses the whole object.
    fn member<'de, A: MapAccess<'de>>(
        &mut self,
        name: String,
        map: &mut A,
    ) -> Result<bool, A::Error>;

    /// Whether every required member was read.
    fn complete(&self) -> bool {
        true
    }
}

/// Reads `json`, which must be one JSON object, member by member into a `T`.
pub(crate) fn object<T: Members>(json: &[u8]) -> Option<T> {
    serde_json::from_slice::<Object<T>>(json).ok()?.0
}

// Refusals are values (`None`), not serde errors: every `serde::de::Error` constructor ends
// in serde_json's `Error::custom`, whose message parsing is a few KiB of wasm. The refused
// value is still read to its end, so only serde_json's own syntax errors ever occur.

/// One JSON object read by `T`; `None` when it is another JSON value or `T` refused it.
pub(crate) struct Object<T>(pub(crate) Option<T>);

/// A JSON array of objects, each read by `T`; `None` when it is another JSON value or `T`
/// refused an item.
pub(crate) struct Objects<T>(pub(crate) Option<Vec<T>>);

impl<'de, T: Members> Deserialize<'de> for Object<T> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(ObjectVisitor(PhantomData))
    }
}

impl<'de, T: Members> Deserialize<'de> for Objects<T> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(ObjectsVisitor(PhantomData))
    }
}

struct ObjectVisitor<T>(PhantomData<T>);

struct ObjectsVisitor<T>(PhantomData<T>);

/// Visitor methods that refuse a scalar with `$refused`.
macro_rules! refuse_scalars {
    ($refused:expr) => {
        fn visit_unit<E: Error>(self) -> Result<Self::Value, E> {
            Ok($refused)
        }
        fn visit_bool<E: Error>(self, _: bool) -> Result<Self::Value, E> {
            Ok($refused)
        }
        fn visit_i64<E: Error>(self, _: i64) -> Result<Self::Value, E> {
            Ok($refused)
        }
        fn visit_u64<E: Error>(self, _: u64) -> Result<Self::Value, E> {
            Ok($refused)
        }
        fn visit_f64<E: Error>(self, _: f64) -> Result<Self::Value, E> {
            Ok($refused)
        }
        fn visit_str<E: Error>(self, _: &str) -> Result<Self::Value, E> {
            Ok($refused)
        }
    };
}

impl<'de, T: Members> Visitor<'de> for ObjectVisitor<T> {
    type Value = Object<T>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Object<T>, A::Error> {
        let mut members = Some(T::default());
        while let Some(name) = map.next_key::<String>()? {
            match &mut members {
                Some(read) => {
                    if !read.member(name, &mut map)? {
                        members = None;
                    }
                }
                None => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        Ok(Object(members.filter(T::complete)))
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Object<T>, A::Error> {
        while seq.next_element::<IgnoredAny>()?.is_some() {}
        Ok(Object(None))
    }

    refuse_scalars!(Object(None));
}

impl<'de, T: Members> Visitor<'de> for ObjectsVisitor<T> {
    type Value = Objects<T>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON array of objects")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Objects<T>, A::Error> {
        let mut all = Some(Vec::new());
        while let Some(Object(item)) = seq.next_element::<Object<T>>()? {
            match (item, &mut all) {
                (Some(item), Some(all)) => all.push(item),
                _ => all = None,
            }
        }
        Ok(Objects(all))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Objects<T>, A::Error> {
        while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
        Ok(Objects(None))
    }

    refuse_scalars!(Objects(None));
}
