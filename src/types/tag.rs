//! Session and role tag rules shared by the config loader and the STS parameters
//! (`tagKeyType` / `tagValueType` of the STS model).

/// At most this many tags on a session or a role.
pub const MAX_TAGS: usize = 50;
/// Tag keys are 1..=128 characters.
pub const TAG_KEY_MAX: usize = 128;
/// Tag values are 0..=256 characters.
pub const TAG_VALUE_MAX: usize = 256;

/// `[\p{L}\p{Z}\p{N}_.:/=+\-@]`: Unicode letters, spaces and digits, and `_.:/=+-@`.
pub fn is_tag_char(c: char) -> bool {
    c.is_alphanumeric() || c.is_whitespace() || "_.:/=+-@".contains(c)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tag_alphabet() {
        assert!("Équipe 42_a.b:c/d=e+f-g@h".chars().all(is_tag_char));
        for bad in ['<', '"', '\'', '&', '*', '\u{0}'] {
            assert!(!is_tag_char(bad), "{bad:?}");
        }
    }
}
