//! Rate limits: per token for authenticated calls, per client address for
//! anonymous ones, answered with 429 and `Retry-After`.
//!
//! The counters live in this process. With several instances each enforces
//! the limit on the traffic it sees, which bounds abuse per instance; a
//! global limit belongs in the load balancer.

use governor::clock::{Clock as _, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};
use std::num::NonZeroU32;
use std::sync::Arc;

#[derive(Clone)]
pub struct RateLimits {
    authenticated: Arc<DefaultKeyedRateLimiter<String>>,
    anonymous: Arc<DefaultKeyedRateLimiter<String>>,
}

fn quota(per_minute: u32) -> Quota {
    Quota::per_minute(NonZeroU32::new(per_minute.max(1)).unwrap_or(NonZeroU32::MIN))
}

impl RateLimits {
    pub fn new(per_minute: u32, anonymous_per_minute: u32) -> Self {
        Self {
            authenticated: Arc::new(RateLimiter::keyed(quota(per_minute))),
            anonymous: Arc::new(RateLimiter::keyed(quota(anonymous_per_minute))),
        }
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
    }
}
