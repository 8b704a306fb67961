//! Keep-alive after an early answer. A request refused before its body was read (413 for an
//! oversized body, a timeout, a 404 for a POST to an unknown path) leaves the rest of that body
//! on the connection. HTTP/1.1 cannot find the next request behind it, so hyper closes the
//! connection after the response, but without saying so: a pooling client (botocore,
//! requests, reqwest) then sends its *next* request on the dead connection and fails with
//! "connection closed".
//!
//! This layer notices a body the handler left unread and, before the response goes out,
//! reads and discards a bounded remainder (at most [`DRAIN_MAX_BYTES`] within
//! [`DRAIN_TIME`]), so the connection stays usable. When the remainder is larger, slower or
//! broken it is not read: the response then says `Connection: close`, so the client opens a
//! new connection instead of failing. Nothing here reads more than the bound, so a client
//! cannot make the bridge swallow an unbounded upload.

use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::task::{Context, Poll};
use std::time::Duration;

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{HeaderValue, header};
use axum::middleware::Next;
use axum::response::Response;
use http_body_util::BodyExt;
use hyper::body::{Body as HttpBody, Bytes, Frame, SizeHint};

/// The most of an unread body read to keep the connection (four of the API's largest bodies).
pub const DRAIN_MAX_BYTES: u64 = 1024 * 1024;
/// How long the remainder may take to arrive; a slower client gets `Connection: close`.
pub const DRAIN_TIME: Duration = Duration::from_secs(1);
/// Drains under way at once. Past it a refusal goes out at once with `Connection: close`, so
/// under overload (shed or timed-out requests) a cheap answer never turns into a second's wait.
pub const MAX_CONCURRENT_DRAINS: usize = 64;

/// The layer's state: one slot per drain under way.
#[derive(Debug, Clone)]
pub struct DrainSlots(Arc<tokio::sync::Semaphore>);

impl Default for DrainSlots {
    fn default() -> Self {
        Self(Arc::new(tokio::sync::Semaphore::new(MAX_CONCURRENT_DRAINS)))
    }
}

/// What the handler did with the body, seen by the layer after the handler returns.
#[derive(Debug, Default)]
struct Watch {
    finished: AtomicBool,
    /// The body, handed back when the handler dropped it before its end.
    unread: Mutex<Option<Body>>,
}

/// The request body as the handler sees it: the same frames, plus a note of whether it was
/// read to its end.
#[derive(Debug)]
struct Watched {
    inner: Option<Body>,
    watch: Arc<Watch>,
}

impl HttpBody for Watched {
    type Data = Bytes;
    type Error = axum::Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, axum::Error>>> {
        let Some(inner) = self.inner.as_mut() else {
            return Poll::Ready(None);
        };
        let polled = Pin::new(inner).poll_frame(cx);
        if matches!(polled, Poll::Ready(None)) {
            self.watch.finished.store(true, Ordering::Relaxed);
        }
        polled
    }

    fn is_end_stream(&self) -> bool {
        self.inner.as_ref().is_none_or(HttpBody::is_end_stream)
    }

    fn size_hint(&self) -> SizeHint {
        self.inner
            .as_ref()
            .map_or_else(|| SizeHint::with_exact(0), HttpBody::size_hint)
    }
}

impl Drop for Watched {
    fn drop(&mut self) {
        let Some(inner) = self.inner.take() else {
            return;
        };
        if inner.is_end_stream() {
            self.watch.finished.store(true, Ordering::Relaxed);
        } else if !self.watch.finished.load(Ordering::Relaxed) {
            *self
                .watch
                .unread
                .lock()
                .unwrap_or_else(PoisonError::into_inner) = Some(inner);
        }
    }
}

/// The layer (`axum::middleware::from_fn_with_state`): outside the timeout and load-shedding
/// layers, so their early answers are covered too.
pub async fn drain_unread_body(
    State(slots): State<DrainSlots>,
    request: Request,
    next: Next,
) -> Response {
    if request.body().is_end_stream() {
        return next.run(request).await; // no body (GETs): nothing to watch
    }
    // A client waiting for `100 Continue` has not sent its body; reading it now would invite
    // the upload the early answer refused. Such a client is told to close instead.
    let awaits_continue = request
        .headers()
        .get(header::EXPECT)
        .is_some_and(|v| v.as_bytes().eq_ignore_ascii_case(b"100-continue"));
    let watch = Arc::new(Watch::default());
    let request = request.map(|body| {
        Body::new(Watched {
            inner: Some(body),
            watch: Arc::clone(&watch),
        })
    });
    let mut response = next.run(request).await;
    let unread = watch
        .unread
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .take();
    if let Some(body) = unread
        && (awaits_continue || !drain(&slots, body).await)
    {
        response
            .headers_mut()
            .insert(header::CONNECTION, HeaderValue::from_static("close"));
    }
    response
}

/// Reads and discards the rest of `body`; `true` when it ended within the bounds.
async fn drain(slots: &DrainSlots, mut body: Body) -> bool {
    // A declared length beyond the bound is not worth waiting for.
    if body.size_hint().lower() > DRAIN_MAX_BYTES {
        return false;
    }
    let Ok(_slot) = slots.0.try_acquire() else {
        return false;
    };
    let read_all = async {
        let mut read: u64 = 0;
        while let Some(frame) = body.frame().await {
            let Ok(frame) = frame else { return false };
            if let Some(data) = frame.data_ref() {
                read = read.saturating_add(u64::try_from(data.len()).unwrap_or(u64::MAX));
                if read > DRAIN_MAX_BYTES {
                    return false;
                }
            }
        }
        true
    };
    tokio::time::timeout(DRAIN_TIME, read_all)
        .await
        .unwrap_or(false)
}

#[cfg(test)]
mod tests {
    use axum::Router;
    use axum::routing::post;
    use tower::ServiceExt;

    use super::*;

    fn app() -> Router {
        Router::new()
            .route("/ignore", post(|| async { "early" }))
            .route(
                "/read",
                post(|body: Bytes| async move { body.len().to_string() }),
            )
            .layer(axum::middleware::from_fn_with_state(
                DrainSlots::default(),
                drain_unread_body,
            ))
    }

    async fn call(path: &str, body: Body) -> Response {
        app()
            .oneshot(axum::http::Request::post(path).body(body).unwrap())
            .await
            .unwrap()
    }

    fn closes(r: &Response) -> bool {
        r.headers().get(header::CONNECTION).is_some()
    }

    #[tokio::test]
    async fn a_read_body_or_a_small_unread_one_keeps_the_connection() {
        assert!(!closes(
            &call("/read", Body::from(vec![b'a'; 10_000])).await
        ));
        assert!(!closes(
            &call("/ignore", Body::from(vec![b'a'; 300_000])).await
        ));
    }

    #[tokio::test]
    async fn a_body_beyond_the_bound_closes_the_connection() {
        let big = usize::try_from(DRAIN_MAX_BYTES).unwrap() + 1;
        assert!(closes(&call("/ignore", Body::from(vec![b'a'; big])).await));
        // Streamed without a length: read up to the bound, then given up.
        let chunks = (0..40).map(|_| Ok::<_, std::io::Error>(Bytes::from(vec![b'a'; 64 * 1024])));
        let streamed = Body::from_stream(tokio_stream::iter(chunks));
        assert!(closes(&call("/ignore", streamed).await));
    }

    #[tokio::test]
    async fn past_the_concurrent_drain_limit_the_answer_closes_at_once() {
        let slots = DrainSlots::default();
        let held = slots
            .0
            .try_acquire_many(u32::try_from(MAX_CONCURRENT_DRAINS).unwrap())
            .unwrap();
        assert!(!drain(&slots, Body::from(vec![b'a'; 10])).await);
        drop(held);
        assert!(drain(&slots, Body::from(vec![b'a'; 10])).await);
    }

    #[tokio::test]
    async fn a_client_waiting_for_100_continue_is_told_to_close_not_drained() {
        let response = app()
            .oneshot(
                axum::http::Request::post("/ignore")
                    .header(header::EXPECT, "100-continue")
                    .body(Body::from(vec![b'a'; 1000]))
                    .unwrap(),
            )
            .await
            .unwrap();
        assert!(closes(&response));
    }

    #[tokio::test]
    async fn a_remainder_that_does_not_arrive_in_time_closes_the_connection() {
        let stalled = Body::from_stream(futures_stall());
        let started = std::time::Instant::now();
        assert!(closes(&call("/ignore", stalled).await));
        assert!(started.elapsed() < DRAIN_TIME * 3);
    }

    fn futures_stall() -> impl futures_core::Stream<Item = Result<Bytes, std::io::Error>> {
        let first = tokio_stream::once(Ok(Bytes::from_static(b"partial")));
        let never = tokio_stream::pending();
        tokio_stream::StreamExt::chain(first, never)
    }
}
