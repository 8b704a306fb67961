//! Access key ids: `AKIA…` for long-term users from config, `ASIA…` for temporary credentials.
//! Both are 20 characters: the prefix plus 16 upper-case letters or digits. Ids the bridge mints
//! use the base32 alphabet `A-Z2-7`; configured ids may use any digit (AWS's own examples do).

use std::fmt;
use std::str::FromStr;

use super::secret::fill_random;

const BASE32: &[u8; 32] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AccessKeyKind {
    /// `AKIA`: a long-term key of a configured user.
    LongTerm,
    /// `ASIA`: temporary credentials; requests must carry the session token.
    Temporary,
}

impl AccessKeyKind {
    fn prefix(self) -> &'static str {
        match self {
            Self::LongTerm => "AKIA",
            Self::Temporary => "ASIA",
        }
    }
}

/// A syntactically valid access key id.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct AccessKeyId {
    text: String,
    kind: AccessKeyKind,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("an access key id is AKIA or ASIA followed by 16 upper-case letters or digits")]
pub struct InvalidAccessKeyId;

impl AccessKeyId {
    /// A fresh random id of the given kind (80 bits of entropy).
    pub fn generate(kind: AccessKeyKind) -> Self {
        let mut raw = [0u8; 16];
        fill_random(&mut raw);
        let mut text = String::with_capacity(20);
        text.push_str(kind.prefix());
        // `b & 31` is always a valid index into the 32-letter alphabet.
        text.extend(
            raw.iter()
                .filter_map(|b| BASE32.get(usize::from(b & 31)).copied().map(char::from)),
        );
        Self { text, kind }
    }

    pub fn kind(&self) -> AccessKeyKind {
        self.kind
    }

    pub fn as_str(&self) -> &str {
        &self.text
    }
}

impl FromStr for AccessKeyId {
    type Err = InvalidAccessKeyId;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let kind = if s.starts_with("AKIA") {
            AccessKeyKind::LongTerm
        } else if s.starts_with("ASIA") {
            AccessKeyKind::Temporary
        } else {
            return Err(InvalidAccessKeyId);
        };
        let body = s.get(4..).ok_or(InvalidAccessKeyId)?;
        if body.len() == 16
            && body
                .bytes()
                .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit())
        {
            Ok(Self {
                text: s.to_owned(),
                kind,
            })
        } else {
            Err(InvalidAccessKeyId)
        }
    }
}

impl fmt::Display for AccessKeyId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_ids_parse_back() {
        for kind in [AccessKeyKind::LongTerm, AccessKeyKind::Temporary] {
            let id = AccessKeyId::generate(kind);
            assert_eq!(id.as_str().len(), 20);
            let back: AccessKeyId = id.as_str().parse().unwrap();
            assert_eq!(back, id);
            assert_eq!(back.kind(), kind);
        }
    }

    #[test]
    fn rejects_other_shapes() {
        for bad in [
            "",
            "AKIA",
            "AKIAEXAMPLEADMIN000",
            "AKIAEXAMPLEADMIN00011",
            "AKIAexampleadmin0001",
            "AROAEXAMPLEADMIN0001",
            "AKIAEXAMPLE+ADMIN001",
        ] {
            assert!(bad.parse::<AccessKeyId>().is_err(), "{bad}");
        }
        assert!("AKIAEXAMPLEADMIN0001".parse::<AccessKeyId>().is_ok());
    }
}
