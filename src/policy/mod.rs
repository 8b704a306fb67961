//! IAM policy documents: the typed grammar ([`model`]), the strict parser ([`parse_policy`]),
//! the error type ([`PolicyError`]) and the evaluation engine ([`evaluate`]).
//!
//! Data flow: untrusted JSON text → [`parse_policy`] (size bound, duplicate-key and depth checks
//! in `json`, then the grammar and the rules of the [`PolicyKind`]) → [`Policy`]. A `Policy`
//! therefore always satisfies the grammar; evaluation works on it and never re-reads JSON.
//! [`evaluate`] then decides a list of policies against a [`RequestContext`] (caller, action,
//! resource, condition keys) and returns a [`Decision`]; [`evaluate_with_trace`] also says why
//! each statement did or did not apply.
//! This module imports nothing from the layers above it.

mod condition;
mod context;
mod error;
mod eval;
mod glob;
mod json;
mod model;
mod parse;
mod variables;

pub(crate) use context::CallerPrincipal;
pub use context::{ContextValue, RequestContext};
pub use error::PolicyError;
pub use eval::Decision;
pub(crate) use eval::{evaluate, evaluate_with_trace};
pub use model::Policy;
pub(crate) use parse::{PolicyKind, parse_policy};
