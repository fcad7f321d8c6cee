//! The token endpoint: success, request errors, scopes, audiences, aliases, methods.

use tempfile::TempDir;
use tollgate_issuer::admin::ClientSpec;

use crate::common::{Server, Setup, basic, expect_error, expect_token, form, http, now};

#[tokio::test]
async fn basic_and_post_both_issue_verifiable_rfc9068_tokens() {
    let dir = TempDir::new().unwrap();
    let server = Server::start(&dir).await;
    let (id, secret) = server.default_client().await;
    let verifier = server.verifier().await;

    for response in [
        server
            .token_basic(&id, &secret, "grant_type=client_credentials")
            .await,
        server
            .token_post(&id, &secret, "grant_type=client_credentials")
            .await,
    ] {
        let (token, body) = expect_token(response).await;
        assert_eq!(body["expires_in"], 3600);
        assert_eq!(body["scope"], "read write");
        assert!(body.get("refresh_token").is_none());
        let verified = verifier.verify(&token, now()).unwrap();
        let claims = verified.claims();
        assert_eq!(claims.sub.as_deref(), Some(id.as_str()));
        assert_eq!(claims.client_id.as_deref(), Some(id.as_str()));
        assert_eq!(claims.iss.as_deref(), Some(server.base.as_str()));
        // No audience configured: the issuer URL (documented default).
        assert_eq!(claims.aud.0, [server.base.as_str()]);
        assert_eq!(claims.scope.as_deref(), Some("read write"));
        assert_eq!(claims.exp - claims.iat.unwrap(), 3600);
        assert!(claims.jti.as_ref().is_some_and(|j| j.len() >= 22));
    }
}

#[tokio::test]
async fn content_type_size_and_repeated_parameters_are_invalid_request() {
    let dir = TempDir::new().unwrap();
    let server = Server::start(&dir).await;
    let (id, secret) = server.default_client().await;
    let auth = basic(&id, &secret);
    let send = |content_type: Option<&'static str>, body: String| {
        let mut request = server
            .post("/oauth/token")
            .header("authorization", auth.clone());
        if let Some(ct) = content_type {
            request = request.header("content-type", ct);
        }
        request.body(body).send()
    };
    let form_ct = Some("application/x-www-form-urlencoded");
    let good = "grant_type=client_credentials".to_string();

    let missing = send(None, good.clone()).await.unwrap();
    expect_error(missing, 400, "invalid_request").await;
    let json = send(
        Some("application/json"),
        r#"{"grant_type":"client_credentials"}"#.into(),
    )
    .await
    .unwrap();
    expect_error(json, 400, "invalid_request").await;
    let repeated = send(form_ct, format!("{good}&{good}")).await.unwrap();
    expect_error(repeated, 400, "invalid_request").await;
    let repeated_scope = send(form_ct, format!("{good}&scope=read&scope=write"))
        .await
        .unwrap();
    expect_error(repeated_scope, 400, "invalid_request").await;
    let large = send(form_ct, format!("{good}&pad={}", "x".repeat(16 * 1024)))
        .await
        .unwrap();
    expect_error(large, 413, "invalid_request").await;

    // Parameters on the content type and just under the limit are fine.
    let charset = send(
        Some("application/x-www-form-urlencoded; charset=UTF-8"),
        good.clone(),
    )
    .await
    .unwrap();
    expect_token(charset).await;
    let near = send(
        form_ct,
        format!("{good}&pad={}", "x".repeat(16 * 1024 - 100)),
    )
    .await
    .unwrap();
    expect_token(near).await;
}

#[tokio::test]
async fn grant_type_errors() {
    let dir = TempDir::new().unwrap();
    let server = Server::start(&dir).await;
    let (id, secret) = server.default_client().await;
    let none = server.token_basic(&id, &secret, "scope=read").await;
    expect_error(none, 400, "invalid_request").await;
    let password = server
        .token_basic(&id, &secret, "grant_type=password&username=a&password=b")
        .await;
    expect_error(password, 400, "unsupported_grant_type").await;
    // refresh_token is only for clients that opted in.
    let refresh = server
        .token_basic(&id, &secret, "grant_type=refresh_token&refresh_token=x")
        .await;
    expect_error(refresh, 400, "unauthorized_client").await;
}

#[tokio::test]
async fn scope_and_audience_selection() {
    let dir = TempDir::new().unwrap();
    let server = Server::start(&dir).await;
    let mut spec = ClientSpec::new(["orders:read", "orders:write"]);
    spec.audiences = vec!["https://a.example".into(), "https://b.example".into()];
    spec.ttl = 2;
    let (id, secret) = server.client(spec).await;
    let verifier = server.verifier().await;
    let claims = |token: String| verifier.verify(&token, now()).unwrap().into_claims();

    let (token, body) = expect_token(
        server
            .token_basic(
                &id,
                &secret,
                "grant_type=client_credentials&scope=orders:read",
            )
            .await,
    )
    .await;
    assert_eq!(body["scope"], "orders:read");
    assert_eq!(body["expires_in"], 2);
    let c = claims(token);
    assert_eq!(c.scope.as_deref(), Some("orders:read"));
    assert_eq!(c.aud.0, ["https://a.example", "https://b.example"]);
    assert_eq!(c.exp - c.iat.unwrap(), 2);

    let (token, _) = expect_token(
        server
            .token_basic(
                &id,
                &secret,
                "grant_type=client_credentials&audience=https%3A%2F%2Fb.example",
            )
            .await,
    )
    .await;
    assert_eq!(claims(token).aud.0, ["https://b.example"]);
    let two = "grant_type=client_credentials&resource=https%3A%2F%2Fa.example&resource=https%3A%2F%2Fb.example";
    let (token, _) = expect_token(server.token_basic(&id, &secret, two).await).await;
    assert_eq!(
        claims(token).aud.0,
        ["https://a.example", "https://b.example"]
    );

    let scope = server
        .token_basic(
            &id,
            &secret,
            "grant_type=client_credentials&scope=orders:read%20admin",
        )
        .await;
    expect_error(scope, 400, "invalid_scope").await;
    let target = server
        .token_basic(
            &id,
            &secret,
            "grant_type=client_credentials&resource=https%3A%2F%2Fevil.example",
        )
        .await;
    expect_error(target, 400, "invalid_target").await;
}

#[tokio::test]
async fn aliases_and_identityserver_status() {
    let dir = TempDir::new().unwrap();
    let setup = Setup {
        settings: Box::new(|s| {
            s.token_paths = vec![
                "/connect/token".into(),
                "/oauth/v2/token".into(),
                "/v2/auth/oauth2-token".into(),
            ];
            s.invalid_client_status = axum::http::StatusCode::BAD_REQUEST;
        }),
        ..Setup::default()
    };
    let server = Server::start_with(dir.path(), setup).await;
    let (id, secret) = server.default_client().await;
    let body = form(&[
        ("grant_type", "client_credentials"),
        ("client_id", &id),
        ("client_secret", &secret),
    ]);
    for path in [
        "/oauth/token",
        "/connect/token",
        "/oauth/v2/token",
        "/v2/auth/oauth2-token",
    ] {
        let response = server
            .post(path)
            .header("content-type", "application/x-www-form-urlencoded")
            .body(body.clone())
            .send()
            .await
            .unwrap();
        expect_token(response).await;
    }
    let unknown = server.post("/token").body(body).send().await.unwrap();
    assert_eq!(unknown.status(), 404);

    // IdentityServer style: invalid_client is 400, without a challenge.
    let wrong = server
        .token_basic(&id, "wrong", "grant_type=client_credentials")
        .await;
    let headers = expect_error(wrong, 400, "invalid_client").await;
    assert!(headers.get("www-authenticate").is_none());
}

#[tokio::test]
async fn wrong_method_is_405_with_allow() {
    let dir = TempDir::new().unwrap();
    let server = Server::start(&dir).await;
    let get = http().get(server.url("/oauth/token")).send().await.unwrap();
    assert_eq!(get.status(), 405);
    assert_eq!(get.headers()["allow"], "POST");
    let post = http()
        .post(server.url("/.well-known/jwks.json"))
        .send()
        .await
        .unwrap();
    assert_eq!(post.status(), 405);
    assert!(post.headers()["allow"].to_str().unwrap().contains("GET"));
}
