//! Encoded authorization failure messages.
//!
//! An `AccessDenied` tells the client only that it was refused; why (which policy, statement
//! or condition) may reveal policy contents, so it travels sealed inside the error message and
//! is readable only through `DecodeAuthorizationMessage` by callers allowed to decode.
//!
//! Wire form: base64url( version ‖ key id ‖ nonce ‖ AES-256-GCM(record JSON) ), with its own
//! associated data so a denial can never be opened as a session token or the other way round.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::error::{SealError, TokenError};
use super::keyring::{Keyring, Purpose, open_text, seal_text};

const VERSION: u8 = 1;
const AAD: &[u8] = b"stsbridge-authorization-denial";
/// AWS caps `EncodedMessage` at 10,240 characters; our records are far smaller.
pub(crate) const MAX_ENCODED_LEN: usize = 10_240;
/// Reasons are ours, but may quote caller input (a role ARN, a session name): bounded, as are
/// the other fields.
const MAX_REASON_LEN: usize = 2048;
const MAX_FIELD_LEN: usize = 1024;
/// The sealed JSON is padded to a multiple of this, so a message's length says nothing about
/// which check refused (e.g. "no such role" against "trust policy said no").
const PAD_TO: usize = 1024;

/// What was refused and why, as sealed into an `AccessDenied` message.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct Denial {
    /// The signed caller, when there was one (web identity and SAML callers are anonymous).
    pub(crate) principal: Option<String>,
    /// `sts:AssumeRole`, …
    pub(crate) action: String,
    /// The role or resource the action was aimed at, when known.
    pub(crate) resource: Option<String>,
    /// The check that said no: "trust policy of … implicit deny", "explicit deny (statement X)".
    pub(crate) reason: String,
    /// A Deny statement decided (not merely no Allow).
    pub(crate) explicit_deny: bool,
    pub(crate) at: DateTime<Utc>,
}

/// Seals a denial into the text clients see after "Encoded authorization failure message: ".
pub(crate) fn seal(keyring: &Keyring, denial: &Denial) -> Result<String, SealError> {
    let mut denial = denial.clone();
    // At these bounds the padded message still fits MAX_ENCODED_LEN (tested).
    truncate(&mut denial.reason, MAX_REASON_LEN);
    if let Some(resource) = &mut denial.resource {
        truncate(resource, MAX_REASON_LEN);
    }
    if let Some(principal) = &mut denial.principal {
        truncate(principal, MAX_FIELD_LEN);
    }
    truncate(&mut denial.action, MAX_FIELD_LEN);
    let mut plain = serde_json::to_vec(&denial).map_err(|e| SealError::Encode(e.to_string()))?;
    // Trailing whitespace is valid JSON: pad with spaces.
    plain.resize(plain.len().div_ceil(PAD_TO) * PAD_TO, b' ');
    seal_text(keyring, Purpose::DenialMessage, AAD, VERSION, &plain)
}

fn truncate(text: &mut String, max: usize) {
    if text.len() > max {
        let mut cut = max;
        while !text.is_char_boundary(cut) {
            cut -= 1;
        }
        text.truncate(cut);
    }
}

/// Opens a message sealed by [`seal`] with any key of the ring.
pub(crate) fn open(keyring: &Keyring, encoded: &str) -> Result<Denial, TokenError> {
    let plain = open_text(
        keyring,
        Purpose::DenialMessage,
        AAD,
        VERSION,
        encoded,
        MAX_ENCODED_LEN,
    )?;
    serde_json::from_slice(&plain).map_err(|_| TokenError::Malformed)
}

#[cfg(test)]
mod tests {
    use super::*;
    use base64::Engine;
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;

    fn t0() -> DateTime<Utc> {
        DateTime::from_timestamp(1_800_000_000, 0).unwrap_or_default()
    }

    fn sample(now: DateTime<Utc>) -> Denial {
        Denial {
            principal: Some("arn:aws:iam::000000000000:user/dev".into()),
            action: "sts:AssumeRole".into(),
            resource: Some("arn:aws:iam::000000000000:role/r".into()),
            reason: "trust policy: implicit deny".into(),
            explicit_deny: false,
            at: now,
        }
    }

    #[test]
    fn round_trips_and_survives_rotation() {
        let now = t0();
        let ring = Keyring::generate(now);
        let sealed = seal(&ring, &sample(now)).unwrap();
        assert_eq!(open(&ring, &sealed).unwrap(), sample(now));
        let rotated = ring.rotated(now);
        assert_eq!(open(&rotated, &sealed).unwrap(), sample(now));
    }

    #[test]
    fn refuses_tampering_other_keyrings_and_session_tokens() {
        let now = t0();
        let ring = Keyring::generate(now);
        let sealed = seal(&ring, &sample(now)).unwrap();
        let mut bytes = URL_SAFE_NO_PAD.decode(&sealed).unwrap();
        let last = bytes.len() - 1;
        bytes[last] ^= 1;
        assert!(matches!(
            open(&ring, &URL_SAFE_NO_PAD.encode(&bytes)),
            Err(TokenError::Tampered)
        ));
        assert!(matches!(
            open(&Keyring::generate(now), &sealed),
            Err(TokenError::UnknownKey)
        ));
        // A session token is sealed under another associated data: never a denial.
        let token = super::super::session_token::seal(
            &ring,
            &super::super::session_token::sample_claims(now),
        )
        .unwrap();
        assert!(open(&ring, token.expose()).is_err());
        assert!(matches!(
            open(&ring, &"A".repeat(MAX_ENCODED_LEN + 1)),
            Err(TokenError::Malformed)
        ));
    }

    #[test]
    fn lengths_do_not_tell_reasons_apart() {
        let ring = Keyring::generate(t0());
        let mut short = sample(t0());
        short.reason = "role not configured".into();
        let mut long = sample(t0());
        long.reason = format!(
            "trust policy of {}: not applicable (implicit deny)",
            "x".repeat(200)
        );
        assert_eq!(
            seal(&ring, &short).unwrap().len(),
            seal(&ring, &long).unwrap().len()
        );
        // Every field at its bound still fits what DecodeAuthorizationMessage accepts.
        let mut huge = sample(t0());
        huge.reason = "r".repeat(100_000);
        huge.resource = Some("a".repeat(100_000));
        huge.principal = Some("p".repeat(100_000));
        huge.action = "x".repeat(100_000);
        let sealed = seal(&ring, &huge).unwrap();
        assert!(sealed.len() <= MAX_ENCODED_LEN, "{}", sealed.len());
        assert!(open(&ring, &sealed).is_ok());
    }

    #[test]
    fn long_reasons_are_cut_on_a_char_boundary() {
        let now = t0();
        let ring = Keyring::generate(now);
        let mut d = sample(now);
        d.reason = "é".repeat(MAX_REASON_LEN);
        let opened = open(&ring, &seal(&ring, &d).unwrap()).unwrap();
        assert!(opened.reason.len() <= MAX_REASON_LEN);
        assert!(opened.reason.chars().all(|c| c == 'é'));
    }
}
