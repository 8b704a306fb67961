//! OpenID Connect Discovery 1.0: `{issuer}/.well-known/openid-configuration` → `jwks_uri`.
//!
//! Invariant: the document's `issuer` equals the configured issuer exactly (Discovery §4.3), so
//! a document served for another issuer (a mix-up, or a shared host serving several tenants)
//! cannot point us at keys that would then be trusted for this one.

use serde::Deserialize;
use url::Url;

use super::error::FetchError;
use super::fetch::{self, Fetched};

/// The fields of the discovery document the bridge uses; others are ignored.
#[derive(Debug, Deserialize)]
struct DiscoveryDocument {
    issuer: String,
    jwks_uri: String,
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

/// Fetches the discovery document of `issuer` and returns its `jwks_uri`.
pub(super) async fn fetch_jwks_uri(
    http: &reqwest::Client,
    issuer: &str,
) -> Result<Url, FetchError> {
    let url = discovery_url(issuer)?;
    let Fetched { body, .. } = fetch::get_json(http, &url).await?;
    let doc: DiscoveryDocument = fetch::parse_json(&url, &body)?;
    jwks_uri_of(issuer, &doc)
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
        }
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
