//! Configuration: one TOML file (`shared/design/config.md`), read and validated once at start.
//!
//! `raw` mirrors the file (unknown keys are errors), `validate` turns it into the immutable
//! [`Config`] that runtime code sees: ARNs parsed, durations range-checked, `env:` secrets
//! resolved, policy documents parsed, referenced files loaded. `check-config` and `serve` run the
//! very same [`load_file`], so a file that checks clean is a file that serves.
//!
//! Identity-provider documents are the one thing kept as given: a `jwks_file` or
//! `metadata_file` is read here (bounded) but parsed by the registry that uses it
//! (`authn::IdpRegistries`, which `check-config` builds too), so this layer knows nothing of
//! JWKS or SAML.

mod error;
mod model;
mod raw;
mod secret_ref;
mod validate;

use std::path::{Path, PathBuf};

pub use error::{ConfigError, KeyError};
pub use model::{
    AuditConfig, AuditSink, Config, JwksSource, KeySource, Limits, LoginEndpoints, ManagedPolicy,
    OidcProvider, Role, SamlMetadataSource, SamlProvider, ServerConfig, StoreUrl, User,
};
pub use secret_ref::{Env, ProcessEnv};

/// Upper bound for a config file: it is operator input, but still bounded before parsing.
const MAX_CONFIG_BYTES: u64 = 4 * 1024 * 1024;

/// Reads, parses and validates a config file. Relative paths inside it are resolved against
/// the file's own directory, so a config works the same from any working directory.
pub fn load_file(path: &Path, env: &dyn Env) -> Result<Config, ConfigError> {
    let read_err = |source| ConfigError::Read {
        path: path.to_owned(),
        source,
    };
    let meta = std::fs::metadata(path).map_err(read_err)?;
    if meta.len() > MAX_CONFIG_BYTES {
        return Err(ConfigError::Invalid(vec![KeyError {
            path: "(file)".into(),
            message: format!("larger than {MAX_CONFIG_BYTES} bytes"),
        }]));
    }
    let text = std::fs::read_to_string(path).map_err(read_err)?;
    let base = path
        .parent()
        .map_or_else(|| PathBuf::from("."), Path::to_path_buf);
    from_toml(&text, &base, env)
}

/// Parses and validates TOML text; `base_dir` anchors relative file paths.
pub fn from_toml(text: &str, base_dir: &Path, env: &dyn Env) -> Result<Config, ConfigError> {
    let raw = parse_raw(text)?;
    validate::validate(raw, base_dir, env, false)
}

pub(crate) fn parse_raw(text: &str) -> Result<raw::RawConfig, ConfigError> {
    let syntax =
        |message: String, path: String| ConfigError::Invalid(vec![KeyError { path, message }]);
    let de = toml::Deserializer::parse(text)
        .map_err(|e| syntax(e.message().to_owned(), "(syntax)".into()))?;
    serde_path_to_error::deserialize(de).map_err(|e| {
        let path = e.path().to_string();
        syntax(
            e.into_inner().message().to_owned(),
            if path == "." {
                "(top level)".into()
            } else {
                path
            },
        )
    })
}

#[cfg(test)]
pub(crate) mod testkit;
#[cfg(test)]
mod tests;
