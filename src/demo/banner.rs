//! The demo's start-up banner: this run's generated keys and the first commands to try,
//! written for a person (`main` prints it once the listener is bound).

use std::fmt::Write as _;

use super::config::DemoCredentials;
use crate::config::Config;

/// The banner for a demo listening on `addr`; the first credentials are the admin's.
pub fn banner(addr: &str, config: &Config, credentials: &[DemoCredentials]) -> String {
    let mut out = format!(
        "stsbridge DEMO mode on http://{addr}  (keys below are generated for this run only)\n"
    );
    for c in credentials {
        let _ = writeln!(
            out,
            "  user {:<10} access key {}  secret {}",
            c.user,
            c.access_key_id,
            c.secret_access_key.expose()
        );
    }
    let Some(admin) = credentials.first() else {
        return out;
    };
    let region = &config.server.region;
    let account = config.server.account_id;
    let _ = write!(
        out,
        "
Try it: a signed call with the admin user's keys
  AWS_ACCESS_KEY_ID={key} AWS_SECRET_ACCESS_KEY={secret} AWS_DEFAULT_REGION={region} aws sts get-caller-identity --endpoint-url http://{addr}

Sign in at the demo IdP as alice (group admins) and swap her ID token for role credentials:
  TOKEN=$(curl -s -d user=alice -d groups=admins http://{addr}/demo-idp/token)
  aws sts assume-role-with-web-identity --endpoint-url http://{addr} --region {region} --role-arn arn:aws:iam::{account}:role/demo-admin --role-session-name alice --web-identity-token \"$TOKEN\"

Or sign in at the demo SAML IdP and swap the signed assertion:
  SAML=$(curl -s -d user=alice -d groups=admins http://{addr}/demo-idp/saml/response)
  aws sts assume-role-with-saml --endpoint-url http://{addr} --region {region} --role-arn arn:aws:iam::{account}:role/demo-admin --principal-arn arn:aws:iam::{account}:saml-provider/demo-saml --saml-assertion \"$SAML\"

More in README \"Temporary credentials\": role demo-partner (developer, ExternalId demo-external-id),
role demo-mfa (MFA device arn:aws:iam::{account}:mfa/developer, TOTP seed JBSWY3DPEHPK3PXP, DEMO ONLY),
revocation (RevokeSessions), DecodeAuthorizationMessage and POST /authorize.

Or open http://{addr} in a browser: sign in at a demo IdP, choose a role, copy the credentials.
",
        key = admin.access_key_id,
        secret = admin.secret_access_key.expose(),
    );
    out
}
