//! Application state, router and the layer stack, plus serving with graceful shutdown.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::error_handling::HandleErrorLayer;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use tokio::net::TcpListener;
use tower::{BoxError, ServiceBuilder, ServiceExt};

use crate::authn::oidc::{OidcError, OidcRegistry};
use crate::authn::revocation::RevocationList;
use crate::authn::saml::{SamlError, SamlRegistry};
use crate::clock::SharedClock;
use crate::config::Config;
#[cfg(feature = "demo")]
use crate::demo::DemoIdp;
use crate::protocol::handlers::{error_response, sts_endpoint};
use crate::protocol::{ErrorCode, StsError};
use crate::seal::Keyring;
use crate::store::Store;
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
        Self {
            request_timeout: Duration::from_secs(30),
            max_in_flight: 1024,
            header_read_timeout: Duration::from_secs(10),
            max_connections: 4096,
            shutdown_grace: Duration::from_secs(30),
            keyring_reload: KEYRING_RELOAD,
            revocation_refresh: REVOCATION_REFRESH,
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
    /// The built-in demo IdP, served under `/demo-idp` (demo configuration only).
    #[cfg(feature = "demo")]
    pub demo_idp: Option<Arc<DemoIdp>>,
    /// OIDC providers and their cached keys.
    pub oidc: Arc<OidcRegistry>,
    /// SAML providers and their metadata.
    pub saml: Arc<SamlRegistry>,
    /// Shared state: the replay cache and revocations; audit later.
    pub store: Arc<dyn Store>,
    /// The store's revocations, cached and refreshed every few seconds.
    pub revocations: Arc<RevocationList>,
    /// Outbound HTTP (IdP discovery, keys, OIDC code exchange): bounded, no redirects.
    pub http: reqwest::Client,
    /// The audit trail's queue and writer.
    pub audit: Arc<crate::audit::Auditor>,
    /// `[limits]`: per IP, per subject, per access key.
    pub limiters: Arc<crate::limits::Limiters>,
}

impl AppState {
    #[must_use]
    #[cfg(feature = "demo")]
    pub fn with_demo_idp(mut self, idp: Arc<DemoIdp>) -> Self {
        self.demo_idp = Some(idp);
        self
    }

    /// Builds the state; no network (OIDC keys from files load now, the rest in [`Self::start`]).
    pub fn new(
        config: Config,
        keyring: Keyring,
        clock: SharedClock,
        store: Arc<dyn Store>,
    ) -> Result<Self, StartError> {
        // Outbound calls (discovery, JWKS) are bounded and never follow redirects: a redirect
        // from an IdP host is not a place we agreed to fetch keys from.
        let http = reqwest::Client::builder()
            .connect_timeout(Duration::from_secs(3))
            .timeout(Duration::from_secs(5))
            .redirect(reqwest::redirect::Policy::none())
            .user_agent(concat!("stsbridge/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| StartError::Http(e.to_string()))?;
        let oidc =
            OidcRegistry::new(&config.oidc_providers, http.clone()).map_err(StartError::Oidc)?;
        let saml = SamlRegistry::new(
            &config.saml_providers,
            config.server.saml_sp_key_pem.as_ref(),
            http.clone(),
        )
        .map_err(StartError::Saml)?;
        let config_limits = config.limits;
        let config_audit = crate::config::AuditConfig {
            sink: match &config.audit.sink {
                crate::config::AuditSink::StoreOnly => crate::config::AuditSink::StoreOnly,
                crate::config::AuditSink::Stdout => crate::config::AuditSink::Stdout,
                crate::config::AuditSink::File(p) => crate::config::AuditSink::File(p.clone()),
            },
            retention_days: config.audit.retention_days,
        };
        Ok(Self {
            config: Arc::new(config),
            keyring: Arc::new(keyring),
            clock,
            limits: ServeLimits::default(),
            #[cfg(feature = "demo")]
            demo_idp: None,
            oidc: Arc::new(oidc),
            saml: Arc::new(saml),
            store,
            revocations: Arc::new(RevocationList::default()),
            http,
            audit: Arc::new(crate::audit::Auditor::new(&config_audit)),
            limiters: Arc::new(crate::limits::Limiters::new(&config_limits)),
        })
    }

    /// First fetch of identity-provider keys (each bounded; an IdP that is down does not stop
    /// the bridge), their background refresh, and the store's periodic purge of expired
    /// one-time ids.
    pub async fn start(&self) {
        self.audit.start(Arc::clone(&self.store));
        if let crate::config::KeySource::File(path) = &self.config.tokens {
            tokio::spawn(watch_keyring(
                Arc::downgrade(&self.keyring),
                path.clone(),
                self.limits.keyring_reload,
            ));
        }
        self.oidc.start().await;
        self.saml.start().await;
        self.refresh_revocations().await;
        let me = self.clone();
        tokio::spawn(async move {
            // Other replicas' (and the CLI's) revocations reach this one within this interval.
            let mut tick = tokio::time::interval(me.limits.revocation_refresh);
            tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                tick.tick().await;
                if Arc::strong_count(&me.revocations) == 1 {
                    break; // the application is gone
                }
                me.refresh_revocations().await;
            }
        });
        let store = Arc::downgrade(&self.store);
        let clock = self.clock.clone();
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(PURGE_INTERVAL);
            tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                tick.tick().await;
                // Stops with the application: the task holds no strong reference.
                let Some(store) = store.upgrade() else { break };
                match store.purge_expired(clock.now()).await {
                    Ok(0) => {}
                    Ok(n) => tracing::debug!(rows = n, "purged expired one-time ids"),
                    Err(e) => tracing::warn!(error = %e, "store purge failed"),
                }
            }
        });
    }
}

/// How often the keyring file is checked for a rotation made elsewhere (`stsbridge keys
/// rotate` on a shared, mounted secret).
pub const KEYRING_RELOAD: Duration = Duration::from_secs(5);

/// Reloads the keyring when its file changes (size or modification time); ends with the app.
async fn watch_keyring(
    keyring: std::sync::Weak<Keyring>,
    path: std::path::PathBuf,
    every: Duration,
) {
    let stamp = |m: &std::fs::Metadata| (m.len(), m.modified().ok());
    let mut last = tokio::fs::metadata(&path).await.ok().map(|m| stamp(&m));
    let mut tick = tokio::time::interval(every);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tick.tick().await;
        let Some(ring) = keyring.upgrade() else { break };
        let now = tokio::fs::metadata(&path).await.ok().map(|m| stamp(&m));
        if now == last {
            continue;
        }
        last = now;
        match ring.reload(&path) {
            Ok(true) => tracing::info!(keys = ?ring.key_ids(), "keyring reloaded"),
            Ok(false) => {}
            Err(e) => {
                tracing::warn!(error = %e, "keyring file changed but could not be loaded; keeping the current keys");
            }
        }
    }
}

/// How often the revocation cache is reloaded from the store.
pub const REVOCATION_REFRESH: Duration = Duration::from_secs(5);

impl AppState {
    /// Reloads the revocation cache; on a store error the previous list stays in force.
    pub async fn refresh_revocations(&self) {
        match self.store.list_revocations(self.clock.now()).await {
            Ok(records) => {
                crate::metrics::global().set_revocations(records.len());
                self.revocations.replace(records);
            }
            Err(e) => {
                tracing::warn!(error = %e, "revocations could not be reloaded; keeping the previous list");
            }
        }
    }
}

/// How often expired replay-cache rows are deleted.
const PURGE_INTERVAL: Duration = Duration::from_mins(5);

/// Why the application could not be assembled.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error("cannot build the HTTP client: {0}")]
    Http(String),
    #[error(transparent)]
    Oidc(OidcError),
    #[error(transparent)]
    Saml(SamlError),
}

/// The full router with its layers. Layer order, outermost first:
/// 1. request id + span (so everything below, errors included, is logged with the id);
/// 2. the unread-body drain, so a connection survives an answer given before the body was
///    read ([`crate::unread_body`]);
/// 3. overload/timeout handling, turning tower errors into STS error documents;
/// 4. load shedding over a concurrency limit, then the request timeout.
pub fn router(state: AppState) -> Router {
    let protective = ServiceBuilder::new()
        .layer(HandleErrorLayer::new(layer_error))
        .load_shed()
        .concurrency_limit(state.limits.max_in_flight)
        .timeout(state.limits.request_timeout);
    let sts = get(crate::web::login::root_get).post(sts_endpoint);
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
            .nest(&prefix, crate::web::routes(&state));
    }
    #[cfg(feature = "demo")]
    if let Some(idp) = &state.demo_idp {
        // The demo IdP's pages get the same headers as ours (CSP, no framing, no caching).
        routes = routes.merge(
            idp.clone()
                .routes()
                .layer(axum::middleware::from_fn_with_state(
                    state.clone(),
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
        .merge(crate::web::routes(&state))
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz))
        .route("/metrics", get(metrics))
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .with_state(state)
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
async fn metrics(axum::extract::State(state): axum::extract::State<AppState>) -> Response {
    (
        [(
            axum::http::header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )],
        crate::metrics::global().render(state.audit.dropped(), state.audit.written()),
    )
        .into_response()
}

/// Liveness: the process serves HTTP.
async fn healthz() -> &'static str {
    "ok"
}

/// Readiness: configuration and keyring are loaded, and the store answers.
async fn readyz(axum::extract::State(state): axum::extract::State<AppState>) -> impl IntoResponse {
    match state.store.ping().await {
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
    state: AppState,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let limits = state.limits;
    let app = router(state);
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
