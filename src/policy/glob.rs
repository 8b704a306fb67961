//! IAM wildcard matching: `*` matches any run of characters (including `/` and `:`), `?` matches
//! exactly one character, everything else matches itself.
//!
//! Used for action patterns (case-insensitive), resource patterns and `StringLike`/`ArnLike`
//! (case-sensitive). Greedy matching with a single backtrack point: time is O(pattern × text)
//! in the worst case and there is no recursion, so hostile patterns cannot blow the stack.
//!
//! Patterns are also available as [`GlobToken`] sequences, because policy variables produce
//! literal `*`/`?` characters (`${*}`, or a substituted value) that must not act as wildcards.
//! The token matcher charges every step to a [`StepBudget`], so that one evaluation of a large
//! policy against large request values stays bounded as a whole, not just per comparison.

/// One element of a wildcard pattern.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum GlobToken {
    /// Matches exactly this character (ASCII-case-insensitively if folding is on).
    Char(char),
    /// `*`: any run of characters, possibly empty.
    AnyRun,
    /// `?`: exactly one character.
    AnyOne,
}

impl GlobToken {
    /// The character this token is written as.
    pub(crate) const fn as_char(self) -> char {
        match self {
            Self::Char(c) => c,
            Self::AnyRun => '*',
            Self::AnyOne => '?',
        }
    }
}

/// Reads `*` and `?` in `pattern` as wildcards and everything else as literal characters.
pub(crate) fn tokenize(pattern: &str) -> Vec<GlobToken> {
    pattern
        .chars()
        .map(|c| match c {
            '*' => GlobToken::AnyRun,
            '?' => GlobToken::AnyOne,
            c => GlobToken::Char(c),
        })
        .collect()
}

/// A shared allowance of matcher steps. Once spent, every further bounded match reports
/// "undecided" (`None`) instead of doing more work; the caller decides what that means.
#[derive(Debug, Clone)]
pub(crate) struct StepBudget {
    remaining: u64,
    refused: bool,
}

impl StepBudget {
    pub(crate) const fn new(steps: u64) -> Self {
        Self {
            remaining: steps,
            refused: false,
        }
    }

    /// Spends `steps`; false (and the budget is emptied) if fewer were left.
    pub(crate) fn take(&mut self, steps: u64) -> bool {
        if let Some(rest) = self.remaining.checked_sub(steps) {
            self.remaining = rest;
            true
        } else {
            self.remaining = 0;
            self.refused = true;
            false
        }
    }

    /// Whether some work was refused because the budget ran out.
    pub(crate) const fn is_exhausted(&self) -> bool {
        self.refused
    }
}

/// Whether `text` matches the IAM wildcard `pattern`. `fold_ascii_case` compares letters
/// ASCII-case-insensitively, as IAM does for action names.
///
/// Unmetered: meant for action names, which are short on both sides.
pub(crate) fn glob_match(pattern: &str, text: &str, fold_ascii_case: bool) -> bool {
    let mut budget = StepBudget::new(u64::MAX);
    glob_match_tokens(&tokenize(pattern), text, fold_ascii_case, &mut budget).unwrap_or(false)
}

/// Whether `text` matches the token `pattern`; `None` if `budget` ran out first.
pub(crate) fn glob_match_tokens(
    pattern: &[GlobToken],
    text: &str,
    fold_ascii_case: bool,
    budget: &mut StepBudget,
) -> Option<bool> {
    let text: Vec<char> = text.chars().collect();
    let same = |p: GlobToken, t: char| match p {
        GlobToken::AnyOne => true,
        GlobToken::Char(c) => c == t || (fold_ascii_case && c.eq_ignore_ascii_case(&t)),
        GlobToken::AnyRun => false,
    };
    let (mut p, mut t) = (0usize, 0usize);
    // Where the last `*` was seen, and the text position it currently starts absorbing from.
    let mut star: Option<(usize, usize)> = None;
    loop {
        if !budget.take(1) {
            return None;
        }
        match (pattern.get(p).copied(), text.get(t).copied()) {
            (Some(GlobToken::AnyRun), _) => {
                star = Some((p, t));
                p += 1;
            }
            (Some(pc), Some(tc)) if same(pc, tc) => {
                p += 1;
                t += 1;
            }
            (None, None) => return Some(true),
            (Some(_), None) => return Some(false),
            // Mismatch, or pattern exhausted with text left: let the last `*` absorb one more
            // character and retry from just after it.
            (None | Some(_), Some(_)) => match star {
                Some((star_p, star_t)) => {
                    star = Some((star_p, star_t + 1));
                    p = star_p + 1;
                    t = star_t + 1;
                }
                None => return Some(false),
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::{GlobToken, StepBudget, glob_match, glob_match_tokens, tokenize};
    use proptest::prelude::*;

    #[test]
    fn literal_tokens_do_not_act_as_wildcards() {
        let mut budget = StepBudget::new(1_000);
        let literal_star = [GlobToken::Char('a'), GlobToken::Char('*')];
        assert_eq!(
            glob_match_tokens(&literal_star, "a*", false, &mut budget),
            Some(true)
        );
        assert_eq!(
            glob_match_tokens(&literal_star, "abc", false, &mut budget),
            Some(false)
        );
        assert_eq!(
            glob_match_tokens(&tokenize("a*"), "abc", false, &mut budget),
            Some(true)
        );
        assert!(!budget.is_exhausted());
    }

    #[test]
    fn budget_exhaustion_is_reported_not_guessed() {
        let mut budget = StepBudget::new(10);
        let pattern = tokenize("*a*a*a*a*b");
        let text = "a".repeat(100);
        assert_eq!(glob_match_tokens(&pattern, &text, false, &mut budget), None);
        assert!(budget.is_exhausted());
        // Once spent, stays spent.
        assert_eq!(
            glob_match_tokens(&tokenize("x"), "x", false, &mut budget),
            None
        );
    }

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
