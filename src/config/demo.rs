//! The embedded demo configuration: what `stsbridge serve` runs with no `--config`, so a
//! newcomer has a working bridge in a minute. Its user keys are generated at every start (and
//! printed once by `main`), so no demo secret is ever shared between machines.

use std::path::Path;

use super::secret_ref::ProcessEnv;
use super::{Config, ConfigError, parse_raw, validate};
use crate::types::{AccessKeyId, AccessKeyKind, Secret, SecretAccessKey};

const DEMO_TOML: &str = include_str!("demo.toml");

/// Keys of a demo user, for the start-up banner.
#[derive(Debug)]
pub struct DemoCredentials {
    pub user: String,
    pub access_key_id: AccessKeyId,
    pub secret_access_key: SecretAccessKey,
}

/// Builds the demo configuration, optionally on another loopback address.
pub fn demo_config(listen: Option<&str>) -> Result<(Config, Vec<DemoCredentials>), ConfigError> {
    let mut raw = parse_raw(DEMO_TOML)?;
    if let Some(listen) = listen {
        raw.server.listen = Some(listen.to_owned());
    }
    let mut creds = Vec::new();
    for user in &mut raw.users {
        let id = AccessKeyId::generate(AccessKeyKind::LongTerm);
        let secret = SecretAccessKey::generate();
        user.access_key_id = id.to_string();
        user.secret_access_key = Secret::new(secret.expose());
        creds.push(DemoCredentials {
            user: user.name.clone(),
            access_key_id: id,
            secret_access_key: secret,
        });
    }
    let config = validate::validate(raw, Path::new("."), &ProcessEnv, true)?;
    Ok((config, creds))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn demo_is_valid_and_loopback_only() {
        let (config, creds) = demo_config(None).unwrap();
        assert!(config.demo);
        assert_eq!(creds.len(), 2);
        assert!(matches!(config.tokens, super::super::KeySource::Ephemeral));
        let err = demo_config(Some("0.0.0.0:8080")).unwrap_err();
        assert!(err.to_string().contains("loopback"), "{err}");
        assert!(demo_config(Some("127.0.0.1:0")).is_ok());
    }
}
