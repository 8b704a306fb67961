//! The one way the bridge fetches a document from an IdP (discovery, JWKS, SAML metadata): a
//! GET whose body is capped while reading.
//!
//! The caller's `reqwest::Client` carries the timeouts and the no-redirect policy (a redirect
//! from an IdP host is not a place we agreed to fetch keys from; with that policy a 3xx arrives
//! here and is refused as a status). The cap is enforced while reading, because
//! `Content-Length` may be absent (chunked) or lie; a declared length over the cap only lets us
//! give up before reading anything. Each registry words the errors for its own log lines.

use reqwest::header::{ACCEPT, CACHE_CONTROL};
use url::Url;

/// Discovery documents, JWKS and one IdP's metadata are a few KiB; 1 MiB is far beyond any
/// real one (metadata aggregates, which are refused anyway, are what get large).
pub(crate) const MAX_BODY_BYTES: usize = 1024 * 1024;

/// A successful response: its body and the `Cache-Control` header, if any.
#[derive(Debug)]
pub(crate) struct Fetched {
    pub(crate) body: Vec<u8>,
    pub(crate) cache_control: Option<String>,
}

/// Why a bounded GET gave no document.
#[derive(Debug)]
pub(crate) enum GetError {
    Http(reqwest::Error),
    /// A status other than 2xx.
    Status(u16),
    /// The body is (or says it is) larger than [`MAX_BODY_BYTES`].
    TooLarge,
}

/// GETs `url` with this `Accept`; non-2xx and bodies over [`MAX_BODY_BYTES`] are errors.
pub(crate) async fn bounded_get(
    http: &reqwest::Client,
    url: &Url,
    accept: &'static str,
) -> Result<Fetched, GetError> {
    let mut response = http
        .get(url.clone())
        .header(ACCEPT, accept)
        .send()
        .await
        .map_err(GetError::Http)?;
    let status = response.status();
    if !status.is_success() {
        return Err(GetError::Status(status.as_u16()));
    }
    if response
        .content_length()
        .is_some_and(|n| n > MAX_BODY_BYTES as u64)
    {
        return Err(GetError::TooLarge);
    }
    let cache_control = response
        .headers()
        .get(CACHE_CONTROL)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let mut body = Vec::new();
    while let Some(chunk) = response.chunk().await.map_err(GetError::Http)? {
        if body.len().saturating_add(chunk.len()) > MAX_BODY_BYTES {
            return Err(GetError::TooLarge);
        }
        body.extend_from_slice(&chunk);
    }
    Ok(Fetched {
        body,
        cache_control,
    })
}
