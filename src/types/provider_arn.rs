//! An identity provider's IAM ARN: `arn:aws:iam::<account>:saml-provider/<name>` or
//! `arn:aws:iam::<account>:oidc-provider/<issuer host and path>`. It names the provider in
//! trust policies (`Principal: {Federated: …}`), in `PrincipalArn`, in revocations and in the
//! audit trail, so it is built once from the configuration and compared as a value.

use std::fmt;
use std::str::FromStr;

use super::account_id::AccountId;

/// Which kind of provider the ARN names.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ProviderKind {
    Saml,
    Oidc,
}

impl ProviderKind {
    fn resource_type(self) -> &'static str {
        match self {
            Self::Saml => "saml-provider",
            Self::Oidc => "oidc-provider",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ProviderArn {
    account: AccountId,
    kind: ProviderKind,
    /// The SAML provider's name, or the OIDC issuer without its scheme.
    name: String,
    /// The canonical text, kept for comparisons with request input.
    text: String,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ProviderArnError {
    #[error(
        "a provider ARN is arn:aws:iam::<account>:saml-provider/<name> or arn:aws:iam::<account>:oidc-provider/<host>"
    )]
    Shape,
    #[error("the account id in the provider ARN is not 12 digits")]
    Account,
    #[error("the provider name must be 1 to 1024 printable characters without spaces")]
    Name,
}

impl ProviderArn {
    pub fn new(
        account: AccountId,
        kind: ProviderKind,
        name: &str,
    ) -> Result<Self, ProviderArnError> {
        let printable = |c: char| c.is_ascii_graphic();
        if name.is_empty() || name.len() > 1024 || !name.chars().all(printable) {
            return Err(ProviderArnError::Name);
        }
        Ok(Self {
            account,
            kind,
            name: name.to_owned(),
            text: format!("arn:aws:iam::{account}:{}/{name}", kind.resource_type()),
        })
    }

    pub fn as_str(&self) -> &str {
        &self.text
    }

    pub fn kind(&self) -> ProviderKind {
        self.kind
    }

    pub fn account(&self) -> AccountId {
        self.account
    }

    /// The SAML provider's name, or the OIDC issuer's host and path.
    pub fn name(&self) -> &str {
        &self.name
    }
}

impl FromStr for ProviderArn {
    type Err = ProviderArnError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let rest = s
            .strip_prefix("arn:aws:iam::")
            .ok_or(ProviderArnError::Shape)?;
        let (account, resource) = rest.split_once(':').ok_or(ProviderArnError::Shape)?;
        let account: AccountId = account.parse().map_err(|_| ProviderArnError::Account)?;
        let (kind, name) = if let Some(name) = resource.strip_prefix("saml-provider/") {
            (ProviderKind::Saml, name)
        } else if let Some(name) = resource.strip_prefix("oidc-provider/") {
            (ProviderKind::Oidc, name)
        } else {
            return Err(ProviderArnError::Shape);
        };
        Self::new(account, kind, name)
    }
}

impl fmt::Display for ProviderArn {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

impl PartialEq<str> for ProviderArn {
    fn eq(&self, other: &str) -> bool {
        self.text == other
    }
}

impl PartialEq<&str> for ProviderArn {
    fn eq(&self, other: &&str) -> bool {
        self.text == *other
    }
}

impl PartialEq<String> for ProviderArn {
    fn eq(&self, other: &String) -> bool {
        &self.text == other
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_both_kinds() {
        for text in [
            "arn:aws:iam::123456789012:saml-provider/corp",
            "arn:aws:iam::123456789012:oidc-provider/accounts.example.com/tenant",
        ] {
            let arn: ProviderArn = text.parse().unwrap();
            assert_eq!(arn.to_string(), text);
            assert!(arn == text);
        }
        let saml: ProviderArn = "arn:aws:iam::123456789012:saml-provider/corp"
            .parse()
            .unwrap();
        assert_eq!((saml.kind(), saml.name()), (ProviderKind::Saml, "corp"));
    }

    #[test]
    fn refuses_other_arns() {
        for bad in [
            "arn:aws:iam::123456789012:role/corp",
            "arn:aws:iam::12345:saml-provider/corp",
            "arn:aws:iam::123456789012:saml-provider/",
            "arn:aws:iam::123456789012:saml-provider/a b",
            "arn:aws:sts::123456789012:saml-provider/corp",
        ] {
            assert!(bad.parse::<ProviderArn>().is_err(), "{bad}");
        }
    }
}
