package ai.enjo

import ai.enjo.ffi.NativeResponse
import ai.enjo.ffi.NativeSource
import ai.enjo.ffi.NativeTicket
import kotlin.time.Duration
import kotlin.time.toKotlinDuration

/** Which failures are sent again. */
enum class RetryPolicy(internal val coreName: String) {
    /** Default: never resend a request that may have created a ticket (only 429s and connections that never reached the server). */
    SAFE("safe"),

    /** Also retry 5xx and timeouts; may create duplicate tickets. */
    AT_LEAST_ONCE("atLeastOnce"),
}

/** One client-side quota: at most [requests] requests in any window of [window]. */
data class Quota(val requests: Int, val window: Duration) {
    /** Java: `new Quota(5, java.time.Duration.ofMillis(200))`. */
    constructor(requests: Int, window: java.time.Duration) : this(requests, window.toKotlinDuration())
}

/** Client-side rate limiting: the documented limits (default), off, or your own quotas. */
sealed class RateLimit {
    /** Enjo's documented limits: 20 requests per minute and 10 per 5 seconds. */
    data object Documented : RateLimit()

    /** No client-side limiting (the server may still answer 429). */
    data object Off : RateLimit()

    /** These quotas, all enforced at once. */
    data class Custom(val quotas: List<Quota>) : RateLimit()

    /** Factories for Java and for short Kotlin. */
    companion object {
        /** `RateLimit.quotas(Quota(5, 200.milliseconds), Quota(10, 1.seconds))`. */
        @JvmStatic
        fun quotas(vararg quotas: Quota): RateLimit = Custom(quotas.toList())

        /** [Documented], for Java. */
        @JvmStatic
        fun documented(): RateLimit = Documented

        /** [Off], for Java. */
        @JvmStatic
        fun off(): RateLimit = Off
    }
}

/** One source the bot used for its answer. */
data class Source(
    /** The source's type, e.g. `jira` or `knowledge base`. */
    val type: String?,
    /** Name or title of the source. */
    val name: String?,
    /** Relevance score, usually in `[0, 1]`. */
    val score: Double?,
    /** Link to the source. */
    val url: String?,
)

/**
 * A ticket the bot created in Salesforce, Jira, ServiceNow, ...: common fields are read whatever
 * the platform's casing; [raw] is the platform's whole record as JSON text.
 */
data class Ticket(
    /** Platform id (`id`, Salesforce `Id`, ServiceNow `sys_id`). */
    val id: String?,
    /** Link to the ticket in the external system. */
    val url: String?,
    /** Kind of issue (`type`, Jira `issuetype.name`, ServiceNow `category`). */
    val type: String?,
    /** Current status. */
    val status: String?,
    /** Priority level. */
    val priority: String?,
    /** Description of the issue. */
    val description: String?,
    /** Creation timestamp, as sent. */
    val createdDate: String?,
    /** Last modification timestamp, as sent. */
    val lastModifiedDate: String?,
    /** The human-facing number: Salesforce `CaseNumber`, ServiceNow `number`, Jira `key`. */
    val caseNumber: String?,
    /** The ticket exactly as the server sent it (JSON text). */
    val raw: String,
)

/** A bot's reply. */
data class MessageResponse(
    /** The bot's answer. */
    val answers: String?,
    /** The sources the bot used (empty when none). */
    val sources: List<Source>,
    /** Pass it back to continue the conversation. */
    val conversationId: String?,
    /** The ticket the bot created, when its bot is wired to ticketing. */
    val ticket: Ticket?,
    /** The whole response body as the server sent it (JSON text), unknown fields included. */
    val raw: String,
    /** The call's request id (sent as `X-Request-Id`), to quote to Enjo's support. */
    val requestId: String?,
    /** The server's own request id, when it sent one. */
    val serverRequestId: String?,
    /** The HTTP status of the reply (a 2xx, usually 200). */
    val status: Int,
)

internal fun NativeSource.toSource() = Source(sourceType, name, score, url)

internal fun NativeTicket.toTicket() = Ticket(
    id, url, ticketType, status, priority, description, createdDate, lastModifiedDate, caseNumber, rawJson,
)

internal fun NativeResponse.toResponse() = MessageResponse(
    answers = answers,
    sources = sources.map { it.toSource() },
    conversationId = conversationId,
    ticket = ticket?.toTicket(),
    raw = rawJson,
    requestId = requestId,
    serverRequestId = serverRequestId,
    status = status.toInt(),
)
