//! Both identity-provider registries, built from the configuration in one step: what `serve`
//! starts with and what `check-config` builds to find the problems configuration validation
//! leaves to them (keys and metadata are parsed only here). Every problem of both is reported
//! at once, by key path, as a [`ConfigError`] like any other configuration problem.

use super::oidc::OidcRegistry;
use super::refresh::RefreshPolicy;
use super::saml::SamlRegistry;
use super::setup_problem::SetupProblem;
use crate::config::{Config, ConfigError};

/// The OIDC and SAML registries of one configuration.
#[derive(Debug)]
pub struct IdpRegistries {
    pub oidc: OidcRegistry,
    pub saml: SamlRegistry,
}

impl IdpRegistries {
    /// Counts both registries' fetches in `metrics` from now on.
    pub fn attach_metrics(&self, metrics: &std::sync::Arc<crate::metrics::Metrics>) {
        use super::refresh::Refreshable as _;
        self.oidc
            .refresher()
            .attach_metrics(std::sync::Arc::clone(metrics));
        self.saml
            .refresher()
            .attach_metrics(std::sync::Arc::clone(metrics));
    }

    /// Builds both registries without touching the network (`http` is kept for the fetches
    /// that `start` makes later).
    pub fn new(config: &Config, http: reqwest::Client) -> Result<Self, ConfigError> {
        let oidc = OidcRegistry::build(
            &config.oidc_providers,
            http.clone(),
            RefreshPolicy::default(),
        );
        let saml = SamlRegistry::build(
            &config.saml_providers,
            config.server.saml_sp_key_pem.as_ref(),
            http,
            RefreshPolicy::default(),
        );
        match (oidc, saml) {
            (Ok(oidc), Ok(saml)) => Ok(Self { oidc, saml }),
            (oidc, saml) => {
                let problems = oidc.err().into_iter().chain(saml.err()).flatten();
                Err(ConfigError::Invalid(
                    problems.map(SetupProblem::into_key_error).collect(),
                ))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    //! The problems configuration validation used to find in provider files, found here now:
    //! the same input, the same key path and wording.

    use std::path::Path;

    use super::*;
    use crate::config::testkit::*;
    use crate::config::{SamlMetadataSource, from_toml};

    /// What `check-config` reports for a file: validation problems, else the registries'.
    fn errors_in(text: &str, dir: &Path) -> Vec<String> {
        let built = from_toml(text, dir, &env())
            .and_then(|c| IdpRegistries::new(&c, reqwest::Client::new()).map(drop));
        match built {
            Ok(()) => Vec::new(),
            Err(e) => e.key_errors().iter().map(ToString::to_string).collect(),
        }
    }

    #[test]
    fn saml_metadata_without_signing_keys_is_refused() {
        let dir = full_dir();
        std::fs::write(
            dir.path().join("idp.xml"),
            METADATA.replace("use=\"signing\"", "use=\"encryption\""),
        )
        .unwrap();
        let e = errors_in(&full_config(), dir.path());
        assert!(
            has(
                &e,
                "saml_providers[0].metadata_file: metadata has no signing certificate"
            ),
            "{e:#?}"
        );
        std::fs::write(dir.path().join("jwks.json"), "{\"keys\":[]}").unwrap();
        let e = errors_in(&full_config(), dir.path());
        assert!(
            has(&e, "oidc_providers[0].jwks_file: expected a JWKS document"),
            "{e:#?}"
        );
    }

    #[test]
    fn the_documented_metadata_file_names_its_entity_id() {
        let dir = full_dir();
        let c = from_toml(&full_config(), dir.path(), &env()).unwrap();
        let SamlMetadataSource::File { xml, .. } = &c.saml_providers[0].metadata else {
            panic!("a metadata_file source")
        };
        let metadata = crate::authn::saml::metadata::parse_idp_metadata(xml).unwrap();
        assert_eq!(metadata.entity_id, "https://idp.example.com");
    }

    #[test]
    fn every_unusable_provider_file_is_named_by_its_key_path() {
        // The documented file's JWKS key is far too short for RSA and its certificate is not
        // X.509: both are reported, each at its key.
        let dir = full_dir();
        let e = errors_in(&full_config(), dir.path());
        assert!(
            has(&e, "oidc_providers[0].jwks_file: no usable signing key"),
            "{e:#?}"
        );
        assert!(has(&e, "saml_providers[0].metadata_file: "), "{e:#?}");
        assert_eq!(e.len(), 2, "{e:#?}");
    }
}
