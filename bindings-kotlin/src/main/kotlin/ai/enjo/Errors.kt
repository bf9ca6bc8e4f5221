package ai.enjo

import ai.enjo.ffi.ErrorInfo
import ai.enjo.ffi.NativeException

/**
 * Every error of the SDK: one subclass per kind, the same kinds as every other Enjo binding, so
 * a `when` over them is exhaustive. The message says what happened and what to do next; it never
 * holds the token.
 */
sealed class EnjoException(internal val info: ErrorInfo) : RuntimeException(info.display) {
    /** The kind name shared by every binding: `rate_limited`, `timeout`, ... */
    val kind: String get() = info.kind

    /** The HTTP status, for errors that come from a response. */
    val status: Int? get() = info.status?.toInt()

    /** The server's error code, e.g. `rate_limit_error`. */
    val code: String? get() = info.code

    /** The raw response body (cut at 64 KiB). */
    val body: String? get() = info.body

    /** Seconds to wait before trying again (from `Retry-After`, or the local limiter). */
    val retryAfter: Double? get() = info.retryAfter

    /** The call's request id (sent as `X-Request-Id`): quote it to Enjo's support. */
    val requestId: String? get() = info.requestId

    /** The server's own request id, when it sent one. */
    val serverRequestId: String? get() = info.serverRequestId

    /** False when the request provably never reached the server (safe to send again). */
    val mayHaveBeenSent: Boolean get() = info.mayHaveBeenSent
}

/** Caught before sending: empty bot id or text, bad base URL, missing token, bad option. */
class InvalidArgumentException internal constructor(info: ErrorInfo) : EnjoException(info)

/** An error reply from the API: [status], [code] and [body] say which. */
sealed class ApiException(info: ErrorInfo) : EnjoException(info)

/** HTTP 400: the server refused the request (for example `botId not found`). */
class InvalidRequestException internal constructor(info: ErrorInfo) : ApiException(info)

/** HTTP 401: the token is missing, wrong or revoked. */
class AuthenticationException internal constructor(info: ErrorInfo) : ApiException(info)

/** HTTP 404: no such endpoint (usually a wrong base URL). */
class NotFoundException internal constructor(info: ErrorInfo) : ApiException(info)

/** HTTP 429, or the local rate limiter would wait past its bound: wait [retryAfter] seconds. */
class RateLimitException internal constructor(info: ErrorInfo) : ApiException(info)

/** HTTP 5xx. */
class ServerException internal constructor(info: ErrorInfo) : ApiException(info)

/** Any other non-2xx status, or a 2xx whose body says `"success": false`. */
class OtherApiException internal constructor(info: ErrorInfo) : ApiException(info)

/** No full answer in time. */
class TimeoutException internal constructor(info: ErrorInfo) : EnjoException(info)

/** DNS failure, connection refused or reset, TLS failure. */
class ConnectionException internal constructor(info: ErrorInfo) : EnjoException(info)

/** A 2xx whose body is not the documented JSON. */
class ResponseDecodeException internal constructor(info: ErrorInfo) : EnjoException(info)

/** The shared rate-limit store (file, Redis) cannot be used; nothing was sent. */
class RateLimitStoreException internal constructor(info: ErrorInfo) : EnjoException(info)

/** A bug in enjo, never the caller's fault: please report it with the request id. */
class InternalException internal constructor(info: ErrorInfo) : EnjoException(info)

/**
 * The class of each core error kind (`ErrorKind::as_str`). A new core kind is one class above
 * and one line here; `ErrorKindsTest` fails until it has both.
 */
internal val EXCEPTION_BY_KIND: Map<String, (ErrorInfo) -> EnjoException> = mapOf(
    "invalid_argument" to ::InvalidArgumentException,
    "invalid_request" to ::InvalidRequestException,
    "authentication" to ::AuthenticationException,
    "not_found" to ::NotFoundException,
    "rate_limited" to ::RateLimitException,
    "server" to ::ServerException,
    "api" to ::OtherApiException,
    "timeout" to ::TimeoutException,
    "connection" to ::ConnectionException,
    "decode" to ::ResponseDecodeException,
    "internal" to ::InternalException,
    "rate_limit_store" to ::RateLimitStoreException,
)

/** The [EnjoException] for core's description of an error. */
internal fun ErrorInfo.toException(): EnjoException {
    val make = EXCEPTION_BY_KIND[kind]
        ?: return InternalException(
            copy(
                kind = "internal",
                display = "$display (error kind '$kind' has no Kotlin class: this is a bug in enjo, please report it)",
            ),
        )
    return make(this)
}

/** Runs a native call, turning its errors into [EnjoException]s. */
internal inline fun <T> mapErrors(call: () -> T): T = try {
    call()
} catch (e: NativeException.Failure) {
    throw e.info.toException()
} catch (e: ai.enjo.ffi.InternalException) {
    // uniffi's own report of a panic caught in the glue (outside core's request task).
    val text = "internal error in enjo: ${e.message}; this is a bug in enjo, please report it"
    throw InternalException(
        ErrorInfo(
            kind = "internal", message = text, display = text, status = null, code = null, body = null,
            retryAfter = null, requestId = null, serverRequestId = null, mayHaveBeenSent = true,
        ),
    )
}
