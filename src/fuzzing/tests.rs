//! Corpus replay (the regression check `cargo test` runs) and the seed generator.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, SystemTime};

use chrono::TimeDelta;

use super::*;

fn fuzz_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz")
}

fn files_in(dir: &Path) -> Vec<PathBuf> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut files: Vec<PathBuf> = entries
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_file())
        .collect();
    files.sort();
    files
}

#[test]
fn fixtures_build() {
    assert!(saml_registry().is_some(), "SAML registry");
    assert!(oidc_registry().is_some(), "OIDC registry");
    assert!(sigv4_fixture().is_some(), "SigV4 configuration");
    assert!(keyring().is_some(), "keyring");
    assert!(fixtures_ready());
}

/// Every target has a fuzz binary, every fuzz binary a target.
#[test]
fn targets_match_the_fuzz_package() {
    let mut binaries: Vec<String> = files_in(&fuzz_dir().join("fuzz_targets"))
        .iter()
        .filter_map(|p| Some(p.file_stem()?.to_str()?.to_owned()))
        .collect();
    binaries.sort();
    let mut names: Vec<String> = TARGETS.iter().map(|(n, _)| (*n).to_owned()).collect();
    names.sort();
    assert_eq!(binaries, names);
    let manifest = std::fs::read_to_string(fuzz_dir().join("Cargo.toml")).unwrap();
    for name in &names {
        assert!(
            manifest.contains(&format!("path = \"fuzz_targets/{name}.rs\"")),
            "fuzz/Cargo.toml has no [[bin]] for {name}"
        );
    }
}

/// Replays `fuzz/corpus/<target>/` and `fuzz/regressions/<target>/` through every target (one
/// thread per target). A panic fails the test, naming the file; an empty corpus fails too.
#[test]
fn every_corpus_replays() {
    let root = fuzz_dir();
    std::thread::scope(|s| {
        let handles: Vec<_> = TARGETS
            .iter()
            .map(|&(name, target)| {
                let root = &root;
                s.spawn(move || {
                    let corpus = files_in(&root.join("corpus").join(name));
                    assert!(!corpus.is_empty(), "fuzz/corpus/{name}/ holds no input");
                    let regressions = files_in(&root.join("regressions").join(name));
                    for file in corpus.iter().chain(&regressions) {
                        let data = std::fs::read(file).unwrap();
                        assert!(
                            std::panic::catch_unwind(|| target(&data)).is_ok(),
                            "{name} panicked on {}",
                            file.display()
                        );
                    }
                    corpus.len() + regressions.len()
                })
            })
            .collect();
        for (handle, (name, _)) in handles.into_iter().zip(TARGETS) {
            let count = handle.join().unwrap_or_else(|_| panic!("{name} failed"));
            assert!(count > 0, "{name}");
        }
    });
}

/// Nothing a target is given may panic, including the degenerate inputs.
#[test]
fn degenerate_inputs() {
    for (_, target) in TARGETS {
        for data in [&b""[..], b"\0", b"\xff\xfe", b"<", b"\n\n", b"{", b"a.b.c"] {
            target(data);
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Seeds. `cargo test --lib fuzzing::tests::write_seeds -- --ignored` writes `seed-*` files
// into fuzz/corpus/<target>/ (needs the `xmlsec1` tool for the encrypted assertions).

fn saml_response_xml(in_response_to: Option<&str>, extra: bool) -> String {
    let roles = vec![(
        format!("arn:aws:iam::{ACCOUNT}:role/Dev"),
        format!("arn:aws:iam::{ACCOUNT}:saml-provider/{SAML_PROVIDER}"),
    )];
    let groups = vec!["admins".to_owned(), "dev".to_owned()];
    let extra_attributes = if extra {
        vec![(
            "https://aws.amazon.com/SAML/Attributes/PrincipalTag:team".to_owned(),
            Some("team".to_owned()),
            vec!["blue".to_owned(), "green & <red>".to_owned()],
        )]
    } else {
        Vec::new()
    };
    let signed = saml_idp()
        .unwrap()
        .response_xml(&crate::demo::saml_idp::SamlResponseSpec {
            name_id: "alice@example.com",
            recipient: SAML_ACS,
            audience: SAML_AUDIENCE,
            role_session_name: "alice",
            roles: &roles,
            groups: &groups,
            extra_attributes: &extra_attributes,
            now: saml_now(),
            valid_for: TimeDelta::minutes(5),
            in_response_to,
        })
        .unwrap();
    // Re-signed with NotBefore at NOW (see SAML_NOW).
    let blank = |xml: &str, element: &str| {
        let open = format!("<ds:{element}>");
        let close = format!("</ds:{element}>");
        let start = xml.find(&open).unwrap() + open.len();
        let end = xml.find(&close).unwrap();
        format!("{}{}", &xml[..start], &xml[end..])
    };
    let template = blank(&blank(&signed, "DigestValue"), "SignatureValue").replace(
        r#"NotBefore="2099-12-31T23:59:00Z""#,
        r#"NotBefore="2026-01-01T00:00:00Z""#,
    );
    let key = openssl::pkey::PKey::private_key_from_pem(SAML_IDP_KEY.as_bytes()).unwrap();
    let der = key.rsa().unwrap().private_key_to_der().unwrap();
    <samael::crypto::Crypto as samael::crypto::CryptoProvider>::sign_xml(template, &der).unwrap()
}

/// `response` (assertion-signed) with an enveloped signature of the Response itself too.
fn response_signed_too(response: &str) -> String {
    let root = &response[response.find("<samlp:Response").unwrap()..];
    let id_at = root.find(" ID=\"").unwrap() + 5;
    let id = &root[id_at..id_at + root[id_at..].find('"').unwrap()];
    let template = format!(
        r##"<ds:Signature xmlns:ds="{DSIG}"><ds:SignedInfo><ds:CanonicalizationMethod Algorithm="http://www.w3.org/2001/10/xml-exc-c14n#"/><ds:SignatureMethod Algorithm="http://www.w3.org/2001/04/xmldsig-more#rsa-sha256"/><ds:Reference URI="#{id}"><ds:Transforms><ds:Transform Algorithm="{DSIG}enveloped-signature"/><ds:Transform Algorithm="http://www.w3.org/2001/10/xml-exc-c14n#"/></ds:Transforms><ds:DigestMethod Algorithm="http://www.w3.org/2001/04/xmlenc#sha256"/><ds:DigestValue></ds:DigestValue></ds:Reference></ds:SignedInfo><ds:SignatureValue></ds:SignatureValue></ds:Signature>"##
    );
    let issuer_end = response.find("</saml:Issuer>").unwrap() + "</saml:Issuer>".len();
    let xml = format!(
        "{}{template}{}",
        &response[..issuer_end],
        &response[issuer_end..]
    );
    let key = openssl::pkey::PKey::private_key_from_pem(SAML_IDP_KEY.as_bytes()).unwrap();
    let der = key.rsa().unwrap().private_key_to_der().unwrap();
    <samael::crypto::Crypto as samael::crypto::CryptoProvider>::sign_xml(xml, &der).unwrap()
}

fn signed_assertion(response: &str) -> &str {
    let start = response.find("<saml:Assertion").unwrap();
    let end = response.find("</saml:Assertion>").unwrap() + "</saml:Assertion>".len();
    &response[start..end]
}

const XENC: &str = "http://www.w3.org/2001/04/xmlenc#";
const DSIG: &str = "http://www.w3.org/2000/09/xmldsig#";

/// `xmlsec1 --encrypt` of a signed assertion to the SP certificate: the content of the
/// resulting `saml:EncryptedAssertion`.
fn encrypted_assertion(data_alg: &str, session_key: &str, key_alg: &str) -> String {
    let dir = tempfile::tempdir().unwrap();
    let path = |name: &str| dir.path().join(name);
    std::fs::write(
        path("cert.pem"),
        include_str!("../../certs/demo-saml-idp-cert.pem"),
    )
    .unwrap();
    let digest = if key_alg.ends_with("rsa-oaep-mgf1p") {
        format!(r#"<ds:DigestMethod Algorithm="{DSIG}sha1"/>"#)
    } else {
        String::new()
    };
    let template = format!(
        r#"<xenc:EncryptedData xmlns:xenc="{XENC}" xmlns:ds="{DSIG}" Id="_ed1" Type="{XENC}Element"><xenc:EncryptionMethod Algorithm="{data_alg}"/><ds:KeyInfo><xenc:EncryptedKey><xenc:EncryptionMethod Algorithm="{key_alg}">{digest}</xenc:EncryptionMethod><xenc:CipherData><xenc:CipherValue/></xenc:CipherData></xenc:EncryptedKey></ds:KeyInfo><xenc:CipherData><xenc:CipherValue/></xenc:CipherData></xenc:EncryptedData>"#
    );
    std::fs::write(path("template.xml"), template).unwrap();
    let response = saml_response_xml(None, false);
    std::fs::write(
        path("data.xml"),
        encrypted_response_xml(signed_assertion(&response)),
    )
    .unwrap();
    let out = Command::new("xmlsec1")
        .arg("--encrypt")
        .arg("--pubkey-cert-pem")
        .arg(path("cert.pem"))
        .args(["--session-key", session_key])
        .arg("--xml-data")
        .arg(path("data.xml"))
        .args([
            "--node-name",
            "urn:oasis:names:tc:SAML:2.0:assertion:Assertion",
        ])
        .arg("--output")
        .arg(path("out.xml"))
        .arg(path("template.xml"))
        .output()
        .expect("the `xmlsec1` tool (apt-get install xmlsec1)");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let xml = std::fs::read_to_string(path("out.xml")).unwrap();
    let open = "<saml:EncryptedAssertion>";
    let start = xml.find(open).unwrap() + open.len();
    let end = xml.find("</saml:EncryptedAssertion>").unwrap();
    xml[start..end].to_owned()
}

/// The EncryptedKey moved next to the EncryptedData and named by a RetrievalMethod.
fn sibling_key(content: &str) -> String {
    let start = content.find("<xenc:EncryptedKey>").unwrap();
    let end = content.find("</xenc:EncryptedKey>").unwrap() + "</xenc:EncryptedKey>".len();
    let key = content[start..end].replacen(
        "<xenc:EncryptedKey>",
        &format!(r#"<xenc:EncryptedKey xmlns:xenc="{XENC}" xmlns:ds="{DSIG}" Id="_ek1">"#),
        1,
    );
    let rest = format!("{}{}", &content[..start], &content[end..]).replacen(
        "<ds:KeyInfo></ds:KeyInfo>",
        &format!(r##"<ds:KeyInfo><ds:RetrievalMethod Type="{XENC}EncryptedKey" URI="#_ek1"/></ds:KeyInfo>"##),
        1,
    );
    format!("{rest}{key}")
}

fn sigv4_signed(
    method: &str,
    target: &str,
    headers: &[(&str, &str)],
    body: &[u8],
    key: (&str, &str, Option<String>),
    presign: bool,
) -> Vec<u8> {
    use aws_sigv4::http_request::{
        SignableBody, SignableRequest, SignatureLocation, SigningSettings, sign,
    };
    use aws_smithy_runtime_api::client::identity::Identity;
    let identity: Identity =
        aws_credential_types::Credentials::new(key.0, key.1, key.2, None, "fuzz").into();
    let mut settings = SigningSettings::default();
    if presign {
        settings.signature_location = SignatureLocation::QueryParams;
        settings.expires_in = Some(Duration::from_mins(5));
    }
    let at = SystemTime::UNIX_EPOCH + Duration::from_secs(NOW.unsigned_abs());
    let params = aws_sigv4::sign::v4::SigningParams::builder()
        .identity(&identity)
        .region("us-east-1")
        .name("sts")
        .time(at)
        .settings(settings)
        .build()
        .unwrap()
        .into();
    let url = format!("https://sts.fuzz.test{target}");
    let mut all = vec![("host", "sts.fuzz.test")];
    all.extend_from_slice(headers);
    let signable =
        SignableRequest::new(method, &url, all.iter().copied(), SignableBody::Bytes(body)).unwrap();
    let (instructions, _) = sign(signable, &params).unwrap().into_parts();
    let mut req = http::Request::builder().method(method).uri(&url);
    for (k, v) in &all {
        req = req.header(*k, *v);
    }
    let mut req = req.body(()).unwrap();
    instructions.apply_to_request_http1x(&mut req);
    let path_and_query = req.uri().path_and_query().unwrap().as_str().to_owned();
    let mut out = format!("{method} {path_and_query}\n");
    for (k, v) in req.headers() {
        writeln!(out, "{k}: {}", v.to_str().unwrap()).unwrap();
    }
    out.push('\n');
    let mut out = out.into_bytes();
    out.extend_from_slice(body);
    out
}

fn jwt_seed(alg: jsonwebtoken::Algorithm, kid: Option<&str>, claims: &serde_json::Value) -> String {
    let key = match alg {
        jsonwebtoken::Algorithm::ES256 => {
            jsonwebtoken::EncodingKey::from_ec_pem(OIDC_EC_KEY.as_bytes()).unwrap()
        }
        _ => jsonwebtoken::EncodingKey::from_rsa_pem(OIDC_RSA_KEY.as_bytes()).unwrap(),
    };
    let mut header = jsonwebtoken::Header::new(alg);
    header.kid = kid.map(str::to_owned);
    jsonwebtoken::encode(&header, claims, &key).unwrap()
}

fn write_seeds_for(target: &str, seeds: &[(&str, Vec<u8>)]) {
    let dir = fuzz_dir().join("corpus").join(target);
    std::fs::create_dir_all(&dir).unwrap();
    for (name, data) in seeds {
        std::fs::write(dir.join(format!("seed-{name}")), data).unwrap();
    }
}

const POLICIES: [(&str, &str); 12] = [
    (
        "admin",
        r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}"#,
    ),
    (
        "s3-read",
        r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["s3:Get*","s3:List*"],"Resource":"*"}]}"#,
    ),
    (
        "variables",
        r#"{"Version":"2012-10-17","Id":"p1","Statement":[{"Sid":"Home","Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::bucket/home/${aws:username}/*"},{"Effect":"Allow","Action":"s3:ListBucket","Resource":"arn:aws:s3:::bucket","Condition":{"StringLike":{"s3:prefix":["home/${aws:username}/*","${*}${?}${$}"]}}}]}"#,
    ),
    (
        "deny-notaction",
        r#"{"Version":"2012-10-17","Statement":[{"Effect":"Deny","NotAction":["iam:*","sts:*"],"NotResource":"arn:aws:s3:::secret*","Condition":{"Bool":{"aws:SecureTransport":"false"}}}]}"#,
    ),
    (
        "conditions",
        r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*","Condition":{"IpAddress":{"aws:SourceIp":["192.0.2.0/24","2001:db8::/32"]},"NotIpAddress":{"aws:SourceIp":"203.0.113.0/24"},"DateGreaterThan":{"aws:CurrentTime":"2025-01-01T00:00:00Z"},"DateLessThanEquals":{"aws:EpochTime":"1900000000"},"NumericLessThan":{"aws:MultiFactorAuthAge":"3600"},"StringEqualsIgnoreCase":{"aws:PrincipalTag/team":"BLUE"},"ForAllValues:StringEquals":{"aws:TagKeys":["team","Project"]},"ForAnyValue:StringLike":{"aws:TagKeys":"te*"},"Null":{"aws:RequestTag/team":"false"},"ArnLike":{"aws:PrincipalArn":"arn:aws:iam::*:role/D?v"},"StringNotEqualsIfExists":{"aws:userid":"x"},"BoolIfExists":{"aws:MultiFactorAuthPresent":"true"}}}]}"#,
    ),
    (
        "trust-saml",
        r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Federated":"arn:aws:iam::123456789012:saml-provider/corp"},"Action":["sts:AssumeRoleWithSAML","sts:TagSession"],"Condition":{"StringEquals":{"SAML:aud":"https://signin.aws.amazon.com/saml"},"ForAnyValue:StringEquals":{"SAML:edupersonaffiliation":"staff"}}}]}"#,
    ),
    (
        "trust-oidc",
        r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Federated":"arn:aws:iam::123456789012:oidc-provider/idp.fuzz.test"},"Action":"sts:AssumeRoleWithWebIdentity","Condition":{"StringEquals":{"idp.fuzz.test:aud":"client-a"},"StringLike":{"idp.fuzz.test:sub":"user-*"}}}]}"#,
    ),
    (
        "trust-aws",
        r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":["arn:aws:iam::123456789012:root","123456789012","AROAEXAMPLE0000000001"]},"Action":"sts:AssumeRole"},{"Effect":"Deny","NotPrincipal":{"AWS":"*"},"Action":"sts:AssumeRole"},{"Effect":"Allow","Principal":"*","Action":"sts:SetSourceIdentity"}]}"#,
    ),
    (
        "version-2008",
        r#"{"Version":"2008-10-17","Statement":{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::bucket/${aws:username}"}}"#,
    ),
    (
        "no-version",
        r#"{"Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::*/*"}]}"#,
    ),
    (
        "unicode",
        "{\"Version\":\"2012-10-17\",\"Statement\":[{\"Sid\":\"\\u00e9t\\u00e9\",\"Effect\":\"Allow\",\"Action\":\"s3:GetObject\",\"Resource\":\"arn:aws:s3:::b\u{00fc}cket/*\"}]}",
    ),
    (
        "numbers-and-lists",
        r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["s3:GetObject"],"Resource":["arn:aws:s3:::a","arn:aws:s3:::b"],"Condition":{"NumericEquals":{"s3:max-keys":[10,"20",1.5e1]},"StringEquals":{"aws:username":true}}}]}"#,
    ),
];

#[test]
#[ignore = "writes the seed corpus; run by hand"]
#[allow(clippy::too_many_lines)] // one list of seeds per target, in target order
fn write_seeds() {
    assert!(fixtures_ready());
    // SAML responses.
    let response = saml_response_xml(None, false);
    let sp_initiated = saml_response_xml(Some("_fuzz0request"), true);
    let unsigned = response
        .replace(
            &response[response.find("<ds:Signature").unwrap()
                ..response.find("</ds:Signature>").unwrap() + "</ds:Signature>".len()],
            "",
        )
        .clone();
    assert!(registry_accepts(&response), "the seed response must verify");
    let both = response_signed_too(&sp_initiated);
    assert!(
        registry_accepts(&both),
        "the response-signed seed must verify"
    );
    write_seeds_for(
        "saml_response",
        &[
            ("signed", response.clone().into_bytes()),
            ("sp-initiated", sp_initiated.into_bytes()),
            ("response-signed", both.into_bytes()),
            ("unsigned", unsigned.into_bytes()),
            (
                "comment-cdata",
                response
                    .replacen("<saml:Issuer>", "<!-- c --><![CDATA[x]]><saml:Issuer>", 1)
                    .into_bytes(),
            ),
            (
                "encrypted",
                encrypted_response_xml(&encrypted_assertion(
                    &format!("{XENC}aes256-cbc"),
                    "aes-256",
                    &format!("{XENC}rsa-oaep-mgf1p"),
                ))
                .into_bytes(),
            ),
        ],
    );
    // Encrypted assertions.
    let gcm = "http://www.w3.org/2009/xmlenc11#";
    let oaep = format!("{XENC}rsa-oaep-mgf1p");
    let cbc128 = encrypted_assertion(&format!("{XENC}aes128-cbc"), "aes-128", &oaep);
    assert!(
        registry_accepts(&encrypted_response_xml(&cbc128)),
        "the encrypted seed must decrypt and verify"
    );
    write_seeds_for(
        "saml_decrypt",
        &[
            ("aes128-cbc", cbc128.clone().into_bytes()),
            (
                "aes256-cbc",
                encrypted_assertion(&format!("{XENC}aes256-cbc"), "aes-256", &oaep).into_bytes(),
            ),
            (
                "aes128-gcm",
                encrypted_assertion(&format!("{gcm}aes128-gcm"), "aes-128", &oaep).into_bytes(),
            ),
            (
                "aes256-gcm",
                encrypted_assertion(&format!("{gcm}aes256-gcm"), "aes-256", &oaep).into_bytes(),
            ),
            (
                "rsa-1_5",
                encrypted_assertion(
                    &format!("{XENC}aes128-cbc"),
                    "aes-128",
                    &format!("{XENC}rsa-1_5"),
                )
                .into_bytes(),
            ),
            ("sibling-key", sibling_key(&cbc128).into_bytes()),
        ],
    );
    // Metadata.
    let md = saml_metadata_xml().unwrap();
    write_seeds_for(
        "saml_metadata",
        &[
            ("idp", md.clone().into_bytes()),
            (
                "descriptor-list",
                format!(
                    r#"<md:EntitiesDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata">{}</md:EntitiesDescriptor>"#,
                    md.trim_start_matches(r#"<?xml version="1.0" encoding="UTF-8"?>"#)
                )
                .into_bytes(),
            ),
            (
                "two-keys",
                md.replacen(
                    "<md:KeyDescriptor use=\"signing\">",
                    "<md:KeyDescriptor><ds:KeyInfo><ds:KeyName>k</ds:KeyName></ds:KeyInfo></md:KeyDescriptor><md:KeyDescriptor use=\"signing\">",
                    1,
                )
                .into_bytes(),
            ),
        ],
    );
    // AuthnRequests.
    let authn = r#"<samlp:AuthnRequest xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" ID="_fuzz0request" Version="2.0" IssueInstant="2026-01-01T00:00:00Z" Destination="https://idp.fuzz.test/sso/redirect" AssertionConsumerServiceURL="http://127.0.0.1:8080/saml/acs" ProtocolBinding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST"><saml:Issuer>http://127.0.0.1:8080/saml/metadata</saml:Issuer><samlp:NameIDPolicy AllowCreate="true"/></samlp:AuthnRequest>"#;
    let mut deflated = {
        use std::io::Write as _;
        let mut e = flate2::write::DeflateEncoder::new(Vec::new(), flate2::Compression::default());
        e.write_all(authn.as_bytes()).unwrap();
        e.finish().unwrap()
    };
    let b64 = STANDARD.encode(&deflated);
    assert!(crate::demo::read_authn_request(&b64).is_some());
    deflated.insert(0, 2);
    write_seeds_for(
        "authn_request",
        &[
            ("query-value", [&[0u8][..], b64.as_bytes()].concat()),
            ("xml", [&[1u8][..], authn.as_bytes()].concat()),
            ("deflate", deflated),
        ],
    );
    // SigV4.
    let ring = keyring().unwrap();
    let claims = crate::seal::session_token::sample_claims(now());
    let token = crate::seal::session_token::seal(ring, &claims).unwrap();
    let form = b"Action=GetCallerIdentity&Version=2011-06-15";
    let form_type = ("content-type", "application/x-www-form-urlencoded");
    let user = (USER_KEY, USER_SECRET, None);
    let session = (
        claims.access_key_id.to_string(),
        claims.secret_access_key.expose().to_owned(),
    );
    let seeds = [
        (
            "header-user",
            sigv4_signed("POST", "/", &[form_type], form, user.clone(), false),
        ),
        (
            "presigned-user",
            sigv4_signed(
                "GET",
                "/?Action=GetCallerIdentity&Version=2011-06-15",
                &[],
                b"",
                user.clone(),
                true,
            ),
        ),
        (
            "header-session",
            sigv4_signed(
                "POST",
                "/",
                &[form_type],
                form,
                (&session.0, &session.1, Some(token.expose().to_owned())),
                false,
            ),
        ),
        (
            "presigned-session",
            sigv4_signed(
                "GET",
                "/a%20b/../c?Action=GetCallerIdentity&Version=2011-06-15&x=%2F&y",
                &[("x-amz-meta-a", "  b   c ")],
                b"",
                (&session.0, &session.1, Some(token.expose().to_owned())),
                true,
            ),
        ),
    ];
    for (name, seed) in &seeds {
        let (parts, body) = http_request(seed).unwrap();
        let signed = SignedRequest::from_parts(&parts, body);
        let f = sigv4_fixture().unwrap();
        crate::authn::authenticate_signed(&signed, &f.config, ring, &f.revocations, now())
            .unwrap_or_else(|e| panic!("seed {name} must authenticate: {e}"));
    }
    write_seeds_for("sigv4", &seeds);
    // Parameters.
    write_seeds_for(
        "params",
        &[
            ("assume-role", b"Action=AssumeRole&Version=2011-06-15\nRoleArn=arn%3Aaws%3Aiam%3A%3A123456789012%3Arole%2FDev&RoleSessionName=alice&DurationSeconds=3600&Tags.member.1.Key=team&Tags.member.1.Value=blue&Tags.member.2.Key=p&Tags.member.2.Value=&TransitiveTagKeys.member.1=team&PolicyArns.member.1.arn=arn%3Aaws%3Aiam%3A%3A123456789012%3Apolicy%2Fp&Policy=%7B%7D&SerialNumber=arn%3Aaws%3Aiam%3A%3A123456789012%3Amfa%2Falice&TokenCode=123456&SourceIdentity=alice&ExternalId=x".to_vec()),
            ("web-identity", b"Action=AssumeRoleWithWebIdentity&Version=2011-06-15&RoleArn=arn:aws:iam::123456789012:role/Dev&RoleSessionName=s&WebIdentityToken=a.b.c&ProviderId=x".to_vec()),
            ("saml", b"\nAction=AssumeRoleWithSAML&Version=2011-06-15&RoleArn=arn:aws:iam::123456789012:role/Dev&PrincipalArn=arn:aws:iam::123456789012:saml-provider/corp&SAMLAssertion=PHg%2BPC94Pg%3D%3D&Tags=".to_vec()),
            ("federation", b"Action=GetFederationToken&Version=2011-06-15&Name=bob&Policy=%7B%22Version%22%3A%222012-10-17%22%7D&PolicyArns.member.1.arn=x".to_vec()),
            ("session", b"Action=GetSessionToken&Version=2011-06-15&DurationSeconds=900&SerialNumber=GAHT12345678&TokenCode=000000".to_vec()),
            ("misc", b"Action=GetAccessKeyInfo&Version=2011-06-15&AccessKeyId=AKIAFUZZTESTUSER0001&EncodedMessage=abc&X-Amz-Date=1+2".to_vec()),
            ("revoke", b"Action=RevokeSessions&Version=2011-06-15&RoleArn=arn:aws:iam::123456789012:role/Dev&IssuedBefore=2026-01-01T00:00:00Z".to_vec()),
        ],
    );
    // Policies.
    let policies: Vec<(&str, Vec<u8>)> = POLICIES
        .iter()
        .map(|(n, p)| (*n, p.as_bytes().to_vec()))
        .collect();
    write_seeds_for("policy", &policies);
    // Session tokens, denial messages, web state.
    let denial = crate::seal::denial::seal(
        ring,
        &crate::seal::denial::Denial {
            principal: Some(format!("arn:aws:iam::{ACCOUNT}:user/fuzz")),
            action: "sts:AssumeRole".into(),
            resource: Some(format!("arn:aws:iam::{ACCOUNT}:role/Dev")),
            reason: "implicit deny".into(),
            explicit_deny: false,
            at: now(),
        },
    )
    .unwrap();
    assert!(crate::seal::session_token::open(ring, token.expose(), now()).is_ok());
    write_seeds_for(
        "session_token",
        &[
            ("token", token.expose().as_bytes().to_vec()),
            ("denial", denial.into_bytes()),
            ("claims", serde_json::to_vec(&claims).unwrap()),
        ],
    );
    let state = json!({"state":"s","nonce":"n","verifier":"v","provider":1,"return_to":"/roles","at":"2026-01-01T00:00:00Z","list":[1,2.5,null,true]});
    let sealed = crate::seal::web_state::seal(ring, WEB_STATE_KIND, "", &state).unwrap();
    write_seeds_for("web_state", &[("login-cookie", sealed.into_bytes())]);
    // ID tokens.
    let claims = json!({
        "iss": OIDC_ISSUER, "sub": "user-123", "aud": OIDC_CLIENT, "exp": NOW + 3600,
        "iat": NOW - 10, "nbf": NOW - 10, "email": "alice@example.com", "groups": ["a", "b"],
    });
    let rs = jwt_seed(jsonwebtoken::Algorithm::RS256, Some("rsa1"), &claims);
    assert!(
        poll_once(oidc_registry().unwrap().verify(&rs, now()))
            .unwrap()
            .is_ok()
    );
    let multi_aud = json!({
        "iss": OIDC_ISSUER, "sub": "s", "aud": ["x", "client-b"], "azp": "client-b",
        "exp": NOW + 60,
    });
    write_seeds_for(
        "jwt",
        &[
            ("rs256", rs.into_bytes()),
            (
                "es256-no-kid",
                jwt_seed(jsonwebtoken::Algorithm::ES256, None, &claims).into_bytes(),
            ),
            (
                "multi-aud",
                jwt_seed(jsonwebtoken::Algorithm::RS256, Some("rsa1"), &multi_aud).into_bytes(),
            ),
            (
                "alg-none",
                b"eyJhbGciOiJub25lIiwidHlwIjoiSldUIn0.eyJpc3MiOiJodHRwczovL2lkcC5mdXp6LnRlc3QiLCJzdWIiOiJ4In0.".to_vec(),
            ),
        ],
    );
}

fn registry_accepts(xml: &str) -> bool {
    let result = saml_registry()
        .unwrap()
        .verify(SAML_PROVIDER, &STANDARD.encode(xml), saml_now());
    if let Err(e) = &result {
        eprintln!("refused: {e}");
    }
    result.is_ok()
}
