//! An in-process view of every client and of every failure state that is not clean, so
//! that a successful authentication reads no database.
//!
//! Every server polls the store's change marks ([`POLL_EVERY`]): a client change
//! reloads the clients, a failure change fetches the states written since the last one
//! it saw. Only [`Directory::sync`] writes the view, one sync at a time and in the
//! store's order, so the view never steps back to an older state. This process syncs
//! right after each of its own writes (a failure, a reset, an admin change), so those
//! are in the view before the next request of the pair is judged; changes by the CLI or
//! another replica arrive within [`POLL_EVERY`] plus one reload.
//! The view is trusted only while fresh: when polling fails for [`MAX_AGE`] (the
//! database is away), lookups return `None` and callers go to the store, so an outage
//! is an outage and not a stale grant. The failure map holds at most
//! [`MAX_FAILURE_PAIRS`] pairs; beyond that, lookups of pairs it does not hold go to
//! the store too.

use std::{
    collections::HashMap,
    sync::{
        Arc, Mutex, PoisonError, RwLock,
        atomic::{AtomicU64, Ordering},
    },
    time::{Duration, Instant},
};

use tokio::sync::Mutex as AsyncMutex;

use crate::{
    lockout::FailureState,
    store::{ChangeMarks, Client, Store, StoreResult},
};

/// How often each server polls the change marks.
pub const POLL_EVERY: Duration = Duration::from_millis(250);
/// How old the view may be before lookups fall back to the store.
pub const MAX_AGE: Duration = Duration::from_secs(1);
/// Failure pairs held in memory at most (about 100 bytes each).
pub const MAX_FAILURE_PAIRS: usize = 100_000;
/// Failure states fetched per query while catching up.
const PAGE: u32 = 1000;

/// Non-clean failure states by client id, then source (looked up by `&str`, so the
/// hot path allocates nothing).
#[derive(Debug, Default)]
struct Failures {
    states: HashMap<String, HashMap<String, FailureState>>,
    /// Authentications of a pair now on the careful path (see [`Directory::careful`]).
    pending: HashMap<String, HashMap<String, u32>>,
    pairs: usize,
    /// More non-clean pairs exist than `states` may hold.
    overflow: bool,
}

impl Failures {
    fn get(&self, client_id: &str, source: &str) -> Option<FailureState> {
        self.states.get(client_id)?.get(source).copied()
    }

    fn is_pending(&self, client_id: &str, source: &str) -> bool {
        self.pending
            .get(client_id)
            .is_some_and(|sources| sources.contains_key(source))
    }

    fn adjust_pending(&mut self, client_id: &str, source: &str, up: bool) {
        let sources = self.pending.entry(client_id.to_string()).or_default();
        let count = sources.entry(source.to_string()).or_default();
        *count = if up {
            *count + 1
        } else {
            count.saturating_sub(1)
        };
        if *count == 0 {
            sources.remove(source);
            if sources.is_empty() {
                self.pending.remove(client_id);
            }
        }
    }

    fn set(&mut self, client_id: &str, source: &str, state: FailureState) {
        let clean = state.is_clean() && state.locked_until_ms == 0;
        if clean {
            if let Some(sources) = self.states.get_mut(client_id) {
                self.pairs -= usize::from(sources.remove(source).is_some());
                if sources.is_empty() {
                    self.states.remove(client_id);
                }
            }
            return;
        }
        let known = self.get(client_id, source).is_some();
        if !known && self.pairs >= MAX_FAILURE_PAIRS {
            self.overflow = true;
            return;
        }
        let sources = self.states.entry(client_id.to_string()).or_default();
        sources.insert(source.to_string(), state);
        self.pairs += usize::from(!known);
    }
}

/// The view; see the module docs.
#[derive(Debug)]
pub struct Directory {
    clients: RwLock<Arc<HashMap<String, Arc<Client>>>>,
    failures: Mutex<Failures>,
    /// The marks applied so far; held for the whole of a sync, so syncs run one at a time.
    marks: AsyncMutex<ChangeMarks>,
    /// When the last sync succeeded, in milliseconds since `epoch` (0: never).
    synced_ms: AtomicU64,
    epoch: Instant,
}

/// What the view knows of one (client id, source) pair.
#[derive(Clone, Debug)]
pub struct Entry {
    /// The client, if the id exists.
    pub client: Option<Arc<Client>>,
    /// Its failure state from that source.
    pub failures: FailureState,
    /// Clean and with no authentication of the pair on the careful path: a matching
    /// secret may be accepted without taking the pair's turn.
    pub settled: bool,
}

/// Marks a pair as being authenticated on the careful path, for as long as it lives.
#[derive(Debug)]
pub struct Careful<'a> {
    directory: &'a Directory,
    client_id: String,
    source: String,
}

impl Drop for Careful<'_> {
    fn drop(&mut self) {
        lock(&self.directory.failures).adjust_pending(&self.client_id, &self.source, false);
    }
}

impl Directory {
    /// Loads every client and every failure state that is not clean.
    pub async fn load(store: &Store) -> StoreResult<Self> {
        let directory = Self {
            clients: RwLock::default(),
            failures: Mutex::default(),
            marks: AsyncMutex::new(ChangeMarks {
                clients: -1,
                failures: 0,
            }),
            synced_ms: AtomicU64::new(0),
            epoch: Instant::now(),
        };
        directory.sync(store).await?;
        Ok(directory)
    }

    /// The pair as the view knows it, or `None` when the view is stale or does not
    /// hold the pair (the caller then reads the store).
    pub fn lookup(&self, client_id: &str, source: &str) -> Option<Entry> {
        let synced = self.synced_ms.load(Ordering::Acquire);
        let age_ms = self.elapsed_ms().saturating_sub(synced);
        if synced == 0 || u128::from(age_ms) >= MAX_AGE.as_millis() {
            return None;
        }
        let client = read(&self.clients).get(client_id).cloned();
        let failures = lock(&self.failures);
        let state = match failures.get(client_id, source) {
            Some(state) => state,
            None if failures.overflow => return None,
            None => FailureState::default(),
        };
        let settled = state.is_clean()
            && state.locked_until_ms == 0
            && !failures.is_pending(client_id, source);
        Some(Entry {
            client,
            failures: state,
            settled,
        })
    }

    /// Marks the pair as being authenticated on the careful path (its turn held): until
    /// the mark drops, [`lookup`](Self::lookup) calls it unsettled, so a matching secret
    /// waits for the turn and sees the outcome of any failure being counted.
    pub fn careful(&self, client_id: &str, source: &str) -> Careful<'_> {
        lock(&self.failures).adjust_pending(client_id, source, true);
        Careful {
            directory: self,
            client_id: client_id.to_string(),
            source: source.to_string(),
        }
    }

    /// One poll: reloads what changed since the last one. Each row is fetched with its
    /// current state, so applying pages in sequence order leaves every pair at its
    /// latest state.
    pub async fn sync(&self, store: &Store) -> StoreResult<()> {
        let mut seen = self.marks.lock().await;
        let marks = store.lockout.change_marks().await?;
        if marks.clients != seen.clients {
            self.reload_clients(store).await?;
            seen.clients = marks.clients;
        }
        while seen.failures < marks.failures {
            let page = store.lockout.failures_since(seen.failures, PAGE).await?;
            let Some(last) = page.last().map(|c| c.seq) else {
                break;
            };
            let mut failures = lock(&self.failures);
            for change in &page {
                failures.set(&change.client_id, &change.source, change.state);
            }
            seen.failures = last;
        }
        self.synced_ms
            .store(self.elapsed_ms().max(1), Ordering::Release);
        Ok(())
    }

    async fn reload_clients(&self, store: &Store) -> StoreResult<()> {
        let fresh: HashMap<String, Arc<Client>> = store
            .clients
            .clients()
            .await?
            .into_iter()
            .map(|c| (c.id.clone(), Arc::new(c)))
            .collect();
        let old = std::mem::replace(&mut *write(&self.clients), Arc::new(fresh));
        let clients = read(&self.clients);
        // A deleted client's failure rows went with it; a re-created id starts clean.
        let mut failures = lock(&self.failures);
        failures.states.retain(|id, _| {
            let now = clients.get(id).map(|c| c.created_at);
            now.is_some() && now == old.get(id).map(|c| c.created_at)
        });
        failures.pairs = failures.states.values().map(HashMap::len).sum();
        Ok(())
    }

    fn elapsed_ms(&self) -> u64 {
        u64::try_from(self.epoch.elapsed().as_millis()).unwrap_or(u64::MAX)
    }

    /// Clients held, and an estimate of the bytes the view takes for them.
    pub fn footprint(&self) -> (usize, usize) {
        let clients = read(&self.clients);
        let bytes = clients
            .values()
            .map(|c| {
                let strings = c.id.len() * 2 + c.name.len();
                let lists: usize = c
                    .scopes
                    .iter()
                    .chain(&c.audiences)
                    .map(|s| s.len() + 24)
                    .sum();
                // The map slot, the Arc header, the struct and its heap strings.
                64 + 16 + std::mem::size_of::<Client>() + strings + lists
            })
            .sum();
        (clients.len(), bytes)
    }
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    // A panic while holding these locks leaves plain data behind: keep using it.
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

fn read<T>(lock: &RwLock<T>) -> std::sync::RwLockReadGuard<'_, T> {
    lock.read().unwrap_or_else(PoisonError::into_inner)
}

fn write<T>(lock: &RwLock<T>) -> std::sync::RwLockWriteGuard<'_, T> {
    lock.write().unwrap_or_else(PoisonError::into_inner)
}
