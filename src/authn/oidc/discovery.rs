//! OpenID Connect Discovery 1.0: `{issuer}/.well-known/openid-configuration` → `jwks_uri`.
//!
//! Invariant: the document's `issuer` equals the configured issuer exactly (Discovery §4.3), so
//! a document served for another issuer (a mix-up, or a shared host serving several tenants)
//! cannot point us at keys that would then be trusted for this one.

use serde::Deserialize;
use url::Url;

use super::error::FetchError;
use super::fetch::{self, Fetched};
use crate::config::LoginEndpoints;

/// The fields of the discovery document the bridge uses; others are ignored.
#[derive(Debug, Deserialize)]
struct DiscoveryDocument {
    issuer: String,
    jwks_uri: String,
    /// Browser login (authorization code + PKCE) needs these two; token-only providers may
    /// leave them out.
    #[serde(default)]
    authorization_endpoint: Option<String>,
    #[serde(default)]
    token_endpoint: Option<String>,
}

/// What discovery tells the bridge.
#[derive(Debug, Clone)]
pub(super) struct Discovered {
    pub(super) jwks_uri: Url,
    pub(super) login: Option<LoginEndpoints>,
}

/// The discovery URL of `issuer`. Discovery §4 appends the well-known path after removing a
/// trailing `/`, so `https://a.example/` and `https://a.example` share a document (which then
/// decides, by its own `issuer`, which of the two it is for).
pub(super) fn discovery_url(issuer: &str) -> Result<Url, FetchError> {
    let text = format!(
        "{}/.well-known/openid-configuration",
        issuer.trim_end_matches('/')
    );
    Url::parse(&text).map_err(|e| FetchError::Discovery(format!("issuer is not a URL: {e}")))
}

/// Fetches the discovery document of `issuer`: its `jwks_uri`, and its login endpoints when
/// both are present and acceptable (https, or http on loopback).
pub(super) async fn fetch_discovery(
    http: &reqwest::Client,
    issuer: &str,
) -> Result<Discovered, FetchError> {
    let url = discovery_url(issuer)?;
    let Fetched { body, .. } = fetch::get_json(http, &url).await?;
    let doc: DiscoveryDocument = fetch::parse_json(&url, &body)?;
    let jwks_uri = jwks_uri_of(issuer, &doc)?;
    Ok(Discovered {
        jwks_uri,
        login: login_endpoints_of(&doc),
    })
}

fn login_endpoints_of(doc: &DiscoveryDocument) -> Option<LoginEndpoints> {
    let parse = |s: &Option<String>| {
        s.as_deref()
            .and_then(|s| Url::parse(s).ok())
            .filter(fetch::is_allowed_idp_url)
    };
    Some(LoginEndpoints {
        authorization: parse(&doc.authorization_endpoint)?,
        token: parse(&doc.token_endpoint)?,
    })
}

fn jwks_uri_of(issuer: &str, doc: &DiscoveryDocument) -> Result<Url, FetchError> {
    if doc.issuer != issuer {
        return Err(FetchError::Discovery(format!(
            "document names issuer {:?}, expected exactly {issuer:?}",
            doc.issuer
        )));
    }
    let jwks_uri = Url::parse(&doc.jwks_uri)
        .map_err(|e| FetchError::Discovery(format!("jwks_uri is not a URL: {e}")))?;
    if !fetch::is_allowed_idp_url(&jwks_uri) {
        return Err(FetchError::Discovery(format!(
            "jwks_uri {jwks_uri} must be https (http only on loopback)"
        )));
    }
    Ok(jwks_uri)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn doc(issuer: &str, jwks_uri: &str) -> DiscoveryDocument {
        DiscoveryDocument {
            issuer: issuer.into(),
            jwks_uri: jwks_uri.into(),
            authorization_endpoint: None,
            token_endpoint: None,
        }
    }

    #[test]
    fn login_endpoints_need_both_and_tls_or_loopback() {
        let mut d = doc("https://a.example", "https://a.example/jwks");
        assert!(login_endpoints_of(&d).is_none());
        d.authorization_endpoint = Some("https://a.example/auth".into());
        assert!(login_endpoints_of(&d).is_none());
        d.token_endpoint = Some("https://a.example/token".into());
        let e = login_endpoints_of(&d).unwrap();
        assert_eq!(e.token.as_str(), "https://a.example/token");
        d.token_endpoint = Some("http://a.example/token".into());
        assert!(login_endpoints_of(&d).is_none());
    }

    #[test]
    fn url_drops_one_trailing_slash() {
        assert_eq!(
            discovery_url("https://a.example/").unwrap().as_str(),
            "https://a.example/.well-known/openid-configuration"
        );
        assert_eq!(
            discovery_url("https://a.example/tenant").unwrap().as_str(),
            "https://a.example/tenant/.well-known/openid-configuration"
        );
    }

    #[test]
    fn issuer_must_match_exactly() {
        let iss = "https://a.example/";
        assert!(jwks_uri_of(iss, &doc(iss, "https://a.example/jwks")).is_ok());
        for other in [
            "https://a.example",
            "https://A.example/",
            "https://b.example/",
        ] {
            let err = jwks_uri_of(iss, &doc(other, "https://a.example/jwks"));
            assert!(matches!(err, Err(FetchError::Discovery(_))), "{other}");
        }
    }

    #[test]
    fn jwks_uri_must_be_tls_or_loopback() {
        let iss = "https://a.example";
        assert!(jwks_uri_of(iss, &doc(iss, "http://a.example/jwks")).is_err());
        assert!(jwks_uri_of(iss, &doc(iss, "not a url")).is_err());
        assert!(jwks_uri_of(iss, &doc(iss, "http://127.0.0.1:9/jwks")).is_ok());
    }

    #[test]
    fn document_parse_errors_are_errors() {
        let url = discovery_url("https://a.example").unwrap();
        let r: Result<DiscoveryDocument, _> = fetch::parse_json(&url, b"{\"issuer\":1}");
        assert!(matches!(r, Err(FetchError::Json { .. })));
        let r: Result<DiscoveryDocument, _> = fetch::parse_json(&url, b"<html>");
        assert!(matches!(r, Err(FetchError::Json { .. })));
    }
}
