//! Secrets as types: redacted in `Debug`/`Display`/`Serialize`, zeroised on drop, compared only
//! in constant time, read only through `expose()`. No `PartialEq`, so `==` does not compile.

use std::fmt;

use subtle::ConstantTimeEq;
use zeroize::Zeroizing;

/// Any secret string (session token, ID token, SAML assertion, TOTP seed, …).
#[derive(Clone)]
pub struct Secret(Zeroizing<String>);

impl Secret {
    pub fn new(value: impl Into<String>) -> Self {
        Self(Zeroizing::new(value.into()))
    }

    pub fn expose(&self) -> &str {
        &self.0
    }

    /// Constant-time equality (length is not hidden).
    pub fn ct_eq(&self, other: &str) -> bool {
        self.0.as_bytes().ct_eq(other.as_bytes()).into()
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(<redacted>)")
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("<redacted>")
    }
}

impl serde::Serialize for Secret {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str("<redacted>")
    }
}

impl<'de> serde::Deserialize<'de> for Secret {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        String::deserialize(d).map(Self::new)
    }
}

/// An AWS secret access key: 40 characters for the ones the bridge mints; configured users may
/// bring their own (16..=128 printable ASCII characters).
#[derive(Clone)]
pub struct SecretAccessKey(Secret);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("a secret access key is 16 to 128 printable ASCII characters")]
pub struct InvalidSecretAccessKey;

impl SecretAccessKey {
    pub fn parse(value: &str) -> Result<Self, InvalidSecretAccessKey> {
        let ok = (16..=128).contains(&value.len()) && value.bytes().all(|b| b.is_ascii_graphic());
        if ok {
            Ok(Self(Secret::new(value)))
        } else {
            Err(InvalidSecretAccessKey)
        }
    }

    /// A fresh 40-character key from the CSPRNG (base64 alphabet, like AWS's).
    pub fn generate() -> Self {
        let mut raw = Zeroizing::new([0u8; 30]);
        fill_random(raw.as_mut());
        let text = base64::Engine::encode(&base64::engine::general_purpose::STANDARD, raw.as_ref());
        Self(Secret::new(text))
    }

    pub fn expose(&self) -> &str {
        self.0.expose()
    }
}

impl fmt::Debug for SecretAccessKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SecretAccessKey(<redacted>)")
    }
}

/// Fills `buf` from the system CSPRNG. aws-lc's RNG failing means the process cannot make
/// secrets at all; there is no safe fallback, so it aborts rather than return weak bytes.
pub fn fill_random(buf: &mut [u8]) {
    if aws_lc_rs::rand::fill(buf).is_err() {
        std::process::abort();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_never_print() {
        let s = Secret::new("hunter2");
        assert_eq!(format!("{s:?} {s}"), "Secret(<redacted>) <redacted>");
        assert_eq!(serde_json::to_string(&s).unwrap(), "\"<redacted>\"");
        assert!(s.ct_eq("hunter2"));
        assert!(!s.ct_eq("hunter3"));
        let k = SecretAccessKey::generate();
        assert_eq!(k.expose().len(), 40);
        assert!(!format!("{k:?}").contains(k.expose()));
    }

    #[test]
    fn secret_access_key_bounds() {
        assert!(SecretAccessKey::parse("short").is_err());
        assert!(SecretAccessKey::parse("wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY").is_ok());
        assert!(SecretAccessKey::parse("has space in it.........").is_err());
    }
}
