//! Session and role tag rules shared by the config loader and the STS parameters
//! (`tagKeyType` / `tagValueType` of the STS model).

/// At most this many tags on a session or a role.
pub const MAX_TAGS: usize = 50;
/// Tag keys are 1..=128 characters.
pub const TAG_KEY_MAX: usize = 128;
/// Tag values are 0..=256 characters.
pub const TAG_VALUE_MAX: usize = 256;

/// `[\p{L}\p{Z}\p{N}_.:/=+\-@]`: Unicode letters, separators (spaces, not tabs or newlines)
/// and digits, and `_.:/=+-@`.
pub fn is_tag_char(c: char) -> bool {
    c.is_alphanumeric() || is_separator(c) || "_.:/=+-@".contains(c)
}

/// Unicode category Z (Zs, Zl, Zp). `char::is_whitespace` would also let control characters
/// such as tab, CR, LF and NEL through, which `\p{Z}` does not.
fn is_separator(c: char) -> bool {
    matches!(
        c,
        ' ' | '\u{A0}' | '\u{1680}' | '\u{2000}'
            ..='\u{200A}' | '\u{2028}' | '\u{2029}' | '\u{202F}' | '\u{205F}' | '\u{3000}'
    )
}

/// Why a set of session tags was refused. Messages are AWS's where AWS has one, and never
/// echo more than a bounded, printable part of a key.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TagSetError {
    #[error("Duplicate tag keys found. Please note that Tag keys are case insensitive.")]
    Duplicate,
    #[error("The specified transitive tag key must be included in the requested tags.")]
    StrayTransitive,
    #[error("A session can have at most {MAX_TAGS} tags.")]
    TooMany,
    #[error("A session can have at most {MAX_TAGS} transitive tag keys, each listed once.")]
    BadTransitiveList,
    #[error("Session tag {0} has an invalid key or value.")]
    Invalid(String),
}

/// One tag: key 1..=128, value 0..=256 of the tag alphabet, key not `aws:`-prefixed.
pub fn is_valid_tag(key: &str, value: &str) -> bool {
    (1..=TAG_KEY_MAX).contains(&key.chars().count())
        && key.chars().all(is_tag_char)
        && !key.to_ascii_lowercase().starts_with("aws:")
        && value.chars().count() <= TAG_VALUE_MAX
        && value.chars().all(is_tag_char)
}

/// The rules for a session's whole tag set, wherever the tags came from (request parameters,
/// token claims, SAML attributes, claim rules): every tag valid, at most 50, keys unique
/// case-insensitively (the policy engine sees `Team` and `team` as one key, so a duplicate
/// would let one value be checked and another be used), and every transitive key, listed once,
/// naming one of the tags.
pub fn check_tag_set(tags: &[(String, String)], transitive: &[String]) -> Result<(), TagSetError> {
    if let Some((k, _)) = tags.iter().find(|(k, v)| !is_valid_tag(k, v)) {
        return Err(TagSetError::Invalid(
            k.chars().filter(|c| !c.is_control()).take(64).collect(),
        ));
    }
    if tags.len() > MAX_TAGS {
        return Err(TagSetError::TooMany);
    }
    let mut seen = std::collections::HashSet::new();
    if !tags.iter().all(|(k, _)| seen.insert(k.to_lowercase())) {
        return Err(TagSetError::Duplicate);
    }
    let mut transitive_seen = std::collections::HashSet::new();
    if transitive.len() > MAX_TAGS
        || !transitive
            .iter()
            .all(|k| transitive_seen.insert(k.to_lowercase()))
    {
        return Err(TagSetError::BadTransitiveList);
    }
    if !transitive.iter().all(|k| seen.contains(&k.to_lowercase())) {
        return Err(TagSetError::StrayTransitive);
    }
    Ok(())
}

/// A session's tags and which of them are transitive, meeting [`check_tag_set`]'s rules: built
/// once where the tags arrive (request, token claims, assertion attributes, rules), then passed
/// on as this type.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TagSet {
    tags: Vec<(String, String)>,
    transitive: Vec<String>,
}

impl TagSet {
    pub fn new(tags: Vec<(String, String)>, transitive: Vec<String>) -> Result<Self, TagSetError> {
        check_tag_set(&tags, &transitive)?;
        Ok(Self { tags, transitive })
    }

    /// Key/value pairs, in the order they were given.
    pub fn tags(&self) -> &[(String, String)] {
        &self.tags
    }

    /// The keys that pass on to sessions chained from this one.
    pub fn transitive_keys(&self) -> &[String] {
        &self.transitive
    }

    pub fn into_parts(self) -> (Vec<(String, String)>, Vec<String>) {
        (self.tags, self.transitive)
    }

    /// Operator rules' tags win over the identity provider's for the same key
    /// (case-insensitive): the rules are the bridge's own statement of what a provider's
    /// identities are. The result must meet the rules too.
    pub fn with_overrides(
        self,
        overrides: &std::collections::BTreeMap<String, String>,
    ) -> Result<Self, TagSetError> {
        let tags = self.overridden(overrides);
        Self::new(tags, self.transitive)
    }

    /// The pairs [`Self::with_overrides`] would hold, whether or not they meet the rules (for
    /// explaining a refusal).
    pub fn overridden(
        &self,
        overrides: &std::collections::BTreeMap<String, String>,
    ) -> Vec<(String, String)> {
        let mut tags = self.tags.clone();
        for (key, value) in overrides {
            tags.retain(|(k, _)| !k.eq_ignore_ascii_case(key));
            tags.push((key.clone(), value.clone()));
        }
        tags
    }
}

#[cfg(test)]
mod tests {
    fn tags(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    #[test]
    fn tag_set_rules() {
        let keys = |ks: &[&str]| ks.iter().map(|k| (*k).to_owned()).collect::<Vec<_>>();
        assert_eq!(
            check_tag_set(&tags(&[("Team", "a"), ("cost", "1")]), &keys(&["team"])),
            Ok(())
        );
        assert_eq!(
            check_tag_set(&tags(&[("Team", "a"), ("team", "b")]), &[]),
            Err(TagSetError::Duplicate)
        );
        assert_eq!(
            check_tag_set(&tags(&[("Team", "a")]), &keys(&["x"])),
            Err(TagSetError::StrayTransitive)
        );
        assert_eq!(
            check_tag_set(&tags(&[("Team", "a")]), &keys(&["team", "TEAM"])),
            Err(TagSetError::BadTransitiveList)
        );
        assert!(matches!(
            check_tag_set(&tags(&[("k", "a\nb")]), &[]),
            Err(TagSetError::Invalid(_))
        ));
        assert!(matches!(
            check_tag_set(&tags(&[("aws:x", "a")]), &[]),
            Err(TagSetError::Invalid(_))
        ));
        let many: Vec<(String, String)> =
            (0..51).map(|i| (format!("k{i}"), "v".to_owned())).collect();
        assert_eq!(check_tag_set(&many, &[]), Err(TagSetError::TooMany));
        let long_key = "\u{1}".repeat(500);
        let Err(TagSetError::Invalid(shown)) = check_tag_set(&[(long_key, String::new())], &[])
        else {
            panic!()
        };
        assert!(shown.is_empty(), "control characters are never echoed");
    }

    use super::*;

    #[test]
    fn a_tag_set_is_valid_by_construction_and_overrides_win() {
        let rules: std::collections::BTreeMap<String, String> =
            [("team".to_owned(), "ops".to_owned())].into();
        let set = TagSet::new(tags(&[("Team", "dev"), ("cost", "1")]), vec!["TEAM".into()])
            .unwrap()
            .with_overrides(&rules)
            .unwrap();
        assert_eq!(
            set.tags(),
            tags(&[("cost", "1"), ("team", "ops")]).as_slice()
        );
        assert_eq!(set.transitive_keys(), ["TEAM".to_owned()].as_slice());
        assert_eq!(
            TagSet::new(tags(&[("a", "1"), ("A", "2")]), vec![]),
            Err(TagSetError::Duplicate)
        );
    }

    #[test]
    fn tag_alphabet() {
        assert!("Équipe 42_a.b:c/d=e+f-g@h".chars().all(is_tag_char));
        assert!(is_tag_char('\u{3000}') && is_tag_char('\u{A0}'));
        for bad in [
            '<', '"', '\'', '&', '*', '\u{0}', '\t', '\n', '\r', '\u{85}',
        ] {
            assert!(!is_tag_char(bad), "{bad:?}");
        }
    }
}
