//! Column decoding shared by the backends.

use super::{Digest, StoreError, StoreResult};

/// A stored digest, which must be 32 bytes.
pub(super) fn digest(bytes: Vec<u8>) -> StoreResult<Digest> {
    bytes
        .try_into()
        .map_err(|_| StoreError::Corrupt("digest is not 32 bytes".into()))
}

/// A space-separated list column.
pub(super) fn words(text: &str) -> Vec<String> {
    text.split_whitespace().map(str::to_string).collect()
}
