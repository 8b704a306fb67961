//! A minimal W3C WebDriver client: each `Browser` is its own chromedriver and its own headless
//! Chromium with a fresh profile, so tests in this binary can drive browsers in parallel.
//!
//! Needs Debian's `chromium` and `chromium-driver` (`apt-get install chromium chromium-driver`),
//! or the binaries `STSBRIDGE_CHROMIUM` and `STSBRIDGE_CHROMEDRIVER` name. Without them
//! [`Browser::launch`] gives `None` and the test is skipped, or fails under `CI` (see
//! [`super::skip`]).

use std::io::BufRead as _;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context as _, Result, anyhow, bail};
use base64::Engine as _;
use serde_json::{Value, json};

/// Where chromedriver is, unless `STSBRIDGE_CHROMEDRIVER` says otherwise.
const CHROMEDRIVER: (&str, &str) = ("STSBRIDGE_CHROMEDRIVER", "/usr/bin/chromedriver");
/// Where Chromium is, unless `STSBRIDGE_CHROMIUM` says otherwise.
const CHROMIUM: (&str, &str) = ("STSBRIDGE_CHROMIUM", "/usr/bin/chromium");
const APT_HINT: &str = "browser tests need Debian's chromium and chromedriver: \
                        apt-get install chromium chromium-driver";

/// The binary `(variable, default)` names: the variable's value if set and not empty.
fn binary((var, default): (&str, &str)) -> PathBuf {
    std::env::var_os(var)
        .filter(|v| !v.is_empty())
        .map_or_else(|| PathBuf::from(default), PathBuf::from)
}
/// The W3C key under which an element reference travels.
const ELEMENT_KEY: &str = "element-6066-11e4-a52e-4f735466cecf";
const STARTUP_TIMEOUT: Duration = Duration::from_secs(10);
/// Plus `--user-data-dir`. No sandbox: we run as root; no QUIC, proxy or background traffic.
const CHROMIUM_ARGS: [&str; 11] = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-proxy-server",
    "--window-size=1280,900",
];

/// One chromedriver with one session. `quit` ends it politely; dropping it kills both processes.
#[derive(Debug)]
pub(crate) struct Browser {
    http: reqwest::Client,
    /// `http://127.0.0.1:<port>/session/<id>`
    session: String,
    driver: Child,
    /// `--user-data-dir`; removed after `drop` has killed the processes using it.
    profile: tempfile::TempDir,
}

/// An element reference, valid while its page is.
#[derive(Debug)]
pub(crate) struct Element<'a> {
    browser: &'a Browser,
    id: String,
}

impl Browser {
    /// Starts chromedriver on a port it picks itself (`--port=0`, so parallel launches never
    /// race for one) and opens a headless Chromium session with a throwaway profile. `None`
    /// when either binary is missing (the test is then skipped; under `CI` this panics).
    pub(crate) async fn launch() -> Result<Option<Self>> {
        let (chromedriver, chromium) = (binary(CHROMEDRIVER), binary(CHROMIUM));
        if let Some(missing) = [&chromedriver, &chromium].into_iter().find(|p| !p.exists()) {
            super::skip::unavailable(&format!(
                "needs Chromium, but {} is missing: apt-get install chromium chromium-driver \
                 (or set {} and {}), or run ./scripts/test (it installs them)",
                missing.display(),
                CHROMIUM.0,
                CHROMEDRIVER.0
            ));
            return Ok(None);
        }
        let profile = tempfile::Builder::new()
            .prefix("stsbridge-chromium-")
            .tempdir()
            .context("creating the Chromium profile directory")?;
        let http = reqwest::Client::builder()
            .no_proxy()
            .timeout(Duration::from_mins(1))
            .build()?;
        // Chromium keeps crash reports and dconf under $XDG_CONFIG_HOME/$XDG_CACHE_HOME, not
        // under --user-data-dir; pointing those into the profile leaves $HOME alone.
        let mut driver = Command::new(&chromedriver)
            .arg("--port=0")
            .env("XDG_CONFIG_HOME", profile.path().join("xdg-config"))
            .env("XDG_CACHE_HOME", profile.path().join("xdg-cache"))
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .with_context(|| format!("starting {}; {APT_HINT}", chromedriver.display()))?;
        let port = listening_port(&mut driver).await;
        // Owned by `browser` before anything else can fail, so its Drop ends chromedriver.
        let mut browser = Self {
            http,
            session: String::new(),
            driver,
            profile,
        };
        let base = format!("http://127.0.0.1:{}", port?);
        let (status, deadline) = (format!("{base}/status"), Instant::now() + STARTUP_TIMEOUT);
        loop {
            match browser.call(reqwest::Method::GET, &status, None).await {
                Ok(v) if v["ready"] == true => break,
                _ if Instant::now() > deadline => bail!("chromedriver at {base} never got ready"),
                _ => tokio::time::sleep(Duration::from_millis(50)).await,
            }
        }
        let profile = browser.profile.path();
        let mut args: Vec<String> = CHROMIUM_ARGS.map(str::to_owned).to_vec();
        args.push(format!("--user-data-dir={}", profile.display()));
        let caps = json!({"capabilities": {"alwaysMatch": {
            "browserName": "chrome",
            "timeouts": {"pageLoad": 30_000, "script": 10_000, "implicit": 0},
            "goog:chromeOptions": {"binary": chromium, "args": args,
                // Downloads (say, of an XML type Chromium won't render) stay in the profile.
                "prefs": {"download.default_directory": profile.join("downloads")}},
        }}});
        let created = browser
            .call(
                reqwest::Method::POST,
                &format!("{base}/session"),
                Some(caps),
            )
            .await
            .with_context(|| format!("starting {}; {APT_HINT}", chromium.display()))?;
        let id = created["sessionId"]
            .as_str()
            .ok_or_else(|| anyhow!("new session without an id: {created}"))?;
        browser.session = format!("{base}/session/{id}");
        Ok(Some(browser))
    }

    pub(crate) async fn goto(&self, url: &str) -> Result<()> {
        self.post("/url", json!({ "url": url })).await.map(drop)
    }

    pub(crate) async fn current_url(&self) -> Result<String> {
        string(self.get("/url").await?)
    }

    pub(crate) async fn title(&self) -> Result<String> {
        string(self.get("/title").await?)
    }

    pub(crate) async fn page_source(&self) -> Result<String> {
        string(self.get("/source").await?)
    }

    pub(crate) async fn find(&self, css: &str) -> Result<Element<'_>> {
        let found = self.post("/element", by_css(css)).await?;
        self.element(&found)
    }

    pub(crate) async fn find_all(&self, css: &str) -> Result<Vec<Element<'_>>> {
        let found = self.post("/elements", by_css(css)).await?;
        let list = found
            .as_array()
            .ok_or_else(|| anyhow!("not a list: {found}"))?;
        list.iter().map(|v| self.element(v)).collect()
    }

    /// Polls for an element matching `css` until `timeout`.
    pub(crate) async fn wait_for(&self, css: &str, timeout: Duration) -> Result<Element<'_>> {
        let deadline = Instant::now() + timeout;
        loop {
            let found = self.post("/elements", by_css(css)).await?;
            if let Some(first) = found.as_array().and_then(|l| l.first()) {
                return self.element(first);
            }
            if Instant::now() > deadline {
                let url = self.current_url().await.unwrap_or_default();
                bail!("no element matches {css:?} after {timeout:?} on {url}");
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Runs `script` as a function body (`return …` gives the result; `arguments[i]` the args).
    pub(crate) async fn execute(&self, script: &str, args: Vec<Value>) -> Result<Value> {
        self.post("/execute/sync", json!({ "script": script, "args": args }))
            .await
    }

    /// The current page's cookies, as WebDriver cookie objects (`name`, `value`, `httpOnly`…).
    pub(crate) async fn cookies(&self) -> Result<Vec<Value>> {
        match self.get("/cookie").await? {
            Value::Array(list) => Ok(list),
            other => bail!("cookies: not a list: {other}"),
        }
    }

    pub(crate) async fn delete_cookies(&self) -> Result<()> {
        let url = format!("{}/cookie", self.session);
        self.call(reqwest::Method::DELETE, &url, None)
            .await
            .map(drop)
    }

    /// Saves a PNG of the viewport as `<artifacts>/<name>.png` and returns its path. The folder
    /// is `$STSBRIDGE_ARTIFACTS`, else `target/browser-artifacts` in the workspace.
    pub(crate) async fn screenshot(&self, name: &str) -> Result<PathBuf> {
        let png = base64::engine::general_purpose::STANDARD
            .decode(string(self.get("/screenshot").await?)?)
            .context("screenshot: bad base64")?;
        let dir = std::env::var_os("STSBRIDGE_ARTIFACTS").map_or_else(
            || Path::new(env!("CARGO_MANIFEST_DIR")).join("target/browser-artifacts"),
            PathBuf::from,
        );
        std::fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
        let path = dir.join(format!("{name}.png"));
        std::fs::write(&path, png).with_context(|| format!("writing {}", path.display()))?;
        Ok(path)
    }

    /// Ends the session (Chromium exits and is reaped by chromedriver), then stops chromedriver.
    pub(crate) async fn quit(self) -> Result<()> {
        let session = self.session.clone();
        self.call(reqwest::Method::DELETE, &session, None)
            .await
            .map(drop)
    }

    /// chromedriver, Chromium and its helpers, and the profile: what dropping must clean up.
    pub(crate) fn footprint(&self) -> (Vec<u32>, PathBuf) {
        (
            descendants(self.driver.id()),
            self.profile.path().to_owned(),
        )
    }

    fn element(&self, v: &Value) -> Result<Element<'_>> {
        let id = v[ELEMENT_KEY]
            .as_str()
            .ok_or_else(|| anyhow!("not an element reference: {v}"))?;
        Ok(Element {
            browser: self,
            id: id.to_owned(),
        })
    }

    async fn get(&self, path: &str) -> Result<Value> {
        let url = format!("{}{path}", self.session);
        self.call(reqwest::Method::GET, &url, None).await
    }

    async fn post(&self, path: &str, body: Value) -> Result<Value> {
        let url = format!("{}{path}", self.session);
        self.call(reqwest::Method::POST, &url, Some(body)).await
    }

    /// One WebDriver command; returns its `value`, or its error with the command named.
    async fn call(&self, method: reqwest::Method, url: &str, body: Option<Value>) -> Result<Value> {
        let what = format!("WebDriver {method} {url}");
        let mut req = self.http.request(method, url);
        if let Some(body) = body {
            req = req.json(&body);
        }
        let resp = req.send().await.with_context(|| what.clone())?;
        let status = resp.status();
        let text = resp.text().await.with_context(|| what.clone())?;
        let mut parsed: Value = serde_json::from_str(&text)
            .with_context(|| format!("{what}: {status}, not JSON: {text}"))?;
        let value = parsed["value"].take();
        if let Some(error) = value["error"].as_str() {
            bail!(
                "{what}: {error}: {}",
                value["message"].as_str().unwrap_or("")
            );
        }
        if !status.is_success() {
            bail!("{what}: {status}: {text}");
        }
        Ok(value)
    }
}

impl Drop for Browser {
    /// Kills chromedriver and everything below it at once (killing chromedriver alone orphans
    /// Chromium; killing Chromium's main process leaves its helpers writing to the profile for a
    /// moment), then waits for them to exit so the profile can be removed.
    #[expect(
        clippy::disallowed_methods,
        reason = "drop cannot await; it waits at most 2 s for killed processes"
    )]
    fn drop(&mut self) {
        let tree = descendants(self.driver.id());
        let _ = Command::new("kill")
            .arg("-KILL")
            .args(tree.iter().map(u32::to_string))
            .stderr(Stdio::null())
            .status();
        let _ = self.driver.kill();
        let _ = self.driver.wait();
        let deadline = Instant::now() + Duration::from_secs(2);
        while tree.iter().any(|&pid| running(pid)) && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(10));
        }
    }
}

impl Element<'_> {
    pub(crate) async fn click(&self) -> Result<()> {
        self.post("/click", json!({})).await.map(drop)
    }

    pub(crate) async fn text(&self) -> Result<String> {
        string(self.browser.get(&self.path("/text")).await?)
    }

    /// The content attribute (`None` if absent); for live state such as a typed value use
    /// `property`.
    pub(crate) async fn attr(&self, name: &str) -> Result<Option<String>> {
        let v = self
            .browser
            .get(&self.path(&format!("/attribute/{name}")))
            .await?;
        Ok(v.as_str().map(str::to_owned))
    }

    pub(crate) async fn property(&self, name: &str) -> Result<Value> {
        self.browser
            .get(&self.path(&format!("/property/{name}")))
            .await
    }

    pub(crate) async fn send_keys(&self, text: &str) -> Result<()> {
        self.post("/value", json!({ "text": text })).await.map(drop)
    }

    pub(crate) async fn clear(&self) -> Result<()> {
        self.post("/clear", json!({})).await.map(drop)
    }

    /// The reference to pass in `Browser::execute`'s args.
    pub(crate) fn as_arg(&self) -> Value {
        json!({ ELEMENT_KEY: self.id })
    }

    fn path(&self, tail: &str) -> String {
        format!("/element/{}{tail}", self.id)
    }

    async fn post(&self, tail: &str, body: Value) -> Result<Value> {
        self.browser.post(&self.path(tail), body).await
    }
}

fn by_css(css: &str) -> Value {
    json!({ "using": "css selector", "value": css })
}

fn string(v: Value) -> Result<String> {
    match v {
        Value::String(s) => Ok(s),
        other => bail!("expected a string, got {other}"),
    }
}

/// Reads chromedriver's stdout until it names the port it bound, then keeps draining it in the
/// background so chromedriver never blocks on a full pipe.
async fn listening_port(driver: &mut Child) -> Result<u16> {
    let stdout = driver.stdout.take().context("chromedriver stdout")?;
    let (tx, rx) = tokio::sync::oneshot::channel();
    std::thread::spawn(move || {
        let mut tx = Some(tx);
        for line in std::io::BufReader::new(stdout)
            .lines()
            .map_while(Result::ok)
        {
            let port = line
                .split_once("started successfully on port ")
                .and_then(|(_, rest)| rest.trim_end_matches('.').parse::<u16>().ok());
            if let Some(port) = port
                && let Some(tx) = tx.take()
            {
                let _ = tx.send(port);
            }
        }
    });
    match tokio::time::timeout(STARTUP_TIMEOUT, rx).await {
        Ok(Ok(port)) => Ok(port),
        Ok(Err(_)) => bail!(
            "chromedriver closed its output before listening ({:?}); {APT_HINT}",
            driver.try_wait()
        ),
        Err(_) => bail!("chromedriver did not start listening within {STARTUP_TIMEOUT:?}"),
    }
}

/// `root` and every process below it, from one pass over `/proc`.
fn descendants(root: u32) -> Vec<u32> {
    let parents: Vec<(u32, u32)> = std::fs::read_dir("/proc")
        .into_iter()
        .flatten()
        .filter_map(|entry| {
            let pid = entry.ok()?.file_name().to_str()?.parse().ok()?;
            Some((pid, stat(pid)?.1))
        })
        .collect();
    let mut tree = vec![root];
    let mut next = 0;
    while let Some(&parent) = tree.get(next) {
        tree.extend(parents.iter().filter(|p| p.1 == parent).map(|p| p.0));
        next += 1;
    }
    tree
}

/// Alive and not yet a zombie (a zombie has closed its files).
pub(crate) fn running(pid: u32) -> bool {
    stat(pid).is_some_and(|(state, _)| state != "Z")
}

/// State and parent pid from `/proc/<pid>/stat` (the fields after the parenthesised name).
fn stat(pid: u32) -> Option<(String, u32)> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let mut fields = stat.rsplit_once(')')?.1.split_whitespace();
    Some((fields.next()?.to_owned(), fields.next()?.parse().ok()?))
}
