//! The embedded demo: what `stsbridge serve` runs without `--config` (a bridge on loopback
//! with generated user keys, an in-memory store, and built-in OIDC and SAML IdPs that sign
//! whoever a person picks). Compiled only with the default-on `demo` cargo feature, so a
//! `--no-default-features` build carries no demo IdP, keys or pages at all.
//!
//! Layer: above `sts` (it builds a [`Config`](crate::config::Config) through `config`'s
//! public constructors, which know nothing of it) and below `app`, which mounts its routes.
//! DEMO ONLY: every key it signs with is public (`certs/demo-*`), so each endpoint answers
//! loopback peers only and the demo refuses to listen anywhere else.

mod authn_request;
mod banner;
mod config;
mod endpoints;
mod error;
mod idp;
mod oauth;
mod page;
mod pending;
mod picker;
mod routes;
pub mod saml_idp;
mod saml_pages;

#[cfg(any(test, feature = "fuzzing"))]
pub(crate) use authn_request::read_authn_request;
pub use banner::banner;
pub use config::{Demo, DemoCredentials, demo_config};
pub use error::DemoError;
pub(crate) use idp::DEMO_IDP_PATH;
pub use idp::{DemoIdp, install_jwt_crypto};
