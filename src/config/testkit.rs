//! Test fixtures shared by the validation tests and the registry tests above this layer
//! (which parse the provider files these point to): the documented schema as one full file,
//! its directory of referenced files, and the environment its `env:` secrets come from.

use std::collections::HashMap;

pub(crate) const ADMIN_POLICY: &str =
    r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}"#;

pub(crate) fn env() -> HashMap<String, String> {
    HashMap::from([(
        "CI_SECRET".to_owned(),
        "test-secret-from-env-0000".to_owned(),
    )])
}

pub(crate) fn has(errors: &[String], needle: &str) -> bool {
    errors.iter().any(|e| e.contains(needle))
}

pub(crate) const METADATA: &str = r#"<md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" xmlns:ds="http://www.w3.org/2000/09/xmldsig#" entityID="https://idp.example.com">
<md:IDPSSODescriptor protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol"><md:KeyDescriptor use="signing"><ds:KeyInfo><ds:X509Data><ds:X509Certificate>TUlJQw==</ds:X509Certificate></ds:X509Data></ds:KeyInfo></md:KeyDescriptor></md:IDPSSODescriptor></md:EntityDescriptor>"#;

pub(crate) fn full_config() -> String {
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

pub(crate) fn full_dir() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("idp.xml"), METADATA).unwrap();
    std::fs::write(
        dir.path().join("jwks.json"),
        r#"{"keys":[{"kty":"RSA","kid":"k1","n":"AQAB","e":"AQAB"}]}"#,
    )
    .unwrap();
    dir
}
