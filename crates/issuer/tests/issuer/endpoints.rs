//! JWKS, metadata, revocation, introspection, health and metrics.

use serde_json::Value;
use tempfile::TempDir;
use tollgate_core::Jwks;
use tollgate_issuer::admin::ClientSpec;

use crate::common::{Server, basic, expect_error, expect_token, form, http};

const GRANT: &str = "grant_type=client_credentials";

async fn post_form(
    server: &Server,
    path: &str,
    id: &str,
    secret: &str,
    body: &str,
) -> reqwest::Response {
    server
        .post(path)
        .header("authorization", basic(id, secret))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(body.to_string())
        .send()
        .await
        .unwrap()
}

async fn introspect(server: &Server, id: &str, secret: &str, token: &str) -> Value {
    let response = post_form(
        server,
        "/oauth/introspect",
        id,
        secret,
        &form(&[("token", token)]),
    )
    .await;
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["cache-control"], "no-store");
    response.json().await.unwrap()
}

#[tokio::test]
async fn jwks_and_metadata_documents() {
    let dir = TempDir::new().unwrap();
    let server = Server::start(&dir).await;
    let response = http()
        .get(server.url("/.well-known/jwks.json"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["content-type"], "application/json");
    assert_eq!(response.headers()["cache-control"], "public, max-age=300");
    let jwks = Jwks::from_json(&response.text().await.unwrap()).unwrap();
    assert_eq!(jwks.keys().len(), 1);

    let metadata: Value = http()
        .get(server.url("/.well-known/oauth-authorization-server"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(metadata["issuer"], server.base);
    assert_eq!(metadata["token_endpoint"], server.url("/oauth/token"));
    assert_eq!(metadata["jwks_uri"], server.url("/.well-known/jwks.json"));
    assert_eq!(metadata["revocation_endpoint"], server.url("/oauth/revoke"));
    assert_eq!(
        metadata["introspection_endpoint"],
        server.url("/oauth/introspect")
    );
    assert_eq!(metadata["grant_types_supported"][0], "client_credentials");
    assert_eq!(
        metadata["token_endpoint_auth_methods_supported"][0],
        "client_secret_basic"
    );
}

#[tokio::test]
async fn introspection_reports_access_and_refresh_tokens() {
    let dir = TempDir::new().unwrap();
    let server = Server::start(&dir).await;
    let mut spec = ClientSpec::new(["api"]);
    spec.refresh = true;
    let (id, secret) = server.client(spec).await;
    let (rs, rs_secret) = server.default_client().await;
    let (access, body) = expect_token(server.token_basic(&id, &secret, GRANT).await).await;
    let refresh = body["refresh_token"].as_str().unwrap();

    // A resource server (another client) may introspect an access token.
    let answer = introspect(&server, &rs, &rs_secret, &access).await;
    assert_eq!(answer["active"], true);
    assert_eq!(answer["client_id"], id);
    assert_eq!(answer["sub"], id);
    assert_eq!(answer["scope"], "api");
    assert_eq!(answer["iss"], server.base);
    assert!(answer["exp"].as_i64().is_some());

    // A refresh token only to its owner.
    let own = introspect(&server, &id, &secret, refresh).await;
    assert_eq!(
        (own["active"].clone(), own["token_type"].clone()),
        (Value::Bool(true), "refresh_token".into())
    );
    assert_eq!(
        introspect(&server, &rs, &rs_secret, refresh).await,
        serde_json::json!({"active": false})
    );
    assert_eq!(
        introspect(&server, &rs, &rs_secret, "garbage").await,
        serde_json::json!({"active": false})
    );

    let anonymous = server
        .post("/oauth/introspect")
        .header("content-type", "application/x-www-form-urlencoded")
        .body(form(&[("token", &access)]))
        .send()
        .await
        .unwrap();
    expect_error(anonymous, 401, "invalid_client").await;
    let missing = post_form(&server, "/oauth/introspect", &rs, &rs_secret, "").await;
    expect_error(missing, 400, "invalid_request").await;
}

#[tokio::test]
async fn revocation_of_access_and_refresh_tokens() {
    let dir = TempDir::new().unwrap();
    let server = Server::start(&dir).await;
    let mut spec = ClientSpec::new(["api"]);
    spec.refresh = true;
    let (id, secret) = server.client(spec).await;
    let (other, other_secret) = server.default_client().await;
    let (access, body) = expect_token(server.token_basic(&id, &secret, GRANT).await).await;
    let refresh = body["refresh_token"].as_str().unwrap().to_string();

    // Another client's revocation is a silent no-op.
    let foreign = post_form(
        &server,
        "/oauth/revoke",
        &other,
        &other_secret,
        &form(&[("token", &access)]),
    )
    .await;
    assert_eq!(foreign.status(), 200);
    assert_eq!(
        introspect(&server, &id, &secret, &access).await["active"],
        true
    );

    for token in [&access, &refresh] {
        let response = post_form(
            &server,
            "/oauth/revoke",
            &id,
            &secret,
            &form(&[("token", token)]),
        )
        .await;
        assert_eq!(response.status(), 200);
        assert_eq!(response.headers()["cache-control"], "no-store");
    }
    assert_eq!(
        introspect(&server, &id, &secret, &access).await["active"],
        false
    );
    let body = form(&[("grant_type", "refresh_token"), ("refresh_token", &refresh)]);
    expect_error(
        server.token_basic(&id, &secret, &body).await,
        400,
        "invalid_grant",
    )
    .await;

    let unknown = post_form(&server, "/oauth/revoke", &id, &secret, "token=unknown").await;
    assert_eq!(unknown.status(), 200);
    let missing = post_form(&server, "/oauth/revoke", &id, &secret, "").await;
    expect_error(missing, 400, "invalid_request").await;
    let wrong = post_form(&server, "/oauth/revoke", &id, "wrong", "token=x").await;
    expect_error(wrong, 401, "invalid_client").await;
}

#[tokio::test]
async fn health_readiness_and_metrics() {
    let dir = TempDir::new().unwrap();
    let server = Server::start(&dir).await;
    let (id, secret) = server.default_client().await;
    for base in [&server.base, &server.admin_base] {
        for path in ["/healthz", "/readyz"] {
            let response = http().get(format!("{base}{path}")).send().await.unwrap();
            assert_eq!(response.status(), 200, "{base}{path}");
        }
    }
    expect_token(server.token_basic(&id, &secret, GRANT).await).await;
    expect_error(
        server.token_basic(&id, "wrong", GRANT).await,
        401,
        "invalid_client",
    )
    .await;

    // Metrics only on the admin listener.
    let public = http().get(server.url("/metrics")).send().await.unwrap();
    assert_eq!(public.status(), 404);
    let response = http()
        .get(format!("{}/metrics", server.admin_base))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let text = response.text().await.unwrap();
    for needle in [
        "tollgate_tokens_issued_total{grant_type=\"client_credentials\"} 1",
        "tollgate_auth_failures_total 1",
        "tollgate_lockouts_total 0",
        "tollgate_http_request_duration_seconds_bucket{",
        "route=\"/oauth/token\"",
        "status=\"200\"",
    ] {
        assert!(text.contains(needle), "missing {needle} in\n{text}");
    }
}

#[tokio::test]
async fn responses_carry_a_request_id() {
    let dir = TempDir::new().unwrap();
    let server = Server::start(&dir).await;
    let response = http().get(server.url("/healthz")).send().await.unwrap();
    assert!(!response.headers()["x-request-id"].is_empty());
    let echoed = http()
        .get(server.url("/healthz"))
        .header("x-request-id", "trace-me")
        .send()
        .await
        .unwrap();
    assert_eq!(echoed.headers()["x-request-id"], "trace-me");
}
