//! `POST /authorize`: the JSON endpoint resource servers call to check a request their own
//! client signed with stsbridge credentials.
//!
//! The call itself is SigV4-signed (service `sts`) by the resource server's user, which needs
//! `stsbridge:Authorize`. The body carries the client's request as the resource server received
//! it (method, raw path and query, headers, payload hash), the service name the client signed
//! for, and the action and resource to decide. The answer says who the client is (verified
//! principal, tags) and whether the action is allowed, with the deciding statement.
//!
//! A client whose signature, session or key does not hold gets `200` with `allowed: false`
//! and the AWS error code to relay; errors of the call itself (bad JSON, caller not allowed)
//! are 4xx with a JSON error.

use std::collections::BTreeMap;
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;

use axum::Json;
use axum::extract::{ConnectInfo, Request, State};
use axum::http::{HeaderMap, HeaderName, HeaderValue, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::json;

use super::error::{ErrorCode, StsError};
use super::extract::read_body;
use crate::sts::authorize::{MAX_RELAYED_HEADERS, RelayedRequest};
use crate::sts::bridge::Bridge;
use crate::telemetry::RequestId;

const MAX_HEADERS: usize = MAX_RELAYED_HEADERS;
const MAX_ACTION_LEN: usize = 128;
const MAX_RESOURCE_LEN: usize = 2048;
const MAX_PATH_LEN: usize = 8192;

/// The request body of `/authorize`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct AuthorizeInput {
    request: ClientRequest,
    /// The service in the client's credential scope (`s3`, `execute-api`, your own name).
    service: String,
    /// The IAM action to decide, `service:Name`.
    action: String,
    /// The resource ARN (or `*`).
    resource: String,
    /// The client's address, for `aws:SourceIp` conditions.
    #[serde(default)]
    source_ip: Option<IpAddr>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ClientRequest {
    method: String,
    /// Raw path and query exactly as received (still percent-encoded), e.g. `/b/k?versionId=1`.
    path: String,
    /// Header name → value; repeated headers joined with `,` as HTTP allows.
    headers: BTreeMap<String, String>,
    /// Lowercase hex SHA-256 of the body the resource server received, or `UNSIGNED-PAYLOAD`.
    payload_hash: String,
}

/// The client's request, rebuilt and checked so SigV4 verification sees what the client sent.
struct Relayed {
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    payload_hash: String,
}

fn invalid(message: impl Into<String>) -> StsError {
    StsError::new(ErrorCode::ValidationError, message)
}

fn relayed(req: &ClientRequest) -> Result<Relayed, StsError> {
    let method = Method::from_bytes(req.method.as_bytes())
        .map_err(|_| invalid("request.method is not an HTTP method"))?;
    if !req.path.starts_with('/') || req.path.len() > MAX_PATH_LEN {
        return Err(invalid(
            "request.path must be the raw path and query, starting with /",
        ));
    }
    let uri: Uri = req
        .path
        .parse()
        .map_err(|_| invalid("request.path is not a valid request target"))?;
    // SigV4 (non-S3 rules) removes empty, `.` and `..` segments before signing, so `/b/x`
    // would also verify as `/b/./x` or `/z/../b/x`: a resource server acting on the raw path
    // could be steered to something the client never signed. Such paths are refused.
    let segments: Vec<&str> = uri.path().split('/').skip(1).collect();
    let last = segments.len().saturating_sub(1);
    let odd = segments
        .iter()
        .enumerate()
        .any(|(i, s)| matches!(*s, "." | "..") || (s.is_empty() && i != last));
    if odd {
        return Err(invalid(
            "request.path must not contain empty, `.` or `..` segments",
        ));
    }
    if req.headers.len() > MAX_HEADERS {
        return Err(invalid(format!(
            "request.headers holds more than {MAX_HEADERS} headers"
        )));
    }
    let mut headers = HeaderMap::new();
    for (name, value) in &req.headers {
        let name = HeaderName::from_bytes(name.as_bytes())
            .map_err(|_| invalid("request.headers has an invalid header name"))?;
        let value = HeaderValue::from_str(value)
            .map_err(|_| invalid("request.headers has an invalid header value"))?;
        if headers.insert(name, value).is_some() {
            return Err(invalid(
                "request.headers names a header twice (header names are case-insensitive)",
            ));
        }
    }
    let hash = &req.payload_hash;
    let is_hex = hash.len() == 64 && hash.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'));
    if !is_hex && hash != "UNSIGNED-PAYLOAD" {
        return Err(invalid(
            "request.payload_hash must be a lowercase hex SHA-256 or UNSIGNED-PAYLOAD",
        ));
    }
    Ok(Relayed {
        method,
        uri,
        headers,
        payload_hash: hash.clone(),
    })
}

fn check_names(input: &AuthorizeInput) -> Result<(), StsError> {
    let service_ok = (1..=64).contains(&input.service.len())
        && input
            .service
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
    if !service_ok {
        return Err(invalid("service must match [a-z0-9-]{1,64}"));
    }
    let action_ok = input.action.len() <= MAX_ACTION_LEN
        && input
            .action
            .split_once(':')
            .is_some_and(|(svc, name)| !svc.is_empty() && !name.is_empty() && !name.contains(':'))
        && input.action.bytes().all(|b| b.is_ascii_graphic());
    if !action_ok {
        return Err(invalid("action must look like service:ActionName"));
    }
    if input.resource.is_empty()
        || input.resource.len() > MAX_RESOURCE_LEN
        || input.resource.chars().any(char::is_control)
    {
        return Err(invalid(format!(
            "resource must be 1..{MAX_RESOURCE_LEN} characters without control characters"
        )));
    }
    Ok(())
}

pub async fn authorize_endpoint(
    State(state): State<Arc<Bridge>>,
    request_id: RequestId,
    req: Request,
) -> Response {
    match answer(&state, req).await {
        Ok(body) => (StatusCode::OK, Json(body)).into_response(),
        Err(e) => json_error(&e, &request_id),
    }
}

async fn answer(state: &Bridge, req: Request) -> Result<serde_json::Value, StsError> {
    // The resource server's own address, for `aws:SourceIp` in its permission to ask.
    let service_ip = req
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|ci| ci.0.ip());
    let (parts, body) = req.into_parts();
    let body = read_body(&parts.headers, body).await?;
    // First who is asking: nothing about the client is looked at for an unauthenticated caller.
    let service = state.authenticate_resource_server(&parts, &body)?;
    let input: AuthorizeInput = serde_json::from_slice(&body)
        .map_err(|e| invalid(format!("The body is not a valid authorize request: {e}")))?;
    // Before the client is looked at: /authorize is no signature oracle for just anyone.
    state.require_authorizer(&service, service_ip)?;
    check_names(&input)?;
    verdict(state, &input)
}

/// The answer about the client: who it is and whether the action is allowed, or why its
/// request does not authenticate.
fn verdict(state: &Bridge, input: &AuthorizeInput) -> Result<serde_json::Value, StsError> {
    let relayed = relayed(&input.request)?;
    let client_request = RelayedRequest {
        method: &relayed.method,
        uri: &relayed.uri,
        headers: &relayed.headers,
        payload_hash: &relayed.payload_hash,
        service: &input.service,
    };
    let client = match state.authenticate_relayed(&client_request) {
        Ok(client) => client,
        Err(e) => {
            // The question was fine; the answer is no. The code is the one AWS would give the
            // client, for the resource server to relay.
            let e = StsError::from(e);
            return Ok(json!({
                "allowed": false,
                "decision": "NotAuthenticated",
                "error": { "code": e.code.as_str(), "message": e.message },
            }));
        }
    };
    let out = state.decide(&client, &input.action, &input.resource, input.source_ip);
    tracing::info!(
        client = %out.principal.arn,
        action = %input.action,
        resource = %input.resource,
        decision = out.decision,
        "authorization decided"
    );
    serde_json::to_value(&out).map_err(|_| StsError::internal())
}

fn json_error(e: &StsError, request_id: &RequestId) -> Response {
    if e.code.status().is_server_error() {
        tracing::warn!(
            code = e.code.as_str(),
            "authorize failed on the server side"
        );
    } else {
        tracing::info!(code = e.code.as_str(), "authorize refused");
    }
    (
        e.code.status(),
        Json(json!({
            "error": { "code": e.code.as_str(), "message": e.message },
            "request_id": request_id.as_str(),
        })),
    )
        .into_response()
}
