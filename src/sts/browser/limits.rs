//! The `[limits]` buckets as the browser side meets them: the same buckets as the API's, so a
//! caller's API and browser requests share one budget (and one `stsbridge_throttled_total`
//! label each). The per-subject limit is applied inside the shared validators
//! (`verify_web_identity_token`, `verify_saml_response`).

use std::net::IpAddr;

use super::error::BrowserError;
use crate::limits::{RateLimiter, ip_key};
use crate::sts::bridge::Bridge;

impl Bridge {
    /// The API's per-IP limit of its anonymous federation actions, for the browser endpoints
    /// anyone can call that cost real work: an IdP token request (`/oidc/callback`), an RSA
    /// signature (`/saml/login`), XML and RSA verification (`/saml/acs`), a store write
    /// (`/federation?Action=login`), a sealed cookie (`/oidc/login`).
    pub(crate) fn admit_ip(&self, peer: IpAddr) -> Result<(), BrowserError> {
        self.admit(&self.limiters.per_ip, &ip_key(Some(peer)))
    }

    /// Takes one token of `limiter` for `key` (a refusal is counted by the limiter).
    pub(super) fn admit(&self, limiter: &RateLimiter, key: &str) -> Result<(), BrowserError> {
        if limiter.admit(key, self.clock.now()) {
            Ok(())
        } else {
            Err(BrowserError::Throttled)
        }
    }
}
