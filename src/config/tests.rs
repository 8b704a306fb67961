//! Validation tests: every rule reports the key path an operator has to fix.

use std::collections::HashMap;
use std::path::Path;

use super::testkit::*;
use super::*;

fn errors(text: &str) -> Vec<String> {
    errors_in(text, Path::new("."))
}

fn errors_in(text: &str, dir: &Path) -> Vec<String> {
    match from_toml(text, dir, &env()) {
        Ok(_) => Vec::new(),
        Err(e) => e.key_errors().iter().map(ToString::to_string).collect(),
    }
}

#[test]
fn the_documented_schema_validates_into_typed_values() {
    let dir = full_dir();
    let c = from_toml(&full_config(), dir.path(), &env()).unwrap();
    assert_eq!(c.server.public_url.as_str(), "https://sts.example.com/");
    assert_eq!(c.server.account_id.to_string(), "123456789012");
    assert!(matches!(c.store, StoreUrl::Postgres(_)));
    assert!(
        matches!(&c.tokens, KeySource::File(p) if p == &dir.path().join("keys/stsbridge-keys.json"))
    );
    assert_eq!(
        c.users[0].secret_access_key.expose(),
        "test-secret-from-env-0000"
    );
    assert!(c.users[0].user_id.starts_with("AIDA") && c.users[0].user_id.len() == 21);
    assert!(c.users[0].mfa_totp_secret.is_some());
    assert_eq!(
        c.oidc_providers[0].arn,
        "arn:aws:iam::123456789012:oidc-provider/accounts.example.com"
    );
    assert!(matches!(c.oidc_providers[0].jwks, JwksSource::File { .. }));
    assert_eq!(
        c.saml_providers[0].arn,
        "arn:aws:iam::123456789012:saml-provider/corp"
    );
    assert_eq!(
        c.saml_providers[0].acs_urls,
        vec!["https://sts.example.com/saml/acs".to_owned()]
    );
    // The metadata is kept as read; the SAML registry parses it (its entity id is checked
    // with the registries' tests, `authn::registries`).
    assert!(
        matches!(&c.saml_providers[0].metadata, SamlMetadataSource::File { xml, .. } if xml == METADATA)
    );
    assert_eq!(
        c.roles[0].arn.to_string(),
        "arn:aws:iam::123456789012:role/ops/admin"
    );
    assert!(c.roles[0].role_id.starts_with("AROA"));
    assert_eq!(c.rules.len(), 2);
    assert!(c.rules[0].stop && c.rules[0].session_name.is_some());
    assert!(matches!(c.audit.sink, AuditSink::Stdout));
    assert_eq!(
        (
            c.limits.per_subject_per_s,
            c.limits.unauthenticated_per_ip_per_s
        ),
        (5, 50)
    );
    // Derived ids are stable: same input, same id, on every replica.
    let again = from_toml(&full_config(), dir.path(), &env()).unwrap();
    assert_eq!(again.roles[0].role_id, c.roles[0].role_id);
}

#[test]
fn empty_file_gives_defaults() {
    let c = from_toml("", Path::new("/etc/stsbridge"), &env()).unwrap();
    assert_eq!(c.server.listen.to_string(), "127.0.0.1:8080");
    assert_eq!(c.server.public_url.as_str(), "http://127.0.0.1:8080/");
    assert_eq!(c.server.account_id.to_string(), "000000000000");
    assert!(
        matches!(&c.store, StoreUrl::SqliteFile(p) if p == Path::new("/etc/stsbridge/stsbridge.db"))
    );
    assert!(!c.demo);
}

#[test]
fn unknown_keys_and_wrong_types_name_their_path() {
    let e = errors("[server]\nacount_id = \"123456789012\"\n");
    assert_eq!(e.len(), 1);
    assert!(
        e[0].starts_with("server.acount_id: unknown field `acount_id`"),
        "{e:?}"
    );
    let e = errors(
        "[[users]]\nname = \"a\"\naccess_key_id = \"AKIAEXAMPLECI0000001\"\nsecret_access_key = \"x\"\npolicies = \"not a list\"\n",
    );
    assert!(e[0].starts_with("users[0].policies:"), "{e:?}");
    let e = errors("[[roles]]\nname = \"r\"\ntrust_policy = \"{}\"\nmax_session_duration = -5\n");
    assert!(e[0].starts_with("roles[0].max_session_duration:"), "{e:?}");
    let e = errors("this is not toml");
    assert!(e[0].starts_with("(syntax):"), "{e:?}");
    let e = errors("[nonsense]\n");
    assert!(e[0].contains("unknown field `nonsense`"), "{e:?}");
}

#[test]
fn all_problems_are_reported_at_once() {
    let text = format!(
        r#"
[server]
listen = "nowhere"
account_id = "12345"
region = "Mars Central"
public_url = "ftp://x"

[store]
url = "mysql://db"

[[users]]
name = "dup"
access_key_id = "ASIAEXAMPLECI0000001"
secret_access_key = "env:NOPE"
mfa_totp_secret = "short"
policies = ['''{{"Version":"2012-10-17","Statement":[{{"Effect":"Allow","Principal":"*","Action":"*","Resource":"*"}}]}}''']

[[users]]
name = "dup"
access_key_id = "AKIA"
secret_access_key = "tiny"
managed_policies = ["missing"]

[[roles]]
name = "bad name!"
path = "no-slashes"
max_session_duration = 100
trust_policy = '''{ADMIN_POLICY}'''
tags = {{ "aws:reserved" = "x" }}

[audit]
retention_days = 0

[limits]
per_access_key_per_s = 0
"#
    );
    let e = errors(&text);
    for expected in [
        "server.listen:",
        "server.account_id:",
        "server.region:",
        "store.url:",
        "users[0].access_key_id: configured users have long-term AKIA… keys",
        "users[0].secret_access_key: environment variable NOPE is not set or empty",
        "users[0].mfa_totp_secret:",
        "users[0].policies[0]:",
        "users[1].name: duplicate user name 'dup'",
        "users[1].access_key_id:",
        "users[1].secret_access_key:",
        "users[1].managed_policies[0]: no [[policies]] entry named 'missing'",
        "roles[0].name:",
        "roles[0].path:",
        "roles[0].max_session_duration:",
        "roles[0].trust_policy:",
        "roles[0].tags.aws:reserved:",
        "audit.retention_days:",
        "limits.per_access_key_per_s:",
    ] {
        assert!(has(&e, expected), "missing {expected:?} in {e:#?}");
    }
    // The public_url error is not reported twice, and never hides the others.
    assert!(
        e.iter()
            .filter(|x| x.starts_with("server.public_url"))
            .count()
            <= 1
    );
}

#[test]
fn providers_and_rules_are_cross_checked() {
    let dir = full_dir();
    let bad = full_config()
        .replace(
            "url = \"https://accounts.example.com\"",
            "url = \"http://accounts.example.com\"",
        )
        .replace("clock_skew_s = 120", "clock_skew_s = 301")
        .replace(
            "login_client_id = \"web-app\"",
            "login_client_id = \"other\"",
        )
        .replace(
            "scopes = [\"openid\", \"email\", \"groups\"]",
            "scopes = [\"email\"]",
        )
        .replace(
            "metadata_file = \"idp.xml\"",
            "metadata_file = \"missing.xml\"",
        )
        .replace("value = \".*@example\\\\.com\"", "value = \"(unclosed\"")
        .replace("roles = [\"admin\"]", "roles = [\"ghost\"]")
        .replace("{{claims.email}}", "{{email}}");
    let e = errors_in(&bad, dir.path());
    for expected in [
        "oidc_providers[0].url: must be an https:// URL",
        "oidc_providers[0].clock_skew_s: at most 300 seconds",
        "oidc_providers[0].login_client_id: must be one of client_ids",
        "oidc_providers[0].scopes: must include \"openid\"",
        "saml_providers[0].metadata_file: cannot read",
        "rules[0].when[1].op: invalid regex",
        "rules[0].session_name: template",
        "rules[1].provider:",
        "rules[1].roles[0]: no [[roles]] entry named 'ghost'",
    ] {
        assert!(has(&e, expected), "missing {expected:?} in {e:#?}");
    }
}

#[test]
fn loopback_http_idps_are_allowed_for_tests_and_the_demo() {
    let text = "[[oidc_providers]]\nurl = \"http://127.0.0.1:9999/idp\"\nclient_ids = [\"c\"]\n";
    let c = from_toml(text, Path::new("."), &env()).unwrap();
    assert_eq!(
        c.oidc_providers[0].arn,
        "arn:aws:iam::000000000000:oidc-provider/127.0.0.1:9999/idp"
    );
}

#[test]
fn postgres_url_errors_never_echo_the_password() {
    let e = errors("[store]\nurl = \"postgres://user:hunter2@\"\n");
    assert!(has(&e, "store.url:"), "{e:?}");
    assert!(!e.iter().any(|x| x.contains("hunter2")), "{e:?}");
}

#[test]
fn store_url_may_come_from_the_environment() {
    let env = HashMap::from([(
        "DB_URL".to_owned(),
        "postgres://sts:pw@db.internal/sts".to_owned(),
    )]);
    let c = from_toml("[store]\nurl = \"env:DB_URL\"\n", Path::new("."), &env).unwrap();
    assert!(matches!(&c.store, StoreUrl::Postgres(s) if s.expose().ends_with("@db.internal/sts")));
    assert!(
        !format!("{:?}", c.store).contains("pw@"),
        "the URL is redacted in Debug"
    );
}

#[test]
fn the_mfa_limit_is_per_user_defaults_to_one_and_is_at_least_one() {
    let c = from_toml("", Path::new("."), &env()).unwrap();
    assert_eq!(c.limits.mfa_per_user_per_s, 1);
    let c = from_toml("[limits]\nmfa_per_user_per_s = 3\n", Path::new("."), &env()).unwrap();
    assert_eq!(c.limits.mfa_per_user_per_s, 3);
    let e = errors("[limits]\nmfa_per_user_per_s = 0\n");
    assert!(has(&e, "limits.mfa_per_user_per_s:"), "{e:?}");
}
