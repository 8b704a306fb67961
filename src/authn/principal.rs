//! The authenticated caller of a signed action.

use crate::config::{Config, User};
use crate::seal::SessionClaims;
use crate::types::AccountId;

#[derive(Debug, Clone)]
pub enum Principal {
    /// A configured user signing with its long-term `AKIA…` key.
    User {
        account: AccountId,
        name: String,
        user_id: String,
    },
    /// Temporary credentials: the opened session token.
    Session(Box<SessionClaims>),
}

impl Principal {
    pub(crate) fn user(config: &Config, user: &User) -> Self {
        Self::User {
            account: config.server.account_id,
            name: user.name.clone(),
            user_id: user.user_id.clone(),
        }
    }

    pub fn arn(&self) -> String {
        match self {
            Self::User { account, name, .. } => format!("arn:aws:iam::{account}:user/{name}"),
            Self::Session(claims) => claims.principal.arn(),
        }
    }

    pub fn user_id(&self) -> String {
        match self {
            Self::User { user_id, .. } => user_id.clone(),
            Self::Session(claims) => claims.principal.user_id(),
        }
    }

    pub fn account(&self) -> AccountId {
        match self {
            Self::User { account, .. } => *account,
            Self::Session(claims) => claims.principal.account(),
        }
    }
}
