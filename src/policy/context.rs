//! The request context a policy is evaluated against: who is calling ([`CallerPrincipal`]),
//! which action on which resource, and the condition keys (`aws:SourceIp`, `saml:aud`,
//! `accounts.example.com:sub`, ...) with their values.
//!
//! Invariants: keys are stored folded to ASCII lowercase, because IAM compares condition keys
//! case-insensitively (`aws:SourceIp` and `aws:sourceip` are one key) and
//! [`ConditionKey::lowercase`](super::ConditionKey::lowercase) folds the same way. Values are
//! kept as the strings the request carried; typed operators parse them when they compare, so a
//! value that does not parse simply never matches (see `condition`).

use std::collections::BTreeMap;

/// The caller a trust policy's `Principal`/`NotPrincipal` is matched against.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(crate) enum CallerPrincipal {
    /// An AWS identity: IAM user, assumed-role session or federated user.
    Aws {
        /// `arn:aws:iam::ACCT:user/NAME`, `arn:aws:sts::ACCT:assumed-role/ROLE/SESSION`, ...
        arn: String,
        /// The 12-digit account the identity belongs to.
        account: String,
        /// `AIDA…` for users, `AROA…` (optionally `AROA…:session`) for role sessions. IAM stores
        /// principals of deleted entities as these ids, so a policy can name one.
        unique_id: Option<String>,
    },
    /// A federated identity provider: the IAM provider ARN
    /// (`arn:aws:iam::ACCT:oidc-provider/…` or `…:saml-provider/…`), or a built-in name such
    /// as `accounts.google.com`.
    Federated { provider: String },
}

/// A request-context value: one string, or a list for multivalued keys (`aws:TagKeys`,
/// `saml:edupersonaffiliation`, ...).
///
/// An empty list means the same as an absent key everywhere in evaluation: IAM treats a key
/// that "resolves to an empty data set" like a missing one (`ForAllValues` is then vacuously
/// true, `Null: true` holds, `...IfExists` passes).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum ContextValue {
    Single(String),
    Multi(Vec<String>),
}

impl ContextValue {
    /// All values as a slice: one element for [`Self::Single`].
    pub(crate) fn values(&self) -> &[String] {
        match self {
            Self::Single(value) => std::slice::from_ref(value),
            Self::Multi(values) => values,
        }
    }
}

impl From<&str> for ContextValue {
    fn from(value: &str) -> Self {
        Self::Single(value.to_owned())
    }
}

impl From<String> for ContextValue {
    fn from(value: String) -> Self {
        Self::Single(value)
    }
}

impl From<bool> for ContextValue {
    /// `Bool` keys travel as the strings IAM uses for them.
    fn from(value: bool) -> Self {
        Self::Single(if value { "true" } else { "false" }.to_owned())
    }
}

impl From<Vec<String>> for ContextValue {
    fn from(values: Vec<String>) -> Self {
        Self::Multi(values)
    }
}

/// Everything evaluation needs to know about one request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestContext {
    action: String,
    resource: Option<String>,
    principal: Option<CallerPrincipal>,
    /// Folded key → value.
    keys: BTreeMap<String, ContextValue>,
}

impl RequestContext {
    /// A context for `action` (`service:Name`) on `resource`; `None` for trust-policy checks,
    /// where the resource is the role itself and statements carry no `Resource` element.
    /// Starts anonymous and without condition keys.
    pub(crate) fn new(action: &str, resource: Option<&str>) -> Self {
        Self {
            action: action.to_owned(),
            resource: resource.map(str::to_owned),
            principal: None,
            keys: BTreeMap::new(),
        }
    }

    /// The same context with `principal` as the caller.
    #[must_use]
    pub(crate) fn with_principal(mut self, principal: CallerPrincipal) -> Self {
        self.principal = Some(principal);
        self
    }

    /// The same context with `key` set to `value`; convenient for building contexts in one
    /// expression.
    #[must_use]
    #[cfg(any(test, feature = "fuzzing"))]
    pub(crate) fn with(mut self, key: &str, value: impl Into<ContextValue>) -> Self {
        self.set(key, value.into());
        self
    }

    /// Sets (or replaces) a condition key. Keys are case-insensitive.
    pub(crate) fn set(&mut self, key: &str, value: ContextValue) {
        self.keys.insert(key.to_ascii_lowercase(), value);
    }

    /// Removes a condition key, returning its value.
    #[cfg(test)]
    pub(crate) fn remove(&mut self, key: &str) -> Option<ContextValue> {
        self.keys.remove(&key.to_ascii_lowercase())
    }

    /// The value of a condition key, looked up case-insensitively.
    pub(crate) fn get(&self, key: &str) -> Option<&ContextValue> {
        if key.bytes().any(|b| b.is_ascii_uppercase()) {
            self.keys.get(&key.to_ascii_lowercase())
        } else {
            self.keys.get(key)
        }
    }

    /// The non-empty values of a key, or `None` when it is absent or an empty list (see
    /// [`ContextValue`] for why those are the same).
    pub(crate) fn present_values(&self, key: &str) -> Option<&[String]> {
        self.get(key)
            .map(ContextValue::values)
            .filter(|values| !values.is_empty())
    }

    pub(crate) fn action(&self) -> &str {
        &self.action
    }

    pub(crate) fn resource(&self) -> Option<&str> {
        self.resource.as_deref()
    }

    /// The caller, or `None` for an anonymous request.
    pub(crate) fn principal(&self) -> Option<&CallerPrincipal> {
        self.principal.as_ref()
    }

    /// All condition keys (folded to lowercase) with their values, in key order.
    #[cfg(test)]
    pub(crate) fn keys(&self) -> impl Iterator<Item = (&str, &ContextValue)> {
        self.keys.iter().map(|(key, value)| (key.as_str(), value))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_case_insensitive() {
        let mut ctx = RequestContext::new("sts:AssumeRole", None);
        ctx.set("aws:SourceIp", ContextValue::from("192.0.2.1"));
        assert_eq!(
            ctx.get("aws:sourceip"),
            Some(&ContextValue::from("192.0.2.1"))
        );
        assert_eq!(
            ctx.get("AWS:SOURCEIP"),
            Some(&ContextValue::from("192.0.2.1"))
        );
        ctx.set("AWS:SOURCEIP", ContextValue::from("192.0.2.2"));
        assert_eq!(ctx.keys().count(), 1);
        assert_eq!(
            ctx.remove("aws:SourceIP"),
            Some(ContextValue::from("192.0.2.2"))
        );
        assert_eq!(ctx.get("aws:SourceIp"), None);
    }

    #[test]
    fn empty_lists_are_absent() {
        let ctx = RequestContext::new("sts:AssumeRole", None)
            .with("aws:TagKeys", Vec::<String>::new())
            .with("saml:sub", "alice");
        assert!(ctx.get("aws:TagKeys").is_some());
        assert_eq!(ctx.present_values("aws:TagKeys"), None);
        assert_eq!(
            ctx.present_values("SAML:sub"),
            Some(["alice".to_owned()].as_slice())
        );
    }

    #[test]
    fn bool_values_use_iam_spelling() {
        assert_eq!(
            ContextValue::from(true),
            ContextValue::Single("true".into())
        );
        assert_eq!(ContextValue::from(false).values(), ["false".to_owned()]);
    }
}
