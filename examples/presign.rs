//! Prints a presigned `GetCallerIdentity` URL (query-string SigV4), the kind EKS-style tokens
//! carry. Used by `scripts/bench`; handy for trying the bridge with curl.
//!
//! `cargo run --example presign -- ENDPOINT ACCESS_KEY_ID SECRET [REGION] [EXPIRES_S]`

use std::time::Duration;

use aws_sigv4::http_request::{
    SignableBody, SignableRequest, SignatureLocation, SigningSettings, sign,
};
use aws_smithy_runtime_api::client::identity::Identity;
use stsbridge::clock::{Clock, SystemClock};

fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [endpoint, key, secret, rest @ ..] = args.as_slice() else {
        anyhow::bail!("usage: presign ENDPOINT ACCESS_KEY_ID SECRET [REGION] [EXPIRES_S]");
    };
    let region = rest.first().map_or("us-east-1", String::as_str);
    let expires: u64 = rest.get(1).map_or(Ok(900), |s| s.parse())?;
    let identity: Identity =
        aws_credential_types::Credentials::new(key, secret, None, None, "presign").into();
    let mut settings = SigningSettings::default();
    settings.signature_location = SignatureLocation::QueryParams;
    settings.expires_in = Some(Duration::from_secs(expires));
    let params = aws_sigv4::sign::v4::SigningParams::builder()
        .identity(&identity)
        .region(region)
        .name("sts")
        .time(SystemClock.now().into())
        .settings(settings)
        .build()?
        .into();
    let url = format!(
        "{}/?Action=GetCallerIdentity&Version=2011-06-15",
        endpoint.trim_end_matches('/')
    );
    let signable = SignableRequest::new("GET", &url, std::iter::empty(), SignableBody::Bytes(&[]))?;
    let (instructions, _) = sign(signable, &params)?.into_parts();
    let mut req = http::Request::builder().uri(&url).body(())?;
    instructions.apply_to_request_http1x(&mut req);
    let uri = req.uri().to_string();
    std::io::Write::write_all(&mut std::io::stdout(), format!("{uri}\n").as_bytes())?;
    Ok(())
}
