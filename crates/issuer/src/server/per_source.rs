//! Connections open per source, and the cap on them (see the design notes in
//! [`crate::server`]).
//!
//! A source is what the lockout counts ([`source::source_of`]): an IPv4 address or an
//! IPv6 /64 of the TCP peer. Peers in the trusted-proxy networks are exempt: they carry
//! many clients, whose addresses are only known once headers are read.

use std::{
    collections::HashMap,
    net::IpAddr,
    sync::{Arc, Mutex, MutexGuard, PoisonError},
};

use ipnet::IpNet;
use prometheus_client::metrics::counter::Counter;

use crate::source;

/// Open connections by source, kept below a cap. One entry per source that has a
/// connection open, so the map never holds more entries than there are connections.
#[derive(Debug, Clone)]
pub(crate) struct SourceSlots(Arc<Inner>);

#[derive(Debug)]
struct Inner {
    cap: usize,
    exempt: Vec<IpNet>,
    open: Mutex<HashMap<IpAddr, usize>>,
    refused: Counter,
}

impl SourceSlots {
    /// At most `cap` connections per source, except from the `exempt` networks; each
    /// refusal counts on `refused`.
    pub(crate) fn new(cap: usize, exempt: Vec<IpNet>, refused: Counter) -> Self {
        Self(Arc::new(Inner {
            cap,
            exempt,
            open: Mutex::new(HashMap::new()),
            refused,
        }))
    }

    /// A slot for one connection from `peer`, held until dropped; `None` (and counted)
    /// when its source already holds `cap`.
    pub(crate) fn take(&self, peer: IpAddr) -> Option<SourceSlot> {
        if source::is_trusted(peer, &self.0.exempt) {
            return Some(SourceSlot {
                slots: self.clone(),
                source: None,
            });
        }
        let source = source::source_of(peer);
        let mut open = self.0.lock();
        let count = open.entry(source).or_insert(0);
        if *count >= self.0.cap {
            drop(open);
            self.0.refused.inc();
            return None;
        }
        *count += 1;
        Some(SourceSlot {
            slots: self.clone(),
            source: Some(source),
        })
    }

    /// Connections `peer`'s source holds now.
    #[cfg(test)]
    fn held(&self, peer: IpAddr) -> usize {
        let open = self.0.lock();
        open.get(&source::source_of(peer)).copied().unwrap_or(0)
    }
}

impl Inner {
    fn lock(&self) -> MutexGuard<'_, HashMap<IpAddr, usize>> {
        // Nothing panics while the map is held: a poisoned map is still consistent.
        self.open.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// One connection's place in its source's share; gives it back when dropped.
#[derive(Debug)]
pub(crate) struct SourceSlot {
    slots: SourceSlots,
    /// `None` for an exempt peer.
    source: Option<IpAddr>,
}

impl Drop for SourceSlot {
    fn drop(&mut self) {
        let Some(source) = self.source else { return };
        let mut open = self.slots.0.lock();
        if let Some(count) = open.get_mut(&source) {
            *count = count.saturating_sub(1);
            if *count == 0 {
                open.remove(&source);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    fn slots(cap: usize) -> (SourceSlots, Counter) {
        let refused = Counter::default();
        let proxies = vec!["10.0.0.0/8".parse().unwrap()];
        (SourceSlots::new(cap, proxies, refused.clone()), refused)
    }

    #[test]
    fn a_source_holds_at_most_its_cap_and_gets_slots_back_on_close() {
        let (slots, refused) = slots(2);
        let first = slots.take(ip("192.0.2.1")).unwrap();
        let _second = slots.take(ip("192.0.2.1")).unwrap();
        assert!(slots.take(ip("192.0.2.1")).is_none());
        assert_eq!(refused.get(), 1);
        assert!(
            slots.take(ip("192.0.2.2")).is_some(),
            "other sources unaffected"
        );
        drop(first);
        assert_eq!(slots.held(ip("192.0.2.1")), 1);
        assert!(slots.take(ip("192.0.2.1")).is_some());
    }

    #[test]
    fn an_ipv6_64_is_one_source_and_mapped_ipv4_is_its_ipv4() {
        let (slots, _) = slots(1);
        let _held = slots.take(ip("2001:db8:1:2::1")).unwrap();
        assert!(slots.take(ip("2001:db8:1:2:ffff::9")).is_none());
        assert!(slots.take(ip("2001:db8:1:3::1")).is_some());
        let _v4 = slots.take(ip("192.0.2.7")).unwrap();
        assert!(slots.take(ip("::ffff:192.0.2.7")).is_none());
    }

    #[test]
    fn trusted_proxies_are_exempt_and_closed_sources_leave_no_entry() {
        let (slots, refused) = slots(1);
        let held: Vec<_> = (0..5)
            .map(|_| slots.take(ip("10.1.2.3")).unwrap())
            .collect();
        assert_eq!(refused.get(), 0);
        assert_eq!(
            slots.held(ip("10.1.2.3")),
            0,
            "exempt peers are not counted"
        );
        drop(held);
        let one = slots.take(ip("192.0.2.9")).unwrap();
        drop(one);
        assert!(slots.0.lock().is_empty());
    }
}
