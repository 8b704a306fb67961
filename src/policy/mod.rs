//! IAM policy grammar (placeholder until written).
