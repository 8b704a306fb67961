//! The URLs identity providers and consoles know the bridge by: its OIDC redirect URI, its
//! SAML entity id and assertion consumer service, and its own credentials page. IdP
//! administrators register these, and the sign-in steps must send exactly the same ones, so
//! each has one definition here; `web` mounts its routes at the same paths.

use crate::config::Config;

/// An absolute URL of a bridge path: `public_url` without its trailing slash, then `path`.
pub(crate) fn absolute(config: &Config, path: &str) -> String {
    format!(
        "{}{path}",
        config.server.public_url.as_str().trim_end_matches('/')
    )
}

/// Where an OIDC provider sends the browser back with the authorization code.
pub(crate) fn oidc_redirect_uri(config: &Config) -> String {
    absolute(config, "/oidc/callback")
}

/// The SP's entity id: the metadata URL itself, as the default accepted `Audience` is.
pub(crate) fn saml_entity_id(config: &Config) -> String {
    absolute(config, "/saml/metadata")
}

/// Where IdPs POST their SAML responses.
pub(crate) fn saml_acs_url(config: &Config) -> String {
    absolute(config, "/saml/acs")
}

/// The bridge's own credentials page: the console destination when none is configured.
pub(crate) fn own_console(config: &Config) -> String {
    absolute(config, "/console")
}
