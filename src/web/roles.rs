//! The role chooser (`/roles`): the roles a signed-in identity may assume, why each is offered,
//! and a session length. One role skips the chooser; none shows the claims the rules saw.

use std::net::SocketAddr;
use std::sync::Arc;

use askama::Template;
use axum::Form;
use axum::extract::{ConnectInfo, State};
use axum::http::{HeaderMap, HeaderValue, header};
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;

use super::error::PageError;
use super::page::{base_path, page};
use super::session;
use crate::sts::bridge::Bridge;
use crate::sts::browser::session::WebSession;
use crate::sts::browser::sign_in::{AfterSignIn, SignedInSession};
use crate::sts::offers::{RoleOffer, SignedIn};
use crate::types::RoleArn;
use crate::types::duration::DEFAULT_ROLE_SESSION_SECONDS;

/// Session lengths the picker offers, in seconds.
const DURATIONS: [u32; 7] = [
    900,
    3600,
    2 * 3600,
    4 * 3600,
    8 * 3600,
    12 * 3600,
    36 * 3600,
];

#[derive(Debug)]
pub(crate) struct OfferView {
    pub(crate) arn: String,
    pub(crate) name: String,
    pub(crate) why: Vec<String>,
    pub(crate) max: String,
}

#[derive(Debug)]
pub(crate) struct DurationView {
    pub(crate) seconds: u32,
    pub(crate) label: String,
    pub(crate) selected: bool,
}

#[derive(Template)]
#[template(path = "roles.html")]
struct RolesPage {
    base: String,
    account: String,
    who: String,
    provider: String,
    csrf: String,
    offers: Vec<OfferView>,
    durations: Vec<DurationView>,
}

#[derive(Template)]
#[template(path = "no_role.html")]
struct NoRolePage {
    base: String,
    account: String,
    who: String,
    provider: String,
    csrf: String,
    claims: Vec<(String, String)>,
}

pub(crate) fn human_duration(seconds: u32) -> String {
    match seconds {
        s if s % 3600 == 0 => format!("{} h", s / 3600),
        s => format!("{} min", s / 60),
    }
}

/// Where a finished sign-in goes: a 303 that sets the new session's cookie, with the sign-in's
/// audit note.
pub(crate) fn signed_in(bridge: &Bridge, done: SignedInSession) -> Response {
    let base = base_path(bridge);
    let target = match &done.next {
        AfterSignIn::Roles => format!("{base}/roles"),
        AfterSignIn::Credentials => format!("{base}/console"),
        AfterSignIn::Destination(url) => url.to_string(),
    };
    let mut response = see_other(&target, session::session_cookie(bridge, &done.session));
    response.extensions_mut().insert(done.audit);
    response
}

/// A 303 to `target` that sets `cookie`.
pub(crate) fn see_other(target: &str, cookie: HeaderValue) -> Response {
    ([(header::SET_COOKIE, cookie)], Redirect::to(target)).into_response()
}

/// The signed-in session, or a redirect: to the login page without one, to the credentials
/// page for a session opened with credentials (it has no identity to choose roles for).
async fn require_identity(
    bridge: &Bridge,
    headers: &HeaderMap,
) -> Result<Result<(String, WebSession, SignedIn), Response>, PageError> {
    let base = base_path(bridge);
    Ok(match session::load(bridge, headers).await? {
        Some((bearer, web)) => match web.identity.clone() {
            Some(identity) => Ok((bearer, web, identity)),
            None => Err(Redirect::to(&format!("{base}/console")).into_response()),
        },
        None => Err(Redirect::to(&format!("{base}/")).into_response()),
    })
}

/// `GET /roles`: the roles on offer, or why there is none.
pub(crate) async fn show(
    State(bridge): State<Arc<Bridge>>,
    headers: HeaderMap,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
) -> Result<Response, PageError> {
    let (_, web, identity) = match require_identity(&bridge, &headers).await? {
        Ok(found) => found,
        Err(redirect) => return Ok(redirect),
    };
    let offers = bridge.role_offers(&identity, peer.ip());
    render_offers(&bridge, &web, &identity, &offers)
}

fn render_offers(
    bridge: &Bridge,
    web: &WebSession,
    identity: &SignedIn,
    offers: &[RoleOffer],
) -> Result<Response, PageError> {
    let base = base_path(bridge);
    let account = bridge.config().server.account_id.to_string();
    if offers.is_empty() {
        let mut claims = identity.visible_claims();
        claims.sort();
        return page(&NoRolePage {
            base,
            account,
            who: identity.display_name(),
            provider: identity.provider().to_owned(),
            csrf: web.csrf.clone(),
            claims,
        });
    }
    let longest = offers.iter().map(|o| o.max_duration).max().unwrap_or(3600);
    page(&RolesPage {
        base,
        account,
        who: identity.display_name(),
        provider: identity.provider().to_owned(),
        csrf: web.csrf.clone(),
        offers: offers.iter().map(offer_view).collect(),
        durations: DURATIONS
            .iter()
            .filter(|d| **d <= longest)
            .map(|&seconds| DurationView {
                seconds,
                label: human_duration(seconds),
                selected: seconds == DEFAULT_ROLE_SESSION_SECONDS,
            })
            .collect(),
    })
}

fn offer_view(o: &RoleOffer) -> OfferView {
    OfferView {
        arn: o.role_arn.to_string(),
        name: o.role_arn.name().to_owned(),
        why: o.why.clone(),
        max: human_duration(o.max_duration),
    }
}

#[derive(Debug, Deserialize)]
pub(crate) struct ChooseForm {
    #[serde(default)]
    csrf: String,
    role: String,
    duration: Option<u32>,
}

/// `POST /roles`: mints the chosen role (re-checked: the form is only a wish) and shows it.
pub(crate) async fn choose(
    State(bridge): State<Arc<Bridge>>,
    headers: HeaderMap,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    Form(form): Form<ChooseForm>,
) -> Result<Response, PageError> {
    let Ok((bearer, web, _)) = require_identity(&bridge, &headers).await? else {
        return Err(PageError::forbidden(
            "Your sign-in has ended. Sign in again to choose a role.",
        ));
    };
    web.check_csrf(&form.csrf)?;
    let role_arn: RoleArn = form
        .role
        .parse()
        .map_err(|_| PageError::bad_request("That is not a role ARN."))?;
    let (saved, note) = bridge
        .choose_role(&bearer, web, &role_arn, form.duration, peer.ip())
        .await?;
    let cookie = session::session_cookie(&bridge, &saved);
    let mut response = see_other(&format!("{}/console", base_path(&bridge)), cookie);
    response.extensions_mut().insert(note);
    Ok(response)
}
