//! Where a request comes from: the TCP peer, or — only when the peer is a trusted proxy —
//! the rightmost hop of its `Forwarded` (RFC 7239) or `X-Forwarded-For` header that is
//! not itself a trusted proxy. A client cannot choose its source: headers from untrusted
//! peers are ignored, and hops left of the first untrusted one are never read.

use std::net::{IpAddr, Ipv6Addr, SocketAddr};

use axum::http::{HeaderMap, HeaderName, header};
use forwarded_header_value::ForwardedStanza;
use ipnet::IpNet;

static X_FORWARDED_FOR: HeaderName = HeaderName::from_static("x-forwarded-for");

/// The client address of a request.
pub fn client_addr(peer: IpAddr, headers: &HeaderMap, trusted: &[IpNet]) -> IpAddr {
    if !is_trusted(peer, trusted) {
        return peer;
    }
    let forwarded = hops(headers, &header::FORWARDED);
    let hops = if forwarded.is_empty() {
        hops(headers, &X_FORWARDED_FOR)
    } else {
        forwarded
    };
    // Walk from the nearest hop outwards; each trusted hop vouches for the next.
    let mut source = peer;
    for hop in hops.iter().rev() {
        let parsed = if hop.contains('=') {
            forwarded_for(hop)
        } else {
            plain_addr(hop)
        };
        let Some(ip) = parsed else {
            // Unreadable: the last address a trusted hop vouched for stands.
            break;
        };
        source = ip;
        if !is_trusted(ip, trusted) {
            break;
        }
    }
    source
}

/// Whether `ip` lies in one of the `trusted` proxy networks.
pub fn is_trusted(ip: IpAddr, trusted: &[IpNet]) -> bool {
    trusted.iter().any(|net| net.contains(&canonical(ip)))
}

/// The comma-separated elements of every line of `name`, in order.
fn hops<'a>(headers: &'a HeaderMap, name: &HeaderName) -> Vec<&'a str> {
    headers
        .get_all(name)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(str::trim)
        .filter(|hop| !hop.is_empty())
        .collect()
}

fn forwarded_for(element: &str) -> Option<IpAddr> {
    element.parse::<ForwardedStanza>().ok()?.forwarded_for_ip()
}

fn plain_addr(element: &str) -> Option<IpAddr> {
    element
        .parse::<IpAddr>()
        .or_else(|_| element.parse::<SocketAddr>().map(|s| s.ip()))
        .ok()
}

/// IPv4-mapped IPv6 addresses are their IPv4 address.
fn canonical(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(ip, IpAddr::V4),
        IpAddr::V4(_) => ip,
    }
}

/// The source an address counts as: an IPv4 address, or the /64 an IPv6 address is in
/// (its first address). One host usually holds a whole /64, so counting single IPv6
/// addresses would let it make new sources at will.
pub fn source_of(ip: IpAddr) -> IpAddr {
    match canonical(ip) {
        IpAddr::V6(v6) => IpAddr::V6(Ipv6Addr::from(u128::from(v6) & !((1u128 << 64) - 1))),
        v4 => v4,
    }
}

/// The lockout key of an address: its [`source_of`], written `192.0.2.1` or
/// `2001:db8:1:2::/64`.
pub fn lockout_key(ip: IpAddr) -> String {
    match source_of(ip) {
        IpAddr::V6(prefix) => format!("{prefix}/64"),
        v4 => v4.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use axum::http::HeaderValue;

    use super::*;

    fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in pairs {
            map.append(*name, HeaderValue::from_static(value));
        }
        map
    }

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    fn proxies() -> Vec<IpNet> {
        vec!["10.0.0.0/8".parse().unwrap(), "::1/128".parse().unwrap()]
    }

    #[test]
    fn headers_from_untrusted_peers_are_ignored() {
        let h = headers(&[("x-forwarded-for", "1.2.3.4")]);
        assert_eq!(
            client_addr(ip("192.0.2.7"), &h, &proxies()),
            ip("192.0.2.7")
        );
        assert_eq!(client_addr(ip("10.1.1.1"), &h, &[]), ip("10.1.1.1"));
    }

    #[test]
    fn the_rightmost_untrusted_hop_is_the_source() {
        // The client forged "6.6.6.6"; the trusted proxies appended what they saw.
        let h = headers(&[
            ("x-forwarded-for", "6.6.6.6, 203.0.113.9"),
            ("x-forwarded-for", "10.0.0.2"),
        ]);
        assert_eq!(
            client_addr(ip("10.0.0.1"), &h, &proxies()),
            ip("203.0.113.9")
        );
    }

    #[test]
    fn rfc7239_forwarded_wins_over_x_forwarded_for() {
        let h = headers(&[
            (
                "forwarded",
                "for=6.6.6.6, for=\"[2001:db8:cafe::17]:4711\";proto=https",
            ),
            ("x-forwarded-for", "198.51.100.1"),
        ]);
        assert_eq!(
            client_addr(ip("::1"), &h, &proxies()),
            ip("2001:db8:cafe::17")
        );
    }

    #[test]
    fn an_unreadable_hop_stops_at_the_last_vouched_address() {
        let h = headers(&[("x-forwarded-for", "203.0.113.9, garbage, 10.0.0.3")]);
        assert_eq!(client_addr(ip("10.0.0.1"), &h, &proxies()), ip("10.0.0.3"));
        let h = headers(&[("x-forwarded-for", "")]);
        assert_eq!(client_addr(ip("10.0.0.1"), &h, &proxies()), ip("10.0.0.1"));
    }

    #[test]
    fn ipv6_sources_count_per_64() {
        assert_eq!(lockout_key(ip("2001:db8:1:2:aaaa::1")), "2001:db8:1:2::/64");
        assert_eq!(
            lockout_key(ip("2001:db8:1:2:bbbb::9")),
            lockout_key(ip("2001:db8:1:2:aaaa::1"))
        );
        assert_eq!(lockout_key(ip("::ffff:192.0.2.1")), "192.0.2.1");
        assert_eq!(lockout_key(ip("127.0.0.3")), "127.0.0.3");
    }
}
