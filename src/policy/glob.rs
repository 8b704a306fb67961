//! IAM wildcard matching: `*` matches any run of characters (including `/` and `:`), `?` matches
//! exactly one character, everything else matches itself.
//!
//! Used for action patterns (case-insensitive) and, later, for `StringLike`/`ArnLike`
//! (case-sensitive). Greedy matching with a single backtrack point: time is O(pattern × text)
//! in the worst case and there is no recursion, so hostile patterns cannot blow the stack.

/// Whether `text` matches the IAM wildcard `pattern`. `fold_ascii_case` compares letters
/// ASCII-case-insensitively, as IAM does for action names.
pub(crate) fn glob_match(pattern: &str, text: &str, fold_ascii_case: bool) -> bool {
    let pattern: Vec<char> = pattern.chars().collect();
    let text: Vec<char> = text.chars().collect();
    let same =
        |p: char, t: char| p == '?' || p == t || (fold_ascii_case && p.eq_ignore_ascii_case(&t));
    let (mut p, mut t) = (0usize, 0usize);
    // Where the last `*` was seen, and the text position it currently starts absorbing from.
    let mut star: Option<(usize, usize)> = None;
    loop {
        match (pattern.get(p).copied(), text.get(t).copied()) {
            (Some('*'), _) => {
                star = Some((p, t));
                p += 1;
            }
            (Some(pc), Some(tc)) if same(pc, tc) => {
                p += 1;
                t += 1;
            }
            (None, None) => return true,
            (Some(_), None) => return false,
            // Mismatch, or pattern exhausted with text left: let the last `*` absorb one more
            // character and retry from just after it.
            (None | Some(_), Some(_)) => match star {
                Some((star_p, star_t)) => {
                    star = Some((star_p, star_t + 1));
                    p = star_p + 1;
                    t = star_t + 1;
                }
                None => return false,
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::glob_match;
    use proptest::prelude::*;

    #[test]
    fn literal_and_wildcards() {
        assert!(glob_match("AssumeRole", "AssumeRole", false));
        assert!(!glob_match("AssumeRole", "AssumeRoleWithSAML", false));
        assert!(glob_match("AssumeRole*", "AssumeRoleWithSAML", false));
        assert!(glob_match("*", "", false));
        assert!(glob_match("**", "abc", false));
        assert!(glob_match("a?c", "abc", false));
        assert!(!glob_match("a?c", "ac", false));
        assert!(glob_match("*/dev/*", "arn:aws:s3:::b/dev/x/y", false));
        assert!(glob_match("Get*Object*", "GetObjectAcl", false));
        assert!(!glob_match("", "a", false));
        assert!(glob_match("", "", false));
    }

    #[test]
    fn case_folding_is_opt_in() {
        assert!(glob_match("assumerole*", "AssumeRoleWithSAML", true));
        assert!(!glob_match("assumerole*", "AssumeRoleWithSAML", false));
    }

    /// Straightforward exponential reference implementation for small inputs.
    fn reference(p: &[char], t: &[char]) -> bool {
        match (p.first(), t.first()) {
            (None, None) => true,
            (Some('*'), _) => reference(&p[1..], t) || (!t.is_empty() && reference(p, &t[1..])),
            (Some(pc), Some(tc)) if *pc == '?' || pc == tc => reference(&p[1..], &t[1..]),
            _ => false,
        }
    }

    proptest! {
        #[test]
        fn agrees_with_reference(p in "[ab*?]{0,8}", t in "[ab]{0,8}") {
            let pc: Vec<char> = p.chars().collect();
            let tc: Vec<char> = t.chars().collect();
            prop_assert_eq!(glob_match(&p, &t, false), reference(&pc, &tc));
        }
    }
}
