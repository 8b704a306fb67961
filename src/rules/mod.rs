//! Claim-to-role rules from config: which federated identities may choose which roles, and
//! which session tags and session name they get. This module owns the typed rule, its
//! condition operators and the `{{claims.…}}` templates; `eval` applies them to a token's claims.

mod eval;
mod rule;

pub use eval::RuleOutcome;
pub(crate) use eval::{ClaimsView, evaluate_rules};
pub use rule::Rule;
pub(crate) use rule::{ClaimCondition, ClaimOp, Template, validate_claim_path};
