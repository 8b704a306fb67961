//! The two decisions that make a parsed [`SigV4Auth`] trustworthy: is the request fresh
//! ([`check_time`]), and was it signed with the caller's secret ([`verify`]).

use chrono::{DateTime, TimeDelta, Utc};
use subtle::ConstantTimeEq;
use zeroize::Zeroizing;

use super::auth::{AuthLocation, MAX_SKEW, SigV4Auth};
use super::canonical::{canonical_request, sign, signing_key, string_to_sign};
use super::error::SigV4Error;
use super::request::SignedRequest;
use crate::types::SecretAccessKey;

/// Header form: the request time must be within [`MAX_SKEW`] of `now`, either side.
/// Query (presigned) form: the request time must not be more than [`MAX_SKEW`] in the future,
/// and `now` must not be after `request_time + X-Amz-Expires`. Both bounds are inclusive.
pub(crate) fn check_time(auth: &SigV4Auth, now: DateTime<Utc>) -> Result<(), SigV4Error> {
    let skewed = || SigV4Error::Skewed {
        request_time: auth.request_time,
        now,
    };
    // Overflow is only reachable with absurd clocks; treat it as out of range, never panic.
    let latest = now.checked_add_signed(MAX_SKEW).ok_or_else(skewed)?;
    if auth.request_time > latest {
        return Err(skewed());
    }
    match auth.location {
        AuthLocation::Header => {
            let earliest = now.checked_sub_signed(MAX_SKEW).ok_or_else(skewed)?;
            if auth.request_time < earliest {
                return Err(skewed());
            }
        }
        AuthLocation::Query => {
            let Some(expires_in) = auth.expires_in else {
                return Err(SigV4Error::Incomplete(
                    "A presigned request requires X-Amz-Expires.".to_owned(),
                ));
            };
            let expired_at = auth
                .request_time
                .checked_add_signed(TimeDelta::seconds(i64::from(expires_in)))
                .ok_or_else(skewed)?;
            if now > expired_at {
                return Err(SigV4Error::PresignExpired { expired_at, now });
            }
        }
    }
    Ok(())
}

/// Recomputes the signature with `secret` and compares it in constant time.
///
/// A client-declared `x-amz-content-sha256` is never trusted: it must equal the hash of the body
/// actually received, otherwise a signature over a declared hash would authenticate any body.
pub(crate) fn verify(
    req: &SignedRequest<'_>,
    auth: &SigV4Auth,
    secret: &SecretAccessKey,
) -> Result<(), SigV4Error> {
    // `parse` already enforces this; checked again because the fields are public.
    if auth.scope.service != req.service {
        return Err(SigV4Error::WrongService(req.service.to_owned()));
    }
    let body_hash = req.payload.hash();
    if req
        .headers
        .get_all("x-amz-content-sha256")
        .iter()
        .any(|v| v.as_bytes() != body_hash.as_bytes())
    {
        return Err(SigV4Error::SignatureMismatch);
    }
    let canonical = canonical_request(req, &auth.signed_headers, auth.location, &body_hash)?;
    let to_sign = string_to_sign(auth.request_time, &auth.scope, &canonical);
    let key = Zeroizing::new(signing_key(
        secret,
        auth.scope.date,
        &auth.scope.region,
        &auth.scope.service,
    ));
    let expected = sign(&key, &to_sign);
    if bool::from(expected.as_slice().ct_eq(auth.signature.0.as_slice())) {
        Ok(())
    } else {
        Err(SigV4Error::SignatureMismatch)
    }
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone as _;

    use super::*;
    use crate::authn::sigv4::tests_support::*;
    use crate::authn::sigv4::{parse, payload_hash};

    /// parse → `check_time` at `now` → verify with the test secret.
    fn run(req: &Req, now: DateTime<Utc>) -> Result<SigV4Auth, SigV4Error> {
        let signed = req.signed();
        let auth = parse(&signed)?.expect("request carries auth");
        check_time(&auth, now)?;
        verify(&signed, &auth, &secret())?;
        Ok(auth)
    }

    fn minutes(m: i64) -> TimeDelta {
        TimeDelta::minutes(m)
    }

    #[test]
    fn t3_header_form_verifies() {
        let auth = run(&t3(), t0()).unwrap();
        assert_eq!(auth.access_key_id, "AKIDEXAMPLE");
        assert_eq!(auth.scope, sts_scope("us-east-1"));
        assert_eq!(auth.request_time, t0());
        assert_eq!(auth.signed_headers, ["content-type", "host", "x-amz-date"]);
        assert!(auth.security_token.is_none());
        assert_eq!(auth.location, AuthLocation::Header);
        assert_eq!(auth.expires_in, None);
    }

    #[test]
    fn t4_session_token_verifies_and_never_prints() {
        let auth = run(&t4(), t0()).unwrap();
        assert_eq!(auth.security_token.as_ref().unwrap().expose(), T4_TOKEN);
        let debug = format!("{auth:?}");
        assert!(!debug.contains(T4_TOKEN), "{debug}");
        assert!(!debug.contains(T4_SIG), "{debug}");
        let req_debug = format!("{:?}", t4().signed());
        assert!(
            !req_debug.contains(T4_TOKEN) && !req_debug.contains(T4_SIG),
            "{req_debug}"
        );
    }

    #[test]
    fn t5_presigned_verifies_with_the_method_it_was_signed_for() {
        let auth = run(&t5("GET", T5_GET_SIG), t0()).unwrap();
        assert_eq!(auth.location, AuthLocation::Query);
        assert_eq!(auth.expires_in, Some(60));
        assert_eq!(auth.signed_headers, ["host"]);
        run(&t5("POST", T5_POST_SIG), t0()).unwrap();
        // botocore's default presign signs POST; replaying it as GET (or vice versa) must fail.
        assert_eq!(
            run(&t5("GET", T5_POST_SIG), t0()).unwrap_err(),
            SigV4Error::SignatureMismatch
        );
        assert_eq!(
            run(&t5("POST", T5_GET_SIG), t0()).unwrap_err(),
            SigV4Error::SignatureMismatch
        );
    }

    #[test]
    fn tampering_is_a_signature_mismatch() {
        let mismatch =
            |req: Req| assert_eq!(run(&req, t0()).unwrap_err(), SigV4Error::SignatureMismatch);
        let mut body = T3_BODY.to_vec();
        body[0] ^= 1;
        mismatch(t3().body(&body));
        mismatch(t3().body(b""));
        mismatch(t3().set("Content-Type", "application/json"));
        mismatch(t3().set("Host", "sts.amazonaws.com:443"));
        mismatch(t4().set("X-Amz-Security-Token", "AQoDYXdzEPT//////////wEXAMPLf"));
        // A query parameter added to a header-signed request, or changed in a presigned one.
        let mut extra = t3();
        extra.uri = "https://sts.amazonaws.com/?Action=GetSessionToken"
            .parse()
            .unwrap();
        mismatch(extra);
        let mut changed = t5("GET", T5_GET_SIG);
        changed.uri = changed
            .uri
            .to_string()
            .replace("Version=2011-06-15", "Version=2011-06-16")
            .parse()
            .unwrap();
        mismatch(changed);
        // One signature bit, in the header and in the query.
        let flipped = T3_SIG.replacen('6', "7", 1);
        mismatch(t3().set(
            "Authorization",
            &authorization("content-type;host;x-amz-date", &flipped),
        ));
        mismatch(t5("GET", &T5_GET_SIG.replacen('1', "0", 1)));
        // Region changed in the scope without re-signing.
        let other_region =
            authorization("content-type;host;x-amz-date", T3_SIG).replace("us-east-1", "eu-west-1");
        mismatch(t3().set("Authorization", &other_region));
        let signed = t3();
        let mut auth = parse(&signed.signed()).unwrap().unwrap();
        auth.scope.region = "eu-west-1".to_owned();
        assert_eq!(
            verify(&signed.signed(), &auth, &secret()),
            Err(SigV4Error::SignatureMismatch)
        );
        // The wrong secret.
        let other = SecretAccessKey::parse("wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEZ").unwrap();
        let auth = parse(&signed.signed()).unwrap().unwrap();
        assert_eq!(
            verify(&signed.signed(), &auth, &other),
            Err(SigV4Error::SignatureMismatch)
        );
    }

    #[test]
    fn declared_payload_hash_must_match_the_body() {
        let body_hash = payload_hash(T3_BODY);
        // Correct (even if unsigned) is fine: it does not change what was signed.
        run(&t3().header("X-Amz-Content-Sha256", &body_hash), t0()).unwrap();
        for lie in [
            payload_hash(b""),
            "UNSIGNED-PAYLOAD".to_owned(),
            body_hash.to_uppercase(),
        ] {
            let req = t3().header("X-Amz-Content-Sha256", &lie);
            assert_eq!(run(&req, t0()).unwrap_err(), SigV4Error::SignatureMismatch);
        }
        // Signed and lying: the client signed over a hash that is not the body's.
        let req = t3()
            .header("X-Amz-Content-Sha256", &payload_hash(b"other"))
            .resign(
                "content-type;host;x-amz-content-sha256;x-amz-date",
                "us-east-1",
                t0(),
            );
        assert_eq!(run(&req, t0()).unwrap_err(), SigV4Error::SignatureMismatch);
        let req = t3().header("X-Amz-Content-Sha256", &body_hash).resign(
            "content-type;host;x-amz-content-sha256;x-amz-date",
            "us-east-1",
            t0(),
        );
        run(&req, t0()).unwrap();
    }

    #[test]
    fn header_form_clock_skew() {
        for ok in [-15, -14, 0, 14, 15] {
            run(&t3(), t0() + minutes(ok)).unwrap();
        }
        for bad in [-20, 20] {
            let now = t0() + minutes(bad);
            assert_eq!(
                run(&t3(), now).unwrap_err(),
                SigV4Error::Skewed {
                    request_time: t0(),
                    now
                }
            );
        }
        let late = t0() + minutes(15) + TimeDelta::seconds(1);
        assert!(matches!(run(&t3(), late), Err(SigV4Error::Skewed { .. })));
    }

    #[test]
    fn skew_messages_match_aws_wording() {
        let request_time = Utc.with_ymd_and_hms(2022, 1, 27, 0, 14, 27).unwrap();
        let now = Utc.with_ymd_and_hms(2022, 1, 27, 1, 59, 28).unwrap();
        assert_eq!(
            SigV4Error::Skewed { request_time, now }.to_string(),
            "Signature expired: 20220127T001427Z is now earlier than 20220127T014428Z \
             (20220127T015928Z - 15 min.)"
        );
        let now = Utc.with_ymd_and_hms(2022, 1, 26, 23, 0, 0).unwrap();
        assert_eq!(
            SigV4Error::Skewed { request_time, now }.to_string(),
            "Signature not yet current: 20220127T001427Z is still later than 20220126T231500Z \
             (20220126T230000Z + 15 min.)"
        );
    }

    #[test]
    fn presigned_expiry_and_future_dates() {
        let req = t5("GET", T5_GET_SIG);
        run(&req, t0() + TimeDelta::seconds(60)).unwrap();
        run(&req, t0() - minutes(14)).unwrap();
        let now = t0() + TimeDelta::seconds(61);
        assert_eq!(
            run(&req, now).unwrap_err(),
            SigV4Error::PresignExpired {
                expired_at: t0() + TimeDelta::seconds(60),
                now
            }
        );
        assert_eq!(
            SigV4Error::PresignExpired {
                expired_at: now,
                now
            }
            .to_string(),
            "Request has expired"
        );
        let now = t0() - minutes(20);
        assert_eq!(
            run(&req, now).unwrap_err(),
            SigV4Error::Skewed {
                request_time: t0(),
                now
            }
        );
    }

    #[test]
    fn any_region_and_no_host_header_over_http2() {
        let req = t3().resign("content-type;host;x-amz-date", "eu-west-1", t0());
        assert_eq!(run(&req, t0()).unwrap().scope.region, "eu-west-1");
        // HTTP/2 has no Host header; the signed host comes from `:authority` (the URI).
        let h2 = t3().without("Host");
        run(&h2, t0()).unwrap();
        // A custom endpoint with a port is signed with the port, exactly as sent.
        let mut local = t3().set("Host", "127.0.0.1:18443");
        local.uri = "/".parse().unwrap();
        let local = local.resign("content-type;host;x-amz-date", "eu-west-1", t0());
        run(&local, t0()).unwrap();
    }

    #[test]
    fn date_header_instead_of_x_amz_date() {
        let req = t3()
            .without("X-Amz-Date")
            .header("Date", "Sun, 30 Aug 2015 12:36:00 GMT")
            .resign("content-type;date;host", "us-east-1", t0());
        assert_eq!(run(&req, t0()).unwrap().request_time, t0());
    }

    #[test]
    fn session_token_as_query_parameter_with_header_auth() {
        let mut req = t3();
        req.uri = "https://sts.amazonaws.com/?X-Amz-Security-Token=tok%2Fen"
            .parse()
            .unwrap();
        let req = req.resign("content-type;host;x-amz-date", "us-east-1", t0());
        let auth = run(&req, t0()).unwrap();
        assert_eq!(auth.security_token.unwrap().expose(), "tok/en");
    }

    #[test]
    fn verify_rechecks_the_service() {
        let req = t3();
        let mut auth = parse(&req.signed()).unwrap().unwrap();
        auth.scope.service = "iam".to_owned();
        assert_eq!(
            verify(&req.signed(), &auth, &secret()),
            Err(SigV4Error::WrongService("sts".to_owned()))
        );
    }
}
