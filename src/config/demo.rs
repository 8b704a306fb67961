//! The embedded demo configuration: what `stsbridge serve` runs with no `--config`, so a
//! newcomer has a working bridge in a minute. Its user keys are generated at every start (and
//! printed once by `main`), so no demo secret is ever shared between machines.

use std::path::Path;
use std::sync::Arc;

use super::secret_ref::ProcessEnv;
use super::{
    Config, ConfigError, JwksSource, KeyError, SamlMetadataSource, SamlProvider, parse_raw,
    validate,
};
use crate::clock::SharedClock;
use crate::demo_idp::{DEMO_IDP_PATH, DEMO_SAML_PROVIDER, DemoIdp};
use crate::types::{AccessKeyId, AccessKeyKind, Secret, SecretAccessKey};

const DEMO_TOML: &str = include_str!("demo.toml");

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

const DEFAULT_DEMO_LISTEN: &str = "127.0.0.1:8080";

/// Builds the demo configuration, optionally on another loopback address.
pub fn demo_config(listen: Option<&str>, clock: SharedClock) -> Result<Demo, ConfigError> {
    let listen = listen.unwrap_or(DEFAULT_DEMO_LISTEN);
    let host = format!("{listen}{DEMO_IDP_PATH}");
    let issuer = format!("http://{host}");
    let text = DEMO_TOML
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
    let mut raw = parse_raw(&text)?;
    raw.server.listen = Some(listen.to_owned());
    let mut credentials = Vec::new();
    for user in &mut raw.users {
        let id = AccessKeyId::generate(AccessKeyKind::LongTerm);
        let secret = SecretAccessKey::generate();
        user.access_key_id = id.to_string();
        user.secret_access_key = Secret::new(secret.expose());
        credentials.push(DemoCredentials {
            user: user.name.clone(),
            access_key_id: id,
            secret_access_key: secret,
        });
    }
    let mut config = validate::validate(raw, Path::new("."), &ProcessEnv, true)?;
    let account = config.server.account_id.to_string();
    let idp = DemoIdp::new(issuer.clone(), &account, clock).map_err(|e| {
        ConfigError::Invalid(vec![KeyError {
            path: "(demo IdP)".into(),
            message: e.to_string(),
        }])
    })?;
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
        arn: format!("arn:aws:iam::{account}:saml-provider/{DEMO_SAML_PROVIDER}"),
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock::ManualClock;

    fn clock() -> SharedClock {
        Arc::new(ManualClock::starting_now())
    }

    #[test]
    fn demo_is_valid_and_loopback_only() {
        let demo = demo_config(None, clock()).unwrap();
        assert!(demo.config.demo);
        assert_eq!(demo.credentials.len(), 2);
        assert!(matches!(
            demo.config.tokens,
            super::super::KeySource::Ephemeral
        ));
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
}
