//! A strict JSON tree for policy documents: the first stage of `parse_policy`.
//!
//! Owns two guarantees that `serde_json::Value` does not give:
//! - **no duplicate keys.** `serde_json::Map` silently keeps the last of two equal keys, so two
//!   parsers could read one document differently (a known policy-confusion trick). Keys are
//!   compared after unescaping, so `"Effect"` and `"Eff\u0065ct"` count as the same key.
//! - **bounded nesting.** No valid policy nests containers deeper than [`MAX_DEPTH`], so deeper
//!   input is refused as soon as it is seen, long before `serde_json`'s own recursion limit.
//!
//! Both bounds on untrusted policy text live here ([`MAX_POLICY_BYTES`] too, which
//! `PolicyError` quotes), so the error type needs nothing from the parser.
//!
//! Objects are `BTreeMap`s: key order carries no meaning in IAM, and sorted keys make the model
//! built from them (and the JSON written back from it) canonical.

use std::cell::Cell;
use std::collections::BTreeMap;
use std::fmt;

use serde::de::{self, DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_json::Number;

/// Largest policy text accepted, in bytes; `parse_policy` checks it before this stage reads a
/// byte. Generous next to IAM's own quotas (6,144 characters for a managed policy, 2,048 for a
/// session policy), which the callers enforce per policy kind.
pub(crate) const MAX_POLICY_BYTES: usize = 131_072;

/// Deepest container nesting in the grammar: document → `Statement` array → statement →
/// `Condition` → operator → value array.
pub(super) const MAX_DEPTH: usize = 6;

/// A parsed JSON value whose objects had unique keys.
#[derive(Debug, Clone, PartialEq)]
pub(super) enum Json {
    Null,
    Bool(bool),
    Number(Number),
    String(String),
    Array(Vec<Json>),
    Object(BTreeMap<String, Json>),
}

/// Why [`parse_tree`] failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum TreeError {
    DuplicateKey {
        line: usize,
        column: usize,
    },
    TooDeep,
    /// `serde_json`'s message (fixed vocabulary plus position).
    Syntax(String),
}

/// The grammar-level faults the visitor finds. They travel beside the serde error (which can
/// only carry a string) so the caller gets a typed reason.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Fault {
    DuplicateKey,
    TooDeep,
}

/// Parses `text` as exactly one JSON value (trailing non-whitespace is an error).
pub(super) fn parse_tree(text: &str) -> Result<Json, TreeError> {
    let fault = Cell::new(None);
    let mut deserializer = serde_json::Deserializer::from_str(text);
    let seed = NodeSeed {
        depth: 0,
        fault: &fault,
    };
    let parsed = seed
        .deserialize(&mut deserializer)
        .and_then(|value| deserializer.end().map(|()| value));
    parsed.map_err(|err| match fault.get() {
        Some(Fault::DuplicateKey) => TreeError::DuplicateKey {
            line: err.line(),
            column: err.column(),
        },
        Some(Fault::TooDeep) => TreeError::TooDeep,
        None => TreeError::Syntax(err.to_string()),
    })
}

/// Deserialises one value at a known container depth.
#[derive(Debug, Clone, Copy)]
struct NodeSeed<'f> {
    /// Number of containers enclosing this value.
    depth: usize,
    fault: &'f Cell<Option<Fault>>,
}

impl NodeSeed<'_> {
    /// The seed for the children of a container opened at this depth, or a fault if that
    /// container is already too deep.
    fn enter<E: de::Error>(self) -> Result<Self, E> {
        let depth = self.depth.saturating_add(1);
        if depth > MAX_DEPTH {
            return Err(self.fail(Fault::TooDeep));
        }
        Ok(Self { depth, ..self })
    }

    fn fail<E: de::Error>(self, fault: Fault) -> E {
        self.fault.set(Some(fault));
        E::custom(match fault {
            Fault::DuplicateKey => "duplicate key",
            Fault::TooDeep => "nesting too deep",
        })
    }
}

impl<'de> DeserializeSeed<'de> for NodeSeed<'_> {
    type Value = Json;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Json, D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for NodeSeed<'_> {
    type Value = Json;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON value")
    }

    fn visit_unit<E: de::Error>(self) -> Result<Json, E> {
        Ok(Json::Null)
    }

    fn visit_bool<E: de::Error>(self, v: bool) -> Result<Json, E> {
        Ok(Json::Bool(v))
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Json, E> {
        Ok(Json::Number(v.into()))
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Json, E> {
        Ok(Json::Number(v.into()))
    }

    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Json, E> {
        // serde_json never produces NaN or infinities, but `from_f64` says so in its type.
        Number::from_f64(v)
            .map(Json::Number)
            .ok_or_else(|| E::custom("invalid number"))
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<Json, E> {
        Ok(Json::String(v.to_owned()))
    }

    fn visit_string<E: de::Error>(self, v: String) -> Result<Json, E> {
        Ok(Json::String(v))
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Json, A::Error> {
        let child = self.enter()?;
        // No `size_hint` pre-allocation: the hint would come from untrusted input.
        let mut items = Vec::new();
        while let Some(item) = seq.next_element_seed(child)? {
            items.push(item);
        }
        Ok(Json::Array(items))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Json, A::Error> {
        let child = self.enter()?;
        let mut object = BTreeMap::new();
        while let Some(key) = map.next_key::<String>()? {
            if object.contains_key(&key) {
                return Err(self.fail(Fault::DuplicateKey));
            }
            let value = map.next_value_seed(child)?;
            object.insert(key, value);
        }
        Ok(Json::Object(object))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_scalars_and_containers() {
        let tree = parse_tree(r#"{"a":[1,-2,1.5,true,null,"x"],"b":{}}"#).unwrap();
        let Json::Object(top) = tree else {
            panic!("not an object")
        };
        assert_eq!(top.len(), 2);
        assert_eq!(top["b"], Json::Object(BTreeMap::new()));
        let Json::Array(items) = &top["a"] else {
            panic!("not an array")
        };
        assert_eq!(items.len(), 6);
        assert_eq!(items[4], Json::Null);
    }

    #[test]
    fn rejects_duplicate_keys_even_when_escaped() {
        assert_eq!(
            parse_tree(r#"{"a":1,"a":2}"#),
            Err(TreeError::DuplicateKey {
                line: 1,
                column: 10
            })
        );
        assert!(matches!(
            parse_tree(r#"{"Effect":1,"Eff\u0065ct":2}"#),
            Err(TreeError::DuplicateKey { .. })
        ));
        assert!(matches!(
            parse_tree(r#"[{"x":{"k":1,"k":1}}]"#),
            Err(TreeError::DuplicateKey { .. })
        ));
    }

    #[test]
    fn bounds_depth() {
        let ok = format!("{}{}", "[".repeat(MAX_DEPTH), "]".repeat(MAX_DEPTH));
        assert!(parse_tree(&ok).is_ok());
        let deep = format!("{}{}", "[".repeat(MAX_DEPTH + 1), "]".repeat(MAX_DEPTH + 1));
        assert_eq!(parse_tree(&deep), Err(TreeError::TooDeep));
        // Far past serde_json's own recursion limit: still our typed error, no stack overflow.
        let very_deep = "[".repeat(100_000);
        assert_eq!(parse_tree(&very_deep), Err(TreeError::TooDeep));
    }

    #[test]
    fn rejects_trailing_content_and_bad_syntax() {
        assert!(matches!(parse_tree("{} {}"), Err(TreeError::Syntax(_))));
        assert!(matches!(
            parse_tree(r#"{"a":1,}"#),
            Err(TreeError::Syntax(_))
        ));
        assert!(matches!(parse_tree(""), Err(TreeError::Syntax(_))));
    }
}
