//! Registry tests against a test IdP on loopback: initial load, outage and recovery, rotation,
//! the rate-limited unknown-`kid` refetch, `Cache-Control`, and task shutdown.

use std::sync::Mutex as StdMutex;

use axum::Router;
use axum::extract::State;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use chrono::TimeDelta;
use jsonwebtoken::Algorithm;
use serde_json::{Value, json};
use url::Url;

use super::testkit::*;
use super::*;
use crate::config::JwksSource;

/// A test IdP serving discovery and JWKS on 127.0.0.1:0, counting requests.
struct Idp {
    issuer: String,
    state: Arc<StdMutex<IdpState>>,
}

struct IdpState {
    issuer: String,
    up: bool,
    jwks: Value,
    cache_control: Option<&'static str>,
    discovery_hits: usize,
    jwks_hits: usize,
}

type Shared = Arc<StdMutex<IdpState>>;

async fn discovery_doc(State(state): State<Shared>) -> Response {
    let mut s = state.lock().unwrap();
    s.discovery_hits += 1;
    if !s.up {
        return StatusCode::SERVICE_UNAVAILABLE.into_response();
    }
    axum::Json(json!({
        "issuer": s.issuer,
        "jwks_uri": format!("{}/jwks", s.issuer),
        "id_token_signing_alg_values_supported": ["RS256", "ES256"],
    }))
    .into_response()
}

async fn jwks_doc(State(state): State<Shared>) -> Response {
    let mut s = state.lock().unwrap();
    s.jwks_hits += 1;
    if !s.up {
        return StatusCode::SERVICE_UNAVAILABLE.into_response();
    }
    let mut response = axum::Json(s.jwks.clone()).into_response();
    if let Some(cc) = s.cache_control {
        response
            .headers_mut()
            .insert(header::CACHE_CONTROL, HeaderValue::from_static(cc));
    }
    response
}

impl Idp {
    async fn start(jwks: Value) -> Self {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let issuer = format!("http://{}", listener.local_addr().unwrap());
        let state = Arc::new(StdMutex::new(IdpState {
            issuer: issuer.clone(),
            up: true,
            jwks,
            cache_control: None,
            discovery_hits: 0,
            jwks_hits: 0,
        }));
        let app = Router::new()
            .route("/.well-known/openid-configuration", get(discovery_doc))
            .route("/jwks", get(jwks_doc))
            .with_state(Arc::clone(&state));
        tokio::spawn(async move { axum::serve(listener, app).await });
        Self { issuer, state }
    }

    fn set(&self, f: impl FnOnce(&mut IdpState)) {
        f(&mut self.state.lock().unwrap());
    }

    fn jwks_hits(&self) -> usize {
        self.state.lock().unwrap().jwks_hits
    }

    fn discovery_hits(&self) -> usize {
        self.state.lock().unwrap().discovery_hits
    }

    fn claims(&self) -> Value {
        let mut c = claims();
        c["iss"] = json!(self.issuer);
        c
    }

    /// A registry whose provider 0 discovers this IdP.
    fn registry(&self, policy: RefreshPolicy) -> Arc<OidcRegistry> {
        let providers = [provider(&self.issuer, JwksSource::Discovery)];
        Arc::new(OidcRegistry::with_policy(&providers, http(), policy).unwrap())
    }
}

fn fast_policy() -> RefreshPolicy {
    RefreshPolicy {
        fetch_timeout: Duration::from_secs(2),
        min_backoff: Duration::from_millis(20),
        max_backoff: Duration::from_millis(100),
        ..RefreshPolicy::default()
    }
}

fn keys_v1() -> Value {
    json!({ "keys": [rsa_jwk(1, "k1", Some("RS256")), ec_jwk("e1", None)] })
}

#[tokio::test]
async fn initial_load_via_discovery_and_via_url() {
    let idp = Idp::start(keys_v1()).await;
    let by_url = "https://url-source.test";
    let providers = [
        provider(&idp.issuer, JwksSource::Discovery),
        provider(
            by_url,
            JwksSource::Url(Url::parse(&format!("{}/jwks", idp.issuer)).unwrap()),
        ),
    ];
    let reg = Arc::new(OidcRegistry::new(&providers, http()).unwrap());
    assert!(!reg.keys_loaded(0) && !reg.keys_loaded(1));
    reg.start().await;
    assert!(reg.keys_loaded(0) && reg.keys_loaded(1));
    assert_eq!(idp.discovery_hits(), 1);
    assert_eq!(idp.jwks_hits(), 2);

    let v = reg
        .verify(
            &sign(Algorithm::RS256, Some("k1"), &rsa_key(1), &idp.claims()),
            now(),
        )
        .await
        .unwrap();
    assert_eq!(
        (v.provider_index, v.issuer.as_str()),
        (0, idp.issuer.as_str())
    );
    let mut c = idp.claims();
    c["iss"] = json!(by_url);
    let v = reg
        .verify(&sign(Algorithm::ES256, Some("e1"), &ec_key(), &c), now())
        .await
        .unwrap();
    assert_eq!(v.provider_index, 1);
    assert_eq!(
        v.provider_arn,
        "arn:aws:iam::123456789012:oidc-provider/url-source.test"
    );

    // A second start spawns nothing and fetches nothing.
    reg.start().await;
    assert_eq!(idp.jwks_hits(), 2);
}

#[tokio::test]
async fn idp_down_at_start_then_recovers() {
    let idp = Idp::start(keys_v1()).await;
    idp.set(|s| s.up = false);
    let reg = idp.registry(fast_policy());
    reg.start().await;
    let token = sign(Algorithm::RS256, Some("k1"), &rsa_key(1), &idp.claims());
    assert_eq!(
        reg.verify(&token, now()).await.unwrap_err(),
        OidcError::KeysUnavailable
    );

    idp.set(|s| s.up = true);
    let mut keys = reg.providers[0].keys.subscribe();
    tokio::time::timeout(Duration::from_secs(10), keys.wait_for(Option::is_some))
        .await
        .expect("the backoff retry loads the keys")
        .unwrap();
    reg.verify(&token, now()).await.unwrap();
}

#[tokio::test]
async fn failed_refresh_keeps_previous_keys() {
    let idp = Idp::start(keys_v1()).await;
    let reg = idp.registry(fast_policy());
    reg.start().await;
    idp.set(|s| s.up = false);
    assert!(reg.refresh(0).await.is_err());
    let token = sign(Algorithm::RS256, Some("k1"), &rsa_key(1), &idp.claims());
    reg.verify(&token, now()).await.unwrap();
}

#[tokio::test]
async fn rotation_is_picked_up_by_the_unknown_kid_refetch() {
    let idp = Idp::start(keys_v1()).await;
    let reg = idp.registry(RefreshPolicy::default());
    reg.start().await;
    let old = sign(Algorithm::RS256, Some("k1"), &rsa_key(1), &idp.claims());
    reg.verify(&old, now()).await.unwrap();
    let before = idp.jwks_hits();

    idp.set(|s| s.jwks = json!({ "keys": [rsa_jwk(2, "k2", Some("RS256"))] }));
    let new = sign(Algorithm::RS256, Some("k2"), &rsa_key(2), &idp.claims());
    let v = reg.verify(&new, now()).await.unwrap();
    assert_eq!(v.subject, "user-123");
    assert_eq!(idp.jwks_hits(), before + 1);
    // The retired key is gone with the old set, and asking again within the minute does
    // not reach the IdP.
    assert_eq!(
        reg.verify(&old, now()).await.unwrap_err(),
        OidcError::UnknownKey
    );
    assert_eq!(idp.jwks_hits(), before + 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unknown_kid_refetch_is_single_flight_and_rate_limited() {
    let idp = Idp::start(keys_v1()).await;
    let reg = idp.registry(RefreshPolicy::default());
    reg.start().await;
    let before = idp.jwks_hits();

    let mut tasks = tokio::task::JoinSet::new();
    for i in 0..50 {
        let reg = Arc::clone(&reg);
        let token = sign(
            Algorithm::RS256,
            Some(&format!("made-up-{i}")),
            &rsa_key(1),
            &idp.claims(),
        );
        tasks.spawn(async move { reg.verify(&token, now()).await });
    }
    while let Some(result) = tasks.join_next().await {
        assert_eq!(result.unwrap().unwrap_err(), OidcError::UnknownKey);
    }
    assert_eq!(idp.jwks_hits(), before + 1);

    // A minute later (by the request clock) one more refetch is allowed.
    let later = now() + TimeDelta::seconds(61);
    let token = sign(
        Algorithm::RS256,
        Some("made-up-x"),
        &rsa_key(1),
        &idp.claims(),
    );
    for _ in 0..5 {
        assert_eq!(
            reg.verify(&token, later).await.unwrap_err(),
            OidcError::UnknownKey
        );
    }
    assert_eq!(idp.jwks_hits(), before + 2);
}

#[tokio::test]
async fn cache_control_sets_the_next_refresh() {
    let idp = Idp::start(keys_v1()).await;
    let reg = idp.registry(RefreshPolicy::default());
    let p = &reg.providers[0];
    for (header, secs) in [
        (None, 3600),
        (Some("public, max-age=600"), 600),
        (Some("max-age=5"), 300),
        (Some("max-age=9999999, must-revalidate"), 86_400),
        (Some("no-store"), 300),
    ] {
        idp.set(|s| s.cache_control = header);
        let ttl = reg.fetch_and_install(p, false).await.unwrap();
        assert_eq!(ttl, Duration::from_secs(secs), "{header:?}");
    }
    // Discovery ran once; later fetches used the cached jwks_uri.
    assert_eq!(idp.discovery_hits(), 1);
}

#[tokio::test]
async fn discovery_for_another_issuer_is_refused() {
    let idp = Idp::start(keys_v1()).await;
    // Same discovery URL (the trailing slash is dropped), but the document's issuer has
    // no slash: not ours.
    let providers = [provider(&format!("{}/", idp.issuer), JwksSource::Discovery)];
    let reg = OidcRegistry::new(&providers, http()).unwrap();
    let err = reg.refresh(0).await.unwrap_err();
    assert!(matches!(err, FetchError::Discovery(_)), "{err}");
    assert!(!reg.keys_loaded(0));
    assert_eq!(idp.jwks_hits(), 0);
}

#[tokio::test]
async fn refresh_tasks_end_with_the_registry() {
    let idp = Idp::start(keys_v1()).await;
    let tiny = Duration::from_millis(10);
    let reg = idp.registry(RefreshPolicy {
        min_ttl: tiny,
        max_ttl: tiny,
        default_ttl: tiny,
        ..RefreshPolicy::default()
    });
    reg.start().await;
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    while idp.jwks_hits() < 4 {
        assert!(
            tokio::time::Instant::now() < deadline,
            "refreshes keep coming"
        );
        tokio::time::sleep(tiny).await;
    }
    let weak = Arc::downgrade(&reg);
    drop(reg);
    assert!(weak.upgrade().is_none(), "tasks hold no strong reference");
    let after_drop = idp.jwks_hits();
    tokio::time::sleep(Duration::from_millis(200)).await;
    // At most one fetch was already under way when the registry went.
    assert!(idp.jwks_hits() <= after_drop + 1);
}

#[test]
fn file_providers_need_no_start() {
    let reg = standard_registry();
    assert!(reg.keys_loaded(0) && reg.keys_loaded(1) && !reg.keys_loaded(2));
}

#[test]
fn bad_jwks_file_names_the_provider() {
    let providers = [
        provider(
            "https://ok.test",
            file_source(&json!({ "keys": [ec_jwk("a", None)] })),
        ),
        provider(
            "https://bad.test",
            file_source(&json!({ "keys": [{ "kty": "oct", "k": "c2VjcmV0" }] })),
        ),
    ];
    let err = OidcRegistry::new(&providers, http()).unwrap_err();
    let OidcError::Config(msg) = err else {
        panic!("wrong variant: {err:?}")
    };
    assert!(
        msg.contains("oidc_providers[1]") && msg.contains("https://bad.test"),
        "{msg}"
    );
    assert!(msg.contains("no usable signing key"), "{msg}");
}

#[test]
fn verify_future_is_send() {
    fn assert_send<T: Send>(_: &T) {}
    let fut = standard_registry().verify("x.y.z", now());
    assert_send(&fut);
}
