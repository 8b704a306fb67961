//! How this module talks to an IdP: the shared bounded GET ([`crate::authn::refresh::fetch`]),
//! asking for JSON, its failures worded for the OIDC log lines.

use url::Url;

use super::error::FetchError;
pub(super) use crate::authn::refresh::fetch::Fetched;
use crate::authn::refresh::fetch::{GetError, MAX_BODY_BYTES, bounded_get};

/// GETs `url` expecting JSON; non-2xx and bodies over [`MAX_BODY_BYTES`] are errors.
pub(super) async fn get_json(http: &reqwest::Client, url: &Url) -> Result<Fetched, FetchError> {
    bounded_get(http, url, "application/json")
        .await
        .map_err(|e| match e {
            GetError::Http(e) => FetchError::Http(e),
            GetError::Status(status) => FetchError::Status {
                url: url.to_string(),
                status,
            },
            GetError::TooLarge => FetchError::TooLarge {
                url: url.to_string(),
                limit: MAX_BODY_BYTES,
            },
        })
}

/// Parses a fetched body as JSON of type `T`, naming the URL in the error.
pub(super) fn parse_json<T: serde::de::DeserializeOwned>(
    url: &Url,
    body: &[u8],
) -> Result<T, FetchError> {
    serde_json::from_slice(body).map_err(|e| FetchError::Json {
        url: url.to_string(),
        reason: e.to_string(),
    })
}

/// Whether the bridge may fetch keys from `url` (the rule config validation applies too). A
/// discovery document is IdP-controlled input, so its `jwks_uri` is held to this as well.
pub(super) fn is_allowed_idp_url(url: &Url) -> bool {
    crate::types::idp_url::is_allowed_idp_url(url)
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};

    use axum::Router;
    use axum::routing::get;

    use super::*;

    async fn serve(app: Router) -> String {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move { axum::serve(listener, app).await });
        format!("http://{addr}")
    }

    fn client() -> reqwest::Client {
        reqwest::Client::builder()
            .no_proxy()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap()
    }

    #[tokio::test]
    async fn body_cap_status_and_headers() {
        let hits = Arc::new(AtomicUsize::new(0));
        let h = Arc::clone(&hits);
        let app = Router::new()
            .route(
                "/ok",
                get(|| async { ([("cache-control", "max-age=60")], "{\"a\":1}") }),
            )
            .route("/big", get(|| async { "x".repeat(MAX_BODY_BYTES + 1) }))
            .route(
                "/stream",
                get(move || {
                    h.fetch_add(1, Ordering::SeqCst);
                    async {
                        // No Content-Length: the cap must hold while reading.
                        let chunks = (0..40).map(|_| Ok::<_, std::io::Error>(bytes_of(64 * 1024)));
                        axum::body::Body::from_stream(tokio_stream::iter(chunks))
                    }
                }),
            )
            .route(
                "/missing",
                get(|| async { (axum::http::StatusCode::NOT_FOUND, "{}") }),
            );
        let base = serve(app).await;
        let http = client();

        let ok = get_json(&http, &Url::parse(&format!("{base}/ok")).unwrap())
            .await
            .unwrap();
        assert_eq!(ok.body, b"{\"a\":1}");
        assert_eq!(ok.cache_control.as_deref(), Some("max-age=60"));

        let big = get_json(&http, &Url::parse(&format!("{base}/big")).unwrap()).await;
        assert!(matches!(big, Err(FetchError::TooLarge { .. })), "{big:?}");

        let stream = get_json(&http, &Url::parse(&format!("{base}/stream")).unwrap()).await;
        assert!(
            matches!(stream, Err(FetchError::TooLarge { .. })),
            "{stream:?}"
        );
        assert_eq!(hits.load(Ordering::SeqCst), 1);

        let missing = get_json(&http, &Url::parse(&format!("{base}/missing")).unwrap()).await;
        assert!(
            matches!(missing, Err(FetchError::Status { status: 404, .. })),
            "{missing:?}"
        );
    }

    fn bytes_of(n: usize) -> Vec<u8> {
        vec![b' '; n]
    }

    #[test]
    fn idp_url_rule() {
        let ok = |s: &str| is_allowed_idp_url(&Url::parse(s).unwrap());
        assert!(ok("https://idp.example/jwks"));
        assert!(ok("http://127.0.0.1:8080/jwks"));
        assert!(ok("http://[::1]:8080/jwks"));
        assert!(!ok("http://idp.example/jwks"));
        // Allowed as issue 3 asks (tests and the demo); it resolves to loopback.
        assert!(ok("http://localhost/jwks"));
        assert!(!ok("file:///etc/passwd"));
    }
}
