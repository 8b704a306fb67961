//! Minting temporary credentials and sealing them into session tokens.
//!
//! A session token is self-contained: an AES-256-GCM box holding everything needed to verify a
//! later request signed with the session's keys (principal, expiry, session policy, tags…), so
//! any replica holding the keyring can verify any session without a shared lookup.

pub mod credentials;
pub mod denial;
pub mod error;
pub mod keyring;
pub mod session_token;
pub mod web_state;

pub use credentials::{TemporaryCredentials, mint_credentials};
pub use error::{MintError, TokenError};
pub use keyring::Keyring;
pub use session_token::{FederatedIdentity, SessionClaims, SessionPrincipal};
