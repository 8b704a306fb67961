//! Decryption of EncryptedAssertions end to end (xmlsec1 encrypts, the registry verifies) and
//! of each step on its own: the one generic error, the refused algorithms and key layouts, the
//! plaintext checks, the SP key at startup.

use std::sync::OnceLock;

use base64::Engine as _;
use openssl::pkey::PKey;
use openssl::symm::{Cipher, Crypter, Mode};

use super::super::testkit::*;
use super::super::{SamlRegistry, VerifiedAssertion, parse};
use super::content::{DataAlg, symmetric};
use super::*;
use crate::types::Secret;

fn sp_key() -> &'static SpKey {
    static KEY: OnceLock<SpKey> = OnceLock::new();
    KEY.get_or_init(|| SpKey::from_pem(&key_pem(sp())).unwrap())
}

/// `corp`, trusting the test IdP, decrypting with the test SP key.
fn sp_registry() -> &'static SamlRegistry {
    static REGISTRY: OnceLock<SamlRegistry> = OnceLock::new();
    REGISTRY.get_or_init(|| registry_with_sp_key(Some(&key_pem(sp()))))
}

fn verify(xml: &str) -> Result<VerifiedAssertion, SamlError> {
    sp_registry().verify("corp", &b64(xml), now())
}

fn enc(data: DataEnc, key: KeyEnc, place: KeyPlace) -> Encryption {
    Encryption { data, key, place }
}

const MGF1P: KeyEnc = KeyEnc::OaepMgf1p;
const OAEP11: KeyEnc = KeyEnc::Oaep11Sha256 { mgf_sha256: true };
const OAEP11_MGF_SHA1: KeyEnc = KeyEnc::Oaep11Sha256 { mgf_sha256: false };

/// A fresh assertion-signed response (xmlsec1), its assertion encrypted for the SP.
fn encrypted(enc: Encryption) -> (ResponseSpec, String) {
    let spec = ResponseSpec::new();
    let xml = encrypt_xmlsec1(Plaintext::AssertionOf(&spec.sign()), sp(), enc);
    (spec, xml)
}

fn assert_signed_values(spec: &ResponseSpec, v: &VerifiedAssertion) {
    assert_eq!(v.assertion_id, spec.assertion_id);
    assert_eq!(v.issuer, ENTITY_ID);
    assert_eq!(v.name_id, "alice@example.com");
    assert_eq!(v.recipient, ACS_AWS);
    assert_eq!(v.audiences, [AUD_AWS]);
    assert_eq!(
        v.attribute_values(ROLE_ATTR).collect::<Vec<_>>(),
        [format!(
            "{ROLE_DEV},arn:aws:iam::{ACCOUNT}:saml-provider/corp"
        )]
    );
    assert_eq!(
        v.attribute_values("https://aws.amazon.com/SAML/Attributes/PrincipalTag:Department")
            .collect::<Vec<_>>(),
        ["Engineering & Ops"]
    );
}

#[test]
fn sign_then_encrypt_with_every_supported_algorithm_and_key_placement() {
    use DataEnc::*;
    use KeyPlace::*;
    let cases = [
        enc(Aes128Cbc, MGF1P, Inline),
        enc(Aes256Cbc, MGF1P, Inline),
        enc(Aes128Gcm, MGF1P, Inline),
        enc(Aes256Gcm, MGF1P, Inline),
        enc(Aes128Cbc, OAEP11, Inline),
        enc(Aes256Cbc, OAEP11_MGF_SHA1, Inline),
        enc(Aes128Gcm, OAEP11, SiblingRetrieval),
        enc(Aes256Gcm, OAEP11, Inline),
        enc(Aes256Cbc, MGF1P, SiblingRetrieval),
        enc(Aes256Gcm, MGF1P, SiblingOnly),
        enc(Aes128Cbc, OAEP11_MGF_SHA1, SiblingOnly),
    ];
    for case in cases {
        let (spec, xml) = encrypted(case);
        assert!(xml.contains("EncryptedAssertion") && !xml.contains("alice@example.com"));
        assert!(xml.contains(case.data.uri()), "{case:?}");
        let shape_ok = match case.key {
            KeyEnc::Oaep11Sha256 { mgf_sha256 } => {
                xml.contains("xmlenc11#rsa-oaep\"") && xml.contains("mgf1sha256") == mgf_sha256
            }
            _ => xml.contains("xmlenc#rsa-oaep-mgf1p"),
        } && match case.place {
            Inline => xml.contains("<ds:KeyInfo><xenc:EncryptedKey>"),
            SiblingRetrieval => {
                xml.contains("RetrievalMethod")
                    && xml.contains("</xenc:EncryptedData><xenc:EncryptedKey")
            }
            SiblingOnly => {
                !xml.contains("KeyInfo><xenc")
                    && xml.contains("</xenc:EncryptedData><xenc:EncryptedKey")
            }
        };
        assert!(shape_ok, "{case:?}: {xml}");
        let v = verify(&xml).unwrap_or_else(|e| panic!("{case:?}: {e}\n{xml}"));
        assert_signed_values(&spec, &v);
        // A single use, as for plain assertions (the caller's replay cache keys on it).
        assert_eq!(v.assertion_id, spec.assertion_id);
    }
}

#[test]
fn entra_style_default_namespace_and_xml_declaration_in_plaintext() {
    let (spec, xml) = encrypted(enc(DataEnc::Aes256Cbc, MGF1P, KeyPlace::Inline));
    let default_ns = xml
        .replace(
            "<saml:EncryptedAssertion>",
            r#"<EncryptedAssertion xmlns="urn:oasis:names:tc:SAML:2.0:assertion">"#,
        )
        .replace("</saml:EncryptedAssertion>", "</EncryptedAssertion>");
    assert_ne!(default_ns, xml);
    assert_signed_values(&spec, &verify(&default_ns).unwrap());

    // Plaintext given as bytes: an XML declaration and whitespace around the element.
    let spec = ResponseSpec::new();
    let signed = spec.sign();
    let start = signed.find("<saml:Assertion").unwrap();
    let end = signed.find("</saml:Assertion>").unwrap() + "</saml:Assertion>".len();
    let plain = format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n{}\n",
        &signed[start..end]
    );
    let ea = encrypt_xmlsec1(
        Plaintext::Bytes(plain.as_bytes()),
        sp(),
        enc(DataEnc::Aes128Gcm, MGF1P, KeyPlace::Inline),
    );
    let xml = spec.response_xml(&ea, false);
    assert_signed_values(&spec, &verify(&xml).unwrap());
}

#[test]
fn encrypted_but_unsigned_assertion_is_refused() {
    let spec = ResponseSpec::new().signed(Signed::Nothing);
    let xml = encrypt_xmlsec1(
        Plaintext::AssertionOf(&spec.sign()),
        sp(),
        enc(DataEnc::Aes256Gcm, MGF1P, KeyPlace::Inline),
    );
    assert_eq!(verify(&xml).unwrap_err(), SamlError::DECRYPTION_FAILED);
    // Decryption itself worked; what refused it is the "signature required" rule, reported
    // as the generic error because it judged decrypted content.
    let doc = decrypt_document(&xml, sp_key()).unwrap();
    assert!(doc.contains("alice@example.com") && !doc.contains("EncryptedAssertion"));
    assert_eq!(parse::scan(&doc, false), Err(SamlError::Unsigned));

    // Signed by someone else, then encrypted to us (anyone can): the signature decides.
    let forged = encrypt_xmlsec1(
        Plaintext::AssertionOf(&ResponseSpec::new().sign_with(attacker(), Signer::Xmlsec1)),
        sp(),
        enc(DataEnc::Aes128Cbc, MGF1P, KeyPlace::Inline),
    );
    assert_eq!(verify(&forged).unwrap_err(), SamlError::DECRYPTION_FAILED);
}

#[test]
fn rsa_1_5_and_other_algorithms_are_refused() {
    let (_, xml) = encrypted(enc(DataEnc::Aes128Cbc, KeyEnc::Rsa15, KeyPlace::Inline));
    assert!(xml.contains("xmlenc#rsa-1_5"));
    assert_eq!(verify(&xml).unwrap_err(), SamlError::EncryptedAssertion);
    assert!(matches!(
        decrypt_document(&xml, sp_key()),
        Err(Failure::Refused(SamlError::EncryptedAssertion, reason)) if reason.contains("rsa-1_5")
    ));

    let (_, xml) = encrypted(enc(DataEnc::Aes192Cbc, MGF1P, KeyPlace::Inline));
    assert_eq!(verify(&xml).unwrap_err(), SamlError::EncryptedAssertion);

    // An unknown OAEP digest, a CipherReference, an EncryptedData of type Content.
    let (_, xml) = encrypted(enc(DataEnc::Aes128Gcm, MGF1P, KeyPlace::Inline));
    for (from, to) in [
        (
            "http://www.w3.org/2000/09/xmldsig#sha1",
            "http://www.w3.org/2001/04/xmldsig-more#md5",
        ),
        (
            "http://www.w3.org/2001/04/xmlenc#Element",
            "http://www.w3.org/2001/04/xmlenc#Content",
        ),
    ] {
        let changed = xml.replace(from, to);
        assert_ne!(changed, xml);
        assert_eq!(
            verify(&changed).unwrap_err(),
            SamlError::EncryptedAssertion,
            "{to}"
        );
    }
    let start = xml.rfind("<xenc:CipherValue>").unwrap();
    let end = xml.rfind("</xenc:CipherValue>").unwrap() + "</xenc:CipherValue>".len();
    let reference = format!(
        r#"{}<xenc:CipherReference URI="http://169.254.169.254/"/>{}"#,
        &xml[..start],
        &xml[end..]
    );
    assert_eq!(
        verify(&reference).unwrap_err(),
        SamlError::EncryptedAssertion
    );
}

/// The document with one byte of the EncryptedData's cipher text flipped.
fn flip(xml: &str, index: impl Fn(usize) -> usize) -> String {
    let open = xml.rfind("<xenc:CipherValue>").unwrap() + "<xenc:CipherValue>".len();
    let close = xml.rfind("</xenc:CipherValue>").unwrap();
    let engine = base64::engine::general_purpose::STANDARD;
    let mut bytes = engine
        .decode(xml[open..close].replace(['\n', '\r'], ""))
        .unwrap();
    let at = index(bytes.len());
    bytes[at] ^= 0x01;
    format!("{}{}{}", &xml[..open], engine.encode(bytes), &xml[close..])
}

#[test]
fn flipped_cipher_text_is_one_generic_error() {
    for data in [
        DataEnc::Aes128Cbc,
        DataEnc::Aes256Cbc,
        DataEnc::Aes128Gcm,
        DataEnc::Aes256Gcm,
    ] {
        let (_, xml) = encrypted(enc(data, MGF1P, KeyPlace::Inline));
        // IV, the first, a middle and the last byte (CBC: padding; GCM: tag).
        let positions: [&dyn Fn(usize) -> usize; 4] = [&|_| 0, &|_| 16, &|n| n / 2, &|n| n - 1];
        for (i, at) in positions.into_iter().enumerate() {
            let tampered = flip(&xml, at);
            assert_eq!(
                verify(&tampered).unwrap_err(),
                SamlError::DECRYPTION_FAILED,
                "{data:?} position {i}"
            );
            if matches!(data, DataEnc::Aes128Gcm | DataEnc::Aes256Gcm) {
                assert_eq!(
                    decrypt_document(&tampered, sp_key()).unwrap_err(),
                    Failure::Decryption(Cause::Cipher)
                );
            }
        }
    }
}

#[test]
fn wrong_sp_key_and_wrong_key_length_fail_generically() {
    let spec = ResponseSpec::new();
    for data in [DataEnc::Aes128Cbc, DataEnc::Aes256Gcm] {
        let xml = encrypt_xmlsec1(
            Plaintext::AssertionOf(&spec.sign()),
            attacker(),
            enc(data, MGF1P, KeyPlace::Inline),
        );
        assert_eq!(verify(&xml).unwrap_err(), SamlError::DECRYPTION_FAILED);
        assert_eq!(
            decrypt_document(&xml, sp_key()).unwrap_err(),
            Failure::Decryption(Cause::KeyTransport)
        );
    }
    // A 128-bit session key presented as AES-256; and OAEP with the wrong digest.
    let (_, xml) = encrypted(enc(DataEnc::Aes128Cbc, MGF1P, KeyPlace::Inline));
    let relabelled = xml.replace(DataEnc::Aes128Cbc.uri(), DataEnc::Aes256Cbc.uri());
    assert_eq!(
        decrypt_document(&relabelled, sp_key()).unwrap_err(),
        Failure::Decryption(Cause::KeyTransport)
    );
    assert_eq!(
        verify(&relabelled).unwrap_err(),
        SamlError::DECRYPTION_FAILED
    );
    let wrong_digest = xml.replace(
        "http://www.w3.org/2000/09/xmldsig#sha1",
        "http://www.w3.org/2001/04/xmlenc#sha256",
    );
    assert_eq!(
        verify(&wrong_digest).unwrap_err(),
        SamlError::DECRYPTION_FAILED
    );
    // The MGF named in xenc11:MGF is the one used.
    let (_, xml) = encrypted(enc(DataEnc::Aes256Gcm, OAEP11, KeyPlace::Inline));
    let wrong_mgf = xml.replace("#mgf1sha256", "#mgf1sha1");
    assert_ne!(wrong_mgf, xml);
    assert_eq!(
        decrypt_document(&wrong_mgf, sp_key()).unwrap_err(),
        Failure::Decryption(Cause::KeyTransport)
    );
}

#[test]
fn key_references_must_be_unambiguous() {
    let (_, xml) = encrypted(enc(DataEnc::Aes128Gcm, MGF1P, KeyPlace::SiblingRetrieval));
    let dangling = xml.replace(r##"URI="#_ek1""##, r##"URI="#_other""##);
    let external = xml.replace(r##"URI="#_ek1""##, r#"URI="http://169.254.169.254/k""#);
    let ek_start = xml.find("<xenc:EncryptedKey ").unwrap();
    let ek_end = xml.rfind("</xenc:EncryptedKey>").unwrap() + "</xenc:EncryptedKey>".len();
    let duplicated = format!("{}{}", &xml[..ek_end], &xml[ek_start..]);
    for doc in [dangling, external, duplicated] {
        assert_eq!(verify(&doc).unwrap_err(), SamlError::EncryptedAssertion);
    }
    let (_, xml) = encrypted(enc(DataEnc::Aes128Gcm, MGF1P, KeyPlace::SiblingOnly));
    let ek_start = xml.find("<xenc:EncryptedKey ").unwrap();
    let ek_end = xml.rfind("</xenc:EncryptedKey>").unwrap() + "</xenc:EncryptedKey>".len();
    let two_unnamed = format!("{}{}", &xml[..ek_end], &xml[ek_start..]);
    assert_eq!(
        verify(&two_unnamed).unwrap_err(),
        SamlError::EncryptedAssertion
    );
    // ... unless a ReferenceList says which one is for this EncryptedData.
    let named = format!(
        "{}{}",
        &xml[..ek_end].replace(
            "</xenc:EncryptedKey>",
            r##"<xenc:ReferenceList><xenc:DataReference URI="#_ed1"/></xenc:ReferenceList></xenc:EncryptedKey>"##
        ),
        &xml[ek_start..]
    );
    verify(&named).unwrap();
}

#[test]
fn encrypted_and_plain_assertions_together_are_refused() {
    let (_, xml) = encrypted(enc(DataEnc::Aes128Gcm, MGF1P, KeyPlace::Inline));
    let other = ResponseSpec::new().sign();
    let start = other.find("<saml:Assertion").unwrap();
    let end = other.find("</saml:Assertion>").unwrap() + "</saml:Assertion>".len();
    let plain = &other[start..end];
    for doc in [
        xml.replace("</samlp:Response>", &format!("{plain}</samlp:Response>")),
        xml.replace(
            "<saml:EncryptedAssertion>",
            &format!("{plain}<saml:EncryptedAssertion>"),
        ),
    ] {
        assert_eq!(verify(&doc).unwrap_err(), SamlError::AssertionCount);
    }
    // Two EncryptedAssertions.
    let ea_start = xml.find("<saml:EncryptedAssertion>").unwrap();
    let ea_end =
        xml.find("</saml:EncryptedAssertion>").unwrap() + "</saml:EncryptedAssertion>".len();
    let twice = format!("{}{}", &xml[..ea_end], &xml[ea_start..]);
    assert_eq!(verify(&twice).unwrap_err(), SamlError::AssertionCount);
    // Moved into Extensions.
    let hidden = format!(
        "{}<samlp:Extensions>{}</samlp:Extensions>{}",
        &xml[..ea_start],
        &xml[ea_start..ea_end],
        &xml[ea_end..]
    );
    assert_eq!(verify(&hidden).unwrap_err(), SamlError::EncryptedAssertion);
}

#[test]
fn signed_response_around_an_encrypted_assertion_is_refused() {
    let spec = ResponseSpec::new().signed(Signed::Response);
    let template = encrypt_xmlsec1(
        Plaintext::AssertionOf(&spec.template()),
        sp(),
        enc(DataEnc::Aes128Gcm, MGF1P, KeyPlace::Inline),
    );
    let xml = sign_xmlsec1(&template, idp());
    assert!(xml.contains("<saml:EncryptedAssertion>"));
    assert_eq!(verify(&xml).unwrap_err(), SamlError::EncryptedAssertion);
}

#[test]
fn without_an_sp_key_encrypted_assertions_are_refused() {
    let (_, xml) = encrypted(enc(DataEnc::Aes128Gcm, MGF1P, KeyPlace::Inline));
    let registry = registry_with_sp_key(None);
    assert_eq!(
        registry.verify("corp", &b64(&xml), now()).unwrap_err(),
        SamlError::EncryptedAssertion
    );
    assert!(
        SamlError::EncryptedAssertion
            .to_string()
            .contains("SP key (saml_sp_key_file)")
    );
}

#[test]
fn decrypted_plaintext_must_be_one_assertion_without_declarations() {
    let spec = ResponseSpec::new();
    let signed = spec.sign();
    let start = signed.find("<saml:Assertion").unwrap();
    let end = signed.find("</saml:Assertion>").unwrap() + "</saml:Assertion>".len();
    let assertion = &signed[start..end];
    let cases = [
        (
            format!(
                r#"<!DOCTYPE saml:Assertion [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>{assertion}"#
            ),
            Cause::Plaintext(SamlError::Dtd),
        ),
        (
            assertion.replace("<saml:Subject>", "<saml:Subject><!ENTITY x \"y\">"),
            Cause::Plaintext(SamlError::Dtd),
        ),
        (
            format!("{assertion}{assertion}"),
            Cause::Plaintext(SamlError::AssertionCount),
        ),
        (
            format!("{assertion}</saml:EncryptedAssertion><saml:Assertion>"),
            Cause::Plaintext(SamlError::MalformedXml),
        ),
        (
            "<saml:Issuer>x</saml:Issuer>".to_owned(),
            Cause::Plaintext(SamlError::AssertionCount),
        ),
        (
            format!("text{assertion}"),
            Cause::Plaintext(SamlError::MalformedXml),
        ),
        (
            format!("{assertion}<?pi x?>"),
            Cause::Plaintext(SamlError::MalformedXml),
        ),
        (
            assertion[..assertion.len() - 3].to_owned(),
            Cause::Plaintext(SamlError::MalformedXml),
        ),
    ];
    for (i, (plain, cause)) in cases.into_iter().enumerate() {
        let ea = encrypt_xmlsec1(
            Plaintext::Bytes(plain.as_bytes()),
            sp(),
            enc(DataEnc::Aes256Cbc, MGF1P, KeyPlace::Inline),
        );
        let xml = spec.response_xml(&ea, false);
        assert_eq!(
            decrypt_document(&xml, sp_key()).unwrap_err(),
            Failure::Decryption(cause),
            "case {i}"
        );
        assert_eq!(
            verify(&xml).unwrap_err(),
            SamlError::DECRYPTION_FAILED,
            "case {i}"
        );
    }
    // Not UTF-8.
    let ea = encrypt_xmlsec1(
        Plaintext::Bytes(b"<saml:Assertion>\xff</saml:Assertion>"),
        sp(),
        enc(DataEnc::Aes128Gcm, MGF1P, KeyPlace::Inline),
    );
    assert_eq!(
        decrypt_document(&spec.response_xml(&ea, false), sp_key()).unwrap_err(),
        Failure::Decryption(Cause::NotUtf8)
    );
}

#[test]
fn cbc_accepts_xml_enc_padding_not_only_pkcs7() {
    let key = [7u8; 16];
    let iv = [9u8; 16];
    // "<x/>" + 11 arbitrary bytes + the pad length 12.
    let mut block = b"<x/>".to_vec();
    block.extend_from_slice(&[0xAB; 11]);
    block.push(12);
    let mut crypter = Crypter::new(Cipher::aes_128_cbc(), Mode::Encrypt, &key, Some(&iv)).unwrap();
    crypter.pad(false);
    let mut out = vec![0; 32];
    let n = crypter.update(&block, &mut out).unwrap();
    out.truncate(n);
    let data = [iv.as_slice(), &out].concat();
    assert_eq!(symmetric(DataAlg::Aes128Cbc, &key, &data).unwrap(), b"<x/>");
    for last in [0u8, 17, 255] {
        let mut bad = block.clone();
        bad[15] = last;
        let mut crypter =
            Crypter::new(Cipher::aes_128_cbc(), Mode::Encrypt, &key, Some(&iv)).unwrap();
        crypter.pad(false);
        let mut out = vec![0; 32];
        let n = crypter.update(&bad, &mut out).unwrap();
        out.truncate(n);
        let data = [iv.as_slice(), &out].concat();
        assert_eq!(
            symmetric(DataAlg::Aes128Cbc, &key, &data),
            Err(Cause::Padding)
        );
    }
    assert_eq!(symmetric(DataAlg::Aes128Cbc, &key, &iv), Err(Cause::Cipher));
    assert_eq!(
        symmetric(DataAlg::Aes128Gcm, &key, &[0; 27]),
        Err(Cause::Cipher)
    );
}

#[test]
fn sp_key_is_checked_at_startup_and_never_printed() {
    let config_error = |pem: &str| {
        let md = metadata_xml(ENTITY_ID, &[idp()]);
        let providers = [provider("corp", file_source(md), false)];
        match SamlRegistry::new(&providers, Some(&Secret::new(pem)), reqwest::Client::new()) {
            Err(SamlError::Config(msg)) => msg,
            other => panic!("{other:?}"),
        }
    };
    let garbage = "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n";
    assert!(config_error(garbage).starts_with("server.saml_sp_key_file: "));
    let small = TestIdp::rsa(1024, "small SP");
    assert!(config_error(key_pem(&small).expose()).contains("at least 2048"));
    let ec = openssl::ec::EcKey::generate(
        &openssl::ec::EcGroup::from_curve_name(openssl::nid::Nid::X9_62_PRIME256V1).unwrap(),
    )
    .unwrap();
    let ec_pem = PKey::from_ec_key(ec)
        .unwrap()
        .private_key_to_pem_pkcs8()
        .unwrap();
    assert!(config_error(std::str::from_utf8(&ec_pem).unwrap()).contains("must be RSA"));
    // A passphrase-protected key fails instead of prompting.
    let encrypted_pem = sp()
        .key
        .private_key_to_pem_pkcs8_passphrase(Cipher::aes_256_cbc(), b"secret")
        .unwrap();
    let msg = config_error(std::str::from_utf8(&encrypted_pem).unwrap());
    assert!(msg.contains("unencrypted"), "{msg}");

    let printed = format!("{:?} {:?}", sp_key(), sp_registry());
    assert!(printed.contains("SpKey(<redacted>)"), "{printed}");
    assert!(
        !printed.contains("PRIVATE KEY") && !printed.contains("RSA"),
        "{printed}"
    );
}

fn encrypted_sample() -> &'static str {
    static DOC: OnceLock<String> = OnceLock::new();
    DOC.get_or_init(|| encrypted(enc(DataEnc::Aes128Cbc, MGF1P, KeyPlace::SiblingRetrieval)).1)
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig::with_cases(256))]
    #[test]
    fn decrypt_never_panics(
        text in "\\PC{0,300}",
        cut in 0usize..6_000,
        insert in "\\PC{0,16}",
        bytes in proptest::collection::vec(proptest::num::u8::ANY, 0..160),
    ) {
        let _ = decrypt_document(&text, sp_key());
        let doc = encrypted_sample();
        let mangled = splice(doc, cut, &insert);
        let _ = decrypt_document(&mangled, sp_key());
        let _ = sp_registry().verify("corp", &b64(&mangled), now());
        let truncated: String = doc.chars().take(cut).collect();
        let _ = decrypt_document(&truncated, sp_key());
        for alg in [DataAlg::Aes128Cbc, DataAlg::Aes256Cbc, DataAlg::Aes128Gcm, DataAlg::Aes256Gcm] {
            let _ = symmetric(alg, &[1; 32][..alg.key_len()], &bytes);
        }
        let _ = assertion_fragment(&bytes);
        let _ = assertion_fragment(text.as_bytes());
    }
}
