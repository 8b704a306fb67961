//! A throwaway PostgreSQL database per test on the server `STSBRIDGE_TEST_POSTGRES_URL` names
//! (`scripts/test` starts one), and a TCP forwarder to cut the server off and bring it back.
//! Without the variable the tests using these are skipped, or fail under `CI`.

use std::io::Write as _;
use std::net::SocketAddr;
use std::str::FromStr as _;

use sqlx::postgres::PgConnectOptions;
use sqlx::{AssertSqlSafe, Connection as _, PgConnection};

const URL_VAR: &str = "STSBRIDGE_TEST_POSTGRES_URL";

/// A fresh database, dropped (even after a failed test) on drop.
pub(crate) struct TestDb {
    admin: String,
    name: String,
    url: url::Url,
}

impl TestDb {
    /// `None` when no test server is configured: the test is then skipped, or fails under `CI`
    /// (see [`super::skip`]).
    pub(crate) async fn create() -> Option<Self> {
        let Some(admin) = std::env::var(URL_VAR).ok().filter(|u| !u.is_empty()) else {
            super::skip::unavailable(&format!(
                "needs PostgreSQL: set {URL_VAR} to a server it may create databases on, \
                 or run ./scripts/test (it starts one)"
            ));
            return None;
        };
        let name = format!("stsbridge_it_{}", uuid::Uuid::new_v4().simple());
        let mut conn = PgConnection::connect(&admin).await.unwrap();
        sqlx::raw_sql(AssertSqlSafe(format!("CREATE DATABASE {name}")))
            .execute(&mut conn)
            .await
            .unwrap();
        conn.close().await.unwrap();
        let mut url = url::Url::parse(&admin).unwrap();
        url.set_path(&name);
        Some(Self { admin, name, url })
    }

    /// The server's address, for a [`Proxy`] to forward to.
    pub(crate) async fn server_addr(&self) -> SocketAddr {
        let options = PgConnectOptions::from_str(self.url.as_str()).unwrap();
        tokio::net::lookup_host((options.get_host(), options.get_port()))
            .await
            .unwrap()
            .next()
            .unwrap()
    }

    /// This database's URL, reached through `proxy`.
    pub(crate) fn url_via(&self, proxy: &Proxy) -> String {
        let mut via = self.url.clone();
        via.set_host(Some("127.0.0.1")).unwrap();
        via.set_port(Some(proxy.port)).unwrap();
        via.to_string()
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        // No async drop: a short-lived runtime on its own thread. FORCE ends open sessions.
        let (admin, name) = (self.admin.clone(), self.name.clone());
        let dropped = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()?;
            rt.block_on(async {
                let mut conn = PgConnection::connect(&admin).await?;
                sqlx::raw_sql(AssertSqlSafe(format!(
                    "DROP DATABASE IF EXISTS {name} WITH (FORCE)"
                )))
                .execute(&mut conn)
                .await?;
                conn.close().await
            })
            .map_err(std::io::Error::other)
        })
        .join();
        if !matches!(dropped, Ok(Ok(()))) {
            let _ = writeln!(
                std::io::stderr().lock(),
                "could not drop test database {}: {dropped:?}",
                self.name
            );
        }
    }
}

/// A TCP forwarder standing in for the database server: stopping it drops every connection
/// and refuses new ones, as a database restart does; resuming listens on the same port.
pub(crate) struct Proxy {
    port: u16,
    target: SocketAddr,
    accept: Option<tokio::task::JoinHandle<()>>,
}

impl Proxy {
    pub(crate) async fn start(target: SocketAddr) -> Self {
        let mut proxy = Self {
            port: 0,
            target,
            accept: None,
        };
        proxy.resume().await;
        proxy
    }

    pub(crate) async fn resume(&mut self) {
        let listener = tokio::net::TcpListener::bind(("127.0.0.1", self.port))
            .await
            .unwrap();
        self.port = listener.local_addr().unwrap().port();
        let target = self.target;
        self.accept = Some(tokio::spawn(async move {
            // Owned by this task: aborting it drops the set, which aborts every forward.
            let mut forwards = tokio::task::JoinSet::new();
            while let Ok((mut client, _)) = listener.accept().await {
                forwards.spawn(async move {
                    if let Ok(mut server) = tokio::net::TcpStream::connect(target).await {
                        let _ = tokio::io::copy_bidirectional(&mut client, &mut server).await;
                    }
                });
            }
        }));
    }

    pub(crate) async fn stop(&mut self) {
        if let Some(accept) = self.accept.take() {
            accept.abort();
            let _ = accept.await;
        }
    }
}
