//! SAML 2.0: IdP metadata now; response verification arrives with AssumeRoleWithSAML.

pub mod metadata;
