//! Query-protocol parameters: `application/x-www-form-urlencoded` pairs from the body and the
//! query string, decoded strictly (bad escapes and non-UTF-8 are errors, not replacement
//! characters), bounded in count, with duplicates refused, plus the AWS list encodings
//! (`Tags.member.N.Key`, `PolicyArns.member.N.arn`, bare `Tags=` for an empty list).

use std::collections::BTreeMap;

use super::error::{ErrorCode, StsError};

/// Far above what any STS action sends (≤ 50 tags × 2 + 10 ARNs + a dozen scalars).
pub const MAX_PARAMS: usize = 256;
/// Highest list index accepted (`.member.N`).
const MAX_LIST_LEN: usize = 100;

/// Decoded parameters by name.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Params(BTreeMap<String, String>);

fn invalid(message: impl Into<String>) -> StsError {
    StsError::new(ErrorCode::InvalidParameterValue, message)
}

fn hex_val(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'a'..=b'f' => Some(b - b'a' + 10),
        b'A'..=b'F' => Some(b - b'A' + 10),
        _ => None,
    }
}

/// Form-decodes one name or value: `+` is a space, `%XX` a byte; the result must be UTF-8.
fn decode(raw: &[u8]) -> Result<String, StsError> {
    let mut out = Vec::with_capacity(raw.len());
    let mut iter = raw.iter().copied();
    while let Some(b) = iter.next() {
        match b {
            b'+' => out.push(b' '),
            b'%' => {
                let hi = iter.next().and_then(hex_val);
                let lo = iter.next().and_then(hex_val);
                match (hi, lo) {
                    (Some(h), Some(l)) => out.push(h << 4 | l),
                    _ => return Err(invalid("The request contains an invalid percent-encoding.")),
                }
            }
            other => out.push(other),
        }
    }
    String::from_utf8(out).map_err(|_| invalid("The request parameters must be valid UTF-8."))
}

impl Params {
    /// Parses and merges form-encoded sources (query string, then body). SigV4's own query
    /// parameters (`X-Amz-*`) are authentication, not action input, and are skipped here.
    pub fn parse(sources: &[&[u8]]) -> Result<Self, StsError> {
        let mut map = BTreeMap::new();
        let mut count = 0usize;
        for source in sources {
            for pair in source.split(|&b| b == b'&').filter(|p| !p.is_empty()) {
                let (name, value) = match pair.iter().position(|&b| b == b'=') {
                    Some(i) => (
                        pair.get(..i).unwrap_or_default(),
                        pair.get(i + 1..).unwrap_or_default(),
                    ),
                    None => (pair, &[][..]),
                };
                // Counted before anything is skipped, so no kind of pair escapes the bound.
                count += 1;
                if count > MAX_PARAMS {
                    return Err(invalid(format!(
                        "The request has more than {MAX_PARAMS} parameters."
                    )));
                }
                let name = decode(name)?;
                if name.is_empty() || name.len() > 256 {
                    return Err(invalid("A parameter name is empty or too long."));
                }
                if name.starts_with("X-Amz-") {
                    continue;
                }
                let value = decode(value)?;
                if map.contains_key(&name) {
                    return Err(invalid(format!(
                        "The parameter {name} is given more than once."
                    )));
                }
                map.insert(name, value);
            }
        }
        Ok(Self(map))
    }

    pub fn get(&self, name: &str) -> Option<&str> {
        self.0.get(name).map(String::as_str)
    }

    /// A required parameter (`MissingParameter` when absent).
    pub fn required(&self, name: &str) -> Result<&str, StsError> {
        self.get(name).ok_or_else(|| {
            StsError::new(
                ErrorCode::MissingParameter,
                format!("The request must contain the parameter {name}"),
            )
        })
    }

    /// An optional integer parameter.
    pub fn int(&self, name: &str) -> Result<Option<i64>, StsError> {
        self.get(name)
            .map(|v| {
                v.parse::<i64>().map_err(|_| {
                    invalid(format!(
                        "Value ({v}) for parameter {name} is invalid. Expected an integer."
                    ))
                })
            })
            .transpose()
    }

    /// `Name.member.N` scalars, in index order. `None` when absent; `Some([])` for a bare `Name=`.
    pub fn list(&self, name: &str) -> Result<Option<Vec<String>>, StsError> {
        let rows = self.members(name)?;
        Ok(rows.map(|rows| {
            rows.into_iter()
                .filter_map(|mut fields| fields.remove(""))
                .collect()
        }))
    }

    /// `Name.member.N.Field` structures, in index order, each as field → value.
    pub fn struct_list(
        &self,
        name: &str,
    ) -> Result<Option<Vec<BTreeMap<String, String>>>, StsError> {
        self.members(name)
    }

    /// Groups `Name.member.N[.Field]` entries by N (field "" for scalar members) and insists
    /// the indices run 1, 2, … with no gap, as every SDK writes them.
    fn members(&self, name: &str) -> Result<Option<Vec<BTreeMap<String, String>>>, StsError> {
        let prefix = format!("{name}.member.");
        let mut rows: BTreeMap<usize, BTreeMap<String, String>> = BTreeMap::new();
        for (key, value) in self.0.range(prefix.clone()..) {
            let Some(rest) = key.strip_prefix(&prefix) else {
                break;
            };
            let (index, field) = rest.split_once('.').unwrap_or((rest, ""));
            let n: usize = index
                .parse()
                .ok()
                .filter(|n| (1..=MAX_LIST_LEN).contains(n) && !index.starts_with('0'))
                .ok_or_else(|| invalid(format!("Invalid list index in parameter {key}.")))?;
            rows.entry(n)
                .or_default()
                .insert(field.to_owned(), value.clone());
        }
        if rows.is_empty() {
            return match self.get(name) {
                Some("") => Ok(Some(Vec::new())),
                Some(_) => Err(invalid(format!(
                    "The parameter {name} is a list: use {name}.member.N."
                ))),
                None => Ok(None),
            };
        }
        if rows.keys().copied().ne(1..=rows.len()) {
            return Err(invalid(format!(
                "The members of list {name} must be numbered 1 to N without gaps."
            )));
        }
        Ok(Some(rows.into_values().collect()))
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    fn p(s: &str) -> Result<Params, StsError> {
        Params::parse(&[s.as_bytes()])
    }

    #[test]
    fn decodes_form_encoding() {
        let params =
            p("Action=GetCallerIdentity&Version=2011-06-15&A=x+y%20z%2B&Empty=&Bare").unwrap();
        assert_eq!(params.get("A"), Some("x y z+"));
        assert_eq!(params.get("Empty"), Some(""));
        assert_eq!(params.get("Bare"), Some(""));
        assert_eq!(
            params.required("Nope").unwrap_err().code,
            ErrorCode::MissingParameter
        );
    }

    #[test]
    fn strictness() {
        for bad in ["A=%", "A=%4", "A=%zz", "A=%FF", "A=%C3%28", "A=1&A=2", "=x"] {
            assert_eq!(
                p(bad).unwrap_err().code,
                ErrorCode::InvalidParameterValue,
                "{bad}"
            );
        }
        let many: Vec<String> = (0..=MAX_PARAMS).map(|i| format!("P{i}=1")).collect();
        assert!(p(&many.join("&")).is_err());
        let many: Vec<String> = (0..=MAX_PARAMS).map(|i| format!("X-Amz-P{i}=1")).collect();
        assert!(p(&many.join("&")).is_err(), "skipped parameters count too");
        // Duplicates across query string and body are duplicates too.
        assert!(Params::parse(&[b"Action=A", b"Action=B"]).is_err());
        // SigV4 presign parameters are not action input.
        assert_eq!(p("X-Amz-Date=1&Action=A").unwrap().get("X-Amz-Date"), None);
    }

    #[test]
    fn lists_as_botocore_sends_them() {
        let params = p(
            "Tags.member.1.Key=team&Tags.member.1.Value=blue&Tags.member.2.Key=cost&Tags.member.2.Value=42\
             &PolicyArns.member.1.arn=arn%3Aaws%3Aiam%3A%3A123456789012%3Apolicy%2Fp1&TransitiveTagKeys.member.1=team",
        )
        .unwrap();
        let tags = params.struct_list("Tags").unwrap().unwrap();
        assert_eq!(tags.len(), 2);
        assert_eq!(
            (tags[1]["Key"].as_str(), tags[1]["Value"].as_str()),
            ("cost", "42")
        );
        let arns = params.struct_list("PolicyArns").unwrap().unwrap();
        assert_eq!(arns[0]["arn"], "arn:aws:iam::123456789012:policy/p1");
        assert_eq!(
            params.list("TransitiveTagKeys").unwrap().unwrap(),
            vec!["team".to_owned()]
        );
        assert_eq!(params.list("Missing").unwrap(), None);
        assert_eq!(
            p("Tags=").unwrap().struct_list("Tags").unwrap(),
            Some(vec![])
        );
        // Index 10 sorts before 2 as text; order must follow the number.
        let ten: Vec<String> = (1..=10).map(|i| format!("K.member.{i}=v{i}")).collect();
        let l = p(&ten.join("&")).unwrap().list("K").unwrap().unwrap();
        assert_eq!(l[9], "v10");
        for bad in [
            "K.member.2=x",
            "K.member.0=x",
            "K.member.01=x",
            "K.member.x=1",
            "K=notempty",
            "K.member.101=x",
        ] {
            assert!(p(bad).unwrap().list("K").is_err(), "{bad}");
        }
    }

    proptest! {
        #[test]
        fn never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..512)) {
            let _ = Params::parse(&[&bytes]);
        }

        #[test]
        fn round_trips_encoded_values(value in "\\PC{0,40}") {
            let encoded: String = url::form_urlencoded::byte_serialize(value.as_bytes()).collect();
            let params = p(&format!("V={encoded}")).unwrap();
            prop_assert_eq!(params.get("V"), Some(value.as_str()));
        }
    }
}
