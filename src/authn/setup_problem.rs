//! Why a configured provider cannot be set up (a `jwks_file` without a usable key, metadata
//! without a signing certificate, an SP key that is not RSA…), found when a registry is built:
//! at `serve` start and by `check-config`, which build the registries the same way.
//!
//! A problem is named two ways: by the key path `check-config` reports, like every other
//! configuration problem (`oidc_providers[1].jwks_file: …`), and by the provider-labelled line
//! the registry constructors return (`oidc_providers[1] (https://idp.example): jwks_file
//! /etc/jwks.json: …`).

use std::fmt;

use crate::config::KeyError;

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct SetupProblem {
    /// Key path and reason.
    key: KeyError,
    /// What the registry's line names before the reason; `None`: the reason alone.
    label: Option<String>,
}

impl SetupProblem {
    pub(crate) fn new(
        path: impl Into<String>,
        label: Option<String>,
        reason: impl Into<String>,
    ) -> Self {
        Self {
            key: KeyError {
                path: path.into(),
                message: reason.into(),
            },
            label,
        }
    }

    pub(crate) fn into_key_error(self) -> KeyError {
        self.key
    }
}

impl fmt::Display for SetupProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.label {
            Some(label) => write!(f, "{label}: {}", self.key.message),
            None => f.write_str(&self.key.message),
        }
    }
}

/// Sets up every configured provider with `set_up` (given its index), collecting the problems
/// of those that cannot be, so all are reported at once.
pub(crate) fn set_up_all<P, T>(
    configured: &[P],
    problems: &mut Vec<SetupProblem>,
    set_up: impl Fn(usize, &P) -> Result<T, SetupProblem>,
) -> Vec<T> {
    let mut ready = Vec::with_capacity(configured.len());
    for (index, p) in configured.iter().enumerate() {
        match set_up(index, p) {
            Ok(entry) => ready.push(entry),
            Err(problem) => problems.push(problem),
        }
    }
    ready
}

#[cfg(any(test, feature = "fuzzing"))]
/// The registry constructors' one-line error text for `problems`.
pub(crate) fn render(problems: &[SetupProblem]) -> String {
    let lines: Vec<String> = problems.iter().map(ToString::to_string).collect();
    lines.join("; ")
}
