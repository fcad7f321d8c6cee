//! Verify of a typical token against the raw `verify_strict` of the same bytes.
fn main() {}
