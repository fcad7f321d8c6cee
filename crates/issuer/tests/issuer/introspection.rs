//! RFC 7662 introspection reflects the client: tokens of disabled, deleted and
//! re-created clients are inactive.

use serde_json::Value;
use tempfile::TempDir;
use tollgate_issuer::admin::{self, ClientSpec};

use crate::common::{Server, Setup, basic, expect_token, form, manual_clock};

async fn introspect(server: &Server, caller: (&str, &str), token: &str) -> Value {
    let response = server
        .post("/oauth/introspect")
        .header("authorization", basic(caller.0, caller.1))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(form(&[("token", token)]))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    response.json().await.unwrap()
}

#[tokio::test]
async fn rfc7662_tokens_of_disabled_deleted_and_recreated_clients_are_inactive() {
    let dir = TempDir::new().unwrap();
    let clock = manual_clock();
    let setup = Setup {
        clock: clock.clone(),
        ..Setup::default()
    };
    let server = Server::start_with(dir.path(), setup).await;
    let (rs, rs_secret) = server.default_client().await;
    let caller = (rs.as_str(), rs_secret.as_str());
    let mut spec = ClientSpec::new(["read"]);
    spec.id = Some("partner".into());
    let (id, secret) = server.client(spec.clone()).await;
    let grant = "grant_type=client_credentials";
    let (token, _) = expect_token(server.token_basic(&id, &secret, grant).await).await;
    assert_eq!(introspect(&server, caller, &token).await["active"], true);

    admin::set_disabled(&server.state, &id, true).await.unwrap();
    assert_eq!(
        introspect(&server, caller, &token).await,
        serde_json::json!({"active": false})
    );
    admin::set_disabled(&server.state, &id, false)
        .await
        .unwrap();
    assert_eq!(introspect(&server, caller, &token).await["active"], true);

    admin::delete_client(&server.state, &id).await.unwrap();
    assert_eq!(introspect(&server, caller, &token).await["active"], false);
    clock.advance_ms(2000);
    let (id, secret) = server.client(spec).await;
    assert_eq!(introspect(&server, caller, &token).await["active"], false);
    let (fresh, _) = expect_token(server.token_basic(&id, &secret, grant).await).await;
    assert_eq!(introspect(&server, caller, &fresh).await["active"], true);
}
