//! The verification matrix: valid responses from two signers, every refusal with its exact
//! error, the XSW1–XSW8 families as concrete documents, metadata from a URL with rollover.
//!
//! Responses are signed at test time with keys generated at test time, by the `xmlsec1` tool
//! (independent of samael's signing code) and, for some cases, by samael's `XmlSec::sign_xml`.
//! Timestamps are relative to the wall clock because samael reads it itself.

use std::sync::{Arc, Mutex as StdMutex, OnceLock};
use std::time::{Duration, Instant};

use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use chrono::TimeDelta;

use super::testkit::*;
use super::*;

fn verify(xml: &str) -> Result<VerifiedAssertion, SamlError> {
    shared_registry().verify("corp", &b64(xml), now())
}

fn shared_registry() -> &'static SamlRegistry {
    static REGISTRY: OnceLock<SamlRegistry> = OnceLock::new();
    REGISTRY.get_or_init(registry)
}

fn attr<'a>(v: &'a VerifiedAssertion, name: &str) -> Vec<&'a str> {
    v.attribute_values(name).collect()
}

fn assert_alice(v: &VerifiedAssertion) {
    assert_eq!(v.name_id, "alice@example.com");
    assert_eq!(
        attr(v, ROLE_ATTR),
        [format!(
            "{ROLE_DEV},arn:aws:iam::{ACCOUNT}:saml-provider/corp"
        )]
    );
}

#[test]
fn valid_assertion_signed_by_xmlsec1() {
    let spec = ResponseSpec::new();
    let v = verify(&spec.sign()).unwrap();
    assert_eq!(v.provider, "corp");
    assert_eq!(
        v.provider_arn,
        "arn:aws:iam::123456789012:saml-provider/corp"
    );
    assert_eq!(v.issuer, ENTITY_ID);
    assert_eq!(v.assertion_id, spec.assertion_id);
    assert_eq!(
        v.name_id_format.as_deref(),
        Some("urn:oasis:names:tc:SAML:2.0:nameid-format:persistent")
    );
    assert_eq!(v.recipient, ACS_AWS);
    assert_eq!(v.audiences, [AUD_AWS]);
    // Latest NotOnOrAfter (Conditions, +10 min) plus the 60 s skew; timestamps are whole
    // seconds in the document.
    let expected = spec.not_on_or_after + TimeDelta::seconds(60);
    assert!((v.replay_expires_at - expected).num_seconds().abs() <= 1);
    let session = v.session_not_on_or_after.unwrap();
    assert!((session - spec.session_not_on_or_after).num_seconds().abs() <= 1);
    assert_alice(&v);
    assert_eq!(
        attr(&v, "https://aws.amazon.com/SAML/Attributes/RoleSessionName"),
        ["alice"]
    );
    assert_eq!(
        attr(&v, "https://aws.amazon.com/SAML/Attributes/SessionDuration"),
        ["3600"]
    );
    assert_eq!(
        attr(
            &v,
            "https://aws.amazon.com/SAML/Attributes/PrincipalTag:Department"
        ),
        ["Engineering & Ops"]
    );
    let groups = v
        .attributes
        .iter()
        .find(|a| a.friendly_name.as_deref() == Some("groups"))
        .unwrap();
    assert_eq!(groups.name, "http://schemas.xmlsoap.org/claims/Group");
    assert_eq!(groups.values, ["dev", "oncall"]);
    assert_eq!(v.attributes.len(), 6);
}

#[test]
fn valid_response_signed_and_both_signed_by_both_signers() {
    for signer in [Signer::Xmlsec1, Signer::Samael] {
        for signed in [Signed::Response, Signed::Both, Signed::Assertion] {
            let xml = ResponseSpec::new().signed(signed).sign_with(idp(), signer);
            let v = verify(&xml).unwrap_or_else(|e| panic!("{signer:?}/{signed:?}: {e}"));
            assert_alice(&v);
        }
    }
}

#[test]
fn accepts_every_configured_audience_and_acs_url_and_wrapped_base64() {
    let mut spec = ResponseSpec::new();
    spec.audience = Some(AUD_OWN.into());
    spec.recipient = ACS_OWN.into();
    spec.destination = Some(ACS_OWN.into());
    for signed in [Signed::Assertion, Signed::Response] {
        let xml = spec.clone().signed(signed).sign();
        let v = verify(&xml).unwrap();
        assert_eq!(
            (v.recipient.as_str(), v.audiences.as_slice()),
            (ACS_OWN, &[AUD_OWN.to_owned()][..])
        );
    }
    // No Destination at all is fine too.
    spec.destination = None;
    verify(&spec.sign()).unwrap();
    // RFC 2045 line-wrapped base64, as the POST binding allows.
    let encoded = b64(&ResponseSpec::new().sign());
    let wrapped: Vec<String> = encoded
        .as_bytes()
        .chunks(76)
        .map(|c| String::from_utf8(c.to_vec()).unwrap())
        .collect();
    shared_registry()
        .verify("corp", &wrapped.join("\r\n"), now())
        .unwrap();
}

#[test]
fn unsigned_and_foreign_key_and_tampered_are_refused() {
    let unsigned = ResponseSpec::new().signed(Signed::Nothing).sign();
    assert_eq!(verify(&unsigned).unwrap_err(), SamlError::Unsigned);

    // Signed by another key, whose certificate travels in KeyInfo: KeyInfo is ignored.
    let spec = ResponseSpec::new();
    let forged = spec.sign_with(attacker(), Signer::Xmlsec1);
    assert!(forged.contains("<X509Certificate>") || forged.contains(":X509Certificate>"));
    assert_eq!(verify(&forged).unwrap_err(), SamlError::BadSignature);
    let forged_response = spec
        .clone()
        .signed(Signed::Response)
        .sign_with(attacker(), Signer::Xmlsec1);
    assert_eq!(
        verify(&forged_response).unwrap_err(),
        SamlError::BadSignature
    );

    let signed = spec.sign();
    let tampered = signed.replace("role/Dev,", "role/Admin,");
    assert_ne!(signed, tampered);
    assert_eq!(verify(&tampered).unwrap_err(), SamlError::BadSignature);
    let tampered = signed.replace(
        ">alice@example.com</saml:NameID>",
        ">admin@example.com</saml:NameID>",
    );
    assert_ne!(signed, tampered);
    assert_eq!(verify(&tampered).unwrap_err(), SamlError::BadSignature);
    // Same for a response-level signature.
    let signed = spec.signed(Signed::Response).sign();
    let tampered = signed.replace("role/Dev,", "role/Admin,");
    assert_eq!(verify(&tampered).unwrap_err(), SamlError::BadSignature);
}

/// A signed document cut around its (first) assertion.
struct Parts {
    prefix: String,
    assertion: String,
    suffix: String,
}

fn split(doc: &str) -> Parts {
    let start = doc.find("<saml:Assertion").unwrap();
    let end = doc.find("</saml:Assertion>").unwrap() + "</saml:Assertion>".len();
    Parts {
        prefix: doc[..start].to_owned(),
        assertion: doc[start..end].to_owned(),
        suffix: doc[end..].to_owned(),
    }
}

fn signature_of(xml: &str) -> String {
    let start = xml.find("<ds:Signature").unwrap();
    let end = xml.find("</ds:Signature>").unwrap() + "</ds:Signature>".len();
    xml[start..end].to_owned()
}

fn without_signature(xml: &str) -> String {
    xml.replacen(&signature_of(xml), "", 1)
}

/// The attacker's edit: another user, another role, a fresh ID.
fn evil(assertion: &str, original_id: &str) -> String {
    assertion
        .replace("alice@example.com", "admin@example.com")
        .replace("role/Dev,", "role/Admin,")
        .replace(&format!(" ID=\"{original_id}\""), " ID=\"_evil\"")
}

fn insert_before_last(xml: &str, closing: &str, inner: &str) -> String {
    let at = xml.rfind(closing).unwrap();
    format!("{}{inner}{}", &xml[..at], &xml[at..])
}

/// XSW1–XSW8 after Somorovsky et al., "On Breaking SAML: Be Whoever You Want to Be" (2012),
/// built from genuinely signed documents. 1–2 wrap a signed Response, 3–8 a signed Assertion.
fn xsw_documents() -> Vec<(&'static str, String)> {
    let spec = ResponseSpec::new();
    let aid = spec.assertion_id.clone();

    // Response-signed original.
    let r = spec.clone().signed(Signed::Response).sign();
    let r0 = r[r.find("<samlp:Response").unwrap()..].to_owned();
    let s_r = signature_of(&r0);
    let r0_unsigned = without_signature(&r0);
    let open_end = r0.find('>').unwrap() + 1;
    let evil_open =
        r0[..open_end].replace(&format!("ID=\"{}\"", spec.response_id), "ID=\"_evilresp\"");
    let issuer_end = r0.find("</saml:Issuer>").unwrap() + "</saml:Issuer>".len();
    let issuer = &r0[open_end..issuer_end];
    let status = {
        let s = r0.find("<samlp:Status>").unwrap();
        let e = r0.find("</samlp:Status>").unwrap() + "</samlp:Status>".len();
        &r0[s..e]
    };
    let r_evil_assertion = evil(&split(&r0).assertion, &aid);
    let xsw1 = format!(
        "{evil_open}{issuer}{}{status}{r_evil_assertion}</samlp:Response>",
        insert_before_last(&s_r, "</ds:Signature>", &r0_unsigned)
    );
    let xsw2 =
        format!("{evil_open}{issuer}{r0_unsigned}{s_r}{status}{r_evil_assertion}</samlp:Response>");

    // Assertion-signed original.
    let doc = spec.sign();
    let Parts {
        prefix,
        assertion: a,
        suffix,
    } = split(&doc);
    let a_unsigned = without_signature(&a);
    let e = evil(&a_unsigned, &aid);
    let e_with_sig = evil(&a, &aid);
    let xsw3 = format!("{prefix}{e}{a}{suffix}");
    let xsw4 = format!(
        "{prefix}{}{suffix}",
        insert_before_last(&e, "</saml:Assertion>", &a)
    );
    let xsw5 = format!("{prefix}{e_with_sig}{a_unsigned}{suffix}");
    let sig_in_evil = signature_of(&e_with_sig);
    let xsw6 = format!(
        "{prefix}{}{suffix}",
        e_with_sig.replace(
            &sig_in_evil,
            &insert_before_last(&sig_in_evil, "</ds:Signature>", &a_unsigned)
        )
    );
    let xsw7 = format!("{prefix}<samlp:Extensions>{a}</samlp:Extensions>{e}{suffix}");
    let xsw8 = format!(
        "{prefix}{}{suffix}",
        e_with_sig.replace(
            &sig_in_evil,
            &insert_before_last(
                &sig_in_evil,
                "</ds:Signature>",
                &format!("<ds:Object>{a_unsigned}</ds:Object>")
            )
        )
    );
    vec![
        ("XSW1", xsw1),
        ("XSW2", xsw2),
        ("XSW3", xsw3),
        ("XSW4", xsw4),
        ("XSW5", xsw5),
        ("XSW6", xsw6),
        ("XSW7", xsw7),
        ("XSW8", xsw8),
    ]
}

#[test]
fn signature_wrapping_xsw1_to_xsw8() {
    let registry = shared_registry();
    let keys = registry.providers[0].current_keys().unwrap();
    let mut table = Vec::new();
    for (name, doc) in xsw_documents() {
        assert!(
            doc.contains("admin@example.com"),
            "{name} carries the attacker's content"
        );
        // Ours: every family puts a second Assertion into the document.
        assert_eq!(
            verify(&doc).unwrap_err(),
            SamlError::AssertionCount,
            "{name}"
        );
        // samael alone must never hand back the attacker's assertion.
        let samael = match keys.samael_only(&doc) {
            Ok(a) => {
                let name_id = a.subject.unwrap().name_id.unwrap().value;
                assert_eq!(
                    name_id, "alice@example.com",
                    "{name}: samael returned unsigned content"
                );
                "returns the original signed assertion (evil pruned)".to_owned()
            }
            Err(e) => format!("rejects ({e})"),
        };
        table.push(format!(
            "{name}: ours AssertionCount; samael alone {samael}"
        ));
    }
    println!("{}", table.join("\n"));
}

#[test]
fn response_wrapping_with_a_single_assertion_is_refused_as_layout() {
    // XSW1 without an evil assertion: a new Response holding the signed original (and so
    // its one assertion) inside the copied signature.
    let spec = ResponseSpec::new().signed(Signed::Response);
    let r = spec.sign();
    let r0 = &r[r.find("<samlp:Response").unwrap()..];
    let s_r = signature_of(r0);
    let open_end = r0.find('>').unwrap() + 1;
    let evil_open =
        r0[..open_end].replace(&format!("ID=\"{}\"", spec.response_id), "ID=\"_evilresp\"");
    let doc = format!(
        "{evil_open}{}</samlp:Response>",
        insert_before_last(&s_r, "</ds:Signature>", &without_signature(r0))
    );
    assert_eq!(verify(&doc).unwrap_err(), SamlError::SignatureLayout);
    // The signed Assertion moved into samlp:Extensions, nothing in its place.
    let Parts {
        prefix,
        assertion,
        suffix,
    } = split(&ResponseSpec::new().sign());
    let moved = format!("{prefix}<samlp:Extensions>{assertion}</samlp:Extensions>{suffix}");
    assert_eq!(verify(&moved).unwrap_err(), SamlError::SignatureLayout);
    // A signature that references the Response from inside the Assertion.
    let spec = ResponseSpec::new();
    let misdirected = spec.sign().replace(
        &format!("URI=\"#{}\"", spec.assertion_id),
        &format!("URI=\"#{}\"", spec.response_id),
    );
    assert_eq!(
        verify(&misdirected).unwrap_err(),
        SamlError::SignatureLayout
    );
}

#[test]
fn comment_injection_never_truncates() {
    let truncated = "admin@example.test";
    let full = "admin@example.test.evil.test";
    let mut spec = ResponseSpec::new();
    spec.name_id = full.into();
    spec.attributes.push((
        "https://aws.amazon.com/SAML/Attributes/SourceIdentity".into(),
        None,
        vec![full.into()],
    ));
    for signed in [Signed::Assertion, Signed::Response] {
        let xml = spec.clone().signed(signed).sign();
        // Exclusive C14N drops comments, so the signature stays valid (xmlsec1 agrees).
        let injected = xml.replace(
            &format!(">{full}<"),
            &format!(">{truncated}<!---->.evil.test<"),
        );
        assert_eq!(injected.matches("<!---->").count(), 2);
        // Refused before samael sees it: comments are not accepted anywhere in a response,
        // so no truncated (or any) value can come out.
        assert_eq!(
            verify(&injected).unwrap_err(),
            SamlError::MalformedXml,
            "{signed:?}"
        );
    }
}

#[test]
fn dtd_xxe_and_billion_laughs_are_refused_before_parsing() {
    let signed = ResponseSpec::new().sign();
    let decl_end = signed.find("?>").unwrap() + 2;
    let with = |dtd: &str, body_edit: &dyn Fn(&str) -> String| {
        format!(
            "{}\n{dtd}{}",
            &signed[..decl_end],
            body_edit(&signed[decl_end..])
        )
    };
    let xxe = with(
        r#"<!DOCTYPE samlp:Response [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>"#,
        &|b| b.replace(">alice@example.com</saml:NameID>", ">&xxe;</saml:NameID>"),
    );
    let laughs = with(
        r#"<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;"><!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;"><!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;"><!ENTITY lol9 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">]>"#,
        &|b| b.replace(">alice<", ">&lol9;<"),
    );
    let lowercase = with("<!doctype samlp:Response>", &str::to_owned);
    let spaced = with(
        "<!DOCTYPE\n samlp:Response SYSTEM \"http://169.254.169.254/\">",
        &str::to_owned,
    );
    let internal = with("", &|b| {
        b.replace("<saml:Subject>", "<saml:Subject><!ENTITY x \"y\">")
    });
    for (name, doc) in [
        ("xxe", xxe),
        ("billion laughs", laughs),
        ("lowercase", lowercase),
        ("spaced", spaced),
        ("entity in body", internal),
    ] {
        assert_eq!(verify(&doc).unwrap_err(), SamlError::Dtd, "{name}");
    }
}

#[test]
fn two_assertions_even_both_signed_are_refused() {
    let first = ResponseSpec::new();
    let mut second = ResponseSpec::new();
    second.name_id = "bob@example.com".into();
    let a1 = split(&first.sign()).assertion;
    let a2 = split(&second.sign()).assertion;
    let doc = first.response_xml(&format!("{a1}{a2}"), false);
    assert_eq!(verify(&doc).unwrap_err(), SamlError::AssertionCount);
    // Each on its own is fine.
    verify(&first.response_xml(&a1, false)).unwrap();
    verify(&second.response_xml(&a2, false)).unwrap();
}

#[test]
fn conditions_and_audience_are_required() {
    let mut spec = ResponseSpec::new();
    spec.conditions = false;
    assert_eq!(
        verify(&spec.sign()).unwrap_err(),
        SamlError::MissingConditions
    );
    let mut spec = ResponseSpec::new();
    spec.audience = None;
    assert_eq!(
        verify(&spec.sign()).unwrap_err(),
        SamlError::MissingAudienceRestriction
    );
    let mut spec = ResponseSpec::new();
    spec.audience = Some("https://someone-else.example.com/sp".into());
    assert_eq!(
        verify(&spec.sign()).unwrap_err(),
        SamlError::AudienceMismatch
    );
    assert_eq!(
        verify(&spec.signed(Signed::Response).sign()).unwrap_err(),
        SamlError::AudienceMismatch
    );
}

#[test]
fn recipient_destination_status_issuer_and_name_id() {
    let mut spec = ResponseSpec::new();
    spec.recipient = "https://someone-else.example.com/acs".into();
    assert_eq!(
        verify(&spec.sign()).unwrap_err(),
        SamlError::RecipientMismatch
    );

    let mut spec = ResponseSpec::new();
    spec.confirmation_not_on_or_after = None;
    assert_eq!(
        verify(&spec.sign()).unwrap_err(),
        SamlError::MissingBearerConfirmation
    );

    let mut spec = ResponseSpec::new();
    spec.destination = Some("https://someone-else.example.com/acs".into());
    // Unsigned shell: our check; signed Response: samael's, same answer.
    assert_eq!(
        verify(&spec.sign()).unwrap_err(),
        SamlError::DestinationMismatch
    );
    assert_eq!(
        verify(&spec.signed(Signed::Response).sign()).unwrap_err(),
        SamlError::DestinationMismatch
    );

    // Checked when present only (issue 4), also on a signed Response: bindings 3.5.5.2 makes
    // it mandatory there, but samael does not insist and the bearer Recipient already binds
    // the assertion to our ACS URL.
    let mut spec = ResponseSpec::new();
    spec.destination = None;
    verify(&spec.signed(Signed::Response).sign()).unwrap();

    let mut spec = ResponseSpec::new();
    spec.status = Some("urn:oasis:names:tc:SAML:2.0:status:Requester".into());
    assert_eq!(
        verify(&spec.sign()).unwrap_err(),
        SamlError::StatusNotSuccess
    );
    assert_eq!(
        verify(&spec.signed(Signed::Response).sign()).unwrap_err(),
        SamlError::StatusNotSuccess
    );

    let mut spec = ResponseSpec::new();
    spec.issuer = "https://idp.attacker.example".into();
    assert_eq!(verify(&spec.sign()).unwrap_err(), SamlError::IssuerMismatch);

    let spec = ResponseSpec::new();
    let name_id = r#"<saml:NameID Format="urn:oasis:names:tc:SAML:2.0:nameid-format:persistent">alice@example.com</saml:NameID>"#;
    let template = spec.template();
    assert!(template.contains(name_id));
    let xml = sign_xmlsec1(&template.replace(name_id, ""), idp());
    assert_eq!(verify(&xml).unwrap_err(), SamlError::MissingNameId);
}

#[test]
fn expired_and_not_yet_valid() {
    let now = now();
    // Everything in the past.
    let mut spec = ResponseSpec::new();
    spec.issue_instant = now - TimeDelta::hours(1);
    spec.not_before = now - TimeDelta::hours(1);
    spec.not_on_or_after = now - TimeDelta::minutes(50);
    spec.confirmation_not_on_or_after = Some(now - TimeDelta::minutes(55));
    assert_eq!(verify(&spec.sign()).unwrap_err(), SamlError::Expired);
    // Only the bearer confirmation expired (beyond the 60 s skew).
    let mut spec = ResponseSpec::new();
    spec.confirmation_not_on_or_after = Some(now - TimeDelta::minutes(2));
    assert_eq!(verify(&spec.sign()).unwrap_err(), SamlError::Expired);
    // Only the Conditions expired.
    let mut spec = ResponseSpec::new();
    spec.not_on_or_after = now - TimeDelta::minutes(2);
    assert_eq!(verify(&spec.sign()).unwrap_err(), SamlError::Expired);
    // Issued long ago, NotOnOrAfter far ahead: the issue delay bound still applies.
    let mut spec = ResponseSpec::new();
    spec.issue_instant = now - TimeDelta::minutes(30);
    assert_eq!(verify(&spec.sign()).unwrap_err(), SamlError::Expired);
    // Within the skew is fine.
    let mut spec = ResponseSpec::new();
    spec.confirmation_not_on_or_after = Some(now - TimeDelta::seconds(20));
    verify(&spec.sign()).unwrap();

    let mut spec = ResponseSpec::new();
    spec.not_before = now + TimeDelta::hours(1);
    assert_eq!(verify(&spec.sign()).unwrap_err(), SamlError::NotYetValid);
    let mut spec = ResponseSpec::new();
    spec.issue_instant = now + TimeDelta::hours(1);
    assert_eq!(verify(&spec.sign()).unwrap_err(), SamlError::NotYetValid);

    // Our own clock is honoured as well as samael's: the same valid response, checked as if
    // an hour later.
    let xml = ResponseSpec::new().sign();
    assert_eq!(
        shared_registry()
            .verify("corp", &b64(&xml), now + TimeDelta::hours(1))
            .unwrap_err(),
        SamlError::Expired
    );
}

#[test]
fn sha1_only_where_allowed() {
    let mut spec = ResponseSpec::new();
    spec.alg = Alg::Sha1;
    for signed in [Signed::Assertion, Signed::Response] {
        let xml = spec.clone().signed(signed).sign();
        assert_eq!(verify(&xml).unwrap_err(), SamlError::DisallowedAlgorithm);
        let v = shared_registry()
            .verify("legacy", &b64(&xml), now())
            .unwrap();
        assert_eq!(v.provider, "legacy");
        assert_alice(&v);
    }
}

#[test]
fn size_encoding_and_provider_checks() {
    let registry = shared_registry();
    let oversize = "A".repeat(MAX_RESPONSE_CHARS + 1);
    assert_eq!(
        registry.verify("corp", &oversize, now()).unwrap_err(),
        SamlError::TooLarge
    );
    // A genuinely signed response padded past the limit.
    let mut spec = ResponseSpec::new();
    spec.attributes
        .push(("padding".into(), None, vec!["x".repeat(80_000)]));
    assert_eq!(verify(&spec.sign()).unwrap_err(), SamlError::TooLarge);

    let good = b64(&ResponseSpec::new().sign());
    let bad = format!("{}!{}", &good[..100], &good[100..]);
    assert_eq!(
        registry.verify("corp", &bad, now()).unwrap_err(),
        SamlError::BadBase64
    );
    let not_utf8 = base64::Engine::encode(
        &base64::engine::general_purpose::STANDARD,
        [0x3c, 0xff, 0xfe, 0x3e],
    );
    assert_eq!(
        registry.verify("corp", &not_utf8, now()).unwrap_err(),
        SamlError::NotUtf8
    );
    assert_eq!(
        registry.verify("nope", &good, now()).unwrap_err(),
        SamlError::NoSuchProvider
    );
}

#[test]
fn encrypted_assertion_is_refused() {
    let spec = ResponseSpec::new().signed(Signed::Response);
    let encrypted = r#"<saml:EncryptedAssertion><xenc:EncryptedData xmlns:xenc="http://www.w3.org/2001/04/xmlenc#" Type="http://www.w3.org/2001/04/xmlenc#Element"><xenc:EncryptionMethod Algorithm="http://www.w3.org/2001/04/xmlenc#aes128-cbc"/><xenc:CipherData><xenc:CipherValue>AAAA</xenc:CipherValue></xenc:CipherData></xenc:EncryptedData></saml:EncryptedAssertion>"#;
    let xml = sign_xmlsec1(&spec.response_xml(encrypted, true), idp());
    assert_eq!(verify(&xml).unwrap_err(), SamlError::EncryptedAssertion);
}

#[test]
fn failure_log_is_one_line_per_interval_per_provider() {
    let log = FailureLog::default();
    let t0 = now();
    let e = SamlError::BadSignature;
    assert!(log.record("corp", &e, t0));
    assert!(!log.record("corp", &e, t0 + TimeDelta::seconds(1)));
    assert!(!log.record("corp", &e, t0 + TimeDelta::seconds(9)));
    assert_eq!(log.window.lock().unwrap().suppressed, 2);
    assert!(log.record("corp", &e, t0 + TimeDelta::seconds(10)));
    assert_eq!(log.window.lock().unwrap().suppressed, 0);
    // A clock that jumps back logs again rather than going quiet.
    assert!(log.record("corp", &e, t0 - TimeDelta::seconds(100)));

    // Through the registry: a flood of bad responses advances the suppressed counter.
    let registry = registry();
    for _ in 0..5 {
        let _ = registry.verify("corp", "!!!", t0);
    }
    assert_eq!(
        registry.providers[0]
            .failures
            .window
            .lock()
            .unwrap()
            .suppressed,
        4
    );
    assert_eq!(
        registry.providers[1]
            .failures
            .window
            .lock()
            .unwrap()
            .suppressed,
        0
    );
}

#[test]
fn providers_without_usable_signing_certificates_are_config_errors() {
    let http = reqwest::Client::new;
    let config_error = |md: String| {
        let err = SamlRegistry::new(&[provider("corp", file_source(md), false)], None, http())
            .unwrap_err();
        let SamlError::Config(msg) = err else {
            panic!("wrong variant: {err:?}")
        };
        assert!(msg.starts_with("saml_providers[0] (corp): "), "{msg}");
        msg
    };
    let no_signing =
        metadata_xml(ENTITY_ID, &[idp()]).replace("use=\"signing\"", "use=\"encryption\"");
    assert!(config_error(no_signing).contains("no signing certificate"));
    let small = TestIdp::rsa(1024, "weak");
    assert!(config_error(metadata_xml(ENTITY_ID, &[&small])).contains("at least 2048"));
    let not_x509 = metadata_xml(ENTITY_ID, &[idp()]).replace(&idp().cert_b64(), "aGVsbG8=");
    assert!(config_error(not_x509).contains("not an X.509 certificate"));

    let mut no_acs = provider(
        "corp",
        file_source(metadata_xml(ENTITY_ID, &[idp()])),
        false,
    );
    no_acs.acs_urls.clear();
    assert!(matches!(
        SamlRegistry::new(&[no_acs], None, http()),
        Err(SamlError::Config(_))
    ));
    // No providers: nothing to check, and no self-test.
    SamlRegistry::new(&[], None, http()).unwrap();
}

#[test]
fn registry_is_shareable() {
    fn assert_send_sync<T: Send + Sync>() {}
    assert_send_sync::<SamlRegistry>();
    assert_send_sync::<VerifiedAssertion>();
}

/// A metadata endpoint on 127.0.0.1:0 whose answer the test sets.
struct MetadataServer {
    url: Url,
    state: Arc<StdMutex<(StatusCode, String, usize)>>,
}

async fn serve_metadata(
    State(state): State<Arc<StdMutex<(StatusCode, String, usize)>>>,
) -> Response {
    let mut s = state.lock().unwrap();
    s.2 += 1;
    (s.0, s.1.clone()).into_response()
}

impl MetadataServer {
    async fn start(body: String) -> Self {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = Url::parse(&format!(
            "http://{}/metadata",
            listener.local_addr().unwrap()
        ))
        .unwrap();
        let state = Arc::new(StdMutex::new((StatusCode::OK, body, 0)));
        let app = Router::new()
            .route("/metadata", get(serve_metadata))
            .with_state(Arc::clone(&state));
        tokio::spawn(async move { axum::serve(listener, app).await });
        Self { url, state }
    }

    fn set(&self, status: StatusCode, body: String) {
        let mut s = self.state.lock().unwrap();
        (s.0, s.1) = (status, body);
    }

    fn hits(&self) -> usize {
        self.state.lock().unwrap().2
    }
}

#[tokio::test]
async fn url_metadata_loads_refreshes_and_survives_bad_refreshes() {
    let server = MetadataServer::start(metadata_xml(ENTITY_ID, &[idp()])).await;
    let providers = [provider(
        "corp",
        SamlMetadataSource::Url(server.url.clone()),
        false,
    )];
    let registry = Arc::new(SamlRegistry::new(&providers, None, reqwest::Client::new()).unwrap());
    let old_key_doc = b64(&ResponseSpec::new().sign());
    let new_key_doc = b64(&ResponseSpec::new().sign_with(idp_next(), Signer::Xmlsec1));

    assert!(!registry.metadata_loaded("corp"));
    assert_eq!(
        registry.verify("corp", &old_key_doc, now()).unwrap_err(),
        SamlError::MetadataUnavailable
    );
    registry.start().await;
    assert_eq!(server.hits(), 1);
    assert!(registry.metadata_loaded("corp"));
    assert_eq!(registry.entity_id("corp").as_deref(), Some(ENTITY_ID));
    registry.verify("corp", &old_key_doc, now()).unwrap();
    assert_eq!(
        registry.verify("corp", &new_key_doc, now()).unwrap_err(),
        SamlError::BadSignature
    );

    // Rollover: the IdP publishes its next certificate next to the current one.
    server.set(
        StatusCode::OK,
        metadata_xml(ENTITY_ID, &[idp(), idp_next()]),
    );
    registry.refresh("corp").await.unwrap();
    registry.verify("corp", &old_key_doc, now()).unwrap();
    registry.verify("corp", &new_key_doc, now()).unwrap();

    // Broken answers keep what we have.
    server.set(StatusCode::SERVICE_UNAVAILABLE, String::new());
    assert!(matches!(
        registry.refresh("corp").await.unwrap_err(),
        MetadataFetchError::Status { status: 503, .. }
    ));
    server.set(StatusCode::OK, "<html>maintenance</html>".into());
    assert!(matches!(
        registry.refresh("corp").await.unwrap_err(),
        MetadataFetchError::Invalid { .. }
    ));
    let with_dtd = format!(
        "<!DOCTYPE x>{}",
        metadata_xml(ENTITY_ID, &[idp()]).replace("<?xml version=\"1.0\"?>", "")
    );
    server.set(StatusCode::OK, with_dtd);
    assert!(registry.refresh("corp").await.is_err());
    server.set(StatusCode::OK, metadata_xml(ENTITY_ID, &[]));
    assert!(registry.refresh("corp").await.is_err());
    registry.verify("corp", &new_key_doc, now()).unwrap();

    // The old certificate retired.
    server.set(StatusCode::OK, metadata_xml(ENTITY_ID, &[idp_next()]));
    registry.refresh("corp").await.unwrap();
    assert_eq!(
        registry.verify("corp", &old_key_doc, now()).unwrap_err(),
        SamlError::BadSignature
    );
    registry.verify("corp", &new_key_doc, now()).unwrap();

    // A second start fetches nothing; file providers are not refreshable.
    let hits = server.hits();
    registry.start().await;
    assert_eq!(server.hits(), hits);
    assert!(matches!(
        shared_registry().refresh("corp").await.unwrap_err(),
        MetadataFetchError::NotFetched(_)
    ));
}

#[tokio::test]
async fn refresh_tasks_end_with_the_registry() {
    let server = MetadataServer::start(metadata_xml(ENTITY_ID, &[idp()])).await;
    let providers = [provider(
        "corp",
        SamlMetadataSource::Url(server.url.clone()),
        false,
    )];
    let tiny = Duration::from_millis(10);
    let policy = RefreshPolicy {
        min_ttl: tiny,
        max_ttl: tiny,
        default_ttl: tiny,
        ..RefreshPolicy::default()
    };
    let registry = Arc::new(
        SamlRegistry::with_policy(&providers, None, reqwest::Client::new(), policy).unwrap(),
    );
    registry.start().await;
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    while server.hits() < 4 {
        assert!(
            tokio::time::Instant::now() < deadline,
            "refreshes keep coming"
        );
        tokio::time::sleep(tiny).await;
    }
    let weak = Arc::downgrade(&registry);
    drop(registry);
    assert!(weak.upgrade().is_none(), "tasks hold no strong reference");
    let after = server.hits();
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert!(server.hits() <= after + 1);
}

#[test]
fn in_response_to_comes_from_signed_content_only() {
    let with = |signed: Signed, confirmation: Option<&str>, response: Option<&str>| {
        let mut spec = ResponseSpec::new().signed(signed);
        spec.in_response_to = confirmation.map(str::to_owned);
        spec.response_in_response_to = response.map(str::to_owned);
        verify(&spec.sign()).map(|v| v.in_response_to)
    };
    // IdP-initiated: nothing to answer.
    for signed in [Signed::Assertion, Signed::Response, Signed::Both] {
        assert_eq!(with(signed, None, None), Ok(None), "{signed:?}");
    }
    // The bearer confirmation sits inside the signed Assertion (or the signed Response).
    for signed in [Signed::Assertion, Signed::Response, Signed::Both] {
        assert_eq!(
            with(signed, Some("_req&1"), None),
            Ok(Some("_req&1".to_owned())),
            "{signed:?}"
        );
    }
    // The Response's own value counts only when the Response is signed.
    for signed in [Signed::Response, Signed::Both] {
        assert_eq!(
            with(signed, None, Some("_req2")),
            Ok(Some("_req2".to_owned())),
            "{signed:?}"
        );
        assert_eq!(
            with(signed, Some("_req3"), Some("_req3")),
            Ok(Some("_req3".to_owned())),
            "{signed:?}"
        );
        assert_eq!(
            with(signed, Some("_req3"), Some("_other")),
            Err(SamlError::InResponseToMismatch),
            "{signed:?}"
        );
    }
    // An unsigned Response shell is anyone's to write: ignored, even when it disagrees.
    assert_eq!(with(Signed::Assertion, None, Some("_forged")), Ok(None));
    assert_eq!(
        with(Signed::Assertion, Some("_req4"), Some("_forged")),
        Ok(Some("_req4".to_owned()))
    );
}

#[test]
fn verified_assertion_round_trips_through_serde() {
    let mut spec = ResponseSpec::new();
    spec.in_response_to = Some("_req".into());
    let v = verify(&spec.sign()).unwrap();
    let json = serde_json::to_string(&v).unwrap();
    let back: VerifiedAssertion = serde_json::from_str(&json).unwrap();
    assert_eq!(back, v);
    assert_eq!(back.in_response_to.as_deref(), Some("_req"));
}

#[test]
fn sso_redirect_url_follows_the_loaded_metadata() {
    assert_eq!(
        shared_registry().sso_redirect_url("corp").as_deref(),
        Some(SSO_REDIRECT)
    );
    assert_eq!(shared_registry().sso_redirect_url("nope"), None);
    // Metadata without a redirect endpoint: the provider still verifies responses.
    let md = metadata_xml(ENTITY_ID, &[idp()]).replace(SSO_REDIRECT, "http://idp.example.com/sso");
    let registry = SamlRegistry::new(
        &[provider("corp", file_source(md), false)],
        None,
        reqwest::Client::new(),
    )
    .unwrap();
    assert_eq!(registry.sso_redirect_url("corp"), None);
    registry
        .verify("corp", &b64(&ResponseSpec::new().sign()), now())
        .unwrap();
    let params = AuthnRequestParams {
        id: "_abc",
        issuer: AUD_OWN,
        acs_url: ACS_OWN,
        issue_instant: now(),
        relay_state: None,
    };
    assert_eq!(
        registry.authn_request_url("corp", &params),
        Err(AuthnRequestError::NoSsoEndpoint)
    );
    assert_eq!(
        registry.authn_request_url("nope", &params),
        Err(AuthnRequestError::NoSuchProvider)
    );
    // A URL provider before its first fetch.
    let url = Url::parse("https://idp.example.com/metadata").unwrap();
    let unloaded = SamlRegistry::new(
        &[provider("corp", SamlMetadataSource::Url(url), false)],
        None,
        reqwest::Client::new(),
    )
    .unwrap();
    assert_eq!(unloaded.sso_redirect_url("corp"), None);
    assert_eq!(
        unloaded.authn_request_url("corp", &params),
        Err(AuthnRequestError::MetadataUnavailable)
    );
}

#[test]
fn authn_request_url_is_signed_with_the_sp_key_when_configured() {
    let params = AuthnRequestParams {
        id: &authn_request::new_request_id(),
        issuer: AUD_OWN,
        acs_url: ACS_OWN,
        issue_instant: now(),
        relay_state: Some("s/1"),
    };
    let unsigned = shared_registry()
        .authn_request_url("corp", &params)
        .unwrap();
    assert!(
        unsigned.starts_with(&format!("{SSO_REDIRECT}?SAMLRequest=")),
        "{unsigned}"
    );
    assert!(unsigned.ends_with("&RelayState=s%2F1"), "{unsigned}");

    let registry = registry_with_sp_key(Some(&key_pem(sp())));
    let signed = registry.authn_request_url("corp", &params).unwrap();
    let query = signed.strip_prefix(&format!("{SSO_REDIRECT}?")).unwrap();
    let (octets, signature) = query.split_once("&Signature=").unwrap();
    let signature = percent_encoding::percent_decode_str(signature)
        .decode_utf8()
        .unwrap();
    let signature = base64::Engine::decode(
        &base64::engine::general_purpose::STANDARD,
        signature.as_bytes(),
    )
    .unwrap();
    let public = sp().cert.public_key().unwrap();
    let mut verifier =
        openssl::sign::Verifier::new(openssl::hash::MessageDigest::sha256(), &public).unwrap();
    assert!(
        verifier
            .verify_oneshot(&signature, octets.as_bytes())
            .unwrap()
    );
    // The same request apart from the signature parameters.
    assert!(signed.starts_with(&unsigned), "{signed}");
}

fn signed_sample() -> &'static str {
    static DOC: OnceLock<String> = OnceLock::new();
    DOC.get_or_init(|| ResponseSpec::new().signed(Signed::Both).sign())
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig::with_cases(128))]
    #[test]
    fn verify_never_panics(text in "\\PC{0,400}", cut in 0usize..12_000, insert in "\\PC{0,24}") {
        let registry = shared_registry();
        let _ = registry.verify("corp", &text, now());
        let _ = registry.verify("corp", &b64(&text), now());
        let doc = signed_sample();
        let mangled = splice(doc, cut, &insert);
        let _ = registry.verify("corp", &b64(&mangled), now());
        let truncated: String = doc.chars().take(cut).collect();
        let _ = registry.verify("corp", &b64(&truncated), now());
    }
}

/// `cargo test --release --lib authn::saml::tests::verify_cost -- --ignored --nocapture`
#[test]
#[ignore = "timing only; run in release"]
fn verify_cost() {
    let registry = registry();
    for signed in [Signed::Assertion, Signed::Response] {
        let xml = ResponseSpec::new().signed(signed).sign();
        let doc = b64(&xml);
        for _ in 0..50 {
            registry.verify("corp", &doc, now()).unwrap();
        }
        let n: u32 = 2000;
        let start = Instant::now();
        for _ in 0..n {
            std::hint::black_box(
                registry
                    .verify("corp", std::hint::black_box(&doc), now())
                    .unwrap(),
            );
        }
        let per = start.elapsed() / n;
        let scan = {
            let start = Instant::now();
            for _ in 0..n {
                std::hint::black_box(parse::scan(std::hint::black_box(&xml), false).unwrap());
            }
            start.elapsed() / n
        };
        println!(
            "{signed:?}-signed, {} B XML / {} B base64: verify {per:?} per call (our pre-scan {scan:?})",
            xml.len(),
            doc.len()
        );
    }
}

/// The browser's ACS picks providers by the Response's own Issuer, which an EncryptedAssertion
/// leaves in the clear; without one, only a lone provider is a candidate.
#[test]
fn candidates_come_from_the_response_issuer_even_when_encrypted() {
    let providers: Vec<SamlProvider> = (0..4)
        .map(|i| {
            let md = metadata_xml(&format!("https://idp{i}.example.com"), &[idp()]);
            provider(&format!("p{i}"), file_source(md), false)
        })
        .collect();
    let registry = SamlRegistry::new(&providers, None, reqwest::Client::new()).unwrap();
    let response = |issuer: &str| {
        b64(&format!(
            r#"<samlp:Response xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion">{issuer}<saml:EncryptedAssertion><xenc:EncryptedData xmlns:xenc="http://www.w3.org/2001/04/xmlenc#"/></saml:EncryptedAssertion></samlp:Response>"#
        ))
    };
    assert_eq!(
        registry.candidates_for_response(&response(
            "<saml:Issuer>https://idp2.example.com</saml:Issuer>"
        )),
        Candidates::Named(vec!["p2".to_owned()])
    );
    assert_eq!(
        registry.candidates_for_response(&response(
            "<saml:Issuer>\n  https://idp1.example.com\n</saml:Issuer>"
        )),
        Candidates::Named(vec!["p1".to_owned()])
    );
    assert_eq!(
        registry.candidates_for_response(&response(
            "<saml:Issuer>https://elsewhere.example.com</saml:Issuer>"
        )),
        Candidates::Named(Vec::new())
    );
    assert_eq!(
        registry.candidates_for_response(&response("")),
        Candidates::NoIssuer
    );
    assert!(matches!(
        registry.candidates_for_response("not base64!"),
        Candidates::Unreadable(SamlError::BadBase64)
    ));
    // One provider: it is the only one that can have sent a Response naming none.
    let one = SamlRegistry::new(&providers[..1], None, reqwest::Client::new()).unwrap();
    assert_eq!(
        one.candidates_for_response(&response("")),
        Candidates::Named(vec!["p0".to_owned()])
    );
    assert_eq!(
        one.candidates_for_response("not base64!"),
        Candidates::Named(vec!["p0".to_owned()])
    );
}
