use super::*;

const POLICY: LockoutPolicy = LockoutPolicy {
    threshold: 3,
    base_ms: 1000,
    max_ms: 5000,
};

fn fail(state: FailureState, now_ms: i64) -> FailureOutcome {
    POLICY.after_failure(state, now_ms)
}

#[test]
fn the_threshold_th_failure_locks_and_the_lock_doubles_up_to_the_cap() {
    let mut state = FailureState::default();
    let mut now = 10_000;
    let mut locks = Vec::new();
    for _ in 0..5 {
        for i in 1..POLICY.threshold {
            state = fail(state, now).state();
            assert_eq!(state.failed_count, i);
        }
        let FailureOutcome::Locked(locked) = fail(state, now) else {
            panic!("the third failure locks");
        };
        locks.push(locked.locked_until_ms - now);
        state = locked;
        now = locked.locked_until_ms;
    }
    assert_eq!(locks, [1000, 2000, 4000, 5000, 5000]);
}

#[test]
fn failures_while_locked_are_not_counted() {
    let locked = FailureState {
        failed_count: 0,
        lockouts: 1,
        locked_until_ms: 2000,
    };
    assert_eq!(fail(locked, 1999), FailureOutcome::AlreadyLocked(locked));
    assert!(matches!(fail(locked, 2000), FailureOutcome::Counted(_)));
}

#[test]
fn threshold_one_locks_on_the_first_failure() {
    let policy = LockoutPolicy::new(1, 30, 900);
    let outcome = policy.after_failure(FailureState::default(), 0);
    assert_eq!(
        outcome,
        FailureOutcome::Locked(FailureState {
            failed_count: 0,
            lockouts: 1,
            locked_until_ms: 30_000,
        })
    );
}

#[test]
fn extreme_values_saturate_instead_of_wrapping() {
    let policy = LockoutPolicy::new(1000, 86_400, 86_400);
    assert_eq!(policy.lock_ms(i64::MAX), 86_400_000);
    assert_eq!(policy.lock_ms(-5), 86_400_000);
    let state = FailureState {
        failed_count: i64::MAX,
        lockouts: i64::MAX,
        locked_until_ms: 0,
    };
    let FailureOutcome::Locked(next) = policy.after_failure(state, i64::MAX - 1) else {
        panic!("a saturated count still locks");
    };
    assert_eq!(next.locked_until_ms, i64::MAX);
    assert_eq!(next.lockouts, i64::MAX);
}

#[test]
fn unknown_ids_follow_the_same_rule_and_stay_bounded() {
    let limiter = UnknownIds::with_capacity(100);
    for _ in 1..POLICY.threshold {
        limiter.record("ghost", "10.0.0.1", 0, &POLICY);
    }
    assert!(matches!(
        limiter.record("ghost", "10.0.0.1", 0, &POLICY),
        FailureOutcome::Locked(_)
    ));
    assert!(limiter.state("ghost", "10.0.0.1").is_locked(1));
    assert!(!limiter.state("ghost", "10.0.0.2").is_locked(1));
    for i in 0..10_000 {
        limiter.record(&format!("random-{i}"), "10.0.0.9", 0, &POLICY);
    }
    assert!(limiter.len() <= 100 + 10, "{}", limiter.len());
}
