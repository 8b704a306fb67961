//! IAM policy documents: the typed grammar ([`model`]), the strict parser ([`parse_policy`])
//! and the error type ([`PolicyError`]).
//!
//! Data flow: untrusted JSON text → [`parse_policy`] (size bound, duplicate-key and depth checks
//! in `json`, then the grammar and the rules of the [`PolicyKind`]) → [`Policy`]. A `Policy`
//! therefore always satisfies the grammar; evaluation works on it and never re-reads JSON.
//! This module imports nothing from the layers above it.

mod error;
mod glob;
mod json;
mod model;
mod parse;

pub use error::PolicyError;
pub use model::{
    ActionClause, ActionPattern, BaseOperator, ConditionBlock, ConditionEntry, ConditionKey,
    ConditionOperator, ConditionValue, Effect, Policy, PolicyVersion, PrincipalClause,
    PrincipalKind, PrincipalSpec, ResourceClause, ResourcePattern, SetQualifier, Statement,
};
pub use parse::{MAX_POLICY_BYTES, PolicyKind, TRUST_POLICY_ACTIONS, parse_policy};
