//! Application state, router and the layer stack, plus serving with graceful shutdown.

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::error_handling::HandleErrorLayer;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use tokio::net::TcpListener;
use tower::{BoxError, ServiceBuilder};

use crate::clock::SharedClock;
use crate::config::Config;
use crate::mint::Keyring;
use crate::protocol::handlers::{error_response, sts_endpoint};
use crate::protocol::{ErrorCode, StsError};
use crate::telemetry::{self, RequestId};

/// Protective limits of the HTTP layer.
#[derive(Debug, Clone, Copy)]
pub struct ServeLimits {
    /// A request (body upload included) that takes longer is cut off: nothing the bridge does
    /// should take seconds, and slow clients must not hold connections and workers forever.
    pub request_timeout: Duration,
    /// Requests served at once; past this, new ones are shed with a retryable 503 instead of
    /// queueing without bound.
    pub max_in_flight: usize,
}

impl Default for ServeLimits {
    fn default() -> Self {
        Self {
            request_timeout: Duration::from_secs(30),
            max_in_flight: 1024,
        }
    }
}

/// Everything a handler needs; cheap to clone.
#[derive(Debug, Clone)]
pub struct AppState {
    pub config: Arc<Config>,
    pub keyring: Arc<Keyring>,
    pub clock: SharedClock,
    pub limits: ServeLimits,
}

impl AppState {
    pub fn new(config: Config, keyring: Keyring, clock: SharedClock) -> Self {
        Self {
            config: Arc::new(config),
            keyring: Arc::new(keyring),
            clock,
            limits: ServeLimits::default(),
        }
    }
}

/// The full router with its layers. Layer order, outermost first:
/// 1. request id + span (so everything below, errors included, is logged with the id);
/// 2. overload/timeout handling, turning tower errors into STS error documents;
/// 3. load shedding over a concurrency limit, then the request timeout.
pub fn router(state: AppState) -> Router {
    let protective = ServiceBuilder::new()
        .layer(HandleErrorLayer::new(layer_error))
        .load_shed()
        .concurrency_limit(state.limits.max_in_flight)
        .timeout(state.limits.request_timeout);
    Router::new()
        .route("/", get(sts_endpoint).post(sts_endpoint))
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz))
        .with_state(state)
        .layer(protective)
        .layer(axum::middleware::from_fn(telemetry::request_span))
}

async fn layer_error(request_id: RequestId, err: BoxError) -> Response {
    let e = if err.is::<tower::timeout::error::Elapsed>() {
        StsError::new(
            ErrorCode::RequestTimeout,
            "The request took too long and was cut off.",
        )
    } else if err.is::<tower::load_shed::error::Overloaded>() {
        StsError::new(
            ErrorCode::ServiceUnavailable,
            "The service is overloaded; retry later.",
        )
    } else {
        tracing::error!(error = %err, "layer failure");
        StsError::internal()
    };
    error_response(&e, &request_id)
}

/// Liveness: the process serves HTTP.
async fn healthz() -> &'static str {
    "ok"
}

/// Readiness: configuration and keyring are loaded (they are, once the router exists).
async fn readyz() -> impl IntoResponse {
    (StatusCode::OK, "ready")
}

/// Serves on an already-bound listener until `shutdown` resolves, then lets in-flight requests
/// finish.
pub async fn serve(
    listener: TcpListener,
    state: AppState,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let app = router(state).into_make_service_with_connect_info::<SocketAddr>();
    axum::serve(listener, app)
        .with_graceful_shutdown(shutdown)
        .await
}

/// Resolves on SIGINT (Ctrl-C) or SIGTERM.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = term => {},
    }
    tracing::info!("shutdown signal received; finishing in-flight requests");
}
