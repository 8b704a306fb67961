//! `[server]`, `[store]` and `[tokens]`: where the bridge listens and is reached, which
//! account and region it answers for, the origins and console destinations it trusts, the SAML
//! SP key pair, the store URL and the keyring file.

use std::net::SocketAddr;

use url::Url;

use super::context::Ctx;
use crate::config::raw::{RawServer, RawTokens};
use crate::config::secret_ref::resolve;
use crate::config::{KeySource, ServerConfig, StoreUrl};
use crate::types::{AccountId, Secret};

const DEFAULT_LISTEN: &str = "127.0.0.1:8080";
const DEFAULT_ACCOUNT: &str = "000000000000";
const DEFAULT_REGION: &str = "us-east-1";
const DEFAULT_STORE: &str = "sqlite://stsbridge.db";
const DEFAULT_KEYS_FILE: &str = "stsbridge-keys.json";

/// The account of a file whose `[server]` is broken: cross-references are still checked
/// against something.
#[expect(
    clippy::unwrap_used,
    reason = "a literal twelve-digit id always parses"
)]
pub(super) fn default_account() -> AccountId {
    DEFAULT_ACCOUNT.parse().unwrap()
}

pub(super) fn server(cx: &mut Ctx<'_>, raw: RawServer) -> Option<ServerConfig> {
    let listen_text = raw.listen.as_deref().unwrap_or(DEFAULT_LISTEN);
    let listen: Option<SocketAddr> = cx.check(
        "server.listen",
        listen_text
            .parse()
            .map_err(|_| "expected ip:port, e.g. 127.0.0.1:8080"),
    );
    let account_id = cx.check(
        "server.account_id",
        raw.account_id
            .as_deref()
            .unwrap_or(DEFAULT_ACCOUNT)
            .parse::<AccountId>(),
    );
    let region = raw.region.unwrap_or_else(|| DEFAULT_REGION.to_owned());
    let region_ok = (1..=32).contains(&region.len())
        && region
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
    if !region_ok {
        cx.err(
            "server.region",
            "a region is 1 to 32 characters of a-z, 0-9 and '-' (e.g. us-east-1)",
        );
    }
    let public_url = match (&raw.public_url, listen) {
        (Some(u), _) => cx.check("server.public_url", base_url(u)),
        (None, Some(l)) => cx.check("server.public_url", base_url(&format!("http://{l}"))),
        (None, None) => None,
    };
    let cors_origins = url_list(cx, "server.cors_origins", &raw.cors_origins, true);
    let console_destinations = url_list(
        cx,
        "server.console_destinations",
        &raw.console_destinations,
        false,
    );
    let saml_sp_key_pem = raw
        .saml_sp_key_file
        .as_deref()
        .and_then(|f| pem(cx, "server.saml_sp_key_file", f, "PRIVATE KEY"))
        .map(Secret::new);
    let saml_sp_cert_pem = raw
        .saml_sp_cert_file
        .as_deref()
        .and_then(|f| pem(cx, "server.saml_sp_cert_file", f, "CERTIFICATE"));
    if saml_sp_key_pem.is_some() != saml_sp_cert_pem.is_some() {
        cx.err(
            "server.saml_sp_key_file",
            "saml_sp_key_file and saml_sp_cert_file are set together or not at all",
        );
    }
    Some(ServerConfig {
        listen: listen?,
        public_url: public_url?,
        account_id: account_id?,
        region,
        cors_origins,
        console_destinations,
        saml_sp_key_pem,
        saml_sp_cert_pem,
    })
}

/// An http(s) URL with no query or fragment; a trailing slash is dropped so paths append cleanly.
fn base_url(text: &str) -> Result<Url, String> {
    let url = Url::parse(text.trim_end_matches('/')).map_err(|e| format!("not a URL: {e}"))?;
    if !matches!(url.scheme(), "http" | "https") || url.host().is_none() {
        return Err("must be an http:// or https:// URL with a host".into());
    }
    if url.query().is_some() || url.fragment().is_some() {
        return Err("must not have a query or fragment".into());
    }
    Ok(url)
}

fn url_list(cx: &mut Ctx<'_>, key: &str, items: &[String], origins_only: bool) -> Vec<Url> {
    let mut out = Vec::new();
    for (i, text) in items.iter().enumerate() {
        let Some(url) = cx.check(format!("{key}[{i}]"), base_url(text)) else {
            continue;
        };
        if origins_only && url.path() != "/" {
            cx.err(
                format!("{key}[{i}]"),
                "an origin is scheme://host[:port] with no path",
            );
            continue;
        }
        out.push(url);
    }
    out
}

fn pem(cx: &mut Ctx<'_>, key: &str, file: &str, label: &str) -> Option<String> {
    let (_, text) = cx.read_small_file(key, file)?;
    if text.contains("-----BEGIN ") && text.contains(label) {
        Some(text)
    } else {
        cx.err(key, format!("expected a PEM file containing a {label}"));
        None
    }
}

/// The store URL may carry a database password, so it may be an `env:` reference and is never
/// echoed back in an error.
pub(super) fn store(cx: &mut Ctx<'_>, raw: Option<&Secret>) -> Option<StoreUrl> {
    let resolved = match raw {
        Some(s) => cx.check("store.url", resolve(s.expose(), cx.env))?,
        None => Secret::new(DEFAULT_STORE),
    };
    let url = resolved.expose();
    if url == "sqlite::memory:" {
        return Some(StoreUrl::SqliteMemory);
    }
    if let Some(file) = url.strip_prefix("sqlite://") {
        if file.is_empty() {
            cx.err(
                "store.url",
                "sqlite:// needs a file name, e.g. sqlite://stsbridge.db",
            );
            return None;
        }
        return Some(StoreUrl::SqliteFile(cx.path(file)));
    }
    if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        if Url::parse(url).is_ok_and(|u| u.host().is_some()) {
            return Some(StoreUrl::Postgres(resolved));
        }
        cx.err(
            "store.url",
            "not a valid postgres://user:password@host/database URL",
        );
        return None;
    }
    cx.err(
        "store.url",
        "expected sqlite://FILE, sqlite::memory: or postgres://…",
    );
    None
}

/// The keyring file (created on first start when missing).
pub(super) fn tokens(cx: &Ctx<'_>, raw: &RawTokens) -> KeySource {
    KeySource::File(cx.path(raw.keys_file.as_deref().unwrap_or(DEFAULT_KEYS_FILE)))
}
