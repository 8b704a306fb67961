//! `"env:VAR_NAME"` secret references: any secret value in the file may name an environment
//! variable instead of holding the secret, so config files can be committed without secrets.

use crate::types::Secret;

const PREFIX: &str = "env:";

/// Where `env:` references are looked up; tests pass a map instead of touching the process.
pub trait Env {
    fn var(&self, name: &str) -> Option<String>;
}

/// The process environment.
#[derive(Debug, Clone, Copy, Default)]
pub struct ProcessEnv;

impl Env for ProcessEnv {
    fn var(&self, name: &str) -> Option<String> {
        std::env::var(name).ok()
    }
}

impl<S: std::hash::BuildHasher> Env for std::collections::HashMap<String, String, S> {
    fn var(&self, name: &str) -> Option<String> {
        self.get(name).cloned()
    }
}

/// Resolves a secret value: `env:NAME` reads the variable (which must be set and non-empty),
/// anything else is the secret itself.
pub(crate) fn resolve(value: &str, env: &dyn Env) -> Result<Secret, String> {
    let Some(name) = value.strip_prefix(PREFIX) else {
        return Ok(Secret::new(value));
    };
    let valid_name =
        !name.is_empty() && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_');
    if !valid_name {
        return Err(format!(
            "'{PREFIX}' must be followed by an environment variable name"
        ));
    }
    match env.var(name) {
        Some(v) if !v.is_empty() => Ok(Secret::new(v)),
        _ => Err(format!("environment variable {name} is not set or empty")),
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::*;

    #[test]
    fn resolves_literal_and_env() {
        let env = HashMap::from([("S".to_owned(), "from-env".to_owned())]);
        assert_eq!(resolve("literal", &env).unwrap().expose(), "literal");
        assert_eq!(resolve("env:S", &env).unwrap().expose(), "from-env");
        assert!(
            resolve("env:MISSING", &env)
                .unwrap_err()
                .contains("MISSING")
        );
        assert!(resolve("env:", &env).is_err());
        assert!(resolve("env:A-B", &env).is_err());
    }
}
