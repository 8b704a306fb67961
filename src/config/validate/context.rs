//! What every section's checks share: the list of problems (all are collected, none stops
//! validation), paths relative to the config file, bounded reads of referenced files, policy
//! parsing, unique names, and the derived unique ids.

use std::collections::HashSet;
use std::path::{Path, PathBuf};

use crate::config::KeyError;
use crate::config::secret_ref::Env;
use crate::policy::{Policy, PolicyKind, parse_policy};
use crate::types::AccountId;
use crate::types::arn::is_iam_name_char;

/// Metadata, JWKS and PEM files are small; anything larger is a mistake, not a key.
const MAX_AUX_FILE_BYTES: u64 = 1024 * 1024;

/// One validation run: where relative paths start, where `env:` secrets come from, and the
/// problems found so far.
pub(super) struct Ctx<'a> {
    pub(super) errors: Vec<KeyError>,
    base_dir: &'a Path,
    pub(super) env: &'a dyn Env,
}

impl<'a> Ctx<'a> {
    pub(super) fn new(base_dir: &'a Path, env: &'a dyn Env) -> Self {
        Self {
            errors: Vec::new(),
            base_dir,
            env,
        }
    }

    pub(super) fn err(&mut self, path: impl Into<String>, message: impl Into<String>) {
        self.errors.push(KeyError {
            path: path.into(),
            message: message.into(),
        });
    }

    /// Records the error (if any) and turns the result into an option.
    pub(super) fn check<T, E: std::fmt::Display>(
        &mut self,
        path: impl Into<String>,
        r: Result<T, E>,
    ) -> Option<T> {
        r.map_err(|e| self.err(path, e.to_string())).ok()
    }

    /// A path from the file, anchored at the file's own directory when relative.
    pub(super) fn path(&self, p: &str) -> PathBuf {
        let p = Path::new(p);
        if p.is_absolute() {
            p.to_owned()
        } else {
            self.base_dir.join(p)
        }
    }

    /// The text of a referenced file (at most [`MAX_AUX_FILE_BYTES`]) and its resolved path.
    pub(super) fn read_small_file(&mut self, key: &str, file: &str) -> Option<(PathBuf, String)> {
        let path = self.path(file);
        let result = std::fs::metadata(&path).and_then(|m| {
            if m.len() > MAX_AUX_FILE_BYTES {
                Err(std::io::Error::other(format!(
                    "larger than {MAX_AUX_FILE_BYTES} bytes"
                )))
            } else {
                std::fs::read_to_string(&path)
            }
        });
        match result {
            Ok(text) => Some((path, text)),
            Err(e) => {
                self.err(key, format!("cannot read {}: {e}", path.display()));
                None
            }
        }
    }

    pub(super) fn policy(&mut self, key: String, text: &str, kind: PolicyKind) -> Option<Policy> {
        self.check(key, parse_policy(text, kind))
    }

    /// Each entry's `policies`, parsed as identity policies (`{key}.policies[j]`).
    pub(super) fn inline_policies(&mut self, key: &str, texts: &[String]) -> Vec<Policy> {
        texts
            .iter()
            .enumerate()
            .filter_map(|(j, p)| {
                self.policy(format!("{key}.policies[{j}]"), p, PolicyKind::Identity)
            })
            .collect()
    }
}

/// The entries of a `[[section]]` list, each with its key path (`section[i]`).
pub(super) fn keyed<T>(section: &'static str, raw: Vec<T>) -> impl Iterator<Item = (String, T)> {
    raw.into_iter()
        .enumerate()
        .map(move |(i, t)| (format!("{section}[{i}]"), t))
}

/// The names one kind of entry has used so far: each must follow the kind's rule and be
/// unique.
pub(super) struct Names {
    /// The entry's key that holds the name (`name`, `url`).
    field: &'static str,
    /// What a duplicate is called: `duplicate {kind} 'NAME'`.
    kind: &'static str,
    /// IAM role names are unique case-insensitively.
    case_insensitive: bool,
    seen: HashSet<String>,
}

impl Names {
    pub(super) fn new(field: &'static str, kind: &'static str) -> Self {
        Self {
            field,
            kind,
            case_insensitive: false,
            seen: HashSet::new(),
        }
    }

    pub(super) fn case_insensitive(field: &'static str, kind: &'static str) -> Self {
        Self {
            case_insensitive: true,
            ..Self::new(field, kind)
        }
    }

    /// Reports entry `key`'s name when `rule` refused it, else when it was seen before.
    pub(super) fn check(
        &mut self,
        cx: &mut Ctx<'_>,
        key: &str,
        name: &str,
        rule: Result<(), String>,
    ) {
        let key = format!("{key}.{}", self.field);
        if let Err(message) = rule {
            cx.err(key, message);
            return;
        }
        let seen_as = if self.case_insensitive {
            name.to_ascii_lowercase()
        } else {
            name.to_owned()
        };
        if !self.seen.insert(seen_as) {
            cx.err(key, format!("duplicate {} '{name}'", self.kind));
        }
    }
}

/// `Ok` when `valid`, else the rule's description: the `rule` argument of [`Names::check`].
pub(super) fn rule(valid: bool, description: &str) -> Result<(), String> {
    if valid {
        Ok(())
    } else {
        Err(description.to_owned())
    }
}

/// An IAM name (user, managed policy): 1 to `max` characters of `[A-Za-z0-9+=,.@_-]`.
pub(super) fn iam_name(name: &str, max: usize, what: &str) -> Result<(), String> {
    let valid = (1..=max).contains(&name.len()) && name.chars().all(is_iam_name_char);
    rule(
        valid,
        &format!("a {what} is 1 to {max} characters of [A-Za-z0-9+=,.@_-]"),
    )
}

/// Unique ids (`AIDA…`, `AROA…`) are derived, not random, so every replica and every restart
/// agrees on them without shared state: prefix + 17 base32 characters of SHA-256(kind, account, name).
pub(super) fn derived_id(prefix: &str, account: AccountId, kind: &str, name: &str) -> String {
    let digest = aws_lc_rs::digest::digest(
        &aws_lc_rs::digest::SHA256,
        format!("{kind}\0{account}\0{name}").as_bytes(),
    );
    let encoded = data_encoding::BASE32_NOPAD.encode(digest.as_ref());
    format!("{prefix}{}", encoded.get(..17).unwrap_or_default())
}
