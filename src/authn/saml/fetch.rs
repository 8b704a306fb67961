//! Fetching IdP metadata from `metadata_url`: one GET whose body is capped while reading.
//!
//! The caller's `reqwest::Client` carries TLS settings and the redirect policy; config
//! validation has already limited the URL to https (or http on loopback). The metadata itself
//! is not signature-checked: its authenticity rests on TLS to the configured URL, as with AWS's
//! own metadata upload.

use reqwest::header::{ACCEPT, CACHE_CONTROL};
use url::Url;

/// One IdP's metadata is a few KiB; aggregates (which we refuse anyway) are what get large.
pub(super) const MAX_METADATA_BYTES: usize = 1024 * 1024;

/// Why fetching or installing a provider's metadata failed. Operator-facing (logged).
#[derive(Debug, thiserror::Error)]
pub enum MetadataFetchError {
    #[error("no SAML provider named '{0}'")]
    NoSuchProvider(String),
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
    let http_error = |e: reqwest::Error| MetadataFetchError::Http {
        url: url.to_string(),
        reason: e.to_string(),
    };
    let mut response = http
        .get(url.clone())
        .header(
            ACCEPT,
            "application/samlmetadata+xml, application/xml;q=0.9, text/xml;q=0.8",
        )
        .send()
        .await
        .map_err(http_error)?;
    let status = response.status();
    if !status.is_success() {
        return Err(MetadataFetchError::Status {
            url: url.to_string(),
            status: status.as_u16(),
        });
    }
    let too_large = || MetadataFetchError::TooLarge {
        url: url.to_string(),
    };
    if response
        .content_length()
        .is_some_and(|n| n > MAX_METADATA_BYTES as u64)
    {
        return Err(too_large());
    }
    let cache_control = response
        .headers()
        .get(CACHE_CONTROL)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let mut body = Vec::new();
    while let Some(chunk) = response.chunk().await.map_err(http_error)? {
        if body.len().saturating_add(chunk.len()) > MAX_METADATA_BYTES {
            return Err(too_large());
        }
        body.extend_from_slice(&chunk);
    }
    let xml = String::from_utf8(body).map_err(|_| MetadataFetchError::Invalid {
        url: url.to_string(),
        reason: "metadata is not UTF-8".into(),
    })?;
    Ok(Fetched { xml, cache_control })
}
