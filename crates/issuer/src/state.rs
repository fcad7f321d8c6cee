//! [`AppState`]: the store, the decoded keys, the pepper, the settings and the metrics,
//! shared by every handler.

use std::{
    sync::{Arc, OnceLock},
    time::Duration,
};

use zeroize::Zeroizing;

use crate::{
    clock::{Clock, SystemClock},
    config::Settings,
    directory::{self, Directory},
    error::SetupError,
    keys::{self, KeyRing},
    lockout::{Gate, UnknownIds},
    metrics::Metrics,
    seal::{self, MasterKey, PEPPER_CONTEXT, PEPPER_SETTING},
    secrets::{Hasher, random_bytes},
    store::{Digest, Setting, Store, StoreError},
};

/// How long failure rows of a quiet client id are kept (their lockout level decays then).
const FAILURE_RETENTION_MS: i64 = 24 * 3600 * 1000;

/// How often the store's write-ahead log is checkpointed and truncated.
const COMPACT_EVERY: Duration = Duration::from_secs(30);

/// Shared state of the HTTP service; cheap to clone.
#[derive(Clone, Debug)]
pub struct AppState(Arc<Inner>);

#[derive(Debug)]
struct Inner {
    store: Store,
    keys: KeyRing,
    hasher: Hasher,
    /// Compared against when the client id is unknown, so that path costs the same.
    dummy_digest: Digest,
    settings: Settings,
    metrics: Metrics,
    clock: Arc<dyn Clock>,
    gate: Gate,
    unknown_ids: UnknownIds,
    directory: Directory,
    /// Who the audit trail names for changes made through this state.
    actor: OnceLock<String>,
}

impl AppState {
    /// Builds the state on the system clock: loads (or creates) the pepper and the
    /// signing keys. `master` seals both at rest; plaintext ones found in the store are
    /// sealed in place, and the store compacted so no plaintext copy survives in it.
    pub async fn new(
        store: Store,
        settings: Settings,
        master: Option<MasterKey>,
    ) -> Result<Self, SetupError> {
        Self::with_clock(store, settings, master, Arc::new(SystemClock)).await
    }

    /// [`new`](Self::new) with a chosen clock (tests move time instead of sleeping).
    pub async fn with_clock(
        store: Store,
        settings: Settings,
        master: Option<MasterKey>,
        clock: Arc<dyn Clock>,
    ) -> Result<Self, SetupError> {
        let keys_sealed = keys::prepare(&store, master.as_ref(), clock.now()).await?;
        let (hasher, pepper_sealed) = load_hasher(&store, master.as_ref()).await?;
        if keys_sealed || pepper_sealed {
            store.maintenance.scrub().await?;
            tracing::info!("sealed plaintext secrets with the master key and compacted the store");
        }
        let keys =
            KeyRing::load(store.clone(), master, settings.issuer.clone(), clock.now()).await?;
        let directory = Directory::load(&store).await?;
        Ok(Self(Arc::new(Inner {
            directory,
            store,
            keys,
            hasher,
            dummy_digest: random_bytes(),
            settings,
            metrics: Metrics::default(),
            clock,
            gate: Gate::default(),
            unknown_ids: UnknownIds::default(),
            actor: OnceLock::new(),
        })))
    }

    /// The store.
    pub fn store(&self) -> &Store {
        &self.0.store
    }

    /// The signing keys.
    pub fn keys(&self) -> &KeyRing {
        &self.0.keys
    }

    /// The keyed hasher for secrets and refresh tokens.
    pub fn hasher(&self) -> &Hasher {
        &self.0.hasher
    }

    pub(crate) fn dummy_digest(&self) -> &Digest {
        &self.0.dummy_digest
    }

    /// The settings.
    pub fn settings(&self) -> &Settings {
        &self.0.settings
    }

    /// The metrics.
    pub fn metrics(&self) -> &Metrics {
        &self.0.metrics
    }

    /// The clock.
    pub fn clock(&self) -> &dyn Clock {
        self.0.clock.as_ref()
    }

    /// One authentication at a time per (client id, source).
    pub(crate) fn gate(&self) -> &Gate {
        &self.0.gate
    }

    /// The in-process view of clients and failure states.
    pub fn directory(&self) -> &Directory {
        &self.0.directory
    }

    /// Brings the view up to date now (after a change made through this state).
    pub async fn refresh_directory(&self) -> Result<(), StoreError> {
        self.0.directory.sync(self.store()).await
    }

    /// Names the actor of the audit events recorded through this state (a command sets
    /// the OS user); unset, it is [`crate::audit::SERVER_ACTOR`]. Only the first call
    /// counts.
    pub fn set_actor(&self, actor: String) {
        let _ = self.0.actor.set(actor);
    }

    /// Who the audit trail names for changes made through this state.
    pub fn actor(&self) -> &str {
        self.0
            .actor
            .get()
            .map_or(crate::audit::SERVER_ACTOR, String::as_str)
    }

    /// Failure states of unknown client ids (memory only).
    pub fn unknown_ids(&self) -> &UnknownIds {
        &self.0.unknown_ids
    }

    /// Runs the periodic jobs until the returned handle is aborted: key reload every
    /// `key_reload` interval, pruning of stale rows every few minutes.
    pub fn spawn_background(&self) -> tokio::task::JoinHandle<()> {
        let state = self.clone();
        tokio::spawn(async move {
            // First ticks one period from now: the state was loaded just now.
            let every = |period: Duration| {
                tokio::time::interval_at(tokio::time::Instant::now() + period, period)
            };
            let mut reload = every(state.settings().key_reload);
            let mut prune = every(Duration::from_secs(300));
            let mut compact = every(COMPACT_EVERY);
            let mut poll = every(directory::POLL_EVERY);
            reload.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            poll.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            let mut poll_failing = false;
            loop {
                tokio::select! {
                    _ = poll.tick() => {
                        let result = state.refresh_directory().await;
                        // One line when polling starts failing and one when it recovers.
                        match (&result, poll_failing) {
                            (Err(e), false) => tracing::warn!(error = %e, "polling the store for changes failed; requests read the store"),
                            (Ok(()), true) => tracing::info!("polling the store works again"),
                            _ => {}
                        }
                        poll_failing = result.is_err();
                    }
                    _ = reload.tick() => {
                        if let Err(e) = state.keys().reload(state.clock().now()).await {
                            tracing::error!(error = %e, "reloading signing keys failed; keeping the current set");
                        }
                    }
                    _ = prune.tick() => state.prune().await,
                    _ = compact.tick() => {
                        if let Err(e) = state.store().maintenance.compact().await {
                            tracing::warn!(error = %e, "compacting the store failed");
                        }
                    }
                }
            }
        })
    }

    async fn prune(&self) {
        let now_ms = self.clock().now_ms();
        let failures = self
            .store()
            .lockout
            .prune_failures(now_ms - FAILURE_RETENTION_MS)
            .await;
        let tokens = self.store().tokens.prune_tokens(self.clock().now()).await;
        let retention_ms =
            i64::try_from(self.settings().audit_retention.as_millis()).unwrap_or(i64::MAX);
        let events = self
            .store()
            .audit
            .prune_events(now_ms.saturating_sub(retention_ms))
            .await;
        if let Err(e) = failures.and(tokens).and(events) {
            tracing::warn!(error = %e, "pruning expired rows failed");
        }
    }
}

/// Loads the pepper, creating a random one on first start. With a master key it is kept
/// sealed; a plaintext pepper from before the master key was set is sealed in place
/// (then the second value is true).
async fn load_hasher(
    store: &Store,
    master: Option<&MasterKey>,
) -> Result<(Hasher, bool), SetupError> {
    if store.settings.setting(PEPPER_SETTING).await?.is_none() {
        let fresh = Zeroizing::new(random_bytes::<32>());
        let (value, protection) = seal::protect(master, PEPPER_CONTEXT, fresh.as_slice());
        let setting = Setting {
            value,
            protection: protection.to_string(),
        };
        // Another process may have won the race; the read below takes whichever landed.
        store
            .settings
            .insert_setting(PEPPER_SETTING, &setting)
            .await?;
    }
    let stored = store
        .settings
        .setting(PEPPER_SETTING)
        .await?
        .ok_or_else(|| StoreError::Corrupt("pepper vanished".into()))?;
    let bytes = seal::unprotect(master, &stored.protection, PEPPER_CONTEXT, &stored.value)?;
    let pepper: Zeroizing<[u8; 32]> = Zeroizing::new(
        bytes
            .as_slice()
            .try_into()
            .map_err(|_| StoreError::Corrupt("pepper is not 32 bytes".into()))?,
    );
    let resealed = match (master, stored.protection.as_str()) {
        (Some(master), seal::PLAIN) => {
            let sealed = Setting {
                value: master.seal(PEPPER_CONTEXT, pepper.as_slice()),
                protection: seal::SEALED.to_string(),
            };
            store
                .settings
                .reseal_setting(PEPPER_SETTING, seal::PLAIN, &sealed)
                .await?;
            true
        }
        _ => false,
    };
    Ok((Hasher::new(pepper), resealed))
}
