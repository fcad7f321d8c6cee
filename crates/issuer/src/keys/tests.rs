//! The key schedule: publication, activation, retirement and revocation.

use super::*;

fn row(kid: &str, created_at: i64, activate_at: i64) -> StoredKey {
    StoredKey {
        kid: kid.into(),
        private_key: Vec::new(),
        public_key: None,
        protection: crate::seal::PLAIN.into(),
        created_at,
        activate_at,
        revoked_at: None,
    }
}

fn states(plan: &[KeyInfo]) -> Vec<(&str, KeyState)> {
    plan.iter().map(|k| (k.kid.as_str(), k.state)).collect()
}

#[test]
fn rotation_publishes_first_and_retires_after_the_longest_token() {
    let keys = [row("a", 0, 0), row("b", 100, 200)];
    let ttl = 60;
    assert_eq!(
        states(&plan(&keys, 150, ttl)),
        [("a", KeyState::Active), ("b", KeyState::Pending)]
    );
    assert_eq!(
        states(&plan(&keys, 200, ttl)),
        [("a", KeyState::Retiring), ("b", KeyState::Active)]
    );
    let last = 200 + ttl + RETIRE_GRACE_SECS;
    assert_eq!(plan(&keys, last - 1, ttl)[0].state, KeyState::Retiring);
    assert_eq!(plan(&keys, last, ttl)[0].state, KeyState::Retired);
    assert_eq!(plan(&keys, last, ttl)[0].published_until, Some(last));
}

#[test]
fn a_later_rotation_with_an_earlier_activation_wins_first() {
    let keys = [row("a", 0, 0), row("slow", 10, 1000), row("fast", 20, 20)];
    assert_eq!(
        states(&plan(&keys, 30, 0)),
        [
            ("a", KeyState::Retiring),
            ("fast", KeyState::Active),
            ("slow", KeyState::Pending)
        ]
    );
    assert_eq!(plan(&keys, 1000, 0)[1].state, KeyState::Retiring);
    assert_eq!(plan(&keys, 1000, 0)[2].state, KeyState::Active);
}

#[test]
fn a_revoked_key_leaves_the_jwks_and_the_earlier_key_stays_retired() {
    let revoked = |mut k: StoredKey, at| {
        k.revoked_at = Some(at);
        k
    };
    // a signed until b took over at 100; b leaked and was revoked when c activated.
    let keys = [
        row("a", 0, 0),
        revoked(row("b", 50, 100), 5000),
        row("c", 5000, 5000),
    ];
    let ttl = 60;
    let now = 5000;
    assert_eq!(
        states(&plan(&keys, now, ttl)),
        [
            ("a", KeyState::Retired),
            ("b", KeyState::Revoked),
            ("c", KeyState::Active)
        ]
    );
    assert_eq!(
        plan(&keys, now, ttl)[0].published_until,
        Some(100 + ttl + RETIRE_GRACE_SECS),
        "revoking b must not bring a back"
    );
    // A revoked pending key never becomes active.
    let keys = [row("a", 0, 0), revoked(row("p", 10, 20), 15)];
    assert_eq!(
        states(&plan(&keys, 30, ttl)),
        [("a", KeyState::Active), ("p", KeyState::Revoked)]
    );
}

#[test]
fn thumbprint_matches_rfc_8037_example() {
    use base64ct::{Base64UrlUnpadded, Encoding};
    // RFC 8037 Appendix A.1 private key; A.3 gives its RFC 7638 thumbprint.
    let d = Base64UrlUnpadded::decode_vec("nWGxne_9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2A").unwrap();
    let seed: [u8; 32] = d.try_into().unwrap();
    assert_eq!(
        thumbprint(&seed),
        "kPrK_qmxVWaYVA9wwBF6Iuo3vVzz7TxHCTwXBygrS4k"
    );
}
