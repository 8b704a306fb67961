//! Starts the real application on an ephemeral loopback port with a steppable clock, and builds
//! SDK clients pointed at it.

pub(crate) mod browser;
pub(crate) mod idp;
pub(crate) mod postgres;
pub(crate) mod skip;
pub(crate) mod web;

use std::net::SocketAddr;
use std::sync::Arc;

use aws_sdk_sts::config::{BehaviorVersion, Credentials, Region};
use stsbridge::app::{self, App};
use stsbridge::clock::ManualClock;
use stsbridge::config::{self, Config};
use stsbridge::seal::Keyring;
use stsbridge::sts::bridge::Bridge;
use tokio::sync::oneshot;

/// TEST-ONLY keys: they exist in this file and nowhere else.
pub(crate) const ADMIN_KEY: &str = "AKIATESTADMIN0000001";
pub(crate) const ADMIN_SECRET: &str = "test/ADMIN/secret/do+not+use+0000000000";
pub(crate) const DEV_KEY: &str = "AKIATESTDEVELOPER001";
pub(crate) const DEV_SECRET: &str = "test/DEVELOPER/secret/do+not+use+000000";
pub(crate) const ACCOUNT: &str = "123456789012";

pub(crate) fn test_config_toml() -> String {
    format!(
        r#"
[server]
listen = "127.0.0.1:0"
account_id = "{ACCOUNT}"

[store]
url = "sqlite::memory:"

[[users]]
name = "admin"
access_key_id = "{ADMIN_KEY}"
secret_access_key = "{ADMIN_SECRET}"
policies = ['''{{"Version":"2012-10-17","Statement":[{{"Effect":"Allow","Action":"*","Resource":"*"}}]}}''']

[[users]]
name = "developer"
access_key_id = "{DEV_KEY}"
secret_access_key = "env:STSBRIDGE_TEST_DEV_SECRET"

[[roles]]
name = "reader"
path = "/team/"
trust_policy = '''{{"Version":"2012-10-17","Statement":[{{"Effect":"Allow","Principal":{{"AWS":"arn:aws:iam::{ACCOUNT}:root"}},"Action":"sts:AssumeRole"}}]}}'''
"#
    )
}

pub(crate) fn test_config() -> Config {
    config_from(&test_config_toml())
}

/// Validates config text with the test environment (the developer's secret comes from env:).
pub(crate) fn config_from(toml: &str) -> Config {
    let env = std::collections::HashMap::from([(
        "STSBRIDGE_TEST_DEV_SECRET".to_owned(),
        DEV_SECRET.to_owned(),
    )]);
    config::from_toml(toml, std::path::Path::new("."), &env).expect("test config is valid")
}

/// An SDK client for an endpoint URL, with retries off so each call is one request.
pub(crate) fn sdk_client(
    endpoint: &str,
    key: &str,
    secret: &str,
    token: Option<&str>,
    region: &str,
) -> aws_sdk_sts::Client {
    let conf = aws_sdk_sts::Config::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new(region.to_owned()))
        .endpoint_url(endpoint)
        .credentials_provider(Credentials::new(
            key,
            secret,
            token.map(str::to_owned),
            None,
            "stsbridge-tests",
        ))
        .retry_config(aws_sdk_sts::config::retry::RetryConfig::disabled())
        .build();
    aws_sdk_sts::Client::from_conf(conf)
}

/// Lets an SDK client sign with the server's manual clock.
#[derive(Debug)]
pub(crate) struct ServerClock(pub(crate) Arc<ManualClock>);

impl aws_smithy_async::time::TimeSource for ServerClock {
    fn now(&self) -> std::time::SystemTime {
        stsbridge::clock::Clock::now(self.0.as_ref()).into()
    }
}

/// A running server; shut down when dropped.
pub(crate) struct TestServer {
    pub addr: SocketAddr,
    pub clock: Arc<ManualClock>,
    pub bridge: Arc<Bridge>,
    /// The demo IdP, when the server runs the embedded demo.
    pub demo_idp: Option<Arc<stsbridge::demo::DemoIdp>>,
    shutdown: Option<oneshot::Sender<()>>,
    task: Option<tokio::task::JoinHandle<std::io::Result<()>>>,
}

impl TestServer {
    pub(crate) async fn start() -> Self {
        Self::start_with(app::ServeLimits::default()).await
    }

    pub(crate) async fn start_with(limits: app::ServeLimits) -> Self {
        Self::start_custom(limits, test_config()).await
    }

    pub(crate) async fn start_custom(limits: app::ServeLimits, config: Config) -> Self {
        let keyring = Keyring::generate(stsbridge::clock::Clock::now(&ManualClock::starting_now()));
        Self::start_full(limits, config, keyring).await
    }

    /// A server with a given keyring: replicas that load the same keyring file share sessions.
    pub(crate) async fn start_full(
        limits: app::ServeLimits,
        config: Config,
        keyring: Keyring,
    ) -> Self {
        let clock = Arc::new(ManualClock::starting_now());
        let store = stsbridge::store::open(&config.store).await.unwrap();
        let state = App::new(Bridge::new(config, keyring, clock.clone(), store).unwrap())
            .with_limits(limits);
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        Self::serve(listener, state, clock).await
    }

    /// A server whose configuration knows its own address (browser flows need `public_url`
    /// for redirect URIs and the SAML ACS).
    pub(crate) async fn start_bound(config: impl FnOnce(SocketAddr) -> Config) -> Self {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let config = config(listener.local_addr().unwrap());
        let clock = Arc::new(ManualClock::starting_now());
        let keyring = Keyring::generate(stsbridge::clock::Clock::now(clock.as_ref()));
        let store = stsbridge::store::open(&config.store).await.unwrap();
        let state = App::new(Bridge::new(config, keyring, clock.clone(), store).unwrap());
        Self::serve(listener, state, clock).await
    }

    /// The embedded demo (its IdP included) on an ephemeral loopback port.
    pub(crate) async fn start_demo() -> (Self, Vec<stsbridge::demo::DemoCredentials>) {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap().to_string();
        let clock = Arc::new(ManualClock::starting_now());
        let demo = stsbridge::demo::demo_config(Some(&addr), clock.clone()).unwrap();
        let keyring = Keyring::generate(stsbridge::clock::Clock::now(clock.as_ref()));
        let store = stsbridge::store::open(&demo.config.store).await.unwrap();
        let state = App::new(Bridge::new(demo.config, keyring, clock.clone(), store).unwrap())
            .with_demo_idp(demo.idp);
        (Self::serve(listener, state, clock).await, demo.credentials)
    }

    async fn serve(listener: tokio::net::TcpListener, state: App, clock: Arc<ManualClock>) -> Self {
        state.start().await;
        let addr = listener.local_addr().unwrap();
        let (tx, rx) = oneshot::channel::<()>();
        let bridge = Arc::clone(&state.bridge);
        let demo_idp = state.demo_idp.clone();
        let task = tokio::spawn(app::serve(listener, state, async {
            let _ = rx.await;
        }));
        Self {
            addr,
            clock,
            bridge,
            demo_idp,
            shutdown: Some(tx),
            task: Some(task),
        }
    }

    pub(crate) fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    pub(crate) fn client(
        &self,
        key: &str,
        secret: &str,
        token: Option<&str>,
        region: &str,
    ) -> aws_sdk_sts::Client {
        sdk_client(&self.url(), key, secret, token, region)
    }

    /// A client with no usable keys, for the actions that need none.
    pub(crate) fn admin_unsigned(&self) -> aws_sdk_sts::Client {
        self.client(
            "AKIANOKEYS0000000000",
            "no-secret-needed-for-federation",
            None,
            "us-east-1",
        )
    }

    pub(crate) fn admin(&self) -> aws_sdk_sts::Client {
        self.client(ADMIN_KEY, ADMIN_SECRET, None, "us-east-1")
    }

    /// Stops accepting, lets in-flight requests finish, and reports how serving ended.
    pub(crate) async fn shutdown(mut self) -> std::io::Result<()> {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        match self.task.take() {
            Some(task) => task.await.expect("server task panicked"),
            None => Ok(()),
        }
    }
}

impl Drop for TestServer {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
    }
}

/// Calls GetCallerIdentity, which must fail, and returns the AWS error code.
pub(crate) async fn gci_error(client: &aws_sdk_sts::Client) -> String {
    let err = client
        .get_caller_identity()
        .send()
        .await
        .expect_err("GetCallerIdentity must fail");
    error_code(&err)
}

/// The AWS error code of an SDK error, for assertions.
pub(crate) fn error_code<E, R>(err: &aws_sdk_sts::error::SdkError<E, R>) -> String
where
    E: aws_sdk_sts::error::ProvideErrorMetadata + std::fmt::Debug,
    R: std::fmt::Debug,
{
    match err {
        aws_sdk_sts::error::SdkError::ServiceError(e) => {
            e.err().code().unwrap_or("<no code>").to_owned()
        }
        other => format!("<not a service error: {other:?}>"),
    }
}

pub(crate) fn error_message<E, R>(err: &aws_sdk_sts::error::SdkError<E, R>) -> String
where
    E: aws_sdk_sts::error::ProvideErrorMetadata,
{
    match err {
        aws_sdk_sts::error::SdkError::ServiceError(e) => {
            e.err().message().unwrap_or_default().to_owned()
        }
        _ => String::new(),
    }
}
