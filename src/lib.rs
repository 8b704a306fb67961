//! stsbridge: a federation identity bridge that speaks the AWS STS query API.
//!
//! Traffic flows `protocol` (wire format; its extractor authenticates through `authn`) → `sts`
//! (one function per action) → `policy` / `rules` / `mint` (decisions and credentials). Imports
//! point down only: `app → protocol → {authn, sts} → {policy, rules, mint} → types`; `config` is
//! read by all and imports only the parsers below it. Only `protocol` knows about
//! XML and HTTP status codes; every other layer has its own error enum.

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
