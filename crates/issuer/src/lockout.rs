//! The brute-force lockout rule as one pure function, and the in-process guards around
//! it.
//!
//! [`LockoutPolicy::after_failure`] decides the next [`FailureState`] from the current
//! one, the policy and the time; every store backend applies it inside one transaction,
//! and the in-memory limiter for unknown client ids applies the very same function, so
//! known and unknown ids answer alike.
//!
//! [`Gate`] serialises the authentications of one (client id, source) pair inside a
//! process: the failure state is read, the secret compared and a failure recorded while
//! the pair's turn is held, so no more than `threshold` wrong secrets are ever evaluated
//! per window, however many arrive at once, and a correct secret that arrives after the
//! lock started is refused.

use std::hash::{BuildHasher, RandomState};

use quick_cache::sync::Cache;
use tokio::sync::{Mutex, MutexGuard};

/// Consecutive failed authentications of one client id from one source.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct FailureState {
    /// Failures since the last success or lockout.
    pub failed_count: i64,
    /// Lockouts since the last success; drives the growing timeout.
    pub lockouts: i64,
    /// Locked while `now_ms < locked_until_ms`.
    pub locked_until_ms: i64,
}

impl FailureState {
    /// Whether the pair is locked at `now_ms`.
    pub fn is_locked(&self, now_ms: i64) -> bool {
        self.locked_until_ms > now_ms
    }

    /// Whether a success has anything to reset.
    pub fn is_clean(&self) -> bool {
        self.failed_count == 0 && self.lockouts == 0
    }
}

/// What recording one failure did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FailureOutcome {
    /// Counted; not (yet) locked.
    Counted(FailureState),
    /// This failure reached the threshold and started a lockout.
    Locked(FailureState),
    /// The pair was already locked; nothing was counted.
    AlreadyLocked(FailureState),
}

impl FailureOutcome {
    /// The state after the update.
    pub fn state(&self) -> FailureState {
        match *self {
            Self::Counted(s) | Self::Locked(s) | Self::AlreadyLocked(s) => s,
        }
    }
}

/// The lockout rule.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LockoutPolicy {
    /// Consecutive failures that lock the pair (at least 1).
    pub threshold: i64,
    /// First lockout, in milliseconds; each further one doubles it.
    pub base_ms: i64,
    /// Longest lockout, in milliseconds.
    pub max_ms: i64,
}

impl LockoutPolicy {
    /// A policy from configured values in seconds (`config::spec` bounds them).
    pub fn new(threshold: u64, base_secs: u64, max_secs: u64) -> Self {
        let ms = |secs: u64| i64::try_from(secs.saturating_mul(1000)).unwrap_or(i64::MAX);
        Self {
            threshold: i64::try_from(threshold).unwrap_or(i64::MAX).max(1),
            base_ms: ms(base_secs).max(1),
            max_ms: ms(max_secs).max(1),
        }
    }

    /// Length of the lockout that follows `lockouts` earlier ones: `base · 2^lockouts`,
    /// at most `max`. Never overflows.
    pub fn lock_ms(&self, lockouts: i64) -> i64 {
        let doublings = u32::try_from(lockouts.clamp(0, 62)).unwrap_or(62);
        self.base_ms
            .checked_mul(1_i64 << doublings)
            .unwrap_or(i64::MAX)
            .min(self.max_ms)
    }

    /// The state after one more failure at `now_ms`, and what the failure did.
    pub fn after_failure(&self, state: FailureState, now_ms: i64) -> FailureOutcome {
        if state.is_locked(now_ms) {
            return FailureOutcome::AlreadyLocked(state);
        }
        let failed = state.failed_count.saturating_add(1);
        if failed < self.threshold {
            return FailureOutcome::Counted(FailureState {
                failed_count: failed,
                ..state
            });
        }
        FailureOutcome::Locked(FailureState {
            failed_count: 0,
            lockouts: state.lockouts.saturating_add(1),
            locked_until_ms: now_ms.saturating_add(self.lock_ms(state.lockouts)),
        })
    }
}

/// How many turns [`Gate`] keeps: pairs share a turn only when their keyed hashes
/// collide, which costs waiting, never correctness.
const GATE_STRIPES: usize = 1024;

/// One turn at a time per (client id, source) pair, within this process.
#[derive(Debug)]
pub struct Gate {
    stripes: Box<[Mutex<()>]>,
    hasher: RandomState,
}

impl Default for Gate {
    fn default() -> Self {
        Self {
            stripes: (0..GATE_STRIPES).map(|_| Mutex::new(())).collect(),
            hasher: RandomState::new(),
        }
    }
}

impl Gate {
    /// Waits for the pair's turn; the turn ends when the guard drops.
    pub async fn turn(&self, client_id: &str, source: &str) -> MutexGuard<'_, ()> {
        let hash = self.hasher.hash_one((client_id, source));
        let index = usize::try_from(hash % GATE_STRIPES as u64).unwrap_or(0);
        self.stripes[index].lock().await
    }
}

/// Failure states of client ids that do not exist, in memory only: a flood of random
/// ids costs no disk, and at most `capacity` entries of memory (each a 64-bit keyed hash
/// of the pair and a [`FailureState`]). Entries are evicted least-recently-used first.
#[derive(Debug)]
pub struct UnknownIds {
    states: Cache<u64, FailureState>,
    hasher: RandomState,
}

/// Pairs the unknown-id limiter remembers (about 6 MiB at most).
pub const UNKNOWN_ID_CAPACITY: usize = 65_536;

impl Default for UnknownIds {
    fn default() -> Self {
        Self::with_capacity(UNKNOWN_ID_CAPACITY)
    }
}

impl UnknownIds {
    /// A limiter holding at most `capacity` pairs.
    pub fn with_capacity(capacity: usize) -> Self {
        Self {
            states: Cache::new(capacity),
            hasher: RandomState::new(),
        }
    }

    fn key(&self, client_id: &str, source: &str) -> u64 {
        self.hasher.hash_one((client_id, source))
    }

    /// The pair's state (clean if never seen or evicted).
    pub fn state(&self, client_id: &str, source: &str) -> FailureState {
        self.states
            .get(&self.key(client_id, source))
            .unwrap_or_default()
    }

    /// Records one failure under `policy`. Callers hold the pair's [`Gate`] turn, so the
    /// read and the write cannot interleave with another failure of the same pair.
    pub fn record(
        &self,
        client_id: &str,
        source: &str,
        now_ms: i64,
        policy: &LockoutPolicy,
    ) -> FailureOutcome {
        let key = self.key(client_id, source);
        let outcome = policy.after_failure(self.states.get(&key).unwrap_or_default(), now_ms);
        self.states.insert(key, outcome.state());
        outcome
    }

    /// Number of pairs held now.
    pub fn len(&self) -> usize {
        self.states.len()
    }

    /// Whether no pair is held.
    pub fn is_empty(&self) -> bool {
        self.states.is_empty()
    }
}

#[cfg(test)]
mod tests;
