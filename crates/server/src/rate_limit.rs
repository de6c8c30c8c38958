//! Rate limits: per token for authenticated calls, per client address for
//! anonymous ones, answered with 429 and `Retry-After`.
//!
//! The counters live in this process. With several instances each enforces
//! the limit on the traffic it sees, which bounds abuse per instance; a
//! global limit belongs in the load balancer.

use governor::clock::{Clock as _, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};
use std::net::IpAddr;
use std::num::NonZeroU32;
use std::sync::Arc;

#[derive(Clone)]
pub struct RateLimits {
    authenticated: Arc<DefaultKeyedRateLimiter<String>>,
    anonymous: Arc<DefaultKeyedRateLimiter<String>>,
    /// Failed authentications per client address: guessing tokens or
    /// replaying stolen ones costs the guesser, not the service.
    failures: Arc<DefaultKeyedRateLimiter<IpAddr>>,
}

fn quota(per_minute: u32) -> Quota {
    Quota::per_minute(NonZeroU32::new(per_minute.max(1)).unwrap_or(NonZeroU32::MIN))
}

impl RateLimits {
    pub fn new(per_minute: u32, anonymous_per_minute: u32, failures_per_minute: u32) -> Self {
        Self {
            authenticated: Arc::new(RateLimiter::keyed(quota(per_minute))),
            anonymous: Arc::new(RateLimiter::keyed(quota(anonymous_per_minute))),
            failures: Arc::new(RateLimiter::keyed(quota(failures_per_minute))),
        }
    }

    /// Counts a failed authentication from `client`; `Err(seconds to wait)`
    /// once the address has failed too often.
    pub fn failed_authentication(&self, client: IpAddr) -> Result<(), u64> {
        self.failures.check_key(&client).map_err(|not_until| {
            not_until
                .wait_time_from(DefaultClock::default().now())
                .as_secs()
                .max(1)
        })
    }

    /// `Err(seconds to wait)` when the key has used up its quota.
    pub fn check(&self, key: &str, anonymous: bool) -> Result<(), u64> {
        let limiter = if anonymous {
            &self.anonymous
        } else {
            &self.authenticated
        };
        limiter.check_key(&key.to_owned()).map_err(|not_until| {
            let wait = not_until.wait_time_from(DefaultClock::default().now());
            wait.as_secs().max(1)
        })
    }

    /// Forgets keys that have been quiet, so memory stays bounded.
    pub fn prune(&self) {
        self.authenticated.retain_recent();
        self.anonymous.retain_recent();
        self.failures.retain_recent();
    }
}

/// The address of the client behind a request: the connection's peer, or,
/// when the peer is one of the `trusted` proxies, the nearest address in
/// `X-Forwarded-For` that is not itself a trusted proxy. Only the proxy's
/// own additions are believed: a client can prepend anything it likes to
/// the header, so the list is read from the right.
pub fn client_address(
    peer: Option<IpAddr>,
    forwarded_for: &[&str],
    trusted: &[ipnet::IpNet],
) -> Option<IpAddr> {
    let peer = peer?;
    let is_trusted = |ip: &IpAddr| trusted.iter().any(|net| net.contains(ip));
    if !is_trusted(&peer) {
        return Some(peer);
    }
    let mut hops = forwarded_for
        .iter()
        .flat_map(|value| value.split(','))
        .map(str::trim)
        .collect::<Vec<_>>();
    hops.reverse();
    for hop in hops {
        let Ok(ip) = hop.parse::<IpAddr>() else {
            // Not an address the proxy wrote: stop believing the header.
            return Some(peer);
        };
        if !is_trusted(&ip) {
            return Some(ip);
        }
    }
    Some(peer)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn forwarded_for_is_believed_only_from_a_trusted_proxy() {
        let trusted: Vec<ipnet::IpNet> = vec!["10.0.0.0/24".parse().unwrap()];
        // Straight from the client: the header is whatever it says.
        assert_eq!(
            client_address(Some(ip("203.0.113.9")), &["198.51.100.1"], &trusted),
            Some(ip("203.0.113.9"))
        );
        // Through the proxy: the address the proxy appended.
        assert_eq!(
            client_address(Some(ip("10.0.0.5")), &["198.51.100.1"], &trusted),
            Some(ip("198.51.100.1"))
        );
        // A forged entry in front of the real one changes nothing.
        assert_eq!(
            client_address(
                Some(ip("10.0.0.5")),
                &["1.2.3.4, 198.51.100.1", "10.0.0.7"],
                &trusted
            ),
            Some(ip("198.51.100.1"))
        );
        // Without a usable header, the proxy itself.
        assert_eq!(
            client_address(Some(ip("10.0.0.5")), &[], &trusted),
            Some(ip("10.0.0.5"))
        );
        assert_eq!(
            client_address(Some(ip("10.0.0.5")), &["garbage"], &trusted),
            Some(ip("10.0.0.5"))
        );
        assert_eq!(client_address(None, &["1.2.3.4"], &trusted), None);
    }

    #[test]
    fn failures_are_limited_per_address() {
        let limits = RateLimits::new(100, 100, 3);
        for _ in 0..3 {
            assert!(limits.failed_authentication(ip("192.0.2.1")).is_ok());
        }
        assert!(limits.failed_authentication(ip("192.0.2.1")).is_err());
        assert!(limits.failed_authentication(ip("192.0.2.2")).is_ok());
    }
}
