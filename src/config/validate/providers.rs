//! `[[oidc_providers]]` and `[[saml_providers]]`: the identity providers the bridge trusts,
//! their ARNs, accepted audiences and clock skew, and where their keys or metadata come from
//! (https, or http on loopback; a file is read here and parsed by its registry).

use url::Url;

use super::context::{Ctx, Names, keyed, rule};
use crate::config::raw::{RawOidcProvider, RawSamlProvider};
use crate::config::secret_ref::resolve;
use crate::config::{JwksSource, LoginEndpoints, OidcProvider, SamlMetadataSource, SamlProvider};
use crate::types::{AccountId, ProviderArn, ProviderKind, Secret};

const DEFAULT_SKEW_S: u32 = 60;
const MAX_SKEW_S: u32 = 300;

pub(super) fn oidc_providers(
    cx: &mut Ctx<'_>,
    account: AccountId,
    raw: Vec<RawOidcProvider>,
) -> Vec<OidcProvider> {
    let mut issuers = Names::new("url", "provider");
    let mut out = Vec::new();
    for (key, p) in keyed("oidc_providers", raw) {
        let url = cx.check(format!("{key}.url"), https_or_loopback(&p.url));
        // An invalid URL is reported above; a repeated one, valid or not, here.
        issuers.check(cx, &key, &p.url, Ok(()));
        if p.client_ids.is_empty() {
            cx.err(
                format!("{key}.client_ids"),
                "at least one client id (accepted audience) is required",
            );
        }
        for (j, c) in p.client_ids.iter().enumerate() {
            if !(1..=255).contains(&c.len()) {
                cx.err(
                    format!("{key}.client_ids[{j}]"),
                    "a client id is 1 to 255 characters",
                );
            }
        }
        let jwks = match (&p.jwks_url, &p.jwks_file) {
            (Some(_), Some(_)) => {
                cx.err(
                    format!("{key}.jwks_url"),
                    "set jwks_url or jwks_file, not both",
                );
                None
            }
            (Some(u), None) => cx
                .check(format!("{key}.jwks_url"), https_or_loopback(u))
                .map(JwksSource::Url),
            (None, Some(f)) => jwks_file(cx, &format!("{key}.jwks_file"), f),
            (None, None) => Some(JwksSource::Discovery),
        };
        let clock_skew_s = skew(cx, &format!("{key}.clock_skew_s"), p.clock_skew_s);
        if let Some(login) = &p.login_client_id {
            if !p.client_ids.contains(login) {
                cx.err(
                    format!("{key}.login_client_id"),
                    "must be one of client_ids",
                );
            }
        } else if p.login_client_secret.is_some() {
            cx.err(
                format!("{key}.login_client_secret"),
                "set only together with login_client_id",
            );
        }
        let login_endpoints = login_endpoints(cx, &key, &p);
        let login_client_secret = p
            .login_client_secret
            .as_ref()
            .map(Secret::expose)
            .and_then(|s| cx.check(format!("{key}.login_client_secret"), resolve(s, cx.env)));
        let scopes = p
            .scopes
            .unwrap_or_else(|| ["openid", "email", "profile"].map(String::from).to_vec());
        if !scopes.iter().any(|s| s == "openid") {
            cx.err(format!("{key}.scopes"), "must include \"openid\"");
        }
        let without_scheme = p
            .url
            .split_once("://")
            .map_or(p.url.as_str(), |(_, rest)| rest)
            .to_owned();
        let arn = cx.check(
            format!("{key}.url"),
            ProviderArn::new(account, ProviderKind::Oidc, &without_scheme),
        );
        if let (Some(url), Some(jwks), Some(arn)) = (url, jwks, arn) {
            out.push(OidcProvider {
                arn,
                key_prefix: without_scheme,
                display_name: p.display_name.unwrap_or_else(|| {
                    format!("Sign in with {}", url.host_str().unwrap_or("OIDC"))
                }),
                issuer: p.url,
                client_ids: p.client_ids,
                jwks,
                clock_skew_s,
                login_client_id: p.login_client_id,
                login_client_secret,
                scopes,
                login_endpoints,
            });
        }
    }
    out
}

/// `authorization_endpoint` and `token_endpoint`: both or neither. Without them, browser login
/// finds them by discovery (in the background).
fn login_endpoints(cx: &mut Ctx<'_>, key: &str, p: &RawOidcProvider) -> Option<LoginEndpoints> {
    match (&p.authorization_endpoint, &p.token_endpoint) {
        (Some(a), Some(t)) => {
            let a = cx.check(
                format!("{key}.authorization_endpoint"),
                https_or_loopback(a),
            );
            let t = cx.check(format!("{key}.token_endpoint"), https_or_loopback(t));
            a.zip(t).map(|(authorization, token)| LoginEndpoints {
                authorization,
                token,
            })
        }
        (None, None) => None,
        _ => {
            cx.err(
                format!("{key}.authorization_endpoint"),
                "set authorization_endpoint and token_endpoint together",
            );
            None
        }
    }
}

/// Identity providers are reached over TLS; plain http is accepted only on loopback (tests, the
/// demo IdP), where nothing crosses a network.
fn https_or_loopback(text: &str) -> Result<Url, String> {
    let url = Url::parse(text).map_err(|e| format!("not a URL: {e}"))?;
    if crate::types::idp_url::is_allowed_idp_url(&url) {
        Ok(url)
    } else {
        Err("must be an https:// URL (http:// only for loopback addresses)".into())
    }
}

/// The file's text, for the OIDC registry to parse.
fn jwks_file(cx: &mut Ctx<'_>, key: &str, file: &str) -> Option<JwksSource> {
    let (path, json) = cx.read_small_file(key, file)?;
    Some(JwksSource::File { path, json })
}

fn skew(cx: &mut Ctx<'_>, key: &str, value: Option<u32>) -> u32 {
    let v = value.unwrap_or(DEFAULT_SKEW_S);
    if v > MAX_SKEW_S {
        cx.err(key, format!("at most {MAX_SKEW_S} seconds"));
    }
    v.min(MAX_SKEW_S)
}

pub(super) fn saml_providers(
    cx: &mut Ctx<'_>,
    account: AccountId,
    public_url: Option<&Url>,
    raw: Vec<RawSamlProvider>,
) -> Vec<SamlProvider> {
    let base = public_url
        .map(|u| u.as_str().trim_end_matches('/').to_owned())
        .unwrap_or_default();
    let mut names = Names::new("name", "SAML provider");
    let mut out = Vec::new();
    for (key, p) in keyed("saml_providers", raw) {
        let name_ok = (1..=128).contains(&p.name.len())
            && p.name
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.' | b'-'));
        let name_rule = rule(
            name_ok,
            "a SAML provider name is 1 to 128 characters of [A-Za-z0-9._-]",
        );
        names.check(cx, &key, &p.name, name_rule);
        let metadata = match (&p.metadata_file, &p.metadata_url) {
            // The metadata's text, for the SAML registry to parse.
            (Some(f), None) => cx
                .read_small_file(&format!("{key}.metadata_file"), f)
                .map(|(path, xml)| SamlMetadataSource::File { path, xml }),
            (None, Some(u)) => cx
                .check(format!("{key}.metadata_url"), https_or_loopback(u))
                .map(SamlMetadataSource::Url),
            _ => {
                cx.err(
                    format!("{key}.metadata_file"),
                    "set exactly one of metadata_file and metadata_url",
                );
                None
            }
        };
        let audiences = p
            .audiences
            .unwrap_or_else(|| vec![format!("{base}/saml/metadata")]);
        let acs_urls = p
            .acs_urls
            .unwrap_or_else(|| vec![format!("{base}/saml/acs")]);
        for (field, list) in [("audiences", &audiences), ("acs_urls", &acs_urls)] {
            if list.is_empty() || list.iter().any(String::is_empty) {
                cx.err(
                    format!("{key}.{field}"),
                    "must list at least one non-empty value",
                );
            }
        }
        let clock_skew_s = skew(cx, &format!("{key}.clock_skew_s"), p.clock_skew_s);
        let arn = cx.check(
            format!("{key}.name"),
            ProviderArn::new(account, ProviderKind::Saml, &p.name),
        );
        if let (Some(metadata), Some(arn)) = (metadata, arn) {
            out.push(SamlProvider {
                arn,
                display_name: p.display_name.unwrap_or_else(|| p.name.clone()),
                name: p.name,
                metadata,
                audiences,
                acs_urls,
                allow_sha1: p.allow_sha1,
                clock_skew_s,
            });
        }
    }
    out
}
