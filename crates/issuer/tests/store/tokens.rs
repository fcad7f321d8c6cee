//! Refresh tokens and revoked access tokens.

use tollgate_issuer::store::{RefreshToken, Store};

use crate::ev;

use crate::clients::client;

pub(crate) fn refresh(client_id: &str, family: &str, issued_at: i64) -> RefreshToken {
    RefreshToken {
        family_id: family.into(),
        client_id: client_id.into(),
        scope: "read".into(),
        audiences: vec!["https://api.example.com".into()],
        issued_at,
        family_issued_at: issued_at,
        expires_at: issued_at + 1_000,
        used_at: None,
        revoked_at: None,
    }
}

pub(crate) async fn refresh_tokens_are_single_use_under_concurrency(store: Store) {
    store
        .clients
        .create_client(&client("a", 1), &ev())
        .await
        .unwrap();
    let first = refresh("a", "fam", 100);
    store
        .tokens
        .insert_refresh_token(&[1; 32], &first, 10)
        .await
        .unwrap();
    assert_eq!(
        store.tokens.refresh_token(&[1; 32]).await.unwrap(),
        Some(first.clone())
    );
    let tasks: Vec<_> = (0..20_u8)
        .map(|i| {
            let (store, next) = (
                store.clone(),
                RefreshToken {
                    issued_at: 200,
                    ..first.clone()
                },
            );
            tokio::spawn(async move {
                store
                    .tokens
                    .rotate_refresh_token(&[1; 32], &[100 + i; 32], &next, 200)
                    .await
                    .unwrap()
            })
        })
        .collect();
    let mut won = 0;
    for task in tasks {
        won += usize::from(task.await.unwrap());
    }
    assert_eq!(won, 1, "exactly one rotation spends the token");
    assert_eq!(
        store
            .tokens
            .refresh_token(&[1; 32])
            .await
            .unwrap()
            .unwrap()
            .used_at,
        Some(200)
    );
    // Expired tokens cannot be rotated.
    let late = refresh("a", "late", 0);
    store
        .tokens
        .insert_refresh_token(&[2; 32], &late, 10)
        .await
        .unwrap();
    assert!(
        !store
            .tokens
            .rotate_refresh_token(&[2; 32], &[3; 32], &late, 1_000)
            .await
            .unwrap()
    );
}

pub(crate) async fn refresh_families_are_capped_oldest_first(store: Store) {
    store
        .clients
        .create_client(&client("a", 1), &ev())
        .await
        .unwrap();
    store
        .clients
        .create_client(&client("b", 2), &ev())
        .await
        .unwrap();
    store
        .tokens
        .insert_refresh_token(&[50; 32], &refresh("b", "b-fam", 1), 2)
        .await
        .unwrap();
    for i in 0..5_u8 {
        let token = refresh("a", &format!("fam-{i}"), 100 + i64::from(i));
        store
            .tokens
            .insert_refresh_token(&[i; 32], &token, 3)
            .await
            .unwrap();
    }
    for i in 0..5_u8 {
        let kept = store
            .tokens
            .refresh_token(&[i; 32])
            .await
            .unwrap()
            .is_some();
        assert_eq!(kept, i >= 2, "family {i}");
    }
    assert!(
        store
            .tokens
            .refresh_token(&[50; 32])
            .await
            .unwrap()
            .is_some(),
        "other clients keep theirs"
    );
}

pub(crate) async fn families_are_revoked_whole_and_expired_rows_pruned(store: Store) {
    store
        .clients
        .create_client(&client("a", 1), &ev())
        .await
        .unwrap();
    let first = refresh("a", "fam", 100);
    store
        .tokens
        .insert_refresh_token(&[1; 32], &first, 10)
        .await
        .unwrap();
    let next = RefreshToken {
        issued_at: 150,
        ..first.clone()
    };
    assert!(
        store
            .tokens
            .rotate_refresh_token(&[1; 32], &[2; 32], &next, 150)
            .await
            .unwrap()
    );
    store
        .tokens
        .revoke_refresh_family("fam", 160)
        .await
        .unwrap();
    for digest in [[1; 32], [2; 32]] {
        assert_eq!(
            store
                .tokens
                .refresh_token(&digest)
                .await
                .unwrap()
                .unwrap()
                .revoked_at,
            Some(160)
        );
    }
    assert!(
        !store
            .tokens
            .rotate_refresh_token(&[2; 32], &[3; 32], &next, 170)
            .await
            .unwrap()
    );
    assert_eq!(
        store
            .tokens
            .prune_tokens(first.expires_at + 1)
            .await
            .unwrap(),
        2
    );
    assert_eq!(store.tokens.refresh_token(&[2; 32]).await.unwrap(), None);
}

pub(crate) async fn revoked_access_tokens_are_remembered_until_expiry(store: Store) {
    store
        .tokens
        .revoke_access_token("jti-1", 500)
        .await
        .unwrap();
    store
        .tokens
        .revoke_access_token("jti-1", 500)
        .await
        .unwrap();
    assert!(store.tokens.access_token_revoked("jti-1").await.unwrap());
    assert!(!store.tokens.access_token_revoked("jti-2").await.unwrap());
    assert_eq!(store.tokens.prune_tokens(501).await.unwrap(), 1);
    assert!(!store.tokens.access_token_revoked("jti-1").await.unwrap());
}
