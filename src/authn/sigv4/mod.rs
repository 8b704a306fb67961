//! AWS Signature Version 4 verification (placeholder until written).
