//! Validation tests: every rule reports the key path an operator has to fix.

use std::collections::HashMap;
use std::path::Path;

use super::*;

const ADMIN_POLICY: &str =
    r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}"#;

fn env() -> HashMap<String, String> {
    HashMap::from([(
        "CI_SECRET".to_owned(),
        "test-secret-from-env-0000".to_owned(),
    )])
}

fn errors(text: &str) -> Vec<String> {
    errors_in(text, Path::new("."))
}

fn errors_in(text: &str, dir: &Path) -> Vec<String> {
    match from_toml(text, dir, &env()) {
        Ok(_) => Vec::new(),
        Err(e) => e.key_errors().iter().map(ToString::to_string).collect(),
    }
}

fn has(errors: &[String], needle: &str) -> bool {
    errors.iter().any(|e| e.contains(needle))
}

const METADATA: &str = r#"<md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" xmlns:ds="http://www.w3.org/2000/09/xmldsig#" entityID="https://idp.example.com">
<md:IDPSSODescriptor protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol"><md:KeyDescriptor use="signing"><ds:KeyInfo><ds:X509Data><ds:X509Certificate>TUlJQw==</ds:X509Certificate></ds:X509Data></ds:KeyInfo></md:KeyDescriptor></md:IDPSSODescriptor></md:EntityDescriptor>"#;

fn full_config() -> String {
    format!(
        r#"
[server]
listen = "0.0.0.0:8443"
public_url = "https://sts.example.com/"
account_id = "123456789012"
region = "eu-west-1"
cors_origins = ["https://app.example.com"]
console_destinations = ["https://console.example.com/home"]

[store]
url = "postgres://sts:pw@db.example.com/sts"

[tokens]
keys_file = "keys/stsbridge-keys.json"

[[users]]
name = "ci"
access_key_id = "AKIAEXAMPLECI0000001"
secret_access_key = "env:CI_SECRET"
mfa_totp_secret = "JBSW Y3DP EHPK 3PXP"
policies = ['''{ADMIN_POLICY}''']
managed_policies = ["s3-read"]

[[oidc_providers]]
url = "https://accounts.example.com"
client_ids = ["mobile-app", "web-app"]
jwks_file = "jwks.json"
clock_skew_s = 120
login_client_id = "web-app"
login_client_secret = "env:CI_SECRET"
scopes = ["openid", "email", "groups"]

[[saml_providers]]
name = "corp"
metadata_file = "idp.xml"
audiences = ["https://sts.example.com/saml/metadata", "urn:amazon:webservices"]

[[policies]]
name = "s3-read"
document = '''{{"Version":"2012-10-17","Statement":[{{"Effect":"Allow","Action":["s3:Get*","s3:List*"],"Resource":"*"}}]}}'''

[[roles]]
name = "admin"
path = "/ops/"
max_session_duration = 43200
trust_policy = '''{{"Version":"2012-10-17","Statement":[{{"Effect":"Allow","Principal":{{"Federated":"arn:aws:iam::123456789012:saml-provider/corp"}},"Action":"sts:AssumeRoleWithSAML","Condition":{{"StringEquals":{{"SAML:aud":"https://sts.example.com/saml/metadata"}}}}}}]}}'''
managed_policies = ["s3-read"]
tags = {{ team = "ops" }}

[[rules]]
provider = "corp"
when = [ {{ claim = "groups", op = "contains", value = "admins" }}, {{ claim = "email", op = "regex", value = ".*@example\\.com" }} ]
roles = ["admin", "arn:aws:iam::123456789012:role/ops/admin"]
tags = {{ department = "{{{{claims.department}}}}" }}
session_name = "{{{{claims.email}}}}"
stop = true

[[rules]]
provider = "https://accounts.example.com"
when = [ {{ claim = "email_verified", op = "exists" }} ]
roles = ["admin"]

[audit]
file = "-"
retention_days = 30

[limits]
per_subject_per_s = 5
"#
    )
}

fn full_dir() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("idp.xml"), METADATA).unwrap();
    std::fs::write(
        dir.path().join("jwks.json"),
        r#"{"keys":[{"kty":"RSA","kid":"k1","n":"AQAB","e":"AQAB"}]}"#,
    )
    .unwrap();
    dir
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
    assert!(
        matches!(&c.saml_providers[0].metadata, SamlMetadataSource::File { entity_id, .. } if entity_id == "https://idp.example.com")
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
fn saml_metadata_without_signing_keys_is_refused() {
    let dir = full_dir();
    std::fs::write(
        dir.path().join("idp.xml"),
        METADATA.replace("use=\"signing\"", "use=\"encryption\""),
    )
    .unwrap();
    let e = errors_in(&full_config(), dir.path());
    assert!(
        has(
            &e,
            "saml_providers[0].metadata_file: metadata has no signing certificate"
        ),
        "{e:#?}"
    );
    std::fs::write(dir.path().join("jwks.json"), "{\"keys\":[]}").unwrap();
    let e = errors_in(&full_config(), dir.path());
    assert!(
        has(&e, "oidc_providers[0].jwks_file: expected a JWKS document"),
        "{e:#?}"
    );
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
