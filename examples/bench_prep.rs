//! Prepares `bench/run`: a config with a local JWKS (no network), pre-minted distinct ID
//! tokens, and a SigV4-signed GetCallerIdentity made with temporary credentials from the
//! running bridge. Writes wrk Lua scripts into the output folder.
//!
//! `bench_prep config DIR PORT` · `bench_prep tokens DIR COUNT` · `bench_prep saml DIR COUNT` ·
//! `bench_prep gci DIR PORT` (also writes the `/authorize` script) · `bench_prep hello PORT`
//! (the floor: a bare hyper HTTP/1.1 server answering `ok`, on the same runtime settings)
//! TEST KEYS ONLY: tokens are signed with certs/test-idp-rsa-key.pem, SAML responses with
//! certs/test-saml-idp-key.pem.

use std::fmt::Write as _;
use std::path::Path;
use std::time::Duration;

use anyhow::Context;
use aws_sigv4::http_request::{SignableBody, SignableRequest, SigningSettings, sign};
use jsonwebtoken::jwk::{Jwk, JwkSet};
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use stsbridge::clock::{Clock, SystemClock};
use stsbridge::demo::saml_idp::{SamlIdp, SamlResponseSpec};

const KEY_PEM: &[u8] = include_bytes!("../certs/test-idp-rsa-key.pem");
const ISSUER: &str = "https://bench-idp.invalid";
const CLIENT_ID: &str = "bench-app";
/// BENCH ONLY keys of the resource server that calls `/authorize`.
const SERVICE_KEY: &str = "AKIABENCHFILESSVC001";
const SERVICE_SECRET: &str = "bench/FILES/service/not+a+secret+0000000";

fn main() -> anyhow::Result<()> {
    stsbridge::demo::install_jwt_crypto();
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args
        .iter()
        .map(String::as_str)
        .collect::<Vec<_>>()
        .as_slice()
    {
        ["config", dir, port] => write_config(Path::new(dir), port),
        ["tokens", dir, count] => write_tokens(Path::new(dir), count.parse()?),
        ["saml", dir, count] => write_saml(Path::new(dir), count.parse()?),
        ["gci", dir, port] => {
            tokio::runtime::Runtime::new()?.block_on(write_gci(Path::new(dir), port))
        }
        ["hello", port] => tokio::runtime::Runtime::new()?.block_on(hello(port)),
        _ => anyhow::bail!(
            "usage: bench_prep config DIR PORT | tokens DIR COUNT | saml DIR COUNT | gci DIR PORT | hello PORT"
        ),
    }
}

/// A hyper hello-world: what serving HTTP/1.1 costs on this machine before anything the
/// bridge does, so bench/run can quote every figure as a share of it.
async fn hello(port: &str) -> anyhow::Result<()> {
    let listener = tokio::net::TcpListener::bind(format!("127.0.0.1:{port}")).await?;
    loop {
        let (stream, _) = listener.accept().await?;
        tokio::spawn(async move {
            let service = hyper::service::service_fn(|_req| async {
                Ok::<_, std::convert::Infallible>(hyper::Response::new("ok".to_owned()))
            });
            let _ = hyper::server::conn::http1::Builder::new()
                .serve_connection(hyper_util::rt::TokioIo::new(stream), service)
                .await;
        });
    }
}

fn key() -> anyhow::Result<EncodingKey> {
    Ok(EncodingKey::from_rsa_pem(KEY_PEM)?)
}

fn write_config(dir: &Path, port: &str) -> anyhow::Result<()> {
    let mut jwk = Jwk::from_encoding_key(&key()?, Algorithm::RS256)?;
    jwk.common.key_id = Some("bench-1".into());
    std::fs::write(
        dir.join("jwks.json"),
        serde_json::to_string(&JwkSet { keys: vec![jwk] })?,
    )?;
    let config = format!(
        r#"[server]
listen = "127.0.0.1:{port}"
public_url = "https://bench.invalid"
account_id = "123456789012"

[store]
url = "sqlite://store.db"

# The benchmark is one client on loopback at tens of thousands of requests per second.
[limits]
unauthenticated_per_ip_per_s = 1000000
per_subject_per_s = 1000000
per_access_key_per_s = 1000000

[tokens]
keys_file = "keys.json"

# The audit trail as an operator runs it: a JSON-lines file as well as the store.
[audit]
file = "audit.jsonl"

[[oidc_providers]]
url = "{ISSUER}"
client_ids = ["{CLIENT_ID}"]
jwks_file = "jwks.json"

[[saml_providers]]
name = "bench"
metadata_file = "saml-metadata.xml"

[[roles]]
name = "bench-saml"
trust_policy = '''{{"Version":"2012-10-17","Statement":[{{"Effect":"Allow","Principal":{{"Federated":"arn:aws:iam::123456789012:saml-provider/bench"}},"Action":"sts:AssumeRoleWithSAML"}}]}}'''

# BENCH ONLY: a resource server's user, asking POST /authorize.
[[users]]
name = "files-service"
access_key_id = "{SERVICE_KEY}"
secret_access_key = "{SERVICE_SECRET}"
policies = ['''{{"Version":"2012-10-17","Statement":[{{"Effect":"Allow","Action":"stsbridge:Authorize","Resource":"*"}}]}}''']

[[roles]]
name = "bench"
policies = ['''{{"Version":"2012-10-17","Statement":[{{"Sid":"Reads","Effect":"Allow","Action":"files:Get*","Resource":"arn:aws:files:::bench/*"}}]}}''']
trust_policy = '''{{"Version":"2012-10-17","Statement":[{{"Effect":"Allow","Principal":{{"Federated":"arn:aws:iam::123456789012:oidc-provider/bench-idp.invalid"}},"Action":"sts:AssumeRoleWithWebIdentity","Condition":{{"StringEquals":{{"bench-idp.invalid:aud":"{CLIENT_ID}"}}}}}}]}}'''
"#
    );
    std::fs::write(
        dir.join("saml-metadata.xml"),
        saml_idp()?.metadata_xml("https://bench-idp.invalid/sso"),
    )?;
    std::fs::write(dir.join("config.toml"), config)?;
    Ok(())
}

fn saml_idp() -> anyhow::Result<SamlIdp> {
    Ok(SamlIdp::from_pem(
        "https://bench-idp.invalid/saml",
        include_bytes!("../certs/test-saml-idp-key.pem"),
        include_bytes!("../certs/test-saml-idp-cert.pem"),
    )?)
}

/// A wrk script with `count` distinct signed assertions (each used once: a replay would be
/// refused), signed on every core.
fn write_saml(dir: &Path, count: usize) -> anyhow::Result<()> {
    let idp = saml_idp()?;
    let now = SystemClock.now();
    let roles = vec![(
        "arn:aws:iam::123456789012:role/bench-saml".to_owned(),
        "arn:aws:iam::123456789012:saml-provider/bench".to_owned(),
    )];
    let threads = std::thread::available_parallelism().map_or(1, std::num::NonZero::get);
    let chunks: Vec<anyhow::Result<Vec<String>>> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..threads)
            .map(|t| {
                let (idp, roles) = (&idp, &roles);
                scope.spawn(move || {
                    (t..count)
                        .step_by(threads)
                        .map(|i| {
                            let user = format!("user-{i}");
                            let b64 = idp.response_b64(&SamlResponseSpec {
                                name_id: &user,
                                recipient: "https://bench.invalid/saml/acs",
                                audience: "https://bench.invalid/saml/metadata",
                                role_session_name: &user,
                                roles,
                                groups: &[],
                                extra_attributes: &[],
                                now,
                                valid_for: chrono::TimeDelta::minutes(30),
                                in_response_to: None,
                            })?;
                            let enc: String = url::form_urlencoded::byte_serialize(b64.as_bytes()).collect();
                            Ok(format!(
                                "Action=AssumeRoleWithSAML&Version=2011-06-15&RoleArn=arn%3Aaws%3Aiam%3A%3A123456789012%3Arole%2Fbench-saml&PrincipalArn=arn%3Aaws%3Aiam%3A%3A123456789012%3Asaml-provider%2Fbench&SAMLAssertion={enc}"
                            ))
                        })
                        .collect()
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| {
                h.join()
                    .unwrap_or_else(|_| Err(anyhow::anyhow!("signer thread panicked")))
            })
            .collect()
    });
    let mut lua = String::from("local bodies = {\n");
    for chunk in chunks {
        for body in chunk? {
            writeln!(lua, "  \"{body}\",")?;
        }
    }
    lua.push_str(
        // Each wrk thread runs its own copy of this script: threads take every second body
        // from their own offset, so no assertion is sent twice (a replay would be refused).
        "}\nlocal counter = 0\nfunction setup(thread)\n  thread:set(\"offset\", counter)\n  counter = counter + 1\nend\n\
         local i = nil\nwrk.method = \"POST\"\nwrk.headers[\"Content-Type\"] = \"application/x-www-form-urlencoded\"\n\
         request = function()\n  if i == nil then i = offset + 1 else i = i + 2 end\n  if i > #bodies then i = offset + 1 end\n\
           return wrk.format(nil, \"/\", nil, bodies[i])\nend\n",
    );
    std::fs::write(dir.join("saml.lua"), lua)?;
    Ok(())
}

fn token(key: &EncodingKey, sub: &str, now: i64) -> anyhow::Result<String> {
    let mut header = Header::new(Algorithm::RS256);
    header.kid = Some("bench-1".into());
    let claims = serde_json::json!({"iss": ISSUER, "sub": sub, "aud": CLIENT_ID, "iat": now, "exp": now + 3600});
    Ok(jsonwebtoken::encode(&header, &claims, key)?)
}

fn form_body(token: &str, session: &str) -> String {
    let role: String =
        url::form_urlencoded::byte_serialize(b"arn:aws:iam::123456789012:role/bench").collect();
    format!(
        "Action=AssumeRoleWithWebIdentity&Version=2011-06-15&RoleArn={role}&RoleSessionName={session}&WebIdentityToken={token}"
    )
}

/// A wrk script that sends each pre-built body once, round robin.
fn write_tokens(dir: &Path, count: usize) -> anyhow::Result<()> {
    let key = key()?;
    let now = SystemClock.now().timestamp();
    let mut lua = String::from("local bodies = {\n");
    for i in 0..count {
        writeln!(
            lua,
            "  \"{}\",",
            form_body(&token(&key, &format!("user-{i}"), now)?, &format!("s{i}"))
        )?;
    }
    lua.push_str(
        "}\nlocal i = 0\nwrk.method = \"POST\"\nwrk.headers[\"Content-Type\"] = \"application/x-www-form-urlencoded\"\n\
         request = function()\n  i = i % #bodies + 1\n  return wrk.format(nil, \"/\", nil, bodies[i])\nend\n",
    );
    std::fs::write(dir.join("web_identity.lua"), lua)?;
    Ok(())
}

/// Gets temporary credentials from the running bridge, then writes a wrk script with one
/// SigV4-signed GetCallerIdentity (valid 15 minutes, like any signed request).
async fn write_gci(dir: &Path, port: &str) -> anyhow::Result<()> {
    let endpoint = format!("http://127.0.0.1:{port}/");
    let body = form_body(
        &token(&key()?, "gci-user", SystemClock.now().timestamp())?,
        "gci",
    );
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(10))
        .build()?;
    let xml = client
        .post(&endpoint)
        .header("content-type", "application/x-www-form-urlencoded")
        .body(body)
        .send()
        .await?
        .text()
        .await?;
    let field = |name: &str| -> anyhow::Result<String> {
        let open = format!("<{name}>");
        let start = xml.find(&open).context(format!("no {name} in {xml}"))? + open.len();
        let end = xml[start..].find('<').context("unterminated")? + start;
        Ok(xml[start..end].to_owned())
    };
    let creds = aws_credential_types::Credentials::new(
        field("AccessKeyId")?,
        field("SecretAccessKey")?,
        Some(field("SessionToken")?),
        None,
        "bench",
    );
    let gci = "Action=GetCallerIdentity&Version=2011-06-15";
    let host = format!("127.0.0.1:{port}");
    let form = "application/x-www-form-urlencoded; charset=utf-8";
    let headers = signed_headers(
        &creds,
        "sts",
        "POST",
        &endpoint,
        &host,
        form,
        gci.as_bytes(),
    )?;
    std::fs::write(dir.join("gci.lua"), wrk_script("/", &headers, gci)?)?;

    // POST /authorize: the files service relays a GET its client signed with the same session.
    let object = "https://files.bench.invalid/bench/report.csv";
    let signed = signed_headers(
        &creds,
        "files",
        "GET",
        object,
        "files.bench.invalid",
        "",
        b"",
    )?;
    let relayed: serde_json::Map<String, serde_json::Value> = signed
        .into_iter()
        .map(|(k, v)| (k, serde_json::Value::String(v)))
        .collect();
    let question = serde_json::json!({
        "request": {
            "method": "GET",
            "path": "/bench/report.csv",
            "headers": relayed,
            "payload_hash": stsbridge::authn::sigv4::payload_hash(b""),
        },
        "service": "files",
        "action": "files:GetObject",
        "resource": "arn:aws:files:::bench/report.csv",
    })
    .to_string();
    let service =
        aws_credential_types::Credentials::new(SERVICE_KEY, SERVICE_SECRET, None, None, "bench");
    let url = format!("http://{host}/authorize");
    let headers = signed_headers(
        &service,
        "sts",
        "POST",
        &url,
        &host,
        "application/json",
        question.as_bytes(),
    )?;
    // A benchmark of refusals measures the wrong thing: the answer must be a real "allowed".
    let mut check = client.post(&url).body(question.clone());
    for (name, value) in headers.iter().filter(|(n, _)| n != "host") {
        check = check.header(name, value);
    }
    let answer = check.send().await?.text().await?;
    anyhow::ensure!(
        answer.contains("\"allowed\":true"),
        "/authorize did not allow: {answer}"
    );
    std::fs::write(
        dir.join("authorize.lua"),
        wrk_script("/authorize", &headers, &question)?,
    )?;
    write_console(dir, &client, &host, &creds).await
}

/// GET /console with a browser session opened through the federation endpoint: every request
/// reads the session from the store, opens its sealed record and renders the page.
async fn write_console(
    dir: &Path,
    client: &reqwest::Client,
    host: &str,
    creds: &aws_credential_types::Credentials,
) -> anyhow::Result<()> {
    let session = serde_json::json!({
        "sessionId": creds.access_key_id(),
        "sessionKey": creds.secret_access_key(),
        "sessionToken": creds.session_token(),
    })
    .to_string();
    let answer: serde_json::Value = client
        .get(format!("http://{host}/federation"))
        .query(&[("Action", "getSigninToken"), ("Session", session.as_str())])
        .send()
        .await?
        .json()
        .await?;
    let token = answer
        .get("SigninToken")
        .and_then(serde_json::Value::as_str)
        .context(format!("no SigninToken in {answer}"))?;
    // The login answers with a redirect to the destination, which is not ours to follow.
    let login = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()?
        .get(format!("http://{host}/federation"))
        .query(&[
            ("Action", "login"),
            ("Destination", "https://bench.invalid/console"),
            ("SigninToken", token),
        ])
        .send()
        .await?;
    let cookie = login
        .headers()
        .get("set-cookie")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .context("federation login set no cookie")?
        .to_owned();
    let page = client
        .get(format!("http://{host}/console"))
        .header("cookie", &cookie)
        .send()
        .await?
        .text()
        .await?;
    anyhow::ensure!(
        page.contains(creds.access_key_id()),
        "the console page does not show the session"
    );
    std::fs::write(
        dir.join("console.lua"),
        format!(
            "wrk.method = \"GET\"\nwrk.path = \"/console\"\nwrk.headers[\"Cookie\"] = \"{cookie}\"\n"
        ),
    )?;
    Ok(())
}

/// The headers an SDK would send for this request, signed now (Host included).
fn signed_headers(
    creds: &aws_credential_types::Credentials,
    service: &str,
    method: &str,
    url: &str,
    host: &str,
    content_type: &str,
    body: &[u8],
) -> anyhow::Result<Vec<(String, String)>> {
    let identity = creds.clone().into();
    let params = aws_sigv4::sign::v4::SigningParams::builder()
        .identity(&identity)
        .region("us-east-1")
        .name(service)
        .time(SystemClock.now().into())
        .settings(SigningSettings::default())
        .build()?
        .into();
    let mut headers = vec![("host", host)];
    if !content_type.is_empty() {
        headers.push(("content-type", content_type));
    }
    let signable = SignableRequest::new(
        method,
        url,
        headers.iter().copied(),
        SignableBody::Bytes(body),
    )?;
    let (instructions, _) = sign(signable, &params)?.into_parts();
    let mut req = http::Request::builder().method(method).uri(url);
    for (name, value) in &headers {
        req = req.header(*name, *value);
    }
    let mut req = req.body(())?;
    instructions.apply_to_request_http1x(&mut req);
    req.headers()
        .iter()
        .map(|(n, v)| Ok((n.to_string(), v.to_str()?.to_owned())))
        .collect()
}

/// A wrk script replaying one signed request (valid 15 minutes, like any signed request).
fn wrk_script(path: &str, headers: &[(String, String)], body: &str) -> anyhow::Result<String> {
    let mut lua = format!("wrk.method = \"POST\"\nwrk.path = \"{path}\"\n");
    // wrk writes its own Host header (the same value); a second one would change what is signed.
    for (name, value) in headers.iter().filter(|(n, _)| n != "host") {
        writeln!(lua, "wrk.headers[\"{name}\"] = \"{value}\"")?;
    }
    // Lua long brackets: the JSON body's quotes need no escaping.
    writeln!(lua, "wrk.body = [==[{body}]==]")?;
    Ok(lua)
}
