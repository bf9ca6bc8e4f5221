//! HTTP routes: the documented endpoint and the `/_mock` introspection API.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Instant;

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::rejection::{BytesRejection, PathRejection};
use axum::extract::{Extension, Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{any, get, post};
use futures_core::Stream;
use serde_json::{Value, json};
use tokio::sync::Notify;

use crate::faults::{Fault, FaultRule, Shape};
use crate::state::{AppState, Bot, RecordedRequest, Reply};

/// The per-request header that injects a fault.
pub const FAULT_HEADER: &str = "x-enjo-mock-fault";

/// The largest request body accepted (axum's default limit): bigger ones get a 413 in the
/// documented `{code, error}` shape.
pub const MAX_REQUEST_BODY: usize = 2 * 1024 * 1024;

/// How much of a body over the limit is read and discarded before answering 413, so that a
/// client still sending gets the answer rather than a reset connection.
const MAX_DRAINED_BODY: usize = 64 * 1024 * 1024;

/// Facts about the connection a request arrived on.
#[derive(Clone)]
pub struct ConnInfo {
    /// The client's address.
    pub peer: SocketAddr,
    /// Notified to abort the connection with a reset (the `reset` fault).
    pub reset: Arc<Notify>,
}

/// The router, over shared state.
pub fn router(state: Arc<AppState>) -> Router {
    Router::new()
        .route("/v1/bots/{bot_id}/message", any(message))
        .route("/_mock/requests", get(requests))
        .route("/_mock/tickets", get(tickets))
        .route("/_mock/reset", post(reset))
        .route("/_mock/faults", post(add_fault))
        .route("/_mock/health", get(|| async { "ok" }))
        .fallback(|headers: HeaderMap, body: Body| async move {
            // Read the body before answering, as every route does: hyper closes a kept-alive
            // connection whose unread body has not fully arrived yet (clients that write the
            // head and the body apart, like Java's HttpClient, then lose their next request).
            let _ = read_body(body).await;
            with_request_id(error(404, Shape::Error, None), &headers)
        })
        .with_state(state)
}

/// The documented error codes per status.
fn error_code(status: u16) -> &'static str {
    match status {
        400 => "invalid_request_error",
        401 => "authentication_error",
        404 => "not_found",
        429 => "rate_limit_error",
        500..=599 => "server_error",
        _ => "api_error",
    }
}

/// An error in one of the two documented shapes.
fn error(status: u16, shape: Shape, message: Option<&str>) -> Response {
    let code = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let message = message.unwrap_or(match status {
        400 => "Invalid request",
        401 => "Authentication Error",
        404 => "Not Found",
        429 => "Rate limit exceeded",
        500 => "Server Error",
        _ => code.canonical_reason().unwrap_or("Error"),
    });
    let body = match shape {
        Shape::Error => json!({"code": error_code(status), "error": message}),
        Shape::Message => json!({"code": error_code(status), "message": message, "status": status}),
    };
    (code, axum::Json(body)).into_response()
}

/// Sets `x-request-id`: the client's own `X-Request-Id` echoed back when it sent a usable one
/// (as many gateways do, so the client's and the server's ids agree), else a new one.
fn with_request_id(mut response: Response, request: &HeaderMap) -> Response {
    let echoed = request
        .get("x-request-id")
        .filter(|v| !v.is_empty() && v.len() <= 200 && v.to_str().is_ok())
        .cloned();
    let value = echoed
        .or_else(|| HeaderValue::from_str(&format!("req_{}", uuid::Uuid::new_v4().simple())).ok());
    if let Some(value) = value {
        response.headers_mut().insert("x-request-id", value);
    }
    response
}

/// The headers to log: lowercased names, repeated values joined, the token redacted.
fn recorded_headers(headers: &HeaderMap) -> std::collections::BTreeMap<String, String> {
    let mut out = std::collections::BTreeMap::<String, String>::new();
    for (name, value) in headers {
        let value = if name == header::AUTHORIZATION {
            "[redacted]".to_owned()
        } else {
            String::from_utf8_lossy(value.as_bytes()).into_owned()
        };
        out.entry(name.as_str().to_owned())
            .and_modify(|v| {
                v.push_str(", ");
                v.push_str(&value);
            })
            .or_insert(value);
    }
    out
}

fn with_retry_after(mut response: Response, wait: std::time::Duration) -> Response {
    let secs = wait.as_millis().div_ceil(1000).max(1);
    let headers = response.headers_mut();
    headers.insert(header::RETRY_AFTER, HeaderValue::from(secs as u64));
    headers.insert("retry-after-ms", HeaderValue::from(wait.as_millis() as u64));
    response
}

fn json_response(status: u16, body: &Value) -> Response {
    let code = StatusCode::from_u16(status).unwrap_or(StatusCode::OK);
    (code, axum::Json(body)).into_response()
}

fn reply_body(reply: Reply) -> Value {
    let mut data = json!({
        "answers": reply.answers,
        "sources": reply.sources,
        "conversationId": reply.conversation_id,
    });
    if let Some(ticket) = reply.ticket {
        data["ticketDetails"] = ticket;
    }
    json!({"success": true, "data": data})
}

/// Adds unknown keys at every level (the `extra-fields` fault).
fn add_extra_fields(value: &mut Value) {
    match value {
        Value::Object(map) => {
            for v in map.values_mut() {
                add_extra_fields(v);
            }
            map.insert("x_mock_extra".into(), json!({"nested": [1, "two", null]}));
        }
        Value::Array(items) => items.iter_mut().for_each(add_extra_fields),
        _ => {}
    }
}

/// The error for a request body that could not be read: 413 when it is over
/// [`MAX_REQUEST_BODY`], else 400.
fn body_rejection(rejection: &BytesRejection) -> Response {
    body_error(if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
        BodyError::TooLarge
    } else {
        BodyError::Unreadable
    })
}

/// Why a request body was not read.
#[derive(Debug, Clone, Copy)]
enum BodyError {
    /// Over [`MAX_REQUEST_BODY`].
    TooLarge,
    /// The connection failed while reading.
    Unreadable,
}

fn body_error(why: BodyError) -> Response {
    if matches!(why, BodyError::TooLarge) {
        error(
            413,
            Shape::Error,
            Some("The request body is over the limit of 2 MiB"),
        )
    } else {
        error(
            400,
            Shape::Error,
            Some("The request body could not be read"),
        )
    }
}

/// Reads a request body of at most [`MAX_REQUEST_BODY`] bytes. A bigger one is read on and
/// discarded (up to [`MAX_DRAINED_BODY`]) and refused with 413.
async fn read_body(body: Body) -> Result<Bytes, BodyError> {
    let mut stream = body.into_data_stream();
    let mut kept = Vec::new();
    let mut seen = 0usize;
    while let Some(chunk) =
        std::future::poll_fn(|cx| std::pin::Pin::new(&mut stream).poll_next(cx)).await
    {
        let chunk = chunk.map_err(|_| BodyError::Unreadable)?;
        seen = seen.saturating_add(chunk.len());
        if seen <= MAX_REQUEST_BODY {
            kept.extend_from_slice(&chunk);
        } else if seen > MAX_REQUEST_BODY + MAX_DRAINED_BODY {
            break;
        }
    }
    if seen > MAX_REQUEST_BODY {
        return Err(BodyError::TooLarge);
    }
    Ok(Bytes::from(kept))
}

/// What the message body says, or why it is refused.
struct MessageBody {
    text: String,
    conversation_id: Option<String>,
}

/// Reads the documented body `{"message": {"text": "...", "conversationId": "..."}}`.
/// `conversationId` is read inside `message` only, where all four of the vendor's samples put
/// it: a top-level `conversationId` is an unknown key and ignored, as unknown keys are
/// everywhere (so a client that misplaces it starts a new conversation, as on the real API).
fn parse_body(value: Option<&Value>) -> Result<MessageBody, &'static str> {
    let message = value.ok_or("The request body must be JSON")?.get("message");
    let text = message
        .and_then(|m| m.get("text"))
        .and_then(Value::as_str)
        .filter(|t| !t.trim().is_empty())
        .ok_or("message.text is required and must be a non-empty string")?;
    // Strict where the docs are: a string, or left out. Not `null`, which the real API is not
    // documented to accept (the SDK leaves the key out), so a client sending it learns here.
    let conversation_id = match message.and_then(|m| m.get("conversationId")) {
        None => None,
        Some(Value::String(id)) if !id.is_empty() => Some(id.clone()),
        Some(_) => {
            return Err(
                "message.conversationId must be a non-empty string (leave it out to start a \
                 conversation)",
            );
        }
    };
    Ok(MessageBody {
        text: text.to_owned(),
        conversation_id,
    })
}

async fn message(
    State(state): State<Arc<AppState>>,
    Extension(conn): Extension<ConnInfo>,
    method: Method,
    uri: Uri,
    bot_id: Result<Path<String>, PathRejection>,
    headers: HeaderMap,
    body: Body,
) -> Response {
    let bot_id = bot_id.ok().map(|Path(id)| id);
    let mut record = RecordedRequest {
        seq: 0,
        at_ms: state.elapsed_ms(),
        method: method.to_string(),
        path: uri.path().to_owned(),
        bot_id: bot_id.clone(),
        conversation_id: None,
        text: None,
        body: Value::Null,
        status: 0,
        fault: None,
        authorized: false,
        user_agent: headers
            .get(header::USER_AGENT)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned),
        remote_ip: conn.peer.ip().to_string(),
        headers: recorded_headers(&headers),
    };
    // The request is logged as soon as it is understood (status 0 until answered), so the log
    // shows what reached the server even when the client gives up first.
    let body = read_body(body).await;
    // The body as received, for the log: its JSON, or null when it is not JSON (or was not
    // read). Parsed once, here; the checks below read this value.
    let parsed: Option<Value> = body
        .as_deref()
        .ok()
        .and_then(|b| serde_json::from_slice(b).ok());
    record.body = parsed.clone().unwrap_or(Value::Null);
    let body = body.as_ref().map(|_| parsed.as_ref()).map_err(|&why| why);
    let outcome = match accept(&state, &conn, &method, bot_id, &headers, body, &mut record) {
        Err(refusal) => Some(refusal),
        Ok(accepted) => {
            let seq = state.record(record.clone());
            let outcome = respond(&state, &conn, accepted).await;
            record.seq = seq;
            outcome
        }
    };
    let Some(response) = outcome else {
        // The `reset` fault: abort the connection, never answer (the log keeps status 0).
        tracing::info!(
            "{} {} -> connection reset (fault reset)",
            record.method,
            record.path
        );
        conn.reset.notify_one();
        return std::future::pending().await;
    };
    let response = with_request_id(response, &headers);
    record.status = response.status().as_u16();
    tracing::info!(
        "{} {} -> {}{}",
        record.method,
        record.path,
        record.status,
        record
            .fault
            .as_deref()
            .map(|f| format!(" (fault {f})"))
            .unwrap_or_default()
    );
    if record.seq == 0 {
        state.record(record);
    } else {
        state.set_status(record.seq, record.status);
    }
    response
}

/// A request that passed every check, with the fault to apply.
struct Accepted<'a> {
    bot: &'a Bot,
    request: MessageBody,
    fault: Option<Fault>,
}

/// Checks a message request in the documented order (method, rate limit, token, body, bot)
/// and picks its fault; `Err` is the refusal to send (built once per refused request, so its
/// size does not matter).
#[allow(clippy::result_large_err)]
fn accept<'a>(
    state: &'a AppState,
    conn: &ConnInfo,
    method: &Method,
    bot_id: Option<String>,
    headers: &HeaderMap,
    body: Result<Option<&Value>, BodyError>,
    record: &mut RecordedRequest,
) -> Result<Accepted<'a>, Response> {
    if method != Method::POST {
        return Err(error(404, Shape::Error, None));
    }
    // Whether the token is accepted is known (and logged) even when the rate limit refuses
    // the request first: the limit is per IP, in front of authentication.
    record.authorized = state.authorized(
        headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok()),
    );
    if let Some(limiter) = &state.limiter {
        if let Err(wait) = limiter.check(conn.peer.ip(), Instant::now()) {
            return Err(with_retry_after(error(429, Shape::Message, None), wait));
        }
    }
    if !record.authorized {
        return Err(error(401, Shape::Error, None));
    }
    let request =
        parse_body(body.map_err(body_error)?).map_err(|why| error(400, Shape::Error, Some(why)))?;
    record.text = Some(request.text.clone());
    record.conversation_id = request.conversation_id.clone();
    let Some(bot) = bot_id.as_deref().and_then(|id| state.bot(id)) else {
        return Err(error(400, Shape::Error, Some("botId not found")));
    };
    let fault = match headers.get(FAULT_HEADER).map(|v| v.to_str()) {
        Some(Ok(spec)) => {
            Some(Fault::parse(spec).map_err(|why| error(400, Shape::Error, Some(&why)))?)
        }
        Some(Err(_)) => return Err(error(400, Shape::Error, Some("bad fault header"))),
        None => state
            .take_fault(&bot.config.id)
            .or_else(|| bot.fault.clone()),
    };
    record.fault = fault.as_ref().map(Fault::name);
    Ok(Accepted {
        bot,
        request,
        fault,
    })
}

/// The response to an accepted request; `None` means "reset the connection".
async fn respond(state: &AppState, conn: &ConnInfo, accepted: Accepted<'_>) -> Option<Response> {
    let Accepted {
        bot,
        request,
        fault,
    } = accepted;
    let converse = || state.converse(bot, request.conversation_id.as_deref(), &request.text);
    Some(match fault {
        None => json_response(200, &reply_body(converse())),
        Some(Fault::Delay(wait)) => {
            tokio::time::sleep(wait).await;
            json_response(200, &reply_body(converse()))
        }
        Some(Fault::Reset) => return None,
        Some(Fault::ResetMidBody) => reset_mid_body(reply_body(converse()), conn.reset.clone()),
        Some(Fault::Unicode) => (
            [(header::CONTENT_TYPE, "application/json")],
            crate::faults::UNICODE_BODY,
        )
            .into_response(),
        Some(Fault::Status {
            code,
            shape,
            retry_after,
        }) => {
            let response = error(code, shape, None);
            match retry_after {
                Some(wait) => with_retry_after(response, wait),
                None => response,
            }
        }
        Some(Fault::ServerErrorAfterTicket) => {
            let _processed = converse();
            error(500, Shape::Error, None)
        }
        Some(Fault::MalformedJson) => (
            [(header::CONTENT_TYPE, "application/json")],
            r#"{"success": true, "data": {"answers": "The answer is cut of"#,
        )
            .into_response(),
        Some(Fault::Html502) => (
            StatusCode::BAD_GATEWAY,
            [(header::CONTENT_TYPE, "text/html")],
            "<!DOCTYPE html>\n<html><head><title>502 Bad Gateway</title></head>\n<body><center>\
             <h1>502 Bad Gateway</h1></center><hr><center>nginx</center></body></html>\n",
        )
            .into_response(),
        Some(Fault::EmptyBody(code)) => Response::builder()
            .status(StatusCode::from_u16(code).unwrap_or(StatusCode::OK))
            .body(Body::empty())
            .unwrap_or_default(),
        Some(Fault::SuccessFalse) => json_response(
            200,
            &json!({"success": false, "code": "bot_error",
                    "error": "The bot could not process the message"}),
        ),
        Some(Fault::MissingFields) => json_response(200, &json!({"success": true, "data": {}})),
        Some(Fault::ExtraFields) => {
            let mut body = reply_body(converse());
            add_extra_fields(&mut body);
            json_response(200, &body)
        }
        Some(Fault::HugeBody(size)) => {
            let (prefix, suffix) = huge_reply(converse());
            let mut body = Vec::with_capacity(prefix.len() + size + suffix.len());
            body.extend_from_slice(&prefix);
            body.resize(prefix.len() + size, b'x');
            body.extend_from_slice(&suffix);
            // A body of known size: hyper sends its Content-Length.
            ([(header::CONTENT_TYPE, "application/json")], body).into_response()
        }
        Some(Fault::HugeBodyChunked(size)) => {
            let (prefix, suffix) = huge_reply(converse());
            // A stream of unknown size: hyper sends it chunked, without Content-Length.
            let body = Body::from_stream(HugeAnswer {
                prefix: Some(prefix),
                remaining: size,
                suffix: Some(suffix),
            });
            ([(header::CONTENT_TYPE, "application/json")], body).into_response()
        }
    })
}

/// The `reset-mid-body` fault: a 200 announcing the whole reply's `Content-Length`, the first
/// half of its bytes, then (once they had time to leave) an RST on the connection.
fn reset_mid_body(reply: Value, reset: Arc<Notify>) -> Response {
    let bytes = Bytes::from(reply.to_string());
    let body = Body::from_stream(HalfThenReset {
        half: Some(bytes.slice(..bytes.len() / 2)),
        pause: Box::pin(tokio::time::sleep(std::time::Duration::from_millis(50))),
        reset: Some(reset),
    });
    let mut response = body.into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    headers.insert(header::CONTENT_LENGTH, HeaderValue::from(bytes.len()));
    response
}

/// The body of `reset-mid-body`: its first half, a pause for the bytes to leave, then the
/// connection's reset (the stream itself never ends).
struct HalfThenReset {
    half: Option<Bytes>,
    pause: std::pin::Pin<Box<tokio::time::Sleep>>,
    reset: Option<Arc<Notify>>,
}

impl futures_core::Stream for HalfThenReset {
    type Item = Result<Bytes, std::convert::Infallible>;

    fn poll_next(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Option<Self::Item>> {
        if let Some(half) = self.half.take() {
            return std::task::Poll::Ready(Some(Ok(half)));
        }
        if self.pause.as_mut().poll(cx).is_ready() {
            if let Some(reset) = self.reset.take() {
                reset.notify_one();
            }
        }
        std::task::Poll::Pending
    }
}

/// The JSON of a normal reply split around the value of `answers`: what comes before its
/// first byte and after its last (the `huge-body` faults put the bytes in between).
fn huge_reply(reply: Reply) -> (Bytes, Bytes) {
    let prefix = Bytes::from_static(br#"{"success":true,"data":{"answers":""#);
    let mut suffix = String::from("\"");
    let mut field = |key: &str, value: &Value| {
        suffix.push_str(&format!(",{}:{value}", Value::from(key)));
    };
    field("sources", &Value::Array(reply.sources));
    field("conversationId", &Value::String(reply.conversation_id));
    if let Some(ticket) = &reply.ticket {
        field("ticketDetails", ticket);
    }
    suffix.push_str("}}");
    (prefix, Bytes::from(suffix))
}

/// A chunk of `x`s, shared by every chunked huge body (never copied).
static XS: [u8; 64 * 1024] = [b'x'; 64 * 1024];

/// The body of `huge-body-chunked`: the reply's JSON with `remaining` bytes of `x` as the
/// answer, produced 64 KiB at a time as hyper asks for more (never held in memory at once).
struct HugeAnswer {
    prefix: Option<Bytes>,
    remaining: usize,
    suffix: Option<Bytes>,
}

impl futures_core::Stream for HugeAnswer {
    type Item = Result<Bytes, std::convert::Infallible>;

    fn poll_next(
        mut self: std::pin::Pin<&mut Self>,
        _: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Option<Self::Item>> {
        let chunk = if let Some(prefix) = self.prefix.take() {
            Some(prefix)
        } else if self.remaining > 0 {
            let n = self.remaining.min(XS.len());
            self.remaining -= n;
            Some(Bytes::from_static(&XS[..n]))
        } else {
            self.suffix.take()
        };
        std::task::Poll::Ready(chunk.map(Ok))
    }
}

async fn requests(
    State(state): State<Arc<AppState>>,
    Query(query): Query<HashMap<String, String>>,
) -> Response {
    axum::Json(state.requests(query.get("bot_id").map(String::as_str))).into_response()
}

async fn tickets(State(state): State<Arc<AppState>>) -> Response {
    axum::Json(state.tickets()).into_response()
}

async fn reset(State(state): State<Arc<AppState>>, body: Body) -> Response {
    // Any body is accepted and ignored, but read, so that the connection stays usable (see
    // the fallback in `router`).
    let _ = read_body(body).await;
    state.reset();
    axum::Json(json!({"reset": true})).into_response()
}

async fn add_fault(
    State(state): State<Arc<AppState>>,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    let body = match body {
        Ok(body) => body,
        Err(rejection) => return body_rejection(&rejection),
    };
    let rule: FaultRule = match serde_json::from_slice(&body) {
        Ok(rule) => rule,
        Err(e) => return error(400, Shape::Error, Some(&format!("bad fault rule: {e}"))),
    };
    match state.add_fault(rule) {
        Ok(()) => axum::Json(json!({"queued": true})).into_response(),
        Err(why) => error(400, Shape::Error, Some(&why)),
    }
}
