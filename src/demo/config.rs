//! The embedded demo configuration: what `stsbridge serve` runs with no `--config`, so a
//! newcomer has a working bridge in a minute. Its user keys are generated at every start (and
//! printed once in the banner), so no demo secret is ever shared between machines.
//!
//! It is built through `config`'s public entry point, [`config::from_toml`], like any file, and
//! then pointed at the demo IdP (keys and metadata given directly, not fetched from itself);
//! `config` knows nothing of the demo.

use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;

use super::error::DemoError;
use super::idp::{DEMO_IDP_PATH, DEMO_SAML_PROVIDER, DemoIdp};
use crate::clock::SharedClock;
use crate::config::{self, Config, Env, JwksSource, KeySource, SamlMetadataSource, SamlProvider};
use crate::types::{AccessKeyId, AccessKeyKind, ProviderArn, ProviderKind, SecretAccessKey};

const DEMO_TOML: &str = include_str!("config.toml");
const DEFAULT_DEMO_LISTEN: &str = "127.0.0.1:8080";
/// The IAM users `config.toml` declares, each given fresh keys at start.
const USERS: [&str; 2] = ["admin", "developer"];
/// `config.toml`'s `env:` references to the generated secrets are this plus the user's name.
const SECRET_VAR_PREFIX: &str = "DEMO_SECRET_";

/// Keys of a demo user, for the start-up banner.
#[derive(Debug)]
pub struct DemoCredentials {
    pub user: String,
    pub access_key_id: AccessKeyId,
    pub secret_access_key: SecretAccessKey,
}

/// The demo: its configuration, the generated user keys, and the built-in IdP it trusts.
#[derive(Debug)]
pub struct Demo {
    pub config: Config,
    pub credentials: Vec<DemoCredentials>,
    pub idp: Arc<DemoIdp>,
}

/// Serves `config.toml`'s `env:DEMO_SECRET_<user>` references from the generated keys.
struct GeneratedSecrets<'a>(&'a [DemoCredentials]);

impl Env for GeneratedSecrets<'_> {
    fn var(&self, name: &str) -> Option<String> {
        let user = name.strip_prefix(SECRET_VAR_PREFIX)?;
        self.0
            .iter()
            .find(|c| c.user == user)
            .map(|c| c.secret_access_key.expose().to_owned())
    }
}

/// Builds the demo configuration, optionally on another loopback address.
pub fn demo_config(listen: Option<&str>, clock: SharedClock) -> Result<Demo, DemoError> {
    let listen = loopback(listen.unwrap_or(DEFAULT_DEMO_LISTEN))?;
    let host = format!("{listen}{DEMO_IDP_PATH}");
    let issuer = format!("http://{host}");
    let credentials: Vec<DemoCredentials> = USERS
        .iter()
        .map(|user| DemoCredentials {
            user: (*user).to_owned(),
            access_key_id: AccessKeyId::generate(AccessKeyKind::LongTerm),
            secret_access_key: SecretAccessKey::generate(),
        })
        .collect();
    let mut text = DEMO_TOML
        .replace("{DEMO_LISTEN}", &listen.to_string())
        .replace("{DEMO_ISSUER}", &issuer)
        .replace(
            "{DEMO_PROVIDER_ARN}",
            &format!("arn:aws:iam::000000000000:oidc-provider/{host}"),
        )
        .replace("{DEMO_PREFIX}", &host)
        .replace(
            "{DEMO_SAML_ARN}",
            &format!("arn:aws:iam::000000000000:saml-provider/{DEMO_SAML_PROVIDER}"),
        )
        .replace("{DEMO_ACS}", &format!("http://{listen}/saml/acs"));
    for c in &credentials {
        text = text.replace(
            &format!("{{ACCESS_KEY_ID:{}}}", c.user),
            &c.access_key_id.to_string(),
        );
    }
    let mut config = config::from_toml(&text, Path::new("."), &GeneratedSecrets(&credentials))?;
    // Sessions die with the process, and nothing may treat this as a production config.
    config.tokens = KeySource::Ephemeral;
    config.demo = true;
    let account = config.server.account_id.to_string();
    let idp = DemoIdp::new(issuer.clone(), &account, clock)?;
    // The bridge trusts its own demo IdP through the published keys directly, rather than
    // fetching them from itself over HTTP at start.
    for provider in config
        .oidc_providers
        .iter_mut()
        .filter(|p| p.issuer == issuer)
    {
        provider.jwks = JwksSource::File {
            path: "(built-in demo IdP key)".into(),
            json: idp.jwks_json().to_owned(),
        };
    }
    // The SAML side, likewise configured with its metadata directly.
    let base = format!("http://{listen}");
    config.saml_providers.push(SamlProvider {
        name: DEMO_SAML_PROVIDER.to_owned(),
        arn: ProviderArn::new(
            config.server.account_id,
            ProviderKind::Saml,
            DEMO_SAML_PROVIDER,
        )?,
        metadata: SamlMetadataSource::File {
            path: "(built-in demo SAML IdP)".into(),
            xml: idp.saml_metadata_xml(),
        },
        display_name: "Demo SAML IdP (DEMO ONLY)".to_owned(),
        audiences: vec![format!("{base}/saml/metadata")],
        acs_urls: vec![format!("{base}/saml/acs")],
        allow_sha1: false,
        clock_skew_s: 60,
    });
    Ok(Demo {
        config,
        credentials,
        idp: Arc::new(idp),
    })
}

/// The demo's keys and IdP are public: it listens on a loopback `ip:port` only.
fn loopback(listen: &str) -> Result<SocketAddr, DemoError> {
    listen
        .parse::<SocketAddr>()
        .ok()
        .filter(|addr| addr.ip().is_loopback())
        .ok_or_else(|| DemoError::NotLoopback(listen.to_owned()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock::ManualClock;
    use crate::types::Secret;

    fn clock() -> SharedClock {
        Arc::new(ManualClock::starting_now())
    }

    #[test]
    fn demo_is_valid_and_loopback_only() {
        let demo = demo_config(None, clock()).unwrap();
        assert!(demo.config.demo);
        assert_eq!(demo.credentials.len(), 2);
        assert!(matches!(demo.config.tokens, KeySource::Ephemeral));
        assert_eq!(demo.idp.issuer(), "http://127.0.0.1:8080/demo-idp");
        assert!(matches!(
            demo.config.oidc_providers[0].jwks,
            JwksSource::File { .. }
        ));
        assert_eq!(demo.config.rules.len(), 2);
        // The README's MFA, ExternalId and role-chaining walk-throughs rely on these.
        let developer = demo.config.user_by_name("developer").unwrap();
        assert_eq!(
            developer.mfa_totp_secret.as_ref().map(Secret::expose),
            Some("JBSWY3DPEHPK3PXP")
        );
        for role in ["demo-partner", "demo-mfa", "demo-readonly"] {
            let arn = format!("arn:aws:iam::000000000000:role/{role}")
                .parse()
                .unwrap();
            assert!(demo.config.role_by_arn(&arn).is_some(), "{role}");
        }
        assert_eq!(
            demo.config.saml_providers[0].acs_urls,
            vec!["http://127.0.0.1:8080/saml/acs".to_owned()]
        );
        let err = demo_config(Some("0.0.0.0:8080"), clock()).unwrap_err();
        assert!(err.to_string().contains("loopback"), "{err}");
        let other = demo_config(Some("127.0.0.1:9000"), clock()).unwrap();
        assert_eq!(
            other.config.oidc_providers[0].issuer,
            "http://127.0.0.1:9000/demo-idp"
        );
    }

    #[test]
    fn each_user_serves_the_keys_generated_for_it() {
        let demo = demo_config(None, clock()).unwrap();
        for c in &demo.credentials {
            let user = demo.config.user_by_access_key(&c.access_key_id).unwrap();
            assert_eq!(user.name, c.user);
            assert_eq!(
                user.secret_access_key.expose(),
                c.secret_access_key.expose()
            );
        }
        let again = demo_config(None, clock()).unwrap();
        assert_ne!(
            again.credentials[0].access_key_id, demo.credentials[0].access_key_id,
            "fresh keys at every start"
        );
        // The generated secrets reach config through the demo's own lookup, never the process
        // environment.
        assert_eq!(GeneratedSecrets(&demo.credentials).var("HOME"), None);
    }
}
