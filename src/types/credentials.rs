//! Temporary credentials as STS returns them: an `ASIA…` key id, its secret, the sealed
//! session token and the expiry. A plain value: the seal layer makes them, the protocol layer
//! renders them, and neither needs the other for it.

use chrono::{DateTime, Utc};

use super::{AccessKeyId, Secret, SecretAccessKey};

/// What STS returns as `Credentials`.
#[derive(Debug)]
pub struct TemporaryCredentials {
    pub access_key_id: AccessKeyId,
    pub secret_access_key: SecretAccessKey,
    pub session_token: Secret,
    pub expiration: DateTime<Utc>,
}
