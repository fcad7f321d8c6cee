//! Secrets never reach `Debug` output: the secret shown once at registration and
//! rotation, the presented credentials, plaintext key seeds and the pepper row.
//! (Wiping on drop is shown in docs/security.md, "Secrets in memory".)

// Helpers outside #[test] functions panic on failure too: that is how a test fails.
#![allow(clippy::unwrap_used)]

use axum::http::{HeaderMap, HeaderValue, header::AUTHORIZATION};
use base64ct::{Base64, Encoding};
use tempfile::TempDir;
use tollgate_issuer::{
    AppState, Settings,
    admin::{self, ClientSpec},
    auth::basic_credentials,
    form::OAuthForm,
    store::{Setting, StoredKey},
};

/// Bytes whose decimal `Debug` form (`[171, 171, ...]`) would be easy to spot.
const SECRET_BYTES: [u8; 32] = [0xab; 32];

#[tokio::test]
async fn issued_and_rotated_secrets_stay_out_of_debug() {
    let dir = TempDir::new().unwrap();
    let store = tollgate_issuer::store::open_path(&dir.path().join("tollgate.db"))
        .await
        .unwrap();
    let state = AppState::new(store, Settings::new("http://127.0.0.1"), None)
        .await
        .unwrap();
    let created = admin::create_client(&state, ClientSpec::new(["read"]))
        .await
        .unwrap();
    let shown = format!("{created:?}");
    assert!(shown.contains(&created.client.client_id), "{shown}");
    assert!(!shown.contains(&created.client_secret), "{shown}");
    let rotated = admin::rotate_secret(&state, &created.client.client_id, 60)
        .await
        .unwrap();
    let shown = format!("{rotated:?}");
    assert!(!shown.contains(&rotated.client_secret), "{shown}");
    assert!(!format!("{state:?}").contains(&rotated.client_secret));
}

#[test]
fn rfc6749_presented_secrets_stay_out_of_debug() {
    let secret = "s3cret-value-presented";
    let mut headers = HeaderMap::new();
    let basic = format!(
        "Basic {}",
        Base64::encode_string(format!("id:{secret}").as_bytes())
    );
    headers.insert(AUTHORIZATION, HeaderValue::from_str(&basic).unwrap());
    let credentials = basic_credentials(&headers).unwrap();
    assert!(credentials.is_some());
    assert!(!format!("{credentials:?}").contains(secret));
    let form = OAuthForm::parse(format!("client_id=id&client_secret={secret}").as_bytes());
    let shown = format!("{form:?}");
    assert!(
        shown.contains("client_secret") && !shown.contains(secret),
        "{shown}"
    );
}

#[test]
fn plaintext_seed_and_pepper_rows_stay_out_of_debug() {
    let key = StoredKey {
        kid: "kid-1".into(),
        private_key: SECRET_BYTES.to_vec(),
        public_key: None,
        protection: "plain".into(),
        created_at: 1,
        activate_at: 1,
        revoked_at: None,
    };
    let shown = format!("{key:?}");
    assert!(shown.contains("kid-1") && !shown.contains("171"), "{shown}");
    let pepper = Setting {
        value: SECRET_BYTES.to_vec(),
        protection: "plain".into(),
    };
    let shown = format!("{pepper:?}");
    assert!(!shown.contains("171"), "{shown}");
}
