//! SAML 2.0 for AssumeRoleWithSAML and the browser's ACS: IdP metadata, the provider registry,
//! strict verification of a base64 `SAMLResponse` (sts-api.md 5, issue 4), and AuthnRequests
//! for SP-initiated login ([`SamlRegistry::authn_request_url`], `authn_request`).
//!
//! Who owns what: `parse` (untrusted text → a document libxml2 may see), reading through the one
//! hardened reader in `xml`, within the bounds of `limits`; `decrypt` (EncryptedAssertion →
//! Assertion) with the SP key of `sp_key`; `verify` (samael and the checks it leaves to us →
//! [`VerifiedAssertion`], defined in `assertion`); `error`; `metadata` and `fetch` (IdP
//! metadata); the registry itself is this file.
//!
//! [`SamlRegistry`] holds one entry per `[[saml_providers]]`, in config order. Each entry's
//! verification state (entity id + signing certificates, turned into a samael configuration) is
//! immutable and sits behind a `watch` channel: requests clone an `Arc` and never wait, and a
//! metadata refresh replaces the whole state. `metadata_file` providers are ready after
//! [`SamlRegistry::new`]; `metadata_url` providers are fetched by [`SamlRegistry::start`] and
//! refreshed by one background task each (next refresh from `Cache-Control: max-age`, clamped;
//! backoff on failure). A failed fetch or a document that does not parse keeps the previous
//! state, so an IdP certificate rollover (new cert published next to the old one) needs no
//! restart and a broken IdP endpoint does not take the provider down.
//!
//! [`SamlRegistry::verify`] is synchronous and CPU-bound (about a millisecond): the caller runs
//! it under `spawn_blocking`. It refuses, in order: oversize input, bad base64, non-UTF-8, any
//! DTD/entity declaration (before libxml2 sees the bytes), malformed or ambiguous XML, encrypted
//! content, anything but exactly one Assertion, a missing signature, signature layouts used
//! for wrapping attacks, disallowed algorithms (all in `parse`); then samael 0.0.22 verifies the
//! signatures with the provider's metadata certificates only and returns the signed content, and
//! `verify` checks what samael leaves to us. Replay protection is the caller's: it records
//! [`VerifiedAssertion::assertion_id`] until [`VerifiedAssertion::replay_expires_at`].
//!
//! **Encrypted assertions.** With an SP key configured, an unsigned Response holding one
//! `EncryptedAssertion` is decrypted first (RSA-OAEP + AES-CBC/GCM, in `decrypt`) and the
//! decrypted Assertion, which must carry the IdP's signature ("sign, then encrypt"), takes the
//! path above in its place. Everything else encrypted is refused; see `decrypt`.
//!
//! **xmlsec's stderr.** libxmlsec1 reports every failed verification (digest mismatch, wrong
//! key…) through its default error callback, which prints `func=xmlSec…` lines to the process's
//! stderr. Neither samael 0.0.22 nor the `libxml` crate offers a safe way to replace that
//! callback (samael keeps its xmlsec wrapper private; `xmlSecErrorsSetCallback` and
//! `xmlSecErrorsDefaultCallbackEnableOutput` are reachable only through FFI, i.e. `unsafe`, which
//! this crate forbids), and redirecting file descriptor 2 would swallow everyone's output. So
//! the chatter stays; it is bounded by what reaches xmlsec: only well-formed, single-assertion,
//! correctly laid-out documents signed with allowed algorithms, one line for a wrong key or a
//! changed digest (per certificate tried), about ten for a canonicalisation failure. samael
//! tries the metadata's certificates in order, so while metadata lists two (a rollover), each
//! *valid* response signed with the second one also prints one line for the first. Operators
//! who route stderr to a log pipeline should rate-limit it there. Our own log of
//! rejections is one line per provider per [`FAILURE_LOG_INTERVAL_S`] seconds, with the number
//! of rejections suppressed since the last line.

mod assertion;
pub(crate) mod authn_request;
mod decrypt;
mod error;
mod fetch;
mod limits;
pub(crate) mod metadata;
mod parse;
mod sp_key;
#[cfg(test)]
mod testkit;
#[cfg(test)]
mod tests;
mod verify;
mod xml;

use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use chrono::{DateTime, TimeDelta, Utc};
use tokio::sync::watch;
use url::Url;

pub use assertion::{SamlAttribute, VerifiedAssertion};
pub use authn_request::{AuthnRequestError, AuthnRequestParams};
pub use error::SamlError;
pub(crate) use fetch::MetadataFetchError;
pub use limits::MAX_RESPONSE_CHARS;

use crate::authn::refresh::{RefreshPolicy, Refreshable, Refresher};
use crate::authn::setup_problem::{self, SetupProblem};
use crate::config::{SamlMetadataSource, SamlProvider};
use crate::types::Secret;
use sp_key::SpKey;
use verify::{ProviderKeys, ProviderRules};

/// At most one rejection log line per provider per this many seconds.
pub(crate) const FAILURE_LOG_INTERVAL_S: i64 = 10;

/// Which providers a browser's SAMLResponse goes to ([`SamlRegistry::candidates_for_response`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Candidates {
    /// These, in config order (none: no provider trusts the Issuer it names).
    Named(Vec<String>),
    /// The Response names no Issuer of its own and several providers are configured.
    NoIssuer,
    /// Not a readable SAML Response, and several providers are configured.
    Unreadable(SamlError),
}

#[derive(Debug)]
enum MetadataOrigin {
    File,
    Url(Url),
}

/// Rejections since the last log line, per provider.
#[derive(Debug, Default)]
struct FailureLog {
    window: Mutex<LogWindow>,
}

#[derive(Debug, Default)]
struct LogWindow {
    last_logged: Option<DateTime<Utc>>,
    suppressed: u64,
}

impl FailureLog {
    /// Logs `error` unless a line for this provider went out less than
    /// [`FAILURE_LOG_INTERVAL_S`] ago (by the request clock); returns whether it logged.
    fn record(&self, provider: &str, error: &SamlError, now: DateTime<Utc>) -> bool {
        let suppressed = {
            let mut w = self.window.lock().unwrap_or_else(PoisonError::into_inner);
            // A clock that went backwards does not silence the log.
            let due = w.last_logged.is_none_or(|at| {
                now < at || now.signed_duration_since(at).num_seconds() >= FAILURE_LOG_INTERVAL_S
            });
            if !due {
                w.suppressed = w.suppressed.saturating_add(1);
                return false;
            }
            w.last_logged = Some(now);
            std::mem::take(&mut w.suppressed)
        };
        tracing::warn!(
            saml_provider = provider,
            error = %error,
            suppressed,
            "SAML response rejected"
        );
        true
    }
}

#[derive(Debug)]
struct Provider {
    rules: ProviderRules,
    origin: MetadataOrigin,
    /// `None` until the first successful load of URL metadata.
    keys: watch::Sender<Option<Arc<ProviderKeys>>>,
    failures: FailureLog,
}

impl Provider {
    /// Provider `index` of the configuration: `metadata_file` metadata is loaded now. No
    /// audience or ACS URL, or metadata without a usable signing certificate (none, not X.509,
    /// RSA under 2048 bits), is a problem naming the provider.
    fn new(index: usize, p: &SamlProvider) -> Result<Self, SetupProblem> {
        let label = format!("saml_providers[{index}] ({})", p.name);
        if p.audiences.is_empty() || p.acs_urls.is_empty() {
            let reason = "needs at least one audience and one ACS URL";
            return Err(SetupProblem::new(
                format!("saml_providers[{index}]"),
                Some(label),
                reason,
            ));
        }
        let rules = ProviderRules {
            name: p.name.clone(),
            arn: p.arn.to_string(),
            audiences: p.audiences.clone(),
            acs_urls: p.acs_urls.clone(),
            allow_sha1: p.allow_sha1,
            skew: TimeDelta::seconds(i64::from(p.clock_skew_s)),
        };
        let (origin, keys) = match &p.metadata {
            SamlMetadataSource::File { path, xml } => {
                let keys = load_keys(xml, &rules).map_err(|reason| {
                    let key = format!("saml_providers[{index}].metadata_file");
                    let label = format!("{label}: metadata_file {}", path.display());
                    SetupProblem::new(key, Some(label), reason)
                })?;
                (MetadataOrigin::File, Some(Arc::new(keys)))
            }
            SamlMetadataSource::Url(url) => (MetadataOrigin::Url(url.clone()), None),
        };
        Ok(Self {
            rules,
            origin,
            keys: watch::Sender::new(keys),
            failures: FailureLog::default(),
        })
    }

    fn current_keys(&self) -> Option<Arc<ProviderKeys>> {
        self.keys.borrow().clone()
    }
}

/// The configured SAML providers and their metadata. Share it as `Arc<SamlRegistry>`.
#[derive(Debug)]
pub struct SamlRegistry {
    providers: Vec<Provider>,
    /// Decrypts EncryptedAssertions; `None` refuses them.
    sp_key: Option<SpKey>,
    refresher: Refresher,
}

impl SamlRegistry {
    #[cfg(any(test, feature = "fuzzing"))]
    /// Builds the registry without touching the network: `metadata_file` providers get their
    /// samael configuration now. A provider whose metadata has no usable signing certificate
    /// (none, not X.509, RSA under 2048 bits) or no audience/ACS URL is an error naming it.
    /// With at least one provider, also runs the one-time XML-signature self-test (which
    /// initialises libxml2/xmlsec off the request path).
    ///
    /// `sp_key_pem` is `[server] saml_sp_key_file`'s content: the key that decrypts
    /// EncryptedAssertions (RSA, at least 2048 bits, unencrypted PEM; anything else is a config
    /// error). Without it, encrypted assertions are refused.
    pub(crate) fn new(
        providers: &[SamlProvider],
        sp_key_pem: Option<&Secret>,
        http: reqwest::Client,
    ) -> Result<Self, SamlError> {
        Self::with_policy(providers, sp_key_pem, http, RefreshPolicy::default())
    }

    #[cfg(any(test, feature = "fuzzing"))]
    /// [`SamlRegistry::new`] with non-default fetch timing.
    pub(crate) fn with_policy(
        providers: &[SamlProvider],
        sp_key_pem: Option<&Secret>,
        http: reqwest::Client,
        policy: RefreshPolicy,
    ) -> Result<Self, SamlError> {
        Self::build(providers, sp_key_pem, http, policy)
            .map_err(|problems| SamlError::Config(setup_problem::render(&problems)))
    }

    /// The registry, or every problem with the SP key and the providers.
    pub(crate) fn build(
        providers: &[SamlProvider],
        sp_key_pem: Option<&Secret>,
        http: reqwest::Client,
        policy: RefreshPolicy,
    ) -> Result<Self, Vec<SetupProblem>> {
        let mut problems = Vec::new();
        let sp_key = match sp_key_pem.map(SpKey::from_pem).transpose() {
            Ok(key) => key,
            Err(reason) => {
                let key = "server.saml_sp_key_file";
                problems.push(SetupProblem::new(key, Some(key.to_owned()), reason));
                None
            }
        };
        let entries = setup_problem::set_up_all(providers, &mut problems, Provider::new);
        if !providers.is_empty()
            && let Err(e) = verify::self_test()
        {
            problems.push(SetupProblem::new("saml_providers", None, e));
        }
        if !problems.is_empty() {
            return Err(problems);
        }
        Ok(Self {
            providers: entries,
            sp_key,
            refresher: Refresher::new(http, policy),
        })
    }

    /// Starts the refresh of every `metadata_url` provider ([`Refresher`]: returns once each
    /// has been fetched or has failed; one whose first fetch failed answers
    /// [`SamlError::MetadataUnavailable`] until a retry succeeds). Calling it again does
    /// nothing.
    pub(crate) async fn start(self: &Arc<Self>) {
        if !self.refresher.first_start() {
            return;
        }
        let fetched = self.providers.iter().enumerate();
        let fetched = fetched.filter(|(_, p)| matches!(p.origin, MetadataOrigin::Url(_)));
        self.refresher
            .spawn_and_wait(self, fetched.map(|(i, _)| i))
            .await;
    }

    /// Verifies a base64 `SAMLResponse` for the provider named `provider` at time `now`. CPU-bound
    /// (about 1 ms): run it in `spawn_blocking`. Rejections are logged, rate-limited per
    /// provider; the returned error's `Display` is safe to show to the client.
    pub(crate) fn verify(
        &self,
        provider: &str,
        saml_response_b64: &str,
        now: DateTime<Utc>,
    ) -> Result<VerifiedAssertion, SamlError> {
        let p = self
            .providers
            .iter()
            .find(|p| p.rules.name == provider)
            .ok_or(SamlError::NoSuchProvider)?;
        let result = p
            .current_keys()
            .ok_or(SamlError::MetadataUnavailable)
            .and_then(|keys| {
                verify::verify_response(
                    &p.rules,
                    &keys,
                    self.sp_key.as_ref(),
                    saml_response_b64,
                    now,
                )
            });
        if let Err(e) = &result {
            p.failures.record(&p.rules.name, e, now);
        }
        result
    }

    /// The providers that may have issued this response, for the browser's ACS (which, unlike
    /// AssumeRoleWithSAML, is not told). Read from the Response's own `Issuer` (its direct
    /// child, outside an EncryptedAssertion), never from decrypted content: those whose entity
    /// id equals it. A Response naming none (or not readable at all) goes to the only provider
    /// when there is just one, and is refused when there are several: trying each would let
    /// one anonymous POST cost an RSA decryption per provider. Only a hint from unverified
    /// content: [`Self::verify`] still checks everything against the chosen provider.
    pub(crate) fn candidates_for_response(&self, saml_response_b64: &str) -> Candidates {
        let issuer =
            parse::decode_response(saml_response_b64).and_then(|xml| parse::response_issuer(&xml));
        let names = self.providers.iter().map(|p| p.rules.name.clone());
        match issuer {
            Ok(Some(iss)) => Candidates::Named(
                names
                    // Trimmed as verification compares it (pretty-printed XML).
                    .filter(|name| self.entity_id(name).as_deref() == Some(iss.trim()))
                    .collect(),
            ),
            _ if self.providers.len() <= 1 => Candidates::Named(names.collect()),
            Ok(None) => Candidates::NoIssuer,
            Err(e) => Candidates::Unreadable(e),
        }
    }

    /// Fetches the metadata of URL provider `provider` now and installs it if it parses; the
    /// refresh tasks keep their own schedule. Tests only: the bridge refreshes on its own
    /// schedule.
    #[cfg(test)]
    pub(crate) async fn refresh(&self, provider: &str) -> Result<(), MetadataFetchError> {
        let p = self.provider(provider).expect("a configured provider");
        self.fetch_and_install(p).await.map(|_| ())
    }

    /// Whether provider `provider` can verify. Tests only.
    #[cfg(test)]
    pub(crate) fn metadata_loaded(&self, provider: &str) -> bool {
        self.providers
            .iter()
            .any(|p| p.rules.name == provider && p.current_keys().is_some())
    }

    /// The IdP entity id currently trusted for `provider`, if loaded.
    pub(crate) fn entity_id(&self, provider: &str) -> Option<String> {
        self.provider(provider)
            .and_then(Provider::current_keys)
            .map(|k| k.entity_id.clone())
    }

    /// Where SP-initiated logins for `provider` go: the HTTP-Redirect SingleSignOnService of
    /// its currently loaded metadata, if that names an acceptable URL (see
    /// [`metadata::sso_location`]).
    pub(crate) fn sso_redirect_url(&self, provider: &str) -> Option<String> {
        self.provider(provider)
            .and_then(Provider::current_keys)
            .and_then(|k| k.sso_redirect_url.clone())
    }

    /// The browser redirect that starts an SP-initiated login at `provider`'s IdP: an
    /// AuthnRequest for its current SSO endpoint, signed when an SP key is configured (the SP
    /// metadata then advertises `AuthnRequestsSigned="true"`).
    pub(crate) fn authn_request_url(
        &self,
        provider: &str,
        request: &AuthnRequestParams<'_>,
    ) -> Result<String, AuthnRequestError> {
        let keys = self
            .provider(provider)
            .ok_or(AuthnRequestError::NoSuchProvider)?
            .current_keys()
            .ok_or(AuthnRequestError::MetadataUnavailable)?;
        let destination = keys
            .sso_redirect_url
            .as_deref()
            .ok_or(AuthnRequestError::NoSsoEndpoint)?;
        authn_request::redirect_url(
            &request.with_destination(destination),
            self.sp_key.as_ref().map(SpKey::private_key),
        )
    }

    fn provider(&self, name: &str) -> Option<&Provider> {
        self.providers.iter().find(|p| p.rules.name == name)
    }

    /// Fetches, parses and installs a URL provider's metadata; returns when to refresh next.
    async fn fetch_and_install(&self, provider: &Provider) -> Result<Duration, MetadataFetchError> {
        let result = self.fetch_and_install_metadata(provider).await;
        self.refresher.record_fetch(&provider.rules.name, &result);
        result
    }

    async fn fetch_and_install_metadata(
        &self,
        provider: &Provider,
    ) -> Result<Duration, MetadataFetchError> {
        let MetadataOrigin::Url(url) = &provider.origin else {
            return Err(MetadataFetchError::NotFetched(provider.rules.name.clone()));
        };
        let timeout = self.refresher.policy.fetch_timeout;
        let fetched = tokio::time::timeout(timeout, fetch::get_metadata(&self.refresher.http, url))
            .await
            .map_err(|_| MetadataFetchError::Timeout {
                url: url.to_string(),
                timeout,
            })??;
        let keys = load_keys(&fetched.xml, &provider.rules).map_err(|reason| {
            MetadataFetchError::Invalid {
                url: url.to_string(),
                reason,
            }
        })?;
        if let Some(previous) = provider.current_keys()
            && previous.entity_id != keys.entity_id
        {
            tracing::warn!(
                saml_provider = %provider.rules.name,
                previous = %previous.entity_id,
                current = %keys.entity_id,
                "SAML IdP metadata changed its entityID"
            );
        }
        tracing::info!(
            saml_provider = %provider.rules.name,
            entity_id = %keys.entity_id,
            sso_redirect_url = keys.sso_redirect_url.as_deref().unwrap_or("none usable"),
            "SAML provider metadata loaded"
        );
        provider.keys.send_replace(Some(Arc::new(keys)));
        Ok(self.refresher.policy.ttl(fetched.cache_control.as_deref()))
    }
}

/// Metadata text → samael configuration (our parser first: it refuses DTDs and metadata
/// without signing certificates).
fn load_keys(xml: &str, rules: &ProviderRules) -> Result<ProviderKeys, String> {
    let parsed = metadata::parse_idp_metadata(xml).map_err(|e| e.to_string())?;
    ProviderKeys::new(&parsed, rules)
}

/// What loading `metadata_file` or a refreshed metadata document does with its text ([`load_keys`]
/// for a provider with these audience and ACS URL), for the fuzz targets.
#[cfg(any(all(test, feature = "demo"), feature = "fuzzing"))] // as `crate::fuzzing`
pub(crate) fn load_metadata(xml: &str, audience: &str, acs_url: &str) -> Result<(), String> {
    let rules = ProviderRules {
        name: "fuzz".to_owned(),
        arn: "arn:aws:iam::123456789012:saml-provider/fuzz".to_owned(),
        audiences: vec![audience.to_owned()],
        acs_urls: vec![acs_url.to_owned()],
        allow_sha1: false,
        skew: TimeDelta::seconds(60),
    };
    load_keys(xml, &rules).map(drop)
}

impl Refreshable for SamlRegistry {
    fn refresher(&self) -> &Refresher {
        &self.refresher
    }

    /// The background refresh of one provider: when to refresh next, or `None` after a failure
    /// (logged; the previous metadata stays).
    async fn refresh_provider(&self, index: usize) -> Option<Duration> {
        let provider = self.providers.get(index)?;
        match self.fetch_and_install(provider).await {
            Ok(ttl) => Some(ttl),
            Err(e) => {
                tracing::warn!(
                    saml_provider = %provider.rules.name,
                    error = %e,
                    loaded = provider.current_keys().is_some(),
                    "could not load SAML provider metadata; will retry"
                );
                None
            }
        }
    }
}
