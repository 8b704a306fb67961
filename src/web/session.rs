//! The browser's cookies: their names (`__Host-` over https), reading one out of a request
//! bytewise, and writing them HttpOnly and SameSite. The session cookie carries only a random
//! bearer id; what it stands for is kept server-side by `sts` (sealed), so any replica serves
//! the next request. Its Max-Age matches the record's expiry.

use std::net::SocketAddr;

use axum::http::{HeaderMap, HeaderValue, header};

use super::error::PageError;
use crate::sts::bridge::Bridge;
use crate::sts::browser::session::WebSession;
use crate::sts::browser::sign_in::SignInContext;
use crate::sts::browser::state::SavedSession;

/// The session cookie's name over http (loopback development); over https it is
/// [`SECURE_SESSION_COOKIE`], whose `__Host-` prefix makes browsers refuse it unless it is
/// Secure, host-only and for path `/`, so no sibling subdomain can plant or shadow it.
pub(crate) const SESSION_COOKIE: &str = "stsbridge_session";
pub(crate) const SECURE_SESSION_COOKIE: &str = "__Host-stsbridge_session";

/// The session cookie's name for this deployment.
pub(crate) fn session_cookie_name(bridge: &Bridge) -> &'static str {
    cookie_name(bridge, SESSION_COOKIE, SECURE_SESSION_COOKIE)
}

/// A cookie's name for this deployment: `secure` (the `__Host-` form) over https, `plain`
/// over http, where browsers would refuse a `__Host-` cookie (it must be Secure).
pub(crate) fn cookie_name(
    bridge: &Bridge,
    plain: &'static str,
    secure: &'static str,
) -> &'static str {
    if bridge.config().server.public_url.scheme() == "https" {
        secure
    } else {
        plain
    }
}

/// The value of cookie `name` in the request, if it is there exactly once and well-formed.
/// Other cookies of the site may hold any bytes: the header is read bytewise, so one non-ASCII
/// cookie of another application does not hide ours.
pub(crate) fn cookie<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    let mut found = None;
    for value in headers.get_all(header::COOKIE) {
        for pair in value.as_bytes().split(|b| *b == b';') {
            let Ok(pair) = std::str::from_utf8(pair) else {
                continue;
            };
            if let Some((k, v)) = pair.trim().split_once('=')
                && k == name
            {
                if found.is_some() {
                    return None; // two cookies of one name: refuse both (cookie tossing)
                }
                found = Some(v);
            }
        }
    }
    found.filter(|v| !v.is_empty() && v.len() <= 4096)
}

/// A `Set-Cookie` value: HttpOnly, SameSite=Lax, Path=/, Secure when served over https.
pub(crate) fn set_cookie(bridge: &Bridge, name: &str, value: &str, max_age_s: i64) -> HeaderValue {
    let secure = if bridge.config().server.public_url.scheme() == "https" {
        "; Secure"
    } else {
        ""
    };
    let text = format!(
        "{name}={value}; Path=/; HttpOnly; SameSite=Lax; Max-Age={}{secure}",
        max_age_s.max(0)
    );
    // Names are ours and values base64url, so this cannot fail; an empty header would only
    // mean no cookie, never a wrong one.
    HeaderValue::from_str(&text).unwrap_or_else(|_| HeaderValue::from_static(""))
}

/// Clears cookie `name`.
pub(crate) fn clear_cookie(bridge: &Bridge, name: &str) -> HeaderValue {
    set_cookie(bridge, name, "", 0)
}

/// The bearer id of the browser's session cookie, if it sent one.
pub(crate) fn bearer<'a>(bridge: &Bridge, headers: &'a HeaderMap) -> Option<&'a str> {
    cookie(headers, session_cookie_name(bridge))
}

/// The browser a sign-in happens in: its address and the session it had.
pub(crate) fn sign_in_context<'a>(
    bridge: &Bridge,
    headers: &'a HeaderMap,
    peer: SocketAddr,
) -> SignInContext<'a> {
    SignInContext {
        ip: peer.ip(),
        previous_session: bearer(bridge, headers),
    }
}

/// The browser's session, if its cookie names a live one.
pub(crate) async fn load(
    bridge: &Bridge,
    headers: &HeaderMap,
) -> Result<Option<(String, WebSession)>, PageError> {
    let Some(bearer) = bearer(bridge, headers) else {
        return Ok(None);
    };
    Ok(bridge
        .load_web_session(bearer)
        .await?
        .map(|s| (bearer.to_owned(), s)))
}

/// The cookie that carries a saved session.
pub(crate) fn session_cookie(bridge: &Bridge, saved: &SavedSession) -> HeaderValue {
    set_cookie(
        bridge,
        session_cookie_name(bridge),
        &saved.bearer,
        saved.max_age.num_seconds(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cookies_are_found_once_or_not_at_all() {
        let mut h = HeaderMap::new();
        h.insert(
            header::COOKIE,
            HeaderValue::from_static("a=1; stsbridge_session=abc; b=2"),
        );
        assert_eq!(cookie(&h, SESSION_COOKIE), Some("abc"));
        h.append(
            header::COOKIE,
            HeaderValue::from_static("stsbridge_session=evil"),
        );
        assert_eq!(cookie(&h, SESSION_COOKIE), None);
        let mut h = HeaderMap::new();
        h.insert(
            header::COOKIE,
            HeaderValue::from_static("xstsbridge_session=abc"),
        );
        assert_eq!(cookie(&h, SESSION_COOKIE), None);
    }
}
