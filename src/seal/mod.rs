//! Sealing: everything the bridge hands out that only it can open again. Temporary
//! credentials sealed into session tokens, browser state (cookies, pending sign-ins) and
//! encoded denial messages, all under the one keyring.
//!
//! A session token is self-contained: an AES-256-GCM box holding everything needed to verify a
//! later request signed with the session's keys (principal, expiry, session policy, tags…), so
//! any replica holding the keyring can verify any session without a shared lookup.

pub(crate) mod credentials;
pub(crate) mod denial;
pub(crate) mod error;
pub(crate) mod keyring;
pub mod session_token;
pub(crate) mod web_state;

pub use credentials::mint_credentials;
pub use error::{SealError, TokenError};
pub use keyring::Keyring;
pub use session_token::{FederatedIdentity, SessionClaims, SessionPrincipal};
