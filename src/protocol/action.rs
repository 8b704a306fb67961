//! The STS actions of the 2011-06-15 API: their names, the version check, and what
//! authentication each needs. Their parameters are read by [`super::requests`].

use super::error::{ErrorCode, StsError};
use super::params::Params;

pub const API_VERSION: &str = "2011-06-15";

/// Every action of the 2011-06-15 API that this server knows by name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    AssumeRole,
    AssumeRoleWithSaml,
    AssumeRoleWithWebIdentity,
    GetSessionToken,
    GetFederationToken,
    GetCallerIdentity,
    GetAccessKeyInfo,
    DecodeAuthorizationMessage,
    /// stsbridge's own admin action (not in AWS's API): store a revocation.
    RevokeSessions,
}

/// How a caller must prove who it is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AuthRequirement {
    /// The federation actions carry their own proof (assertion, ID token); any signature or
    /// stale session token a client attaches is ignored, as AWS does.
    Anonymous,
    /// SigV4 with long-term or temporary keys.
    Signed,
}

impl Action {
    pub fn parse(name: &str) -> Option<Self> {
        Some(match name {
            "AssumeRole" => Self::AssumeRole,
            "AssumeRoleWithSAML" => Self::AssumeRoleWithSaml,
            "AssumeRoleWithWebIdentity" => Self::AssumeRoleWithWebIdentity,
            "GetSessionToken" => Self::GetSessionToken,
            "GetFederationToken" => Self::GetFederationToken,
            "GetCallerIdentity" => Self::GetCallerIdentity,
            "GetAccessKeyInfo" => Self::GetAccessKeyInfo,
            "DecodeAuthorizationMessage" => Self::DecodeAuthorizationMessage,
            "RevokeSessions" => Self::RevokeSessions,
            _ => return None,
        })
    }

    pub fn name(self) -> &'static str {
        match self {
            Self::AssumeRole => "AssumeRole",
            Self::AssumeRoleWithSaml => "AssumeRoleWithSAML",
            Self::AssumeRoleWithWebIdentity => "AssumeRoleWithWebIdentity",
            Self::GetSessionToken => "GetSessionToken",
            Self::GetFederationToken => "GetFederationToken",
            Self::GetCallerIdentity => "GetCallerIdentity",
            Self::GetAccessKeyInfo => "GetAccessKeyInfo",
            Self::DecodeAuthorizationMessage => "DecodeAuthorizationMessage",
            Self::RevokeSessions => "RevokeSessions",
        }
    }

    pub fn auth(self) -> AuthRequirement {
        match self {
            Self::AssumeRoleWithSaml | Self::AssumeRoleWithWebIdentity => {
                AuthRequirement::Anonymous
            }
            Self::AssumeRole
            | Self::GetSessionToken
            | Self::GetFederationToken
            | Self::GetCallerIdentity
            | Self::GetAccessKeyInfo
            | Self::DecodeAuthorizationMessage
            | Self::RevokeSessions => AuthRequirement::Signed,
        }
    }

    /// Reads `Action` and `Version` and checks the pair exists.
    pub fn from_params(params: &Params) -> Result<Self, StsError> {
        let name = params.get("Action").ok_or_else(|| {
            StsError::new(
                ErrorCode::MissingAction,
                "The request must contain the parameter Action",
            )
        })?;
        let version = params.required("Version")?;
        let action = Self::parse(name);
        match action {
            Some(a) if version == API_VERSION => Ok(a),
            _ => Err(StsError::new(
                ErrorCode::InvalidAction,
                format!(
                    "Could not find operation {} for version {}",
                    echo(name),
                    echo(version)
                ),
            )),
        }
    }
}

/// Names echoed into messages are bounded and stripped of control characters.
pub(super) fn echo(s: &str) -> String {
    s.chars().filter(|c| !c.is_control()).take(64).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn params(s: &str) -> Params {
        Params::parse(&[s.as_bytes()]).unwrap()
    }

    #[test]
    fn action_and_version() {
        assert_eq!(
            Action::from_params(&params("Action=GetCallerIdentity&Version=2011-06-15")),
            Ok(Action::GetCallerIdentity)
        );
        let e = |s: &str| Action::from_params(&params(s)).unwrap_err().code;
        assert_eq!(e("Version=2011-06-15"), ErrorCode::MissingAction);
        assert_eq!(e("Action=GetCallerIdentity"), ErrorCode::MissingParameter);
        assert_eq!(
            e("Action=Explode&Version=2011-06-15"),
            ErrorCode::InvalidAction
        );
        assert_eq!(
            e("Action=GetCallerIdentity&Version=2010-05-08"),
            ErrorCode::InvalidAction
        );
    }
}
