//! What a successful verification hands out: the checked assertion, in our own types.
//!
//! A leaf of its own because `verify` builds it and the registry in `mod.rs` returns it.

use chrono::{DateTime, Utc};

/// A SAML assertion whose signature, issuer, audience, recipient and times have been checked.
/// Everything in it comes from signed content (or from our configuration). Serializable so a
/// browser session can keep it server-side between the ACS and the role choice.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct VerifiedAssertion {
    /// The SAML provider's name, and its ARN (`arn:aws:iam::ACCT:saml-provider/NAME`).
    pub provider: String,
    pub provider_arn: String,
    /// The IdP's entity id (equal to the assertion's Issuer).
    pub issuer: String,
    /// For the replay cache, which the caller keeps.
    pub assertion_id: String,
    /// The assertion's IssueInstant (checked not to be in the future): when the IdP vouched.
    pub issued_at: DateTime<Utc>,
    /// Until when the id must be remembered: the latest NotOnOrAfter of the Conditions and the
    /// accepted bearer confirmation, plus the provider's clock skew.
    pub replay_expires_at: DateTime<Utc>,
    pub name_id: String,
    pub name_id_format: Option<String>,
    /// The accepted ACS URL the bearer confirmation names (AWS's `Audience` output, `saml:aud`).
    pub recipient: String,
    /// The AuthnRequest this assertion answers (`None`: IdP-initiated). From the accepted bearer
    /// confirmation, or from the Response when the Response itself is signed; when both are
    /// present they are equal (verification refuses them otherwise). Unchecked here: an
    /// SP-initiated flow compares it with the ID it sent.
    pub in_response_to: Option<String>,
    /// Every Audience of the assertion's AudienceRestrictions, deduplicated, in document order.
    pub audiences: Vec<String>,
    /// The earliest `SessionNotOnOrAfter` of the AuthnStatements, if any.
    pub session_not_on_or_after: Option<DateTime<Utc>>,
    /// Attributes with a Name, in document order (same-named attributes are not merged).
    pub attributes: Vec<SamlAttribute>,
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct SamlAttribute {
    pub name: String,
    pub friendly_name: Option<String>,
    /// Text of each AttributeValue (an empty element gives an empty string).
    pub values: Vec<String>,
}

impl VerifiedAssertion {
    /// The values of the attribute named `name` (all same-named attributes together).
    pub fn attribute_values(&self, name: &str) -> impl Iterator<Item = &str> {
        self.attributes
            .iter()
            .filter(move |a| a.name == name)
            .flat_map(|a| a.values.iter().map(String::as_str))
    }
}
