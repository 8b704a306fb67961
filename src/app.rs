//! The HTTP application: the router, the layer stack (order explained at [`router`]) and
//! serving with graceful shutdown. Every handler it routes to takes the one [`Bridge`].

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::error_handling::HandleErrorLayer;
use axum::extract::{Request, State};
use axum::handler::Handler as _;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use tokio::net::TcpListener;
use tower::{BoxError, ServiceBuilder, ServiceExt};

#[cfg(feature = "demo")]
use crate::demo::DemoIdp;
use crate::protocol::handlers::sts_endpoint;
use crate::protocol::response::error_response;
use crate::protocol::{ErrorCode, StsError};
use crate::sts::bridge::{Bridge, Refresh};
use crate::telemetry::{self, RequestId};
#[cfg(feature = "demo")]
use crate::web::login::{ExtraSignIn, ExtraSignIns};

/// Protective limits of the HTTP layer, and how often the bridge looks for changes made
/// elsewhere.
#[derive(Debug, Clone, Copy)]
pub struct ServeLimits {
    /// A request (body upload included) that takes longer is cut off: nothing the bridge does
    /// should take seconds, and slow clients must not hold connections and workers forever.
    pub request_timeout: Duration,
    /// Requests served at once; past this, new ones are shed with a retryable 503 instead of
    /// queueing without bound.
    pub max_in_flight: usize,
    /// A connection must deliver a complete request head within this time, whether it is new
    /// or idle between keep-alive requests; otherwise it is closed (slowloris, idle hoarding).
    pub header_read_timeout: Duration,
    /// Open connections at once; a connection beyond this is closed at accept.
    pub max_connections: usize,
    /// After a shutdown signal, in-flight requests get this long to finish.
    pub shutdown_grace: Duration,
    /// How often the keyring file is checked for a rotation made elsewhere.
    pub keyring_reload: Duration,
    /// How often revocations are reloaded from the store (other replicas' reach this one
    /// within this time).
    pub revocation_refresh: Duration,
}

impl Default for ServeLimits {
    fn default() -> Self {
        let refresh = Refresh::default();
        Self {
            request_timeout: Duration::from_secs(30),
            max_in_flight: 1024,
            header_read_timeout: Duration::from_secs(10),
            max_connections: 4096,
            shutdown_grace: Duration::from_secs(30),
            keyring_reload: refresh.keyring_reload,
            revocation_refresh: refresh.revocation_refresh,
        }
    }
}

impl ServeLimits {
    fn refresh(&self) -> Refresh {
        Refresh {
            keyring_reload: self.keyring_reload,
            revocation_refresh: self.revocation_refresh,
        }
    }
}

/// What `serve` runs: the bridge, the HTTP limits and, in the demo, the built-in IdP.
#[derive(Debug, Clone)]
pub struct App {
    pub bridge: Arc<Bridge>,
    pub limits: ServeLimits,
    /// The built-in demo IdP, served under `/demo-idp` (demo configuration only).
    #[cfg(feature = "demo")]
    pub demo_idp: Option<Arc<DemoIdp>>,
}

impl App {
    pub fn new(bridge: Bridge) -> Self {
        Self {
            bridge: Arc::new(bridge),
            limits: ServeLimits::default(),
            #[cfg(feature = "demo")]
            demo_idp: None,
        }
    }

    #[must_use]
    pub fn with_limits(mut self, limits: ServeLimits) -> Self {
        self.limits = limits;
        self
    }

    #[must_use]
    #[cfg(feature = "demo")]
    pub fn with_demo_idp(mut self, idp: Arc<DemoIdp>) -> Self {
        self.demo_idp = Some(idp);
        self
    }

    /// Starts the bridge's background work (first IdP fetches, refreshes, purge).
    pub async fn start(&self) {
        self.bridge.start(self.limits.refresh()).await;
    }
}

/// The full router with its layers. Layer order, outermost first:
/// 1. request id + span (so everything below, errors included, is logged with the id);
/// 2. the unread-body drain, so a connection survives an answer given before the body was
///    read ([`crate::unread_body`]);
/// 3. overload/timeout handling, turning tower errors into STS error documents;
/// 4. load shedding over a concurrency limit, then the request timeout.
pub fn router(app: &App) -> Router {
    let state = &app.bridge;
    let protective = ServiceBuilder::new()
        .layer(HandleErrorLayer::new(layer_error))
        .load_shed()
        .concurrency_limit(app.limits.max_in_flight)
        .timeout(app.limits.request_timeout);
    let sts = get(root_get).post(sts_endpoint);
    let mut routes = Router::new().route("/", sts.clone());
    // Behind a reverse proxy the bridge may live under a path (`public_url =
    // "https://example.com/sts"`); clients then send to, and sign, that path.
    let prefix = state
        .config
        .server
        .public_url
        .path()
        .trim_end_matches('/')
        .to_owned();
    if !prefix.is_empty() {
        routes = routes
            .route(&prefix, sts.clone())
            .route(&format!("{prefix}/"), sts)
            .route(
                &format!("{prefix}/authorize"),
                axum::routing::post(crate::protocol::authorize::authorize_endpoint),
            )
            .nest(&prefix, crate::web::routes(state));
    }
    #[cfg(feature = "demo")]
    if let Some(idp) = &app.demo_idp {
        // The demo SAML IdP has no redirect SSO endpoint: it signs in IdP-initiated.
        let link = ExtraSignIn {
            id: "demo-saml",
            name: "Demo SAML IdP, IdP-initiated (DEMO ONLY)",
            kind: "SAML 2.0",
            path: format!("{}/saml/login", crate::demo::DEMO_IDP_PATH),
        };
        routes = routes.layer(axum::Extension(ExtraSignIns(Arc::from([link]))));
        // The demo IdP's pages get the same headers as ours (CSP, no framing, no caching).
        routes = routes.merge(
            idp.clone()
                .routes()
                .layer(axum::middleware::from_fn_with_state(
                    Arc::clone(state),
                    crate::web::page_layer,
                )),
        );
    }
    let cors = cors_layer(&state.config.server.cors_origins);
    let app = routes
        .route(
            "/authorize",
            axum::routing::post(crate::protocol::authorize::authorize_endpoint),
        )
        .merge(crate::web::routes(state))
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz))
        .route("/metrics", get(metrics))
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .with_state(Arc::clone(state))
        .layer(protective);
    // CORS sits outside the protective layers so preflights are answered cheaply, and inside
    // the request span so they are logged with an id.
    let app = match cors {
        Some(cors) => app.layer(cors),
        None => app,
    };
    // Outside the protective layers: their early answers (timeouts, 413s below) leave bodies
    // unread too, and the client's next request on the connection must not fail for it.
    app.layer(axum::middleware::from_fn_with_state(
        crate::unread_body::DrainSlots::default(),
        crate::unread_body::drain_unread_body,
    ))
    .layer(axum::middleware::from_fn(telemetry::request_span))
}

/// `GET /`: the login page for a browser (no query, no signature), else the STS endpoint.
async fn root_get(State(bridge): State<Arc<Bridge>>, req: Request) -> Response {
    // A browser opening the bridge sends neither a signature nor a query; anything else is
    // an API call (and gets the API's errors, MissingAction included).
    let is_api = req.headers().contains_key(header::AUTHORIZATION)
        || req.uri().query().is_some_and(|q| !q.is_empty());
    if is_api {
        sts_endpoint.call(req, bridge).await
    } else {
        crate::web::login::show.call(req, bridge).await
    }
}

/// Browser apps on the configured origins may call the STS API (web identity from a single-page
/// app, signed calls with temporary credentials). No origins configured: no CORS headers at all.
fn cors_layer(origins: &[url::Url]) -> Option<tower_http::cors::CorsLayer> {
    use axum::http::{HeaderName, HeaderValue, Method};
    if origins.is_empty() {
        return None;
    }
    let allowed: Vec<HeaderValue> = origins
        .iter()
        .filter_map(|u| HeaderValue::from_str(&u.origin().ascii_serialization()).ok())
        .collect();
    let headers = [
        "authorization",
        "content-type",
        "x-amz-date",
        "x-amz-security-token",
        "x-amz-content-sha256",
        "x-amz-user-agent",
        "amz-sdk-invocation-id",
        "amz-sdk-request",
    ]
    .map(HeaderName::from_static);
    Some(
        tower_http::cors::CorsLayer::new()
            .allow_origin(allowed)
            .allow_methods([Method::GET, Method::POST])
            .allow_headers(headers)
            .expose_headers([telemetry::REQUEST_ID_HEADER])
            .max_age(Duration::from_mins(10)),
    )
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

/// Unknown paths and methods still get an STS error document, never an empty body.
async fn not_found(request_id: RequestId) -> Response {
    error_response(
        &StsError::new(
            ErrorCode::NotFound,
            "There is no STS endpoint at this path.",
        ),
        &request_id,
    )
}

async fn method_not_allowed(request_id: RequestId) -> Response {
    error_response(
        &StsError::new(
            ErrorCode::MethodNotAllowed,
            "The STS API accepts GET and POST only.",
        ),
        &request_id,
    )
}

/// Prometheus text exposition of [`crate::metrics`].
async fn metrics(axum::extract::State(bridge): axum::extract::State<Arc<Bridge>>) -> Response {
    (
        [(
            axum::http::header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )],
        bridge.render_metrics(),
    )
        .into_response()
}

/// Liveness: the process serves HTTP.
async fn healthz() -> &'static str {
    "ok"
}

/// Readiness: configuration and keyring are loaded, and the store answers.
async fn readyz(
    axum::extract::State(bridge): axum::extract::State<Arc<Bridge>>,
) -> impl IntoResponse {
    match bridge.ready().await {
        Ok(()) => (StatusCode::OK, "ready"),
        Err(e) => {
            tracing::warn!(error = %e, "store not ready");
            (StatusCode::SERVICE_UNAVAILABLE, "store unavailable")
        }
    }
}

/// Serves HTTP/1.1 on an already-bound listener until `shutdown` resolves, then stops
/// accepting and lets in-flight requests finish (for at most `shutdown_grace`).
///
/// This is hyper's connection loop rather than `axum::serve`, because axum's gives no header
/// read timeout and no connection cap: a client trickling header bytes, or opening connections
/// and sending nothing, could hold sockets forever. TLS, when used, ends at a proxy in front.
pub async fn serve(
    listener: TcpListener,
    app: App,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let limits = app.limits;
    let app = router(&app);
    let graceful = hyper_util::server::graceful::GracefulShutdown::new();
    let slots = Arc::new(tokio::sync::Semaphore::new(limits.max_connections));
    tokio::pin!(shutdown);
    loop {
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(conn) => conn,
                // Per-connection failures (reset before accept, fd exhaustion) must not stop
                // the server; a short pause keeps fd exhaustion from spinning the loop.
                Err(e) => {
                    tracing::warn!(error = %e, "accept failed");
                    tokio::time::sleep(Duration::from_millis(10)).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        let Ok(slot) = slots.clone().try_acquire_owned() else {
            tracing::warn!(%peer, "connection limit reached; closing new connection");
            continue;
        };
        let service = hyper_util::service::TowerToHyperService::new(app.clone().map_request(
            move |mut req: axum::http::Request<hyper::body::Incoming>| {
                req.extensions_mut()
                    .insert(axum::extract::ConnectInfo(peer));
                req
            },
        ));
        let conn = hyper::server::conn::http1::Builder::new()
            .timer(hyper_util::rt::TokioTimer::new())
            .header_read_timeout(limits.header_read_timeout)
            .serve_connection(hyper_util::rt::TokioIo::new(stream), service);
        let conn = graceful.watch(conn);
        tokio::spawn(async move {
            // Errors here are the client's (reset, timeout, malformed HTTP) and already
            // answered or closed by hyper.
            if let Err(e) = conn.await {
                tracing::debug!(error = %e, %peer, "connection ended with an error");
            }
            drop(slot);
        });
    }
    drop(listener);
    if tokio::time::timeout(limits.shutdown_grace, graceful.shutdown())
        .await
        .is_err()
    {
        tracing::warn!("shutdown grace period over; dropping remaining connections");
    }
    Ok(())
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
