//! The samael side of verification, and the checks samael leaves to us.
//!
//! samael 0.0.22 (xmlsec feature) verifies every `ds:Signature` with the certificates we preset
//! (KeyInfo in the message is ignored), applies its algorithm allow-list, and hands back only the
//! signed content (the signed Response, or the signed Assertion with the unsigned Response shell
//! dropped). On that content it checks Issuer, IssueInstant age, Conditions times, Audience
//! and bearer Recipient/NotOnOrAfter, and, for a signed Response, Destination and Status.
//! What it does not do, and we do here on its output with our `now`: require Conditions and an
//! AudienceRestriction, match Audience/Recipient/Destination against *sets* of accepted values,
//! require a NameID, refuse an IssueInstant in the future, and (in `parse`) everything structural.
//!
//! **Why a ServiceProvider per request.** samael compares Recipient and Destination with exactly
//! one `acs_url` (and `None` means "must be absent", so it cannot be switched off), and the
//! Audience with exactly one `entity_id`. A provider accepts several of each (e.g. our own
//! `/saml/acs` and `https://signin.aws.amazon.com/saml`). So each provider keeps one template
//! ServiceProvider (entity id = first audience, ACS = first ACS URL), and each request clones it
//! with the accepted audience and ACS URL that the raw document names (falling back to the
//! first ones). The raw values only *select* the configuration: samael re-checks them on the
//! signed content, and we re-check the full sets again afterwards. The clone costs a few
//! microseconds next to ~1 ms of verification, and is simpler than a table of
//! audiences × ACS URLs pre-built providers that would have to be rebuilt on every metadata
//! refresh.

use std::fmt;
use std::sync::OnceLock;

use chrono::{DateTime, TimeDelta, Utc};
use openssl::pkey::{Id, PKey, Public};
use openssl::x509::X509;
use samael::crypto::{
    AllowedSignatureAlgorithm, CertificateDer, Crypto, CryptoProvider, ReduceMode,
};
use samael::key_info::{KeyInfo, X509Data};
use samael::metadata::{EntityDescriptor, IdpSsoDescriptor, KeyDescriptor};
use samael::schema::Assertion;
use samael::service_provider::{Error as SpError, ServiceProvider, ServiceProviderBuilder};

use super::assertion::{SamlAttribute, VerifiedAssertion};
use super::decrypt;
use super::error::SamlError;
use super::metadata::IdpMetadata;
use super::parse::{self, BEARER, RawFacts};
use super::sp_key::SpKey;

/// How long after its IssueInstant an assertion is accepted (plus the provider's skew). AWS
/// tooling presents the assertion right after the IdP issued it; IdPs typically give bearer
/// confirmations five minutes too.
pub(super) const MAX_ISSUE_DELAY: TimeDelta = TimeDelta::minutes(5);
/// Smallest accepted RSA modulus for an IdP signing certificate.
const MIN_RSA_BITS: u32 = 2048;
const STATUS_SUCCESS: &str = "urn:oasis:names:tc:SAML:2.0:status:Success";
const ENTITY_FORMAT: &str = "urn:oasis:names:tc:SAML:2.0:nameid-format:entity";

/// What a provider's configuration says about acceptable responses.
#[derive(Debug, Clone)]
pub(super) struct ProviderRules {
    pub(super) name: String,
    pub(super) arn: String,
    /// Non-empty (checked when the registry is built).
    pub(super) audiences: Vec<String>,
    /// Non-empty (checked when the registry is built).
    pub(super) acs_urls: Vec<String>,
    pub(super) allow_sha1: bool,
    pub(super) skew: TimeDelta,
}

/// One provider's current metadata, ready for samael. Immutable; a refresh replaces it.
pub(super) struct ProviderKeys {
    pub(super) entity_id: String,
    /// Where SP-initiated logins send the browser (metadata's HTTP-Redirect SSO endpoint).
    pub(super) sso_redirect_url: Option<String>,
    /// entity id = first audience, ACS = first ACS URL; see the module doc.
    template: ServiceProvider,
    cert_count: usize,
}

impl fmt::Debug for ProviderKeys {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ProviderKeys")
            .field("entity_id", &self.entity_id)
            .field("sso_redirect_url", &self.sso_redirect_url)
            .field("cert_count", &self.cert_count)
            .finish_non_exhaustive()
    }
}

impl ProviderKeys {
    /// Builds the samael configuration from parsed metadata. Refuses metadata without a usable
    /// signing certificate: samael would otherwise skip signature verification entirely.
    pub(super) fn new(metadata: &IdpMetadata, rules: &ProviderRules) -> Result<Self, String> {
        if metadata.signing_certs.is_empty() {
            return Err("metadata has no signing certificate".into());
        }
        let mut encoded = Vec::with_capacity(metadata.signing_certs.len());
        for (i, der) in metadata.signing_certs.iter().enumerate() {
            check_certificate(der).map_err(|e| format!("signing certificate {}: {e}", i + 1))?;
            encoded.push(base64::Engine::encode(
                &base64::engine::general_purpose::STANDARD,
                der,
            ));
        }
        let (Some(audience), Some(acs_url)) = (rules.audiences.first(), rules.acs_urls.first())
        else {
            return Err("needs at least one audience and one ACS URL".into());
        };
        let allowed = (!rules.allow_sha1).then(|| {
            vec![
                AllowedSignatureAlgorithm::RsaSha256,
                AllowedSignatureAlgorithm::RsaSha384,
                AllowedSignatureAlgorithm::RsaSha512,
                AllowedSignatureAlgorithm::EcdsaSha256,
                AllowedSignatureAlgorithm::EcdsaSha384,
            ]
        });
        let template = ServiceProviderBuilder::default()
            .entity_id(audience.clone())
            .acs_url(acs_url.clone())
            // The default points at localhost; it only feeds SP metadata, which we never
            // generate from this object, but leave nothing pointing at localhost.
            .metadata_url(None::<String>)
            .slo_url(None::<String>)
            .idp_metadata(entity_descriptor(&metadata.entity_id, encoded))
            // samael has no RSA-SHA1 variant: a provider that allows SHA-1 gets no samael
            // allow-list, and `parse::scan` is then the only algorithm check (it checks every
            // ds:Signature in the document either way).
            .allowed_signature_algorithms(allowed)
            // The API path has no AuthnRequest to answer; IdP-initiated is the norm. An
            // SP-initiated login matches `VerifiedAssertion::in_response_to` against the ID it
            // keeps in the browser session, which samael's list of request IDs cannot express.
            .allow_idp_initiated(true)
            .max_issue_delay(MAX_ISSUE_DELAY + rules.skew)
            .max_clock_skew(rules.skew)
            .build()
            .map_err(|e| format!("cannot configure samael: {e}"))?;
        // The guard that matters most: samael verifies nothing when it finds no signing cert.
        let cert_count = match template.idp_signing_certs() {
            Ok(Some(certs)) if certs.len() == metadata.signing_certs.len() => certs.len(),
            _ => return Err("samael does not see the signing certificates".into()),
        };
        Ok(Self {
            entity_id: metadata.entity_id.clone(),
            sso_redirect_url: metadata.sso_redirect_url.clone(),
            template,
            cert_count,
        })
    }

    /// The template with the audience and ACS URL this document claims, if accepted.
    fn specialise(&self, rules: &ProviderRules, facts: &RawFacts) -> ServiceProvider {
        let mut sp = self.template.clone();
        if let Some(audience) = facts.audiences.iter().find(|a| rules.audiences.contains(a)) {
            sp.entity_id = Some(audience.clone());
        }
        // A signed Response's Destination is compared with the same `acs_url` as the
        // Recipient, so prefer a Recipient equal to it.
        let accepted = |u: &&String| rules.acs_urls.contains(u);
        if let Some(acs) = facts
            .recipients
            .iter()
            .filter(accepted)
            .find(|r| facts.destination.as_ref().is_none_or(|d| d == *r))
            .or_else(|| facts.recipients.iter().find(accepted))
        {
            sp.acs_url = Some(acs.clone());
        }
        sp
    }
}

fn entity_descriptor(entity_id: &str, certs_b64: Vec<String>) -> EntityDescriptor {
    let key_descriptors = certs_b64
        .into_iter()
        .map(|cert| KeyDescriptor {
            key_use: Some("signing".into()),
            key_info: KeyInfo {
                id: None,
                x509_data: Some(X509Data {
                    certificates: vec![cert],
                }),
            },
            encryption_methods: None,
        })
        .collect();
    EntityDescriptor {
        entity_id: Some(entity_id.to_owned()),
        idp_sso_descriptors: Some(vec![IdpSsoDescriptor {
            id: None,
            valid_until: None,
            cache_duration: None,
            protocol_support_enumeration: Some("urn:oasis:names:tc:SAML:2.0:protocol".into()),
            error_url: None,
            signature: None,
            key_descriptors,
            organization: None,
            contact_people: Vec::new(),
            artifact_resolution_service: Vec::new(),
            single_logout_services: Vec::new(),
            manage_name_id_services: Vec::new(),
            name_id_formats: Vec::new(),
            want_authn_requests_signed: None,
            single_sign_on_services: Vec::new(),
            name_id_mapping_services: Vec::new(),
            assertion_id_request_services: Vec::new(),
            attribute_profiles: Vec::new(),
            attributes: Vec::new(),
        }]),
        ..EntityDescriptor::default()
    }
}

/// An X.509 certificate with an RSA (≥ 2048 bits) or EC public key. Expiry is not checked:
/// IdPs routinely sign with long-expired self-signed certificates, and AWS ignores it too;
/// what is trusted is the key the operator configured.
fn check_certificate(der: &[u8]) -> Result<(), String> {
    let cert = X509::from_der(der).map_err(|_| "not an X.509 certificate".to_owned())?;
    let key: PKey<Public> = cert
        .public_key()
        .map_err(|_| "unreadable public key".to_owned())?;
    match key.id() {
        Id::RSA if key.bits() >= MIN_RSA_BITS => Ok(()),
        Id::RSA => Err(format!(
            "RSA key of {} bits; at least {MIN_RSA_BITS} required",
            key.bits()
        )),
        Id::EC => Ok(()),
        _ => Err("key type is neither RSA nor EC".into()),
    }
}

/// Verifies one base64 SAMLResponse for one provider. See the module docs for the split of
/// work; the order of the checks is the order of the issue's list.
///
/// A Response holding an EncryptedAssertion is decrypted with `sp_key` first (see `decrypt`);
/// the document with the decrypted Assertion in its place then takes exactly the same path,
/// except that every refusal before its signature has verified is reported as the one
/// [`SamlError::DECRYPTION_FAILED`] (no oracle on the decrypted bytes).
pub(super) fn verify_response(
    rules: &ProviderRules,
    keys: &ProviderKeys,
    sp_key: Option<&SpKey>,
    saml_response_b64: &str,
    now: DateTime<Utc>,
) -> Result<VerifiedAssertion, SamlError> {
    let xml = parse::decode_response(saml_response_b64)?;
    let (xml, facts, decrypted) = match parse::scan(&xml, rules.allow_sha1) {
        // Only returned for a well-formed samlp:Response (see `Scan::finish`).
        Err(SamlError::EncryptedAssertion) => {
            let doc = decrypt::decrypt_response(&xml, sp_key)?;
            let facts = parse::scan(&doc, rules.allow_sha1).map_err(|e| decrypt::conceal(&e))?;
            (doc, facts, true)
        }
        scanned => (xml, scanned?, false),
    };
    if keys.cert_count == 0 {
        // Unreachable by construction; kept because the consequence would be no verification.
        return Err(SamlError::Internal);
    }
    let sp = keys.specialise(rules, &facts);
    let assertion = sp
        .parse_xml_response_with_mode(&xml, None, ReduceMode::ValidateAndMarkNoAncestors)
        .map_err(|e| match samael_error(&e) {
            // samael verifies the signatures before anything else: only this one can come
            // from unverified content.
            SamlError::BadSignature if decrypted => decrypt::conceal(&SamlError::BadSignature),
            other => other,
        })?;
    check_assertion(rules, keys, &facts, &assertion, now)
}

/// samael's errors, by meaning. Exhaustive on purpose: a new samael variant must be placed.
fn samael_error(e: &SpError) -> SamlError {
    match e {
        SpError::FailedToValidateSignature => SamlError::BadSignature,
        SpError::AssertionExpired { .. }
        | SpError::ResponseExpired { .. }
        | SpError::AssertionConditionExpired { .. }
        | SpError::AssertionSubjectConfirmationExpired { .. } => SamlError::Expired,
        SpError::AssertionConditionExpiredBefore { .. }
        | SpError::AssertionSubjectConfirmationExpiredBefore { .. } => SamlError::NotYetValid,
        SpError::AssertionIssuerMismatch { .. } | SpError::ResponseIssuerMismatch { .. } => {
            SamlError::IssuerMismatch
        }
        SpError::AssertionConditionAudienceRestrictionFailed { .. } => SamlError::AudienceMismatch,
        SpError::AssertionRecipientMismatch { .. } => SamlError::RecipientMismatch,
        SpError::AssertionBearerSubjectConfirmationMissing
        | SpError::AssertionSubjectConfirmationMissing => SamlError::MissingBearerConfirmation,
        SpError::DestinationValidationError { .. } => SamlError::DestinationMismatch,
        SpError::ResponseBadStatusCode { .. } => SamlError::StatusNotSuccess,
        SpError::EncryptedAssertionsNotYetSupported
        | SpError::MissingPrivateKeySP
        | SpError::MissingEncryptedKeyInfo
        | SpError::MissingEncryptedValueInfo
        | SpError::EncryptedAssertionKeyMethodUnsupported { .. }
        | SpError::EncryptedAssertionValueMethodUnsupported { .. }
        | SpError::EncryptedAssertionInvalid
        | SpError::FailedToDecryptAssertion => SamlError::EncryptedAssertion,
        // InResponseTo cannot fail with allow_idp_initiated; if it ever does, it is not ours.
        SpError::AssertionInResponseToInvalid { .. }
        | SpError::ResponseInResponseToInvalid { .. }
        | SpError::DeserializeResponseError
        | SpError::UnexpectedError
        | SpError::FailedToParseSamlResponse(_)
        | SpError::FailedToParseSamlAssertion(_)
        | SpError::CryptoXmlError(_) => SamlError::InvalidAssertion,
        SpError::FailedToParseCert { .. }
        | SpError::CryptoProviderError(_)
        | SpError::UnsupportedKey
        | SpError::MissingAcsUrl
        | SpError::MissingSloUrl => SamlError::Internal,
    }
}

/// The checks on samael's verified (signed-only) assertion, with our clock.
fn check_assertion(
    rules: &ProviderRules,
    keys: &ProviderKeys,
    facts: &RawFacts,
    assertion: &Assertion,
    now: DateTime<Utc>,
) -> Result<VerifiedAssertion, SamlError> {
    let skew = rules.skew;
    // Issuer: the metadata's entity id, in the entity format if a format is given.
    let issuer = &assertion.issuer;
    if issuer.value.as_deref() != Some(keys.entity_id.as_str())
        || issuer.format.as_deref().is_some_and(|f| f != ENTITY_FORMAT)
    {
        return Err(SamlError::IssuerMismatch);
    }
    if assertion.issue_instant > now + skew {
        return Err(SamlError::NotYetValid);
    }
    if assertion.issue_instant + MAX_ISSUE_DELAY + skew < now {
        return Err(SamlError::Expired);
    }
    // Conditions with an AudienceRestriction, every restriction naming one of our audiences.
    let conditions = assertion
        .conditions
        .as_ref()
        .ok_or(SamlError::MissingConditions)?;
    let restrictions = conditions
        .audience_restrictions
        .as_deref()
        .filter(|r| !r.is_empty())
        .ok_or(SamlError::MissingAudienceRestriction)?;
    if !restrictions
        .iter()
        .all(|r| r.audience.iter().any(|a| rules.audiences.contains(a)))
    {
        return Err(SamlError::AudienceMismatch);
    }
    let mut audiences: Vec<String> = Vec::new();
    for a in restrictions.iter().flat_map(|r| &r.audience) {
        if !audiences.contains(a) {
            audiences.push(a.clone());
        }
    }
    // Bearer confirmation for one of our ACS URLs, still valid.
    let bearer = bearer_confirmation(rules, assertion, now)?;
    if let Some(not_before) = conditions.not_before
        && now + skew < not_before
    {
        return Err(SamlError::NotYetValid);
    }
    if let Some(not_on_or_after) = conditions.not_on_or_after
        && now >= not_on_or_after + skew
    {
        return Err(SamlError::Expired);
    }
    // The Response shell: signed (samael checked it against one ACS URL) or not (then these
    // are the sender's claims, which must still be consistent).
    if let Some(destination) = &facts.destination
        && !rules.acs_urls.contains(destination)
    {
        return Err(SamlError::DestinationMismatch);
    }
    if let Some(status) = &facts.status_code
        && status != STATUS_SUCCESS
    {
        return Err(SamlError::StatusNotSuccess);
    }
    if let Some(response_issuer) = &facts.response_issuer
        && response_issuer.trim() != keys.entity_id
    {
        return Err(SamlError::IssuerMismatch);
    }
    let in_response_to = in_response_to(facts, bearer.in_response_to)?;
    let name_id = assertion
        .subject
        .as_ref()
        .and_then(|s| s.name_id.as_ref())
        .filter(|n| !n.value.trim().is_empty())
        .ok_or(SamlError::MissingNameId)?;

    let latest_not_on_or_after = conditions
        .not_on_or_after
        .map_or(bearer.not_on_or_after, |c| c.max(bearer.not_on_or_after));
    let session_not_on_or_after = assertion
        .authn_statements
        .iter()
        .flatten()
        .filter_map(|s| s.session_not_on_or_after)
        .min();
    Ok(VerifiedAssertion {
        provider: rules.name.clone(),
        provider_arn: rules.arn.clone(),
        issuer: keys.entity_id.clone(),
        assertion_id: assertion.id.clone(),
        issued_at: assertion.issue_instant,
        replay_expires_at: latest_not_on_or_after + skew,
        name_id: name_id.value.clone(),
        name_id_format: name_id.format.clone(),
        recipient: bearer.recipient,
        in_response_to,
        audiences,
        session_not_on_or_after,
        attributes: attributes(assertion),
    })
}

/// Attributes with a Name, in document order; a value without text is an empty string.
fn attributes(assertion: &Assertion) -> Vec<SamlAttribute> {
    assertion
        .attribute_statements
        .iter()
        .flatten()
        .flat_map(|s| &s.attributes)
        .filter_map(|a| {
            Some(SamlAttribute {
                name: a.name.clone()?,
                friendly_name: a.friendly_name.clone(),
                values: a
                    .values
                    .iter()
                    .map(|v| v.value.clone().unwrap_or_default())
                    .collect(),
            })
        })
        .collect()
}

/// The request a verified assertion answers, from signed content only: the accepted bearer
/// confirmation's `InResponseTo` (inside the signed Assertion) and, when the Response itself is
/// signed, the Response's. An unsigned Response shell's value is ignored: anyone relaying the
/// assertion could have written it. Two signed values that differ would let the caller's
/// answer depend on which one it reads, so they are refused.
fn in_response_to(
    facts: &RawFacts,
    confirmation: Option<String>,
) -> Result<Option<String>, SamlError> {
    let response = facts
        .in_response_to
        .as_ref()
        .filter(|_| facts.response_signed);
    match (confirmation, response) {
        (Some(c), Some(r)) if c != *r => Err(SamlError::InResponseToMismatch),
        (Some(c), _) => Ok(Some(c)),
        (None, r) => Ok(r.cloned()),
    }
}

/// The accepted bearer SubjectConfirmationData.
#[derive(Debug)]
struct Bearer {
    recipient: String,
    not_on_or_after: DateTime<Utc>,
    in_response_to: Option<String>,
}

/// The first bearer SubjectConfirmation whose data names an accepted Recipient and is valid
/// now. Otherwise the first reason one failed.
fn bearer_confirmation(
    rules: &ProviderRules,
    assertion: &Assertion,
    now: DateTime<Utc>,
) -> Result<Bearer, SamlError> {
    let skew = rules.skew;
    let mut first_error = None;
    let bearers = assertion
        .subject
        .iter()
        .flat_map(|s| s.subject_confirmations.iter().flatten())
        .filter(|c| c.method.as_deref() == Some(BEARER));
    for confirmation in bearers {
        let checked = (|| {
            let data = confirmation
                .subject_confirmation_data
                .as_ref()
                .ok_or(SamlError::MissingBearerConfirmation)?;
            let not_on_or_after = data
                .not_on_or_after
                .ok_or(SamlError::MissingBearerConfirmation)?;
            let recipient = data
                .recipient
                .as_ref()
                .filter(|r| rules.acs_urls.contains(r))
                .ok_or(SamlError::RecipientMismatch)?;
            if now >= not_on_or_after + skew {
                return Err(SamlError::Expired);
            }
            if data.not_before.is_some_and(|nb| now + skew < nb) {
                return Err(SamlError::NotYetValid);
            }
            Ok(Bearer {
                recipient: recipient.clone(),
                not_on_or_after,
                in_response_to: data.in_response_to.clone(),
            })
        })();
        match checked {
            Ok(found) => return Ok(found),
            Err(e) => {
                first_error.get_or_insert(e);
            }
        }
    }
    Err(first_error.unwrap_or(SamlError::MissingBearerConfirmation))
}

/// Signs and verifies a tiny document once per process with a throwaway P-256 key, through
/// the same samael path requests take.
///
/// samael initialises libxml2/xmlsec lazily on first use; doing it here, at startup, keeps that
/// first initialisation off concurrent request threads (libxml2 2.9's `xmlInitParser` is not
/// safe to race) and proves the linked xmlsec actually works before we accept traffic. The
/// process-wide `OnceLock` mirrors the process-wide state of the C libraries.
pub(super) fn self_test() -> Result<(), String> {
    static RESULT: OnceLock<Result<(), String>> = OnceLock::new();
    RESULT.get_or_init(run_self_test).clone()
}

fn run_self_test() -> Result<(), String> {
    use openssl::asn1::Asn1Time;
    use openssl::bn::BigNum;
    use openssl::ec::{EcGroup, EcKey};
    use openssl::hash::MessageDigest;
    use openssl::nid::Nid;
    use openssl::x509::X509NameBuilder;

    let fail = |what: &str| format!("XML signature self-test: {what}");
    let group = EcGroup::from_curve_name(Nid::X9_62_PRIME256V1).map_err(|_| fail("EC group"))?;
    let key = EcKey::generate(&group)
        .and_then(PKey::from_ec_key)
        .map_err(|_| fail("key generation"))?;
    let cert = (|| {
        let mut name = X509NameBuilder::new()?;
        name.append_entry_by_nid(Nid::COMMONNAME, "stsbridge self-test")?;
        let name = name.build();
        let mut builder = X509::builder()?;
        builder.set_version(2)?;
        let serial = BigNum::from_u32(1)?.to_asn1_integer()?;
        builder.set_serial_number(&serial)?;
        builder.set_subject_name(&name)?;
        builder.set_issuer_name(&name)?;
        builder.set_pubkey(&key)?;
        builder.set_not_before(&*Asn1Time::days_from_now(0)?)?;
        builder.set_not_after(&*Asn1Time::days_from_now(1)?)?;
        builder.sign(&key, MessageDigest::sha256())?;
        builder.build().to_der()
    })()
    .map_err(|_: openssl::error::ErrorStack| fail("certificate"))?;
    let template = r##"<t:Doc xmlns:t="urn:stsbridge:self-test" ID="self-test"><ds:Signature xmlns:ds="http://www.w3.org/2000/09/xmldsig#"><ds:SignedInfo><ds:CanonicalizationMethod Algorithm="http://www.w3.org/2001/10/xml-exc-c14n#"/><ds:SignatureMethod Algorithm="http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha256"/><ds:Reference URI="#self-test"><ds:Transforms><ds:Transform Algorithm="http://www.w3.org/2000/09/xmldsig#enveloped-signature"/><ds:Transform Algorithm="http://www.w3.org/2001/10/xml-exc-c14n#"/></ds:Transforms><ds:DigestMethod Algorithm="http://www.w3.org/2001/04/xmlenc#sha256"/><ds:DigestValue/></ds:Reference></ds:SignedInfo><ds:SignatureValue/></ds:Signature><t:Value>ok</t:Value></t:Doc>"##;
    let key_der = key
        .private_key_to_pkcs8()
        .map_err(|_| fail("key encoding"))?;
    let signed = Crypto::sign_xml(template, &key_der).map_err(|_| fail("signing"))?;
    let reduced = Crypto::reduce_xml_to_signed_with_allowed_algorithms(
        &signed,
        &[CertificateDer::from(cert)],
        ReduceMode::ValidateAndMarkNoAncestors,
        Some(&[AllowedSignatureAlgorithm::EcdsaSha256]),
    )
    .map_err(|_| fail("verification"))?;
    if reduced.contains("<t:Value>ok</t:Value>") {
        Ok(())
    } else {
        Err(fail("unexpected output"))
    }
}

#[cfg(test)]
impl ProviderKeys {
    /// samael alone on `xml`, with the template configuration and none of our checks: what the
    /// XSW tests compare against.
    pub(super) fn samael_only(&self, xml: &str) -> Result<Assertion, SpError> {
        self.template.parse_xml_response_with_mode(
            xml,
            None,
            ReduceMode::ValidateAndMarkNoAncestors,
        )
    }
}
