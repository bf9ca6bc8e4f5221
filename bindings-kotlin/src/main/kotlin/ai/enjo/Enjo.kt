package ai.enjo

import ai.enjo.ffi.NativeClient
import ai.enjo.ffi.NativeConversation
import ai.enjo.ffi.NativeHeader
import ai.enjo.ffi.NativeOptions
import ai.enjo.ffi.NativeQuota
import ai.enjo.ffi.NativeRateLimit
import ai.enjo.ffi.NativeSendOptions
import kotlinx.coroutines.runBlocking
import kotlin.time.Duration
import kotlin.time.DurationUnit
import kotlin.time.toKotlinDuration

/**
 * A client of the Enjo API. Thread-safe: share one per process (the rate limiter is shared
 * by every client that talks to the same host anyway). Close it when done ([AutoCloseable]).
 *
 * Every option is optional; `null` keeps the default. Bad values are an
 * [InvalidArgumentException] naming the option.
 *
 * @param token personal access token; default: env `ENJO_API_TOKEN`.
 * @param baseUrl default: env `ENJO_BASE_URL`, else `https://api.enjo.ai`; a path is kept as a prefix.
 * @param timeout of each attempt (default 60 s).
 * @param connectTimeout for establishing a connection (default 10 s).
 * @param maxRetries attempts after the first one, for failures the [retryPolicy] allows (default 2).
 * @param retryPolicy [RetryPolicy.SAFE] (default) or [RetryPolicy.AT_LEAST_ONCE].
 * @param rateLimit [RateLimit.Documented] (default), [RateLimit.Off] or [RateLimit.quotas].
 * @param rateLimitMaxWait longest wait for the limiter before a [RateLimitException] without sending (default: no bound).
 * @param deadline for a whole call: limiter wait, every attempt and backoff (default: none).
 * @param userAgent text appended to the `User-Agent` header.
 * @param proxy send every request through this proxy (`http://`, `https://` or `socks5://`).
 * @param rootCertificatePem an extra trusted root certificate (PEM), e.g. a corporate CA.
 * @param allowInsecureHttp allow a plain-http base URL that is not loopback (the token travels in clear).
 * @param maxResponseBytes largest accepted response body; a bigger one is a [ResponseDecodeException].
 * @param rateLimitStore where the rate-limit log lives, so that processes share one quota:
 *   `"memory"` (this process), `"file:/path"` (this machine), `"redis://host:port/db"` (every
 *   host); default `ENJO_RATE_LIMIT_STORE`, else `"memory"`. Unreachable: [RateLimitStoreException].
 * @param rateLimitKey the shared log's name in a Redis store (default: the base URL's origin).
 * @param rateLimitStoreFallback use this process's own limiter while the store is unreachable.
 */
class Enjo(
    token: String? = null,
    baseUrl: String? = null,
    timeout: Duration? = null,
    connectTimeout: Duration? = null,
    maxRetries: Int? = null,
    retryPolicy: RetryPolicy? = null,
    rateLimit: RateLimit? = null,
    rateLimitMaxWait: Duration? = null,
    deadline: Duration? = null,
    userAgent: String? = null,
    proxy: String? = null,
    rootCertificatePem: String? = null,
    allowInsecureHttp: Boolean? = null,
    maxResponseBytes: Long? = null,
    rateLimitStore: String? = null,
    rateLimitKey: String? = null,
    rateLimitStoreFallback: Boolean? = null,
) : AutoCloseable {
    private val native: NativeClient = mapErrors {
        CallbackThreads.install()
        NativeClient(
            NativeOptions(
                token = token,
                baseUrl = baseUrl,
                timeoutSecs = timeout?.seconds(),
                connectTimeoutSecs = connectTimeout?.seconds(),
                maxRetries = maxRetries?.toDouble(),
                retryPolicy = retryPolicy?.coreName,
                rateLimit = rateLimit?.toNative(),
                rateLimitMaxWaitSecs = rateLimitMaxWait?.seconds(),
                deadlineSecs = deadline?.seconds(),
                userAgent = userAgent,
                proxy = proxy,
                rootCertificatePem = rootCertificatePem,
                allowInsecureHttp = allowInsecureHttp,
                maxResponseBytes = maxResponseBytes?.toDouble(),
                rateLimitStore = rateLimitStore,
                rateLimitKey = rateLimitKey,
                rateLimitStoreFallback = rateLimitStoreFallback,
                kotlinVersion = KotlinVersion.CURRENT.toString(),
            ),
        )
    }

    /** The base URL requests go to (normalised, no trailing slash). */
    val baseUrl: String get() = mapErrors { native.baseUrl() }

    /** True once [close] was called. */
    val isClosed: Boolean get() = mapErrors { native.isClosed() }

    /**
     * Sends [text] to the bot [botId], continuing [conversationId] when given, and returns the
     * bot's reply. Waits for the rate limiter, retries what is safe to retry. Cancelling the
     * coroutine cancels the request (and gives up its place in the limiter's queue).
     * The other parameters override the client's options for this call; [headers] are sent
     * with every attempt of it.
     */
    suspend fun sendMessage(
        botId: String,
        text: String,
        conversationId: String? = null,
        timeout: Duration? = null,
        maxRetries: Int? = null,
        retryPolicy: RetryPolicy? = null,
        deadline: Duration? = null,
        headers: Map<String, String> = emptyMap(),
    ): MessageResponse {
        val options = sendOptions(conversationId, timeout, maxRetries, retryPolicy, deadline, headers)
        return mapErrors { native.sendMessage(botId, text, options) }.toResponse()
    }

    /**
     * [sendMessage] for callers that are not coroutines (Java, scripts): blocks the calling
     * thread. Interrupting the thread cancels the request and throws [InterruptedException].
     */
    @JvmOverloads
    fun sendMessageBlocking(botId: String, text: String, conversationId: String? = null): MessageResponse =
        runBlocking { sendMessage(botId, text, conversationId) }

    /** A conversation with [botId]: each [Conversation.send] continues it. Pass [conversationId] to resume one. */
    @JvmOverloads
    fun conversation(botId: String, conversationId: String? = null): Conversation =
        Conversation(mapErrors { native.conversation(botId, conversationId) })

    /**
     * Closes the client, its conversations included: idle connections are released, calls in
     * flight finish, later calls throw [InvalidArgumentException] without sending. Idempotent.
     * (The native memory itself is freed when the object is garbage-collected.)
     */
    override fun close() = mapErrors { native.closeClient() }

    /** The settings, without the token. */
    override fun toString(): String = "Enjo(${mapErrors { native.describe() }})"

    /** A Java-friendly way to set options: `Enjo.builder().timeout(Duration.ofSeconds(5)).build()`. */
    class Builder internal constructor() {
        private var token: String? = null
        private var baseUrl: String? = null
        private var timeout: Duration? = null
        private var connectTimeout: Duration? = null
        private var maxRetries: Int? = null
        private var retryPolicy: RetryPolicy? = null
        private var rateLimit: RateLimit? = null
        private var rateLimitMaxWait: Duration? = null
        private var deadline: Duration? = null
        private var userAgent: String? = null
        private var proxy: String? = null
        private var rootCertificatePem: String? = null
        private var allowInsecureHttp: Boolean? = null
        private var maxResponseBytes: Long? = null
        private var rateLimitStore: String? = null
        private var rateLimitKey: String? = null
        private var rateLimitStoreFallback: Boolean? = null

        /** See [Enjo]'s `token`. */
        fun token(value: String) = apply { token = value }

        /** See [Enjo]'s `baseUrl`. */
        fun baseUrl(value: String) = apply { baseUrl = value }

        /** See [Enjo]'s `timeout`. */
        fun timeout(value: java.time.Duration) = apply { timeout = value.toKotlinDuration() }

        /** See [Enjo]'s `connectTimeout`. */
        fun connectTimeout(value: java.time.Duration) = apply { connectTimeout = value.toKotlinDuration() }

        /** See [Enjo]'s `maxRetries`. */
        fun maxRetries(value: Int) = apply { maxRetries = value }

        /** See [Enjo]'s `retryPolicy`. */
        fun retryPolicy(value: RetryPolicy) = apply { retryPolicy = value }

        /** See [Enjo]'s `rateLimit`. */
        fun rateLimit(value: RateLimit) = apply { rateLimit = value }

        /** See [Enjo]'s `rateLimitMaxWait`. */
        fun rateLimitMaxWait(value: java.time.Duration) = apply { rateLimitMaxWait = value.toKotlinDuration() }

        /** See [Enjo]'s `deadline`. */
        fun deadline(value: java.time.Duration) = apply { deadline = value.toKotlinDuration() }

        /** See [Enjo]'s `userAgent`. */
        fun userAgent(value: String) = apply { userAgent = value }

        /** See [Enjo]'s `proxy`. */
        fun proxy(value: String) = apply { proxy = value }

        /** See [Enjo]'s `rootCertificatePem`. */
        fun rootCertificatePem(value: String) = apply { rootCertificatePem = value }

        /** See [Enjo]'s `allowInsecureHttp`. */
        fun allowInsecureHttp(value: Boolean) = apply { allowInsecureHttp = value }

        /** See [Enjo]'s `maxResponseBytes`. */
        fun maxResponseBytes(value: Long) = apply { maxResponseBytes = value }

        /** See [Enjo]'s `rateLimitStore`. */
        fun rateLimitStore(value: String) = apply { rateLimitStore = value }

        /** See [Enjo]'s `rateLimitKey`. */
        fun rateLimitKey(value: String) = apply { rateLimitKey = value }

        /** See [Enjo]'s `rateLimitStoreFallback`. */
        fun rateLimitStoreFallback(value: Boolean) = apply { rateLimitStoreFallback = value }

        /** The client; throws [InvalidArgumentException] for a bad option. */
        fun build(): Enjo = Enjo(
            token, baseUrl, timeout, connectTimeout, maxRetries, retryPolicy, rateLimit,
            rateLimitMaxWait, deadline, userAgent, proxy, rootCertificatePem, allowInsecureHttp,
            maxResponseBytes, rateLimitStore, rateLimitKey, rateLimitStoreFallback,
        )

        /** The settings, without the token. */
        override fun toString(): String = "Enjo.Builder(baseUrl=$baseUrl, token=${if (token == null) "unset" else "[set]"})"
    }

    /** Factories. */
    companion object {
        /** A [Builder] (for Java; Kotlin callers use the constructor's named arguments). */
        @JvmStatic
        fun builder(): Builder = Builder()
    }
}

/**
 * A conversation with one bot, made by [Enjo.conversation]: each [send] passes the previous
 * reply's conversation id, so the bot keeps the context. Messages are sent one at a time, in
 * the order `send` was called.
 */
class Conversation internal constructor(private val native: NativeConversation) {
    /** The bot this conversation talks to. */
    val botId: String get() = mapErrors { native.botId() }

    /** The conversation id, once the first reply gave one. */
    val id: String? get() = mapErrors { native.id() }

    /** Sends [text] in this conversation; the other parameters override the client's options. */
    suspend fun send(
        text: String,
        timeout: Duration? = null,
        maxRetries: Int? = null,
        retryPolicy: RetryPolicy? = null,
        deadline: Duration? = null,
        headers: Map<String, String> = emptyMap(),
    ): MessageResponse {
        val options = sendOptions(null, timeout, maxRetries, retryPolicy, deadline, headers)
        return mapErrors { native.send(text, options) }.toResponse()
    }

    /** [send], blocking the calling thread (for Java); an interrupt cancels it. */
    fun sendBlocking(text: String): MessageResponse = runBlocking { send(text) }

    /** The bot and the conversation id. */
    override fun toString(): String = "Conversation(botId=$botId, id=$id)"
}

private fun Duration.seconds(): Double = toDouble(DurationUnit.SECONDS)

private fun RateLimit.toNative(): NativeRateLimit = when (this) {
    RateLimit.Documented -> NativeRateLimit.Documented
    RateLimit.Off -> NativeRateLimit.Off
    is RateLimit.Custom -> NativeRateLimit.Custom(
        quotas.map { NativeQuota(it.requests.toDouble(), it.window.seconds()) },
    )
}

private fun sendOptions(
    conversationId: String?,
    timeout: Duration?,
    maxRetries: Int?,
    retryPolicy: RetryPolicy?,
    deadline: Duration?,
    headers: Map<String, String>,
) = NativeSendOptions(
    conversationId = conversationId,
    timeoutSecs = timeout?.seconds(),
    maxRetries = maxRetries?.toDouble(),
    retryPolicy = retryPolicy?.coreName,
    deadlineSecs = deadline?.seconds(),
    headers = headers.map { (name, value) -> NativeHeader(name, value) },
)
