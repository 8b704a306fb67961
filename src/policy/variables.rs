//! Policy variables: `${key}` and `${key, 'default'}` in `Resource` values and condition
//! values, substituted from the request context before comparison.
//!
//! Reference: <https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_variables.html>.
//!
//! Only `Version: 2012-10-17` policies substitute; in `2008-10-17` policies `${…}` is literal
//! text, as IAM does. The escapes `${*}`, `${?}` and `${$}` produce a literal `*`, `?` and `$`.
//!
//! The result is a [`GlobToken`] sequence rather than a string, so that characters which did not
//! come from the policy author's own `*`/`?` stay literal: neither an escape nor a substituted
//! value (a user name containing `*`, say) can widen a `StringLike` or `Resource` pattern.
//!
//! Expansion yields `None` ("this value cannot match") when:
//! - the key is absent (or an empty list, or an empty string) and there is no default: IAM
//!   treats such a variable as null, with no equal or like value; substituting `""` would let
//!   `arn:…:bucket/${aws:username}*` match every object;
//! - the key is multivalued (two or more values): a variable stands for one string;
//! - the `${` syntax is malformed: refusing to guess is safer than reading it as literal text;
//! - substituted text would exceed [`MAX_SUBSTITUTED_CHARS`], or the evaluation's
//!   [`StepBudget`] is spent (each substituted character costs one step).

use super::context::RequestContext;
use super::glob::{GlobToken, StepBudget, tokenize};
use super::model::PolicyVersion;

/// Most characters substitution may add to one policy value. Generous next to IAM's own limits
/// (ARNs are at most 2,048 characters, session tags 256), so it only stops abuse.
pub(crate) const MAX_SUBSTITUTED_CHARS: usize = 8_192;

/// `text` with its policy variables resolved against `ctx`, as wildcard tokens; see the module
/// doc for when this is `None`.
pub(crate) fn expand(
    text: &str,
    version: PolicyVersion,
    ctx: &RequestContext,
    budget: &mut StepBudget,
) -> Option<Vec<GlobToken>> {
    if !version.supports_variables() || !text.contains("${") {
        return Some(tokenize(text));
    }
    let mut out = Vec::with_capacity(text.len());
    let mut substituted = 0usize;
    let mut rest = text;
    while let Some((before, after)) = rest.split_once("${") {
        out.extend(tokenize(before));
        let (replacement, remainder) = parse_variable(after)?;
        let chars: Vec<char> = match replacement {
            Replacement::Escape(c) => vec![c],
            Replacement::Variable { key, default } => resolve(ctx, key, default)?.chars().collect(),
        };
        substituted = substituted.checked_add(chars.len())?;
        let cost = u64::try_from(chars.len()).ok()?;
        if substituted > MAX_SUBSTITUTED_CHARS || !budget.take(cost) {
            return None;
        }
        out.extend(chars.into_iter().map(GlobToken::Char));
        rest = remainder;
    }
    out.extend(tokenize(rest));
    Some(out)
}

/// The written form of `tokens`, for operators that compare literally (`StringEquals`,
/// `Numeric*`, ...), where `*` and `?` have no special meaning.
pub(crate) fn tokens_to_text(tokens: &[GlobToken]) -> String {
    tokens.iter().map(|token| token.as_char()).collect()
}

/// What one `${…}` stands for.
enum Replacement<'a> {
    /// `${*}`, `${?}`, `${$}`.
    Escape(char),
    Variable {
        key: &'a str,
        default: Option<&'a str>,
    },
}

/// Parses the text after a `${` up to and including its closing `}`; returns the replacement
/// and the text after the `}`. Grammar: `*}` | `?}` | `$}` | `key}` | `key, 'default'}`, with
/// optional spaces around the comma and before the `}`.
fn parse_variable(after: &str) -> Option<(Replacement<'_>, &str)> {
    for escape in ['*', '?', '$'] {
        if let Some(rest) = after
            .strip_prefix(escape)
            .and_then(|rest| rest.strip_prefix('}'))
        {
            return Some((Replacement::Escape(escape), rest));
        }
    }
    let end = after.find([',', '}'])?;
    let (key, tail) = after.split_at(end);
    let key = key.trim();
    if !is_variable_key(key) {
        return None;
    }
    if let Some(rest) = tail.strip_prefix('}') {
        return Some((Replacement::Variable { key, default: None }, rest));
    }
    let quoted = tail.strip_prefix(',')?.trim_start().strip_prefix('\'')?;
    let (default, rest) = quoted.split_once('\'')?;
    let rest = rest.trim_start().strip_prefix('}')?;
    Some((
        Replacement::Variable {
            key,
            default: Some(default),
        },
        rest,
    ))
}

/// `vendor:name` without characters that would make the variable ambiguous.
fn is_variable_key(key: &str) -> bool {
    key.split_once(':').is_some_and(|(vendor, name)| {
        !vendor.is_empty()
            && !name.is_empty()
            && !key
                .chars()
                .any(|c| c.is_whitespace() || c.is_control() || matches!(c, '$' | '{' | '\''))
    })
}

/// The string a variable stands for, or `None` if it stands for nothing (see the module doc).
fn resolve<'a>(ctx: &'a RequestContext, key: &str, default: Option<&'a str>) -> Option<&'a str> {
    match ctx.present_values(key) {
        Some([single]) if !single.is_empty() => Some(single.as_str()),
        Some([_, _, ..]) => None,
        Some(_) | None => default,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ctx() -> RequestContext {
        RequestContext::new("s3:GetObject", None)
            .with("aws:username", "alice")
            .with("saml:sub", "a*b")
            .with("accounts.example.com:sub", "repo:org/app:ref:main")
            .with("aws:empty", "")
            .with("aws:TagKeys", vec!["a".to_owned(), "b".to_owned()])
            .with("aws:one", vec!["only".to_owned()])
    }

    fn text(pattern: &str) -> Option<String> {
        let mut budget = StepBudget::new(10_000);
        expand(pattern, PolicyVersion::V2012_10_17, &ctx(), &mut budget)
            .map(|tokens| tokens_to_text(&tokens))
    }

    #[test]
    fn substitutes_keys_case_insensitively() {
        assert_eq!(
            text("home/${aws:username}/*").as_deref(),
            Some("home/alice/*")
        );
        assert_eq!(text("${AWS:UserName}").as_deref(), Some("alice"));
        assert_eq!(
            text("${accounts.example.com:sub}").as_deref(),
            Some("repo:org/app:ref:main")
        );
        assert_eq!(text("${aws:one}").as_deref(), Some("only"));
        assert_eq!(text("no variables").as_deref(), Some("no variables"));
        assert_eq!(
            text("${aws:username}${aws:username}").as_deref(),
            Some("alicealice")
        );
    }

    #[test]
    fn defaults_apply_only_when_absent() {
        assert_eq!(text("${aws:missing, 'dflt'}").as_deref(), Some("dflt"));
        assert_eq!(text("${aws:missing,'d f'}").as_deref(), Some("d f"));
        assert_eq!(text("${aws:username, 'dflt'}").as_deref(), Some("alice"));
        assert_eq!(text("${aws:empty, 'dflt'}").as_deref(), Some("dflt"));
        assert_eq!(text("${aws:missing, ''}").as_deref(), Some(""));
    }

    #[test]
    fn unresolvable_variables_never_match() {
        assert_eq!(text("home/${aws:missing}/*"), None);
        assert_eq!(text("${aws:empty}"), None);
        assert_eq!(text("${aws:TagKeys}"), None);
        assert_eq!(text("${aws:TagKeys, 'x'}"), None);
    }

    #[test]
    fn malformed_syntax_never_matches() {
        for bad in [
            "${aws:username",
            "${}",
            "${username}",
            "${aws:username, dflt}",
            "${aws:username, 'dflt}",
            "${aws:username, 'a' x}",
            "${ }",
        ] {
            assert_eq!(text(bad), None, "{bad}");
        }
        // A lone `$` or `{` is ordinary text.
        assert_eq!(text("a$b{c}").as_deref(), Some("a$b{c}"));
    }

    #[test]
    fn escapes_and_substitutions_are_literal_tokens() {
        let mut budget = StepBudget::new(10_000);
        let tokens = expand(
            "${*}${?}${$}*?${saml:sub}",
            PolicyVersion::V2012_10_17,
            &ctx(),
            &mut budget,
        )
        .unwrap();
        assert_eq!(
            tokens,
            [
                GlobToken::Char('*'),
                GlobToken::Char('?'),
                GlobToken::Char('$'),
                GlobToken::AnyRun,
                GlobToken::AnyOne,
                GlobToken::Char('a'),
                GlobToken::Char('*'),
                GlobToken::Char('b'),
            ]
        );
    }

    #[test]
    fn version_2008_is_literal() {
        let mut budget = StepBudget::new(10_000);
        let tokens = expand(
            "${aws:username}*",
            PolicyVersion::V2008_10_17,
            &ctx(),
            &mut budget,
        )
        .unwrap();
        assert_eq!(tokens_to_text(&tokens), "${aws:username}*");
        assert_eq!(tokens.last(), Some(&GlobToken::AnyRun));
    }

    #[test]
    fn substitution_is_capped() {
        let long = "x".repeat(MAX_SUBSTITUTED_CHARS / 2 + 1);
        let ctx = RequestContext::new("s3:GetObject", None).with("aws:username", long.as_str());
        let mut budget = StepBudget::new(u64::MAX);
        assert!(
            expand(
                "${aws:username}",
                PolicyVersion::V2012_10_17,
                &ctx,
                &mut budget
            )
            .is_some()
        );
        assert_eq!(
            expand(
                "${aws:username}${aws:username}",
                PolicyVersion::V2012_10_17,
                &ctx,
                &mut budget
            ),
            None
        );
        let mut small = StepBudget::new(3);
        assert_eq!(
            expand(
                "${aws:username}",
                PolicyVersion::V2012_10_17,
                &ctx,
                &mut small
            ),
            None
        );
        assert!(small.is_exhausted());
    }
}
