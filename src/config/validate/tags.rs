//! Tag rules for role tags and the tags claim rules give sessions (STS `tagKeyType` and
//! `tagValueType`), checked where they are written down.

use std::collections::{BTreeMap, HashSet};

use super::context::Ctx;
use crate::types::tag::{MAX_TAGS, TAG_KEY_MAX, TAG_VALUE_MAX, is_tag_char};

/// Session/role tag rules (STS `tagKeyType`/`tagValueType`): at most 50, keys 1..=128 and
/// values 0..=256 of letters, digits, spaces and `_.:/=+-@`, keys unique case-insensitively,
/// no `aws:` prefix.
pub(super) fn check_tags<V: AsRef<str>>(cx: &mut Ctx<'_>, key: &str, tags: &BTreeMap<String, V>) {
    if tags.len() > MAX_TAGS {
        cx.err(key, format!("at most {MAX_TAGS} tags"));
    }
    let mut seen = HashSet::new();
    for (k, v) in tags {
        let v = v.as_ref();
        if !(1..=TAG_KEY_MAX).contains(&k.chars().count()) || !k.chars().all(is_tag_char) {
            cx.err(
                format!("{key}.{k}"),
                "a tag key is 1 to 128 letters, digits, spaces or _.:/=+-@",
            );
        } else if k.to_ascii_lowercase().starts_with("aws:") {
            cx.err(
                format!("{key}.{k}"),
                "tag keys starting with 'aws:' are reserved",
            );
        } else if !seen.insert(k.to_lowercase()) {
            cx.err(
                format!("{key}.{k}"),
                "tag keys are case-insensitive: this key is given twice",
            );
        }
        if v.chars().count() > TAG_VALUE_MAX || !(v.contains("{{") || v.chars().all(is_tag_char)) {
            cx.err(
                format!("{key}.{k}"),
                "a tag value is at most 256 letters, digits, spaces or _.:/=+-@",
            );
        }
    }
}
