//! `RoleSessionName`: the name a session carries in its ARN
//! (`…:assumed-role/<role>/<session name>`), `[\w+=,.@-]{2,64}` in AWS's model. The same
//! alphabet and bounds hold for SourceIdentity, which [`is_session_name`] checks as well.

use std::fmt;
use std::str::FromStr;

use super::arn::is_iam_name_char;

/// Shortest and longest session name.
pub const SESSION_NAME_MIN: usize = 2;
pub const SESSION_NAME_MAX: usize = 64;

/// The pattern, as AWS's messages quote it.
pub const SESSION_NAME_PATTERN: &str = "[a-zA-Z_0-9+=,.@-]{2,64}";

/// Whether `text` has the session-name alphabet and length.
pub fn is_session_name(text: &str) -> bool {
    (SESSION_NAME_MIN..=SESSION_NAME_MAX).contains(&text.len())
        && text.chars().all(is_iam_name_char)
}

/// A valid session name.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct SessionName(String);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("a session name must match {SESSION_NAME_PATTERN}")]
pub struct InvalidSessionName;

impl SessionName {
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// A fixed valid name, for a tool that evaluates trust policies without a usable one
    /// (`stsbridge rules explain` given an invalid name says so and goes on with this).
    pub fn fallback() -> Self {
        Self("session".to_owned())
    }

    /// The longest valid name `text` gives once characters outside the alphabet are dropped
    /// and it is cut to 64: how a claim such as an e-mail address becomes a session name.
    pub fn sanitized(text: &str) -> Option<Self> {
        let kept: String = text
            .chars()
            .filter(|c| is_iam_name_char(*c))
            .take(SESSION_NAME_MAX)
            .collect();
        kept.parse().ok()
    }
}

impl FromStr for SessionName {
    type Err = InvalidSessionName;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        if is_session_name(text) {
            Ok(Self(text.to_owned()))
        } else {
            Err(InvalidSessionName)
        }
    }
}

impl fmt::Display for SessionName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl From<SessionName> for String {
    fn from(name: SessionName) -> Self {
        name.0
    }
}

impl AsRef<str> for SessionName {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bounds_and_alphabet() {
        assert!("ab".parse::<SessionName>().is_ok());
        assert!("a".parse::<SessionName>().is_err());
        assert!("a".repeat(64).parse::<SessionName>().is_ok());
        assert!("a".repeat(65).parse::<SessionName>().is_err());
        assert!("alice@example.com,+=.-_".parse::<SessionName>().is_ok());
        for bad in ["al ice", "al/ice", "alice:x", "ålice", "al\nice"] {
            assert!(bad.parse::<SessionName>().is_err(), "{bad:?}");
        }
    }

    #[test]
    fn sanitizing_keeps_the_alphabet_and_the_bound() {
        let s = SessionName::sanitized("Ann Lee <ann@example.com>").unwrap();
        assert_eq!(s.as_str(), "AnnLeeann@example.com");
        assert_eq!(
            SessionName::sanitized(&"x".repeat(100))
                .unwrap()
                .as_str()
                .len(),
            64
        );
        assert!(SessionName::sanitized("é!").is_none());
    }
}
