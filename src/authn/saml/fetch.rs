//! Fetching IdP metadata from `metadata_url`: the shared bounded GET
//! ([`crate::authn::refresh::fetch`]), its failures worded for the SAML log lines.
//!
//! Config validation has already limited the URL to https (or http on loopback). The metadata
//! itself is not signature-checked: its authenticity rests on TLS to the configured URL, as
//! with AWS's own metadata upload.

use url::Url;

use crate::authn::refresh::fetch::{self, GetError, MAX_BODY_BYTES as MAX_METADATA_BYTES};

/// Why fetching or installing a provider's metadata failed. Operator-facing (logged).
#[derive(Debug, thiserror::Error)]
pub(crate) enum MetadataFetchError {
    #[error("SAML provider '{0}' reads its metadata from a file")]
    NotFetched(String),
    #[error("GET {url}: {reason}")]
    Http { url: String, reason: String },
    #[error("GET {url}: HTTP {status}")]
    Status { url: String, status: u16 },
    #[error("GET {url}: body larger than {MAX_METADATA_BYTES} bytes")]
    TooLarge { url: String },
    #[error("GET {url}: timed out after {timeout:?}")]
    Timeout {
        url: String,
        timeout: std::time::Duration,
    },
    #[error("{url}: {reason}")]
    Invalid { url: String, reason: String },
}

/// A successful response: its text and the `Cache-Control` header, if any.
#[derive(Debug)]
pub(super) struct Fetched {
    pub(super) xml: String,
    pub(super) cache_control: Option<String>,
}

pub(super) async fn get_metadata(
    http: &reqwest::Client,
    url: &Url,
) -> Result<Fetched, MetadataFetchError> {
    let accept = "application/samlmetadata+xml, application/xml;q=0.9, text/xml;q=0.8";
    let fetched = fetch::bounded_get(http, url, accept).await.map_err(|e| {
        let url = url.to_string();
        match e {
            GetError::Http(e) => MetadataFetchError::Http {
                url,
                reason: e.to_string(),
            },
            GetError::Status(status) => MetadataFetchError::Status { url, status },
            GetError::TooLarge => MetadataFetchError::TooLarge { url },
        }
    })?;
    let xml = String::from_utf8(fetched.body).map_err(|_| MetadataFetchError::Invalid {
        url: url.to_string(),
        reason: "metadata is not UTF-8".into(),
    })?;
    Ok(Fetched {
        xml,
        cache_control: fetched.cache_control,
    })
}
