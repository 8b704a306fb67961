//! Amazon Resource Names: parsed once, displayed canonically.
//!
//! The bridge mints IAM-style ARNs (`arn:aws:iam::<account>:role/<path><name>`) and STS-style
//! principal ARNs (`arn:aws:sts::<account>:assumed-role/<role>/<session>`). IAM and STS ARNs
//! have an empty region field; the partition is always `aws`.

use std::fmt;
use std::str::FromStr;

use super::account_id::AccountId;

/// Limits from the STS model (`arnType`).
pub const ARN_MIN_LEN: usize = 20;
pub const ARN_MAX_LEN: usize = 2048;

/// A generic ARN split into its six fields.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Arn {
    pub partition: String,
    pub service: String,
    pub region: String,
    /// Empty for AWS-managed resources (`arn:aws:iam::aws:policy/…` has `aws` here).
    pub account: String,
    pub resource: String,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ArnError {
    #[error("an ARN has the form arn:partition:service:region:account:resource")]
    Shape,
    #[error("an ARN is {ARN_MIN_LEN} to {ARN_MAX_LEN} printable characters")]
    Length,
    #[error("not a role ARN (arn:aws:iam::<account>:role/<path><name>)")]
    NotRole,
    #[error("the account id in the ARN is not 12 digits")]
    Account,
    #[error("the role name must be 1 to 64 characters from [A-Za-z0-9+=,.@_-]")]
    RoleName,
    #[error("the role path must start and end with '/' and be at most 512 characters")]
    RolePath,
}

impl FromStr for Arn {
    type Err = ArnError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        if !(ARN_MIN_LEN..=ARN_MAX_LEN).contains(&s.len()) || s.chars().any(char::is_control) {
            return Err(ArnError::Length);
        }
        let mut parts = s.splitn(6, ':');
        let mut next = || parts.next().ok_or(ArnError::Shape);
        let (scheme, partition, service, region, account, resource) =
            (next()?, next()?, next()?, next()?, next()?, next()?);
        if scheme != "arn" || partition.is_empty() || service.is_empty() || resource.is_empty() {
            return Err(ArnError::Shape);
        }
        Ok(Self {
            partition: partition.to_owned(),
            service: service.to_owned(),
            region: region.to_owned(),
            account: account.to_owned(),
            resource: resource.to_owned(),
        })
    }
}

impl fmt::Display for Arn {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let Self {
            partition,
            service,
            region,
            account,
            resource,
        } = self;
        write!(f, "arn:{partition}:{service}:{region}:{account}:{resource}")
    }
}

/// `[\w+=,.@-]` with ASCII `\w`, the character class of IAM names and session names.
pub fn is_iam_name_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '_' | '+' | '=' | ',' | '.' | '@' | '-')
}

/// A role's ARN: `arn:aws:iam::<account>:role<path><name>`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct RoleArn {
    account: AccountId,
    path: String,
    name: String,
}

impl RoleArn {
    pub fn new(account: AccountId, path: &str, name: &str) -> Result<Self, ArnError> {
        validate_role_path(path)?;
        validate_role_name(name)?;
        Ok(Self {
            account,
            path: path.to_owned(),
            name: name.to_owned(),
        })
    }

    pub fn account(&self) -> AccountId {
        self.account
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    pub fn path(&self) -> &str {
        &self.path
    }
}

/// Role names: 1..=64 of `[\w+=,.@-]`.
pub fn validate_role_name(name: &str) -> Result<(), ArnError> {
    if (1..=64).contains(&name.len()) && name.chars().all(is_iam_name_char) {
        Ok(())
    } else {
        Err(ArnError::RoleName)
    }
}

/// Role paths: `/` or `/a/b/`, at most 512 characters of printable ASCII.
pub fn validate_role_path(path: &str) -> Result<(), ArnError> {
    let ok = path.len() <= 512
        && path.starts_with('/')
        && path.ends_with('/')
        && !path.contains("//")
        && path.bytes().all(|b| b.is_ascii_graphic());
    if ok { Ok(()) } else { Err(ArnError::RolePath) }
}

impl FromStr for RoleArn {
    type Err = ArnError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let arn: Arn = s.parse()?;
        if arn.partition != "aws" || arn.service != "iam" || !arn.region.is_empty() {
            return Err(ArnError::NotRole);
        }
        let account: AccountId = arn.account.parse().map_err(|_| ArnError::Account)?;
        let rest = arn
            .resource
            .strip_prefix("role/")
            .ok_or(ArnError::NotRole)?;
        let (path, name) = match rest.rfind('/') {
            Some(i) => (
                format!("/{}", rest.get(..=i).unwrap_or_default()),
                rest.get(i + 1..).unwrap_or_default(),
            ),
            None => ("/".to_owned(), rest),
        };
        Self::new(account, &path, name)
    }
}

impl fmt::Display for RoleArn {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "arn:aws:iam::{}:role{}{}",
            self.account, self.path, self.name
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generic_arn_round_trips() {
        for s in [
            "arn:aws:iam::123456789012:role/demo",
            "arn:aws:iam::aws:policy/ReadOnlyAccess",
            "arn:aws:s3:::bucket/key:with:colons",
            "arn:aws:sts::123456789012:assumed-role/demo/alice",
        ] {
            assert_eq!(s.parse::<Arn>().unwrap().to_string(), s);
        }
        for bad in [
            "",
            "arn:aws:iam::123",
            "not:an:arn:at:all:x",
            "arn::iam::123456789012:role/x",
            "arn:aws:iam::123456789012:",
        ] {
            assert!(bad.parse::<Arn>().is_err(), "{bad}");
        }
    }

    #[test]
    fn role_arns_with_and_without_path() {
        let plain: RoleArn = "arn:aws:iam::123456789012:role/demo".parse().unwrap();
        assert_eq!((plain.path(), plain.name()), ("/", "demo"));
        let pathed: RoleArn = "arn:aws:iam::123456789012:role/team/data/reader"
            .parse()
            .unwrap();
        assert_eq!((pathed.path(), pathed.name()), ("/team/data/", "reader"));
        assert_eq!(
            pathed.to_string(),
            "arn:aws:iam::123456789012:role/team/data/reader"
        );
        for bad in [
            "arn:aws:iam::123456789012:user/demo",
            "arn:aws:iam::12345678901:role/demo",
            "arn:aws:sts::123456789012:role/demo",
            "arn:aws:iam::123456789012:role/",
            "arn:aws:iam::123456789012:role/a b",
            "arn:aws:iam:us-east-1:123456789012:role/demo",
        ] {
            assert!(bad.parse::<RoleArn>().is_err(), "{bad}");
        }
    }

    proptest::proptest! {
        #[test]
        fn parsing_never_panics_and_round_trips(text in "\\PC{0,80}") {
            if let Ok(arn) = text.parse::<Arn>() {
                proptest::prop_assert_eq!(arn.to_string(), text.clone());
            }
            if let Ok(role) = text.parse::<RoleArn>() {
                proptest::prop_assert_eq!(role.to_string().parse::<RoleArn>().ok(), Some(role));
            }
        }

        #[test]
        fn valid_role_arns_round_trip(
            account in "[0-9]{12}",
            path in "(/[a-z0-9]{1,8}){0,3}/",
            name in "[A-Za-z0-9+=,.@_-]{1,64}",
        ) {
            let text = format!("arn:aws:iam::{account}:role{path}{name}");
            let role: RoleArn = text.parse().unwrap();
            proptest::prop_assert_eq!((role.path(), role.name()), (path.as_str(), name.as_str()));
            proptest::prop_assert_eq!(role.to_string(), text);
        }
    }
}
