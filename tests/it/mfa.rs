//! MFA codes cannot be guessed: five invalid codes lock the device for 15 minutes (every code
//! refused, the right one too), a valid code resets the count, a caller the trust policy or
//! the action refuses gets the same answer whatever the code and is counted for nothing, and
//! every key and session of a user shares one MFA budget (`[limits] mfa_per_user_per_s`).

use std::time::Duration;

use chrono::{DateTime, TimeDelta, Utc};
use stsbridge::app::ServeLimits;
use stsbridge::authn::totp::code_at;
use stsbridge::clock::Clock;
use stsbridge::sts::mfa::LOCKED_MESSAGE;
use stsbridge::types::Secret;

use crate::assume_role::{TOTP_SEED, config, role};
use crate::common::{ServerClock, TestServer, config_from, error_code, error_message};

pub(crate) const SERIAL: &str = "arn:aws:iam::123456789012:mfa/admin";
const ADMIN_ARN: &str = "arn:aws:iam::123456789012:user/admin";
const INVALID: &str = "MultiFactorAuthentication failed with invalid MFA one time pass code.";

async fn server() -> TestServer {
    TestServer::start_custom(ServeLimits::default(), config_from(&config())).await
}

pub(crate) fn seed() -> Secret {
    Secret::new(TOTP_SEED)
}

/// The right code at the server's time.
pub(crate) fn right(server: &TestServer) -> String {
    code_at(&seed(), server.clock.now()).unwrap()
}

/// A well-formed code that no step of the acceptance window at `now` matches.
pub(crate) fn wrong(now: DateTime<Utc>) -> String {
    let window: Vec<String> = [-30, 0, 30]
        .iter()
        .map(|s| code_at(&seed(), now + TimeDelta::seconds(*s)).unwrap())
        .collect();
    ["000000", "111111", "222222", "333333"]
        .into_iter()
        .find(|c| !window.iter().any(|w| w == c))
        .unwrap()
        .to_owned()
}

/// A client signing with the server's clock, so the clock can move by many minutes. A fresh one
/// per request: the SDK corrects its signing time by the skew it measures against the
/// server's (real-time) `Date` header, which would undo the manual clock.
pub(crate) fn admin(server: &TestServer) -> aws_sdk_sts::Client {
    let conf = server
        .admin()
        .config()
        .to_builder()
        .time_source(ServerClock(server.clock.clone()))
        .build();
    aws_sdk_sts::Client::from_conf(conf)
}

fn session_client(server: &TestServer, c: &aws_sdk_sts::types::Credentials) -> aws_sdk_sts::Client {
    let conf = server
        .client(
            c.access_key_id(),
            c.secret_access_key(),
            Some(c.session_token()),
            "us-east-1",
        )
        .config()
        .to_builder()
        .time_source(ServerClock(server.clock.clone()))
        .build();
    aws_sdk_sts::Client::from_conf(conf)
}

/// The admin's long-term keys (`None`) or one of its sessions.
type Who<'a> = Option<&'a aws_sdk_sts::types::Credentials>;

/// AssumeRole of `role_name` with `code`: `Ok(())` or the error code and message.
async fn assume(
    server: &TestServer,
    who: Who<'_>,
    role_name: &str,
    code: &str,
) -> Result<(), (String, String)> {
    let client = who.map_or_else(|| admin(server), |c| session_client(server, c));
    client
        .assume_role()
        .role_arn(role(role_name))
        .role_session_name("mfa-test")
        .serial_number(SERIAL)
        .token_code(code)
        .send()
        .await
        .map(|_| ())
        .map_err(|e| (error_code(&e), error_message(&e)))
}

/// The message without the sealed (and so always different) authorization message.
fn plain(message: &str) -> &str {
    message
        .split(" Encoded authorization failure message:")
        .next()
        .unwrap_or(message)
        .trim_end_matches('.')
}

/// One code a second per user: step past the limit before each code.
fn next_second(server: &TestServer) {
    server.clock.advance(TimeDelta::seconds(1));
}

async fn metrics(server: &TestServer) -> String {
    reqwest::get(format!("{}/metrics", server.url()))
        .await
        .unwrap()
        .text()
        .await
        .unwrap()
}

/// `n` invalid codes for the MFA role, a second apart (the per-user limit), each refused as
/// invalid (not yet as locked).
async fn invalid_codes(server: &TestServer, n: u32, label: &str) {
    for i in 1..=n {
        next_second(server);
        let (code, message) = assume(server, None, "mfa-only", &wrong(server.clock.now()))
            .await
            .unwrap_err();
        assert_eq!(code, "AccessDenied", "{label}invalid code {i}");
        assert!(
            message.starts_with(INVALID),
            "{label}invalid code {i}: {message}"
        );
    }
}

#[tokio::test]
async fn five_invalid_codes_lock_the_device_for_fifteen_minutes_even_for_the_right_code() {
    let server = server().await;
    invalid_codes(&server, 5, "").await;
    // Locked: the right code is refused with the lock message, for both actions.
    next_second(&server);
    let locked = Err(("AccessDenied".to_owned(), LOCKED_MESSAGE.to_owned()));
    assert_eq!(
        assume(&server, None, "mfa-only", &right(&server)).await,
        locked
    );
    next_second(&server);
    assert_eq!(
        assume(&server, None, "mfa-only", &wrong(server.clock.now())).await,
        locked
    );
    next_second(&server);
    let gst = admin(&server)
        .get_session_token()
        .serial_number(SERIAL)
        .token_code(right(&server))
        .send()
        .await
        .unwrap_err();
    assert_eq!(
        (error_code(&gst), error_message(&gst)),
        ("AccessDenied".to_owned(), LOCKED_MESSAGE.to_owned())
    );
    // Without a code nothing is locked: the user's keys still work where MFA is not needed.
    admin(&server)
        .assume_role()
        .role_arn(role("chain-a"))
        .role_session_name("no-mfa")
        .send()
        .await
        .unwrap();

    // The refusal is audited with its message, and counted.
    let since = server.clock.now() - TimeDelta::hours(1);
    let mut audited = false;
    for _ in 0..200 {
        let events = server
            .bridge
            .store()
            .list_audit_events(since, Some(ADMIN_ARN), 1000, server.clock.now())
            .await
            .unwrap();
        audited = events.iter().any(|e| {
            let e: serde_json::Value = serde_json::from_str(e).unwrap();
            e["eventName"] == "AssumeRole"
                && e["errorCode"] == "AccessDenied"
                && e["errorMessage"] == LOCKED_MESSAGE
        });
        if audited {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert!(audited, "the lock refusal is in the audit trail");
    let text = metrics(&server).await;
    for outcome in ["invalid", "locked_out", "refused_locked"] {
        assert!(
            text.contains(&format!(
                "stsbridge_mfa_codes_total{{outcome=\"{outcome}\"}}"
            )),
            "{outcome}: {text}"
        );
    }

    // The lock began with the fifth invalid code (5 s in) and lasts 15 minutes.
    server
        .clock
        .advance(TimeDelta::minutes(15) - TimeDelta::seconds(4));
    assert_eq!(
        assume(&server, None, "mfa-only", &right(&server)).await,
        locked
    );
    server.clock.advance(TimeDelta::seconds(2));
    assume(&server, None, "mfa-only", &right(&server))
        .await
        .unwrap();
}

#[tokio::test]
async fn a_valid_code_resets_the_count() {
    let server = server().await;
    for round in 0..3 {
        invalid_codes(&server, 4, &format!("round {round}, ")).await;
        next_second(&server);
        assume(&server, None, "mfa-only", &right(&server))
            .await
            .unwrap_or_else(|e| panic!("round {round}: four invalid codes, then {e:?}"));
        // A new step, so that its code is unused.
        server.clock.advance(TimeDelta::seconds(30));
    }
    // Reset counts: twelve invalid codes so far, and still not locked.
    let stored = server
        .bridge
        .store()
        .mfa_locked(SERIAL, server.clock.now())
        .await
        .unwrap();
    assert!(!stored);
}

#[tokio::test]
async fn a_refused_caller_gets_the_same_answer_for_any_code_and_counts_nothing() {
    let server = server().await;
    let code = right(&server);
    // chain-b trusts only chain-a's sessions: the trust policy refuses the admin, MFA or not.
    let refused = assume(&server, None, "chain-b", &code).await.unwrap_err();
    assert_eq!(refused.0, "AccessDenied");
    assert_eq!(
        plain(&refused.1),
        "Not authorized to perform sts:AssumeRole"
    );
    // Many wrong codes, at once: the same refusal, never throttled, never counted.
    for _ in 0..8 {
        let (c, m) = assume(&server, None, "chain-b", &wrong(server.clock.now()))
            .await
            .unwrap_err();
        assert_eq!(
            (c.as_str(), plain(&m)),
            (refused.0.as_str(), plain(&refused.1))
        );
    }
    // GetSessionToken from session credentials is refused before any code, too.
    let plain_session = admin(&server).get_session_token().send().await.unwrap();
    let session = plain_session.credentials().unwrap();
    for c in [code.clone(), wrong(server.clock.now())] {
        let err = session_client(&server, session)
            .get_session_token()
            .serial_number(SERIAL)
            .token_code(c)
            .send()
            .await
            .unwrap_err();
        assert_eq!(error_code(&err), "AccessDenied");
        assert!(
            error_message(&err).starts_with("Not authorized to perform sts:GetSessionToken"),
            "{}",
            error_message(&err)
        );
    }
    assert!(
        !server
            .bridge
            .store()
            .mfa_locked(SERIAL, server.clock.now())
            .await
            .unwrap()
    );
    // The right code was neither spent nor counted: it still opens the MFA role.
    assume(&server, None, "mfa-only", &code).await.unwrap();
}

#[tokio::test]
async fn a_call_refused_after_the_decision_does_not_spend_the_code() {
    let server = server().await;
    let code = right(&server);
    // Allowed by trust and permissions, but the duration is over the role's maximum (and the
    // session policy is malformed): refused by the minting checks, before the code is looked at.
    let client = admin(&server);
    let too_long = client
        .assume_role()
        .role_arn(role("mfa-only"))
        .role_session_name("mfa-test")
        .duration_seconds(43_200)
        .serial_number(SERIAL)
        .token_code(&code)
        .send()
        .await
        .unwrap_err();
    assert_eq!(
        error_code(&too_long),
        "ValidationError",
        "{}",
        error_message(&too_long)
    );
    let bad_policy = admin(&server)
        .assume_role()
        .role_arn(role("mfa-only"))
        .role_session_name("mfa-test")
        .policy(r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow"}]}"#)
        .serial_number(SERIAL)
        .token_code(&code)
        .send()
        .await
        .unwrap_err();
    assert_eq!(error_code(&bad_policy), "MalformedPolicyDocument");
    // The code was neither spent nor counted: it opens the role now.
    assume(&server, None, "mfa-only", &code).await.unwrap();
}

#[tokio::test]
async fn every_session_of_a_user_shares_the_users_mfa_budget() {
    let server = server().await;
    // Two GetSessionToken sessions: two more access keys, but still the one user.
    let mut sessions = Vec::new();
    for _ in 0..2 {
        let out = admin(&server).get_session_token().send().await.unwrap();
        sessions.push(out.credentials().unwrap().clone());
    }
    next_second(&server);
    let now = server.clock.now();
    let (code, message) = assume(&server, Some(&sessions[0]), "chain-a", &wrong(now))
        .await
        .unwrap_err();
    assert_eq!(code, "AccessDenied");
    assert!(message.starts_with(INVALID), "{message}");
    // The same second, from the other session and from the long-term key: over the budget.
    for other in [Some(&sessions[1]), None] {
        let (code, message) = assume(&server, other, "chain-a", &wrong(now))
            .await
            .unwrap_err();
        assert_eq!(
            (code.as_str(), message.as_str()),
            ("Throttling", "Rate exceeded")
        );
    }
    let gst = admin(&server)
        .get_session_token()
        .serial_number(SERIAL)
        .token_code(right(&server))
        .send()
        .await
        .unwrap_err();
    assert_eq!(error_code(&gst), "Throttling");
    assert!(
        metrics(&server)
            .await
            .contains("stsbridge_throttled_total{limit=\"mfa_per_user\"}")
    );
    // A second later the budget is back, for any of them.
    next_second(&server);
    assume(&server, Some(&sessions[1]), "mfa-only", &right(&server))
        .await
        .unwrap();
}
