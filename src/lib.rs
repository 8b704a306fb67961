//! stsbridge: a federation identity bridge that speaks the AWS STS query API.
//!
//! A request flows `app` (router, layers) → `protocol` (the STS wire format) or `web` (browser
//! pages) → `sts::Bridge` (every decision: authentication, trust policies, rules, issuance) →
//! `authn`, `audit`, `limits` → `seal` → `store` → `config` → `rules` → `policy` → `types`.
//! Imports point down only, and the HTTP layers reach `authn`, `seal` and `store` only through
//! the bridge (`tests/it/layers.rs` checks both; `docs/architecture.md` draws the layers). Only
//! `protocol` knows AWS error codes and XML; every layer has its own error enum.

pub mod app;
pub mod audit;
pub mod authn;
pub mod clock;
pub mod config;
#[cfg(feature = "demo")]
pub mod demo;
#[cfg(any(all(test, feature = "demo"), feature = "fuzzing"))]
pub mod fuzzing;
pub mod limits;
pub mod metrics;
pub mod native_stderr;
pub mod policy;
pub mod protocol;
pub mod rules;
pub mod seal;
pub mod store;
pub mod sts;
pub mod telemetry;
pub mod types;
pub mod unread_body;
pub mod web;
