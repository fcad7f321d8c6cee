//! Test harness: a server on port 0 with a real SQLite file, and HTTP helpers.

use std::{
    path::Path,
    sync::{
        Arc,
        atomic::{AtomicBool, AtomicUsize, Ordering},
    },
};

use async_trait::async_trait;

use base64ct::{Base64, Encoding};
use reqwest::{RequestBuilder, Response, header::HeaderMap};
use serde_json::Value;
use tempfile::TempDir;
use tokio::{sync::oneshot, task::JoinHandle};
use tollgate_core::{Jwks, Policy, Verifier};
use tollgate_issuer::{
    AppState, Settings,
    admin::{self, ClientSpec},
    clock::{Clock, ManualClock, SystemClock},
    seal::MasterKey,
    store::{
        AuditEvent, ChangeMarks, Client, FailureChange, FailureOutcome, FailureState,
        LockoutPolicy, LockoutStore, Store, StoreError, StoreResult,
    },
};

/// A running issuer.
pub(crate) struct Server {
    pub(crate) base: String,
    /// The admin listener (`/metrics`, health).
    pub(crate) admin_base: String,
    pub(crate) state: AppState,
    shutdown: Option<oneshot::Sender<()>>,
    handle: Option<JoinHandle<std::io::Result<()>>>,
}

/// How to start a server.
pub(crate) struct Setup {
    pub(crate) settings: Box<dyn FnOnce(&mut Settings) + Send>,
    pub(crate) clock: Arc<dyn Clock>,
    pub(crate) master: Option<MasterKey>,
    pub(crate) store: Option<Store>,
}

impl Default for Setup {
    fn default() -> Self {
        Self {
            settings: Box::new(|_| {}),
            clock: Arc::new(SystemClock),
            master: None,
            store: None,
        }
    }
}

/// A manual clock set to the real time (tokens stay verifiable by wall-clock checks).
pub(crate) fn manual_clock() -> Arc<ManualClock> {
    Arc::new(ManualClock::new(SystemClock.now_ms()))
}

impl Server {
    /// A server with defaults in a new directory.
    pub(crate) async fn start(dir: &TempDir) -> Self {
        Self::start_with(dir.path(), Setup::default()).await
    }

    /// A server on `dir/tollgate.db`.
    pub(crate) async fn start_with(dir: &Path, setup: Setup) -> Self {
        let db = dir.join("tollgate.db");
        let store: Store = match setup.store {
            Some(store) => store,
            None => tollgate_issuer::store::open_path(&db)
                .await
                .expect("open store"),
        };
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        let admin = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let admin_base = format!("http://{}", admin.local_addr().unwrap());
        let mut settings = Settings::new(base.clone());
        (setup.settings)(&mut settings);
        let state = AppState::with_clock(store, settings, setup.master, setup.clock)
            .await
            .expect("state");
        let (tx, rx) = oneshot::channel::<()>();
        let shutdown = async {
            let _ = rx.await;
        };
        let handle = tokio::spawn(tollgate_issuer::run(
            listener,
            Some(admin),
            state.clone(),
            shutdown,
        ));
        Self {
            base,
            admin_base,
            state,
            shutdown: Some(tx),
            handle: Some(handle),
        }
    }

    /// Stops the server gracefully and waits for it.
    pub(crate) async fn stop(mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(handle) = self.handle.take() {
            handle.await.unwrap().unwrap();
        }
    }

    pub(crate) fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// Registers a client; returns (id, secret).
    pub(crate) async fn client(&self, spec: ClientSpec) -> (String, String) {
        let created = admin::create_client(&self.state, spec).await.unwrap();
        (created.client.client_id, created.client_secret)
    }

    /// A client with scopes "read write" and defaults.
    pub(crate) async fn default_client(&self) -> (String, String) {
        self.client(ClientSpec::new(["read", "write"])).await
    }

    pub(crate) fn post(&self, path: &str) -> RequestBuilder {
        http().post(self.url(path))
    }

    /// `POST /oauth/token` with a form body and Basic credentials.
    pub(crate) async fn token_basic(&self, id: &str, secret: &str, form: &str) -> Response {
        self.post("/oauth/token")
            .header("authorization", basic(id, secret))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(form.to_string())
            .send()
            .await
            .unwrap()
    }

    /// `POST /oauth/token` with Basic credentials through `client` (e.g. [`http_from`]).
    pub(crate) async fn token_via(
        &self,
        client: &reqwest::Client,
        id: &str,
        secret: &str,
        headers: &[(&str, &str)],
    ) -> Response {
        let mut request = client
            .post(self.url("/oauth/token"))
            .header("authorization", basic(id, secret))
            .header("content-type", "application/x-www-form-urlencoded")
            .body("grant_type=client_credentials");
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        request.send().await.unwrap()
    }

    /// `POST /oauth/token` with credentials in the form body.
    pub(crate) async fn token_post(&self, id: &str, secret: &str, extra: &str) -> Response {
        let mut body = form(&[("client_id", id), ("client_secret", secret)]);
        if !extra.is_empty() {
            body.push('&');
            body.push_str(extra);
        }
        self.post("/oauth/token")
            .header("content-type", "application/x-www-form-urlencoded")
            .body(body)
            .send()
            .await
            .unwrap()
    }

    /// The key set this server publishes.
    pub(crate) async fn jwks(&self) -> Jwks {
        let text = http()
            .get(self.url("/.well-known/jwks.json"))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        Jwks::from_json(&text).unwrap()
    }

    /// A verifier for this server's tokens, from its published JWKS.
    pub(crate) async fn verifier(&self) -> Verifier {
        Verifier::new(self.jwks().await, Policy::default().issuer(&self.base))
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if let Some(handle) = self.handle.take() {
            handle.abort();
        }
    }
}

pub(crate) fn http() -> reqwest::Client {
    reqwest::Client::builder().no_proxy().build().unwrap()
}

/// An HTTP client whose connections come from `ip` (any 127.0.0.0/8 address works on
/// loopback): a separate source for the lockout.
pub(crate) fn http_from(ip: &str) -> reqwest::Client {
    reqwest::Client::builder()
        .no_proxy()
        .local_address(Some(ip.parse().unwrap()))
        .build()
        .unwrap()
}

/// RFC 6749 §2.3.1: form-urlencode id and secret, then base64.
pub(crate) fn basic(id: &str, secret: &str) -> String {
    let enc = |s: &str| form_urlencoded::byte_serialize(s.as_bytes()).collect::<String>();
    format!(
        "Basic {}",
        Base64::encode_string(format!("{}:{}", enc(id), enc(secret)).as_bytes())
    )
}

/// A form body.
pub(crate) fn form(pairs: &[(&str, &str)]) -> String {
    form_urlencoded::Serializer::new(String::new())
        .extend_pairs(pairs)
        .finish()
}

/// Asserts an RFC 6749 error answer; returns its headers.
pub(crate) async fn expect_error(response: Response, status: u16, code: &str) -> HeaderMap {
    assert_eq!(response.status().as_u16(), status, "status for {code}");
    let headers = response.headers().clone();
    assert_eq!(headers["cache-control"], "no-store");
    assert_eq!(headers["pragma"], "no-cache");
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["error"], code, "{body}");
    headers
}

/// Reads a token response: (access_token, full JSON).
pub(crate) async fn expect_token(response: Response) -> (String, Value) {
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["cache-control"], "no-store");
    assert_eq!(response.headers()["pragma"], "no-cache");
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["token_type"], "Bearer");
    (body["access_token"].as_str().unwrap().to_string(), body)
}

pub(crate) fn now() -> i64 {
    SystemClock.now()
}

/// A lockout role that counts its writes (to prove the hot path has none) and can be
/// made to fail reading the change marks (to play a view that cannot refresh).
#[derive(Debug)]
pub(crate) struct CountingLockout {
    inner: Arc<dyn LockoutStore>,
    writes: AtomicUsize,
    marks_fail: AtomicBool,
}

impl CountingLockout {
    /// `store` with its lockout role counted; the returned handle reads the count.
    pub(crate) fn wrap(store: Store) -> (Store, Arc<Self>) {
        let counting = Arc::new(Self {
            inner: store.lockout.clone(),
            writes: AtomicUsize::new(0),
            marks_fail: AtomicBool::new(false),
        });
        let lockout: Arc<dyn LockoutStore> = counting.clone();
        (Store { lockout, ..store }, counting)
    }

    pub(crate) fn writes(&self) -> usize {
        self.writes.load(Ordering::SeqCst)
    }

    /// While set, reading the change marks fails as if the database were unreachable.
    pub(crate) fn fail_marks(&self, fail: bool) {
        self.marks_fail.store(fail, Ordering::SeqCst);
    }

    fn write(&self) -> &dyn LockoutStore {
        self.writes.fetch_add(1, Ordering::SeqCst);
        self.inner.as_ref()
    }
}

#[async_trait]
impl LockoutStore for CountingLockout {
    async fn auth_lookup(
        &self,
        id: &str,
        source: &str,
    ) -> StoreResult<(Option<Client>, FailureState)> {
        self.inner.auth_lookup(id, source).await
    }
    async fn record_failure(
        &self,
        id: &str,
        source: &str,
        now_ms: i64,
        policy: &LockoutPolicy,
    ) -> StoreResult<FailureOutcome> {
        self.write()
            .record_failure(id, source, now_ms, policy)
            .await
    }
    async fn reset_failures(&self, id: &str, source: &str, now_ms: i64) -> StoreResult<()> {
        self.write().reset_failures(id, source, now_ms).await
    }
    async fn clear_failures(
        &self,
        id: &str,
        source: Option<&str>,
        event: &AuditEvent,
    ) -> StoreResult<()> {
        self.write().clear_failures(id, source, event).await
    }
    async fn failures(&self, id: &str) -> StoreResult<Vec<(String, FailureState)>> {
        self.inner.failures(id).await
    }
    async fn failures_between(
        &self,
        after: Option<&str>,
        through: &str,
    ) -> StoreResult<Vec<(String, String, FailureState)>> {
        self.inner.failures_between(after, through).await
    }
    async fn prune_failures(&self, cutoff_ms: i64) -> StoreResult<u64> {
        self.write().prune_failures(cutoff_ms).await
    }
    async fn change_marks(&self) -> StoreResult<ChangeMarks> {
        if self.marks_fail.load(Ordering::SeqCst) {
            return Err(StoreError::Unavailable(
                "change marks made unreadable".into(),
            ));
        }
        self.inner.change_marks().await
    }
    async fn failures_since(&self, seq: i64, limit: u32) -> StoreResult<Vec<FailureChange>> {
        self.inner.failures_since(seq, limit).await
    }
}

/// An audit event for a change a test makes through the store directly.
pub(crate) fn test_event(action: &str, subject: &str) -> AuditEvent {
    AuditEvent {
        at_ms: SystemClock.now_ms(),
        actor: "test".into(),
        action: action.into(),
        subject: subject.into(),
        detail: String::new(),
    }
}
