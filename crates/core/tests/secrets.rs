//! The signing key's secret never reaches `Debug` and is wiped on drop.

use tollgate_core::SigningKey;
use zeroize::ZeroizeOnDrop;

/// Compiles only for types that wipe themselves when dropped.
fn wiped_on_drop<T: ZeroizeOnDrop>() {}

#[test]
fn signing_key_debug_shows_the_kid_only() {
    let key = SigningKey::from_seed("2026-05-a", &[0xab; 32]);
    let shown = format!("{key:?}");
    assert_eq!(shown, r#"SigningKey { kid: "2026-05-a", .. }"#);
}

#[test]
fn signing_key_parts_are_wiped_on_drop() {
    // `tollgate_core::SigningKey` holds its secret only in this type (feature `zeroize`).
    wiped_on_drop::<ed25519_dalek::SigningKey>();
    // `SigningKey::seed` hands out the seed in this wrapper.
    wiped_on_drop::<zeroize::Zeroizing<[u8; 32]>>();
    let key = SigningKey::from_seed("k", &[0xab; 32]);
    let _: zeroize::Zeroizing<[u8; 32]> = key.seed();
}
