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

#[cfg(test)]
mod tests {
    use super::*;

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
