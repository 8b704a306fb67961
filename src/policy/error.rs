//! `PolicyError`: why a policy document was refused.
//!
//! Every variant becomes `MalformedPolicyDocument` at the protocol edge, and its `Display` text
//! is the message sent to the caller. The messages therefore follow IAM's wording where we know
//! it and never contain more than a short, sanitised excerpt of the caller's own input (see
//! [`excerpt`]); nothing internal leaks through them.

use super::json::MAX_POLICY_BYTES;

/// A policy document that the strict parser refused, and why.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PolicyError {
    /// The text is longer than [`MAX_POLICY_BYTES`]; refused before any parsing.
    #[error("Policy document exceeds the maximum size of {MAX_POLICY_BYTES} bytes.")]
    TooLarge { len: usize },
    /// The text is not well-formed JSON. The detail is `serde_json`'s fixed vocabulary plus a
    /// position, never a fragment of the input.
    #[error("Syntax errors in policy: {0}.")]
    Syntax(String),
    /// The same object key appears twice. Last-wins parsers let two readers of one document
    /// disagree on what it says, so the document is refused instead of picking one.
    #[error("Syntax errors in policy: duplicate key at line {line} column {column}.")]
    DuplicateKey { line: usize, column: usize },
    /// Arrays/objects nested deeper than any valid policy can be.
    #[error("Syntax errors in policy: nesting is deeper than the policy grammar allows.")]
    TooDeep,
    /// A JSON value has the wrong type for its place in the grammar.
    #[error("{field} must be {expected}.")]
    WrongType {
        field: &'static str,
        expected: &'static str,
    },
    /// An object holds a key the grammar does not define at that place.
    #[error("{context} has unsupported field {name}.")]
    UnknownField { context: &'static str, name: String },
    #[error("Missing required field {0}.")]
    MissingField(&'static str),
    #[error("Has prohibited field {0}.")]
    ProhibitedField(&'static str),
    /// Identity and session policies apply to the caller; naming a principal makes no sense.
    #[error("Policy document should not specify a principal.")]
    PrincipalNotAllowed,
    /// Both halves of an element pair such as `Action`/`NotAction` are present.
    #[error("Statement cannot contain both {0} and {1}.")]
    ConflictingFields(&'static str, &'static str),
    /// A list element (`Statement`, `Action`, a condition value list, ...) is empty.
    #[error("{0} must not be empty.")]
    EmptyList(&'static str),
    #[error("The policy version {0} is not supported; use 2012-10-17 or 2008-10-17.")]
    UnsupportedVersion(String),
    #[error("Effect {0} is not valid; use Allow or Deny.")]
    InvalidEffect(String),
    #[error(
        "Statement IDs (SID) must be alpha-numeric. Check that your input satisfies the regular \
         expression [0-9A-Za-z]*"
    )]
    InvalidSid,
    #[error("Statement IDs (SID) in a single policy must be unique: {0}.")]
    DuplicateSid(String),
    #[error("Action {0} is not valid; actions must be \"*\" or vendor:ActionName.")]
    InvalidAction(String),
    /// A trust policy names an action that no role assumption can request.
    #[error("Trust policy action {0} is not an sts role-assumption action.")]
    TrustActionNotAllowed(String),
    #[error("Resource {0} must be in ARN format or \"*\".")]
    InvalidResource(String),
    #[error("Invalid principal in policy: {0}")]
    InvalidPrincipal(String),
    #[error("Principal type {0} is not supported; use AWS, Federated, Service or CanonicalUser.")]
    UnknownPrincipalKind(String),
    #[error("Invalid Condition type : {0}")]
    UnknownConditionOperator(String),
    #[error("Condition key {0} is not valid; keys must be prefaced by a vendor, e.g. aws:.")]
    InvalidConditionKey(String),
    /// Condition keys compare case-insensitively, so `aws:UserName` and `aws:username` in one
    /// operator block would be two readings of the same key.
    #[error("Condition key {0} appears more than once in one condition operator.")]
    DuplicateConditionKey(String),
    /// Writing the canonical JSON failed; cannot happen for parsed policies.
    #[error("Policy could not be encoded.")]
    Encode,
}

/// The longest piece of caller input quoted back in an error message.
const EXCERPT_CHARS: usize = 64;

/// A bounded, printable-ASCII-only rendering of caller input for error messages, so that an
/// error cannot carry control characters, markup-confusing text or a megabyte of input.
pub(crate) fn excerpt(text: &str) -> String {
    let mut out: String = text
        .chars()
        .take(EXCERPT_CHARS)
        .map(|c| {
            if c.is_ascii_graphic() || c == ' ' {
                c
            } else {
                '?'
            }
        })
        .collect();
    if text.chars().nth(EXCERPT_CHARS).is_some() {
        out.push_str("...");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn excerpt_is_bounded_and_printable() {
        assert_eq!(excerpt("s3:GetObject"), "s3:GetObject");
        assert_eq!(excerpt("a\u{0}b\u{e9}"), "a?b?");
        let long = "x".repeat(1000);
        assert_eq!(excerpt(&long).len(), EXCERPT_CHARS + 3);
    }

    #[test]
    fn messages_follow_iam_wording() {
        assert_eq!(
            PolicyError::PrincipalNotAllowed.to_string(),
            "Policy document should not specify a principal."
        );
        assert_eq!(
            PolicyError::ProhibitedField("Resource").to_string(),
            "Has prohibited field Resource."
        );
        assert_eq!(
            PolicyError::TooLarge { len: 200_000 }.to_string(),
            "Policy document exceeds the maximum size of 131072 bytes."
        );
    }
}
