//! Encrypted assertions from independent tools: `xmlsec1 --encrypt`, and the `openssl` tool
//! where `xmlsec1` 1.2 lacks the algorithm (xmlenc11 RSA-OAEP).

use std::process::Command;

use base64::Engine as _;
use zeroize::Zeroizing;

use super::idp::TestIdp;
use super::tool::run;

/// Data encryption of an EncryptedAssertion.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum DataEnc {
    Aes128Cbc,
    Aes192Cbc,
    Aes256Cbc,
    Aes128Gcm,
    Aes256Gcm,
}

impl DataEnc {
    pub(crate) fn uri(self) -> &'static str {
        match self {
            Self::Aes128Cbc => "http://www.w3.org/2001/04/xmlenc#aes128-cbc",
            Self::Aes192Cbc => "http://www.w3.org/2001/04/xmlenc#aes192-cbc",
            Self::Aes256Cbc => "http://www.w3.org/2001/04/xmlenc#aes256-cbc",
            Self::Aes128Gcm => "http://www.w3.org/2009/xmlenc11#aes128-gcm",
            Self::Aes256Gcm => "http://www.w3.org/2009/xmlenc11#aes256-gcm",
        }
    }

    fn bits(self) -> usize {
        match self {
            Self::Aes128Cbc | Self::Aes128Gcm => 128,
            Self::Aes192Cbc => 192,
            Self::Aes256Cbc | Self::Aes256Gcm => 256,
        }
    }
}

/// Key transport of an EncryptedAssertion's session key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum KeyEnc {
    /// `xmlenc#rsa-oaep-mgf1p` with an explicit SHA-1 DigestMethod, by `xmlsec1`.
    OaepMgf1p,
    /// `xmlenc#rsa-1_5`, by `xmlsec1`.
    Rsa15,
    /// `xmlenc11#rsa-oaep` with a SHA-256 DigestMethod and MGF1-SHA-256 (`xenc11:MGF`) or, if
    /// `mgf_sha256` is false, the default MGF1-SHA-1. `xmlsec1` 1.2 has no xmlenc11 OAEP, so
    /// the key is wrapped by the `openssl pkeyutl` tool and the data encrypted by `xmlsec1`.
    Oaep11Sha256 { mgf_sha256: bool },
}

/// Where the EncryptedKey goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum KeyPlace {
    /// Inside `EncryptedData/ds:KeyInfo` (AD FS, Entra ID).
    Inline,
    /// Next to the EncryptedData, named by a `ds:RetrievalMethod` (Shibboleth).
    SiblingRetrieval,
    /// Next to the EncryptedData, no KeyInfo at all.
    SiblingOnly,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Encryption {
    pub(crate) data: DataEnc,
    pub(crate) key: KeyEnc,
    pub(crate) place: KeyPlace,
}

const XENC: &str = "http://www.w3.org/2001/04/xmlenc#";
const DSIG: &str = "http://www.w3.org/2000/09/xmldsig#";

/// What `xmlsec1 --encrypt` encrypts.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Plaintext<'a> {
    /// The first `saml:Assertion` of this document (`--xml-data`, the node re-serialised by
    /// libxml2); the result is the document with the assertion replaced by an
    /// EncryptedAssertion.
    AssertionOf(&'a str),
    /// These bytes (`--binary-data`); the result is the `saml:EncryptedAssertion` element.
    Bytes(&'a [u8]),
}

/// Encrypts for `recipient`'s certificate with the `xmlsec1` tool (and, for xmlenc11 OAEP, the
/// `openssl` tool): an XML-Enc implementation independent of ours.
pub(crate) fn encrypt_xmlsec1(
    plain: Plaintext<'_>,
    recipient: &TestIdp,
    enc: Encryption,
) -> String {
    let dir = tempfile::tempdir().unwrap();
    let path = |name: &str| dir.path().join(name);
    std::fs::write(path("cert.pem"), recipient.cert.to_pem().unwrap()).unwrap();
    let key_template = match enc.key {
        KeyEnc::OaepMgf1p => format!(
            r#"<ds:KeyInfo><xenc:EncryptedKey><xenc:EncryptionMethod Algorithm="{XENC}rsa-oaep-mgf1p"><ds:DigestMethod Algorithm="{DSIG}sha1"/></xenc:EncryptionMethod><xenc:CipherData><xenc:CipherValue/></xenc:CipherData></xenc:EncryptedKey></ds:KeyInfo>"#
        ),
        KeyEnc::Rsa15 => format!(
            r#"<ds:KeyInfo><xenc:EncryptedKey><xenc:EncryptionMethod Algorithm="{XENC}rsa-1_5"/><xenc:CipherData><xenc:CipherValue/></xenc:CipherData></xenc:EncryptedKey></ds:KeyInfo>"#
        ),
        KeyEnc::Oaep11Sha256 { .. } => {
            "<ds:KeyInfo><ds:KeyName>session</ds:KeyName></ds:KeyInfo>".to_owned()
        }
    };
    let template = format!(
        r#"<xenc:EncryptedData xmlns:xenc="{XENC}" xmlns:ds="{DSIG}" Id="_ed1" Type="{XENC}Element"><xenc:EncryptionMethod Algorithm="{}"/>{key_template}<xenc:CipherData><xenc:CipherValue/></xenc:CipherData></xenc:EncryptedData>"#,
        enc.data.uri()
    );
    std::fs::write(path("template.xml"), &template).unwrap();
    let mut cmd = Command::new("xmlsec1");
    cmd.arg("--encrypt");
    let session_key = Zeroizing::new(random_bytes(enc.data.bits() / 8));
    if matches!(enc.key, KeyEnc::Oaep11Sha256 { .. }) {
        std::fs::write(path("session.bin"), &*session_key).unwrap();
        cmd.arg("--aeskey:session").arg(path("session.bin"));
    } else {
        cmd.arg("--pubkey-cert-pem")
            .arg(path("cert.pem"))
            .args(["--session-key", &format!("aes-{}", enc.data.bits())]);
    }
    match plain {
        Plaintext::AssertionOf(doc) => {
            let start = doc.find("<saml:Assertion").unwrap();
            let end = doc.find("</saml:Assertion>").unwrap() + "</saml:Assertion>".len();
            let wrapped = format!(
                "{}<saml:EncryptedAssertion>{}</saml:EncryptedAssertion>{}",
                &doc[..start],
                &doc[start..end],
                &doc[end..]
            );
            std::fs::write(path("data.xml"), wrapped).unwrap();
            cmd.arg("--xml-data").arg(path("data.xml")).args([
                "--node-name",
                "urn:oasis:names:tc:SAML:2.0:assertion:Assertion",
            ]);
        }
        Plaintext::Bytes(bytes) => {
            std::fs::write(path("data.bin"), bytes).unwrap();
            cmd.arg("--binary-data").arg(path("data.bin"));
        }
    }
    cmd.arg("--output")
        .arg(path("out.xml"))
        .arg(path("template.xml"));
    run(&mut cmd, "xmlsec1", "encrypt SAML assertions");
    let mut xml = std::fs::read_to_string(path("out.xml")).unwrap();
    if let Plaintext::Bytes(_) = plain {
        let start = xml.find("<xenc:EncryptedData").unwrap();
        xml = format!(
            "<saml:EncryptedAssertion>{}</saml:EncryptedAssertion>",
            xml[start..].trim_end()
        );
    }
    if let KeyEnc::Oaep11Sha256 { mgf_sha256 } = enc.key {
        let wrapped = openssl_oaep_sha256(&path("cert.pem"), &session_key, mgf_sha256, dir.path());
        let mgf = if mgf_sha256 {
            r#"<xenc11:MGF xmlns:xenc11="http://www.w3.org/2009/xmlenc11#" Algorithm="http://www.w3.org/2009/xmlenc11#mgf1sha256"/>"#
        } else {
            ""
        };
        let key = format!(
            r#"<ds:KeyInfo><xenc:EncryptedKey><xenc:EncryptionMethod Algorithm="http://www.w3.org/2009/xmlenc11#rsa-oaep"><ds:DigestMethod Algorithm="{XENC}sha256"/>{mgf}</xenc:EncryptionMethod><xenc:CipherData><xenc:CipherValue>{}</xenc:CipherValue></xenc:CipherData></xenc:EncryptedKey></ds:KeyInfo>"#,
            base64::engine::general_purpose::STANDARD.encode(wrapped)
        );
        let key_name = "<ds:KeyInfo><ds:KeyName>session</ds:KeyName></ds:KeyInfo>";
        assert!(xml.contains(key_name), "{xml}");
        xml = xml.replace(key_name, &key);
    }
    place_key(&xml, enc.place)
}

/// Moves the inline EncryptedKey next to the EncryptedData, as `place` says.
fn place_key(xml: &str, place: KeyPlace) -> String {
    if place == KeyPlace::Inline {
        return xml.to_owned();
    }
    let start = xml.find("<xenc:EncryptedKey>").unwrap();
    let end = xml.find("</xenc:EncryptedKey>").unwrap() + "</xenc:EncryptedKey>".len();
    let key = &xml[start..end];
    let (reference, id) = match place {
        KeyPlace::SiblingRetrieval => (
            format!(
                r##"<ds:KeyInfo><ds:RetrievalMethod Type="{XENC}EncryptedKey" URI="#_ek1"/></ds:KeyInfo>"##
            ),
            r#" Id="_ek1""#,
        ),
        _ => (String::new(), ""),
    };
    let sibling = key.replacen(
        "<xenc:EncryptedKey>",
        &format!(r#"<xenc:EncryptedKey xmlns:xenc="{XENC}" xmlns:ds="{DSIG}"{id}>"#),
        1,
    );
    let without = format!("{}{}", &xml[..start], &xml[end..]).replacen(
        "<ds:KeyInfo></ds:KeyInfo>",
        &reference,
        1,
    );
    without.replacen(
        "</xenc:EncryptedData>",
        &format!("</xenc:EncryptedData>{sibling}"),
        1,
    )
}

fn random_bytes(n: usize) -> Vec<u8> {
    let mut buf = vec![0; n];
    openssl::rand::rand_bytes(&mut buf).unwrap();
    buf
}

/// RSA-OAEP (SHA-256 digest; MGF1 with SHA-256 or SHA-1) by the `openssl pkeyutl` tool.
fn openssl_oaep_sha256(
    cert: &std::path::Path,
    key: &[u8],
    mgf_sha256: bool,
    dir: &std::path::Path,
) -> Vec<u8> {
    let input = dir.join("session.raw");
    let output = dir.join("session.wrapped");
    std::fs::write(&input, key).unwrap();
    let mut cmd = Command::new("openssl");
    cmd.args(["pkeyutl", "-encrypt", "-certin", "-inkey"])
        .arg(cert)
        .arg("-in")
        .arg(&input)
        .arg("-out")
        .arg(&output)
        .args([
            "-pkeyopt",
            "rsa_padding_mode:oaep",
            "-pkeyopt",
            "rsa_oaep_md:sha256",
        ])
        .args([
            "-pkeyopt",
            if mgf_sha256 {
                "rsa_mgf1_md:sha256"
            } else {
                "rsa_mgf1_md:sha1"
            },
        ]);
    run(&mut cmd, "openssl", "wrap keys with RSA-OAEP SHA-256");
    std::fs::read(&output).unwrap()
}
