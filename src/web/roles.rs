//! The role chooser (`/roles`): the roles a signed-in identity may assume, why each is offered,
//! and a session length. One role skips the chooser; none shows the claims the rules saw.

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;

use askama::Template;
use axum::Form;
use axum::extract::{ConnectInfo, State};
use axum::http::{HeaderMap, HeaderValue, header};
use axum::response::{IntoResponse, Redirect, Response};
use chrono::{DateTime, Utc};
use serde::Deserialize;

use super::audit::AuditNote;
use super::error::PageError;
use super::session::{self, ActiveRole, WebSession};
use super::{base_path, page};
use crate::sts::bridge::Bridge;
use crate::sts::error::ServiceError;
use crate::sts::offers::{RoleOffer, SignedIn, offered_roles};
use crate::sts::web_identity::RoleChoice;
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
pub struct OfferView {
    pub arn: String,
    pub name: String,
    pub why: Vec<String>,
    pub max: String,
}

#[derive(Debug)]
pub struct DurationView {
    pub seconds: u32,
    pub label: String,
    pub selected: bool,
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

pub fn human_duration(seconds: u32) -> String {
    match seconds {
        s if s % 3600 == 0 => format!("{} h", s / 3600),
        s => format!("{} min", s / 60),
    }
}

/// After a verified sign-in: a fresh session; straight to the credentials when exactly one
/// role is offered, else to the chooser (which also explains "no role").
pub async fn after_sign_in(
    state: &Bridge,
    headers: &HeaderMap,
    identity: SignedIn,
    hard_end: Option<DateTime<Utc>>,
    ip: IpAddr,
) -> Result<Response, PageError> {
    // A new sign-in replaces whatever session this browser had: end the old one for good.
    if let Some((old, _)) = session::load(state, headers).await? {
        session::destroy(state, &old).await?;
    }
    let now = state.clock.now();
    let offers = offered_roles(&state.config, &state.revocations, &identity, Some(ip), now);
    let mut note = AuditNote::new("BrowserSignIn").identity(&identity);
    let mut web = WebSession::signed_in(identity, now, hard_end);
    let base = base_path(state);
    let target = if let [only] = offers.as_slice() {
        let duration = DEFAULT_ROLE_SESSION_SECONDS.min(only.max_duration);
        let active = activate(state, &web, &only.role_arn, duration, ip)?;
        note = note.issued(&active);
        note.matched = Some(only.why.join("; "));
        web.active = Some(active);
        format!("{base}/console")
    } else {
        format!("{base}/roles")
    };
    let cookie = session::create(state, &web).await?;
    let mut response = see_other(&target, cookie);
    response.extensions_mut().insert(note);
    Ok(response)
}

/// A 303 to `target` that sets `cookie`.
pub fn see_other(target: &str, cookie: HeaderValue) -> Response {
    ([(header::SET_COOKIE, cookie)], Redirect::to(target)).into_response()
}

/// Mints the role's credentials through the API's code path.
pub fn activate(
    state: &Bridge,
    web: &WebSession,
    role_arn: &RoleArn,
    duration: u32,
    ip: IpAddr,
) -> Result<ActiveRole, PageError> {
    let identity = web.identity.as_ref().ok_or_else(|| {
        PageError::bad_request(
            "This session was opened with credentials, not a sign-in: it cannot take another role.",
        )
    })?;
    let now = state.clock.now();
    // A role switch never outlives the sign-in: cap the request at what is left of it.
    let left = (web.signed_in_until - now).num_seconds();
    if left < 900 {
        return Err(PageError::forbidden(
            "Your sign-in is about to end. Sign in again for new credentials.",
        ));
    }
    let duration = duration.min(u32::try_from(left).unwrap_or(u32::MAX));
    let choice = RoleChoice {
        role_arn,
        role_session_name: None,
        duration_seconds: Some(duration),
        policy: None,
        policy_arns: &[],
        source_ip: Some(ip),
    };
    let issued = identity
        .assume(
            &state.config,
            &state.keyring,
            &state.revocations,
            &choice,
            now,
        )
        .map_err(|e| match e {
            ServiceError::Internal(detail) => PageError::internal(detail),
            ServiceError::Mint(detail) => PageError::internal(detail),
            ServiceError::Store(detail) => PageError::unavailable(detail),
            other => PageError::forbidden(format!("You cannot take this role: {other}")),
        })?;
    let c = issued.credentials;
    Ok(ActiveRole {
        role_arn: role_arn.to_string(),
        assumed_role_arn: issued.assumed_role_arn,
        access_key_id: c.access_key_id.to_string(),
        secret_access_key: crate::types::Secret::new(c.secret_access_key.expose()),
        session_token: c.session_token,
        expiration: c.expiration,
    })
}

/// What the chooser offers this identity from this address, now.
fn offers_for(state: &Bridge, identity: &SignedIn, ip: IpAddr) -> Vec<RoleOffer> {
    offered_roles(
        &state.config,
        &state.revocations,
        identity,
        Some(ip),
        state.clock.now(),
    )
}

/// The signed-in session, or a redirect to the login page.
async fn require_identity(
    state: &Bridge,
    headers: &HeaderMap,
) -> Result<Result<(String, WebSession, SignedIn), Response>, PageError> {
    match session::load(state, headers).await? {
        Some((bearer, web)) => match web.identity.clone() {
            Some(identity) => Ok(Ok((bearer, web, identity))),
            None => Ok(Err(
                Redirect::to(&format!("{}/console", base_path(state))).into_response()
            )),
        },
        None => Ok(Err(
            Redirect::to(&format!("{}/", base_path(state))).into_response()
        )),
    }
}

pub async fn show(
    State(state): State<Arc<Bridge>>,
    headers: HeaderMap,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
) -> Result<Response, PageError> {
    let (_, web, identity) = match require_identity(&state, &headers).await? {
        Ok(found) => found,
        Err(redirect) => return Ok(redirect),
    };
    let offers = offers_for(&state, &identity, peer.ip());
    let base = base_path(&state);
    let account = state.config.server.account_id.to_string();
    if offers.is_empty() {
        let mut claims = identity.visible_claims();
        claims.sort();
        return page(&NoRolePage {
            base,
            account,
            who: identity.display_name(),
            provider: identity.provider().to_owned(),
            csrf: web.csrf,
            claims,
        });
    }
    let longest = offers.iter().map(|o| o.max_duration).max().unwrap_or(3600);
    page(&RolesPage {
        base,
        account,
        who: identity.display_name(),
        provider: identity.provider().to_owned(),
        csrf: web.csrf,
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
pub struct ChooseForm {
    #[serde(default)]
    csrf: String,
    role: String,
    duration: Option<u32>,
}

/// `POST /roles`: mints the chosen role (re-checked: the form is only a wish) and shows it.
pub async fn choose(
    State(state): State<Arc<Bridge>>,
    headers: HeaderMap,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    Form(form): Form<ChooseForm>,
) -> Result<Response, PageError> {
    let Ok((bearer, mut web, identity)) = require_identity(&state, &headers).await? else {
        return Err(PageError::forbidden(
            "Your sign-in has ended. Sign in again to choose a role.",
        ));
    };
    if !web.csrf_ok(&form.csrf) {
        return Err(PageError::forbidden(
            "This form did not come from your session (missing or wrong CSRF token). Reload the page and try again.",
        ));
    }
    let role_arn: RoleArn = form
        .role
        .parse()
        .map_err(|_| PageError::bad_request("That is not a role ARN."))?;
    let offers = offers_for(&state, &identity, peer.ip());
    let offer = offers
        .iter()
        .find(|o| o.role_arn == role_arn)
        .ok_or_else(|| PageError::forbidden("That role is not offered to you."))?;
    let duration = form
        .duration
        .unwrap_or(DEFAULT_ROLE_SESSION_SECONDS)
        .clamp(900, offer.max_duration);
    let active = activate(&state, &web, &role_arn, duration, peer.ip())?;
    let mut note = AuditNote::new("ChooseRole")
        .identity(&identity)
        .issued(&active);
    note.matched = Some(offer.why.join("; "));
    web.active = Some(active);
    let cookie = session::save(&state, &bearer, &web).await?;
    let mut response = see_other(&format!("{}/console", base_path(&state)), cookie);
    response.extensions_mut().insert(note);
    Ok(response)
}
