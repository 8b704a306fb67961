//! Tracing setup and the per-request id.
//!
//! Every request gets a fresh UUID, generated here and never taken from the client (a client
//! could otherwise forge ids in our logs). The same id goes into the request span, the
//! `x-amzn-RequestId` header and the XML `RequestId`. The span records method and path but
//! never the query string, which can carry presigned signatures and session tokens.

use std::convert::Infallible;
use std::time::Duration;

use axum::extract::{FromRequestParts, Request};
use axum::http::request::Parts;
use axum::http::{HeaderName, HeaderValue};
use axum::middleware::Next;
use axum::response::Response;
use tracing_appender::non_blocking::{NonBlockingBuilder, WorkerGuard};

pub const REQUEST_ID_HEADER: HeaderName = HeaderName::from_static("x-amzn-requestid");

/// Longest user agent kept for the audit trail (API calls and browser steps alike).
const MAX_USER_AGENT_CHARS: usize = 256;

/// The User-Agent header, bounded, for the audit trail.
pub fn user_agent(headers: &axum::http::HeaderMap) -> Option<String> {
    headers
        .get(axum::http::header::USER_AGENT)
        .and_then(|v| v.to_str().ok())
        .map(|v| v.chars().take(MAX_USER_AGENT_CHARS).collect())
}

/// The id of the request being served.
#[derive(Debug, Clone)]
pub struct RequestId(String);

impl RequestId {
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The id the middleware gave this request (a fresh one outside the middleware).
    pub fn of(req: &axum::extract::Request) -> Self {
        req.extensions()
            .get::<Self>()
            .cloned()
            .unwrap_or_else(|| Self(uuid::Uuid::new_v4().to_string()))
    }
}

impl<S: Send + Sync> FromRequestParts<S> for RequestId {
    type Rejection = Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        // The middleware always inserts one; a fresh id is the harmless fallback.
        Ok(parts
            .extensions
            .get::<Self>()
            .cloned()
            .unwrap_or_else(|| Self(uuid::Uuid::new_v4().to_string())))
    }
}

/// Outermost middleware: assigns the id, opens the request span, fills status and latency.
pub async fn request_span(mut req: Request, next: Next) -> Response {
    let id = RequestId(uuid::Uuid::new_v4().to_string());
    req.extensions_mut().insert(id.clone());
    let span = tracing::info_span!(
        "request",
        request_id = %id.0,
        method = %req.method(),
        path = %req.uri().path(),
        action = tracing::field::Empty,
        principal = tracing::field::Empty,
        status = tracing::field::Empty,
        latency_ms = tracing::field::Empty,
    );
    let started = std::time::Instant::now();
    let mut response = tracing::Instrument::instrument(next.run(req), span.clone()).await;
    let latency: Duration = started.elapsed();
    span.record("status", response.status().as_u16());
    span.record("latency_ms", latency.as_secs_f64() * 1000.0);
    span.in_scope(|| tracing::info!("served"));
    if let Ok(v) = HeaderValue::from_str(&id.0) {
        response.headers_mut().insert(REQUEST_ID_HEADER, v);
    }
    response
}

/// Keeps the log writer thread; dropping it writes out every line still queued.
#[derive(Debug)]
#[must_use = "dropping the guard stops the log writer"]
pub struct LogGuard {
    _writer: WorkerGuard,
}

/// Installs the global subscriber: `RUST_LOG` filters (default `info`), and
/// `STSBRIDGE_LOG_FORMAT=json` switches to JSON lines for log shippers. Logs go to `writer`
/// (the original stderr when native stderr is being filtered), else to stderr.
///
/// Request threads hand each line to one writer thread instead of writing, and locking,
/// stderr themselves: the per-request log line stays on at INFO without a system call on the
/// request path. When the writer falls behind, callers wait rather than lose lines. Colour
/// codes are written only to a terminal, never to a log file or journald.
pub fn init(writer: Option<std::fs::File>) -> LogGuard {
    use std::io::IsTerminal as _;
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let json = std::env::var("STSBRIDGE_LOG_FORMAT").is_ok_and(|v| v == "json");
    let (ansi, sink): (bool, Box<dyn std::io::Write + Send>) = match writer {
        Some(file) => (file.is_terminal(), Box::new(file)),
        None => (std::io::stderr().is_terminal(), Box::new(std::io::stderr())),
    };
    let (non_blocking, guard) = NonBlockingBuilder::default()
        .lossy(false)
        .thread_name("stsbridge-log")
        .finish(sink);
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(ansi)
        .with_writer(non_blocking);
    let _ = if json {
        builder.json().try_init()
    } else {
        builder.try_init()
    };
    LogGuard { _writer: guard }
}
