//! Rendering answers: XML documents with their status and content type, error documents with
//! the request id and the log line that says whose fault a failure was.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

use super::error::StsError;
use super::xml::render_error;
use crate::telemetry::RequestId;

/// Renders an error document with the request id; used by the extractor and the layers too.
pub fn error_response(e: &StsError, request_id: &RequestId) -> Response {
    if e.code.status().is_server_error() {
        tracing::warn!(code = e.code.as_str(), "request failed on the server side");
    } else {
        tracing::info!(code = e.code.as_str(), "request refused");
    }
    xml_response(e.code.status(), render_error(e, request_id.as_str()))
}

pub(super) fn xml_response(status: StatusCode, xml: String) -> Response {
    (
        status,
        [(header::CONTENT_TYPE, HeaderValue::from_static("text/xml"))],
        xml,
    )
        .into_response()
}
