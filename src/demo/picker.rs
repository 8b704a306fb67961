//! The "pick a demo user" page both browser sign-ins (OIDC and SAML) show, and the form that
//! answers it: which people the demo has, and which sign-in a submitted form belongs to.

use askama::Template;
use axum::http::StatusCode;
use axum::response::Response;
use chrono::{DateTime, Utc};
use serde::Deserialize;

use super::idp::DemoIdp;
use super::page::{busy, refuse, render};
use super::pending::SignIn;

/// The people of the demo: (user, groups, what they can do).
const USERS: [(&str, &str, &str); 2] = [
    (
        "admin",
        "admins",
        "group admins: may choose demo-admin or demo-developer",
    ),
    (
        "developer",
        "developers",
        "group developers: demo-developer only (skips the chooser)",
    ),
];

#[derive(Template)]
#[template(path = "demo_login.html")]
struct DemoLogin {
    base: String,
    account: String,
    action: String,
    request: String,
    users: Vec<(String, String)>,
}

/// Starts `sign_in` and shows the picker, whose form posts to `action` (under the IdP's path).
pub(super) fn show(idp: &DemoIdp, sign_in: SignIn, action: &str) -> Response {
    let Some(id) = idp.pending.start(sign_in, idp.clock.now()) else {
        return busy();
    };
    render(&DemoLogin {
        base: idp.bridge_path(),
        account: idp.account.clone(),
        action: format!("{}{action}", idp.issuer_path()),
        request: id,
        users: USERS
            .iter()
            .map(|(u, _, what)| ((*u).to_owned(), (*what).to_owned()))
            .collect(),
    })
}

/// The picker's form. The hidden `request` id is unguessable and single-use, so it doubles as
/// the form's CSRF token.
#[derive(Debug, Deserialize)]
pub(super) struct PickedForm {
    request: String,
    pub(super) user: String,
}

/// The sign-in a picker form answers (spent now), with its expiry, and the picked user's groups.
pub(super) fn picked(
    idp: &DemoIdp,
    form: &PickedForm,
    now: DateTime<Utc>,
) -> Result<(SignIn, DateTime<Utc>, Vec<String>), Box<Response>> {
    let (sign_in, expires) = idp.pending.take(&form.request, now).ok_or_else(|| {
        Box::new(refuse(
            StatusCode::BAD_REQUEST,
            "unknown or expired sign-in",
        ))
    })?;
    let groups = USERS
        .iter()
        .find(|(u, _, _)| *u == form.user)
        .map(|(_, g, _)| vec![(*g).to_owned()])
        .ok_or_else(|| Box::new(refuse(StatusCode::BAD_REQUEST, "no such demo user")))?;
    Ok((sign_in, expires, groups))
}
