//! The configuration layer's one error: the file could not be read, or it has problems, each
//! named by its key path so an operator knows what to fix.

use std::fmt;
use std::path::PathBuf;

/// One problem in the configuration, named by its key path (`users[0].access_key_id`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyError {
    pub path: String,
    pub message: String,
}

impl fmt::Display for KeyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.path, self.message)
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read config file {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{}", render_errors(.0))]
    Invalid(Vec<KeyError>),
}

impl ConfigError {
    /// The individual problems (empty for a read error), for tests that look for one.
    #[cfg(test)]
    pub(crate) fn key_errors(&self) -> &[KeyError] {
        match self {
            Self::Invalid(errors) => errors,
            Self::Read { .. } => &[],
        }
    }
}

fn render_errors(errors: &[KeyError]) -> String {
    let lines: Vec<String> = errors.iter().map(|e| format!("  {e}")).collect();
    format!(
        "invalid configuration ({} problem(s)):\n{}",
        errors.len(),
        lines.join("\n")
    )
}
