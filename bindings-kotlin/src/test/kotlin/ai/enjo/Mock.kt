package ai.enjo

import org.json.JSONArray
import org.json.JSONObject
import java.io.File
import java.net.URI
import java.net.http.HttpClient
import java.net.http.HttpRequest
import java.net.http.HttpResponse
import java.util.concurrent.TimeUnit


/** The repository's root (set by the pom; the tests run from bindings-kotlin/). */
val REPO: File = File(System.getProperty("enjo.repo") ?: "..").canonicalFile

/** The mock's test token. */
const val TOKEN = "enjo-mock-token"

/**
 * One `enjo-mock` process (the release binary, `ENJO_MOCK_BIN` or the pom's `enjo.mock.bin`) on
 * a free loopback port, and its `/_mock` admin API. Closing stdin stops it.
 */
class Mock(vararg args: String) : AutoCloseable {
    private val process: Process
    val url: String
    // HTTP/1.1 as the mock speaks it (no h2c upgrade offer on the first request).
    private val http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build()

    init {
        val bin = System.getenv("ENJO_MOCK_BIN")?.takeIf { it.isNotEmpty() }
            ?: System.getProperty("enjo.mock.bin")
            ?: File(REPO, "target/release/enjo-mock").path
        check(File(bin).canExecute()) { "enjo-mock not found at $bin: run `cargo build --release -p enjo-mock` or set ENJO_MOCK_BIN" }
        process = ProcessBuilder(listOf(bin, "--port", "0", "--exit-on-stdin-close", "--quiet") + args)
            .redirectError(ProcessBuilder.Redirect.DISCARD)
            .start()
        val line = process.inputStream.bufferedReader().readLine() ?: ""
        if (!line.startsWith("LISTENING ")) {
            close()
            error("enjo-mock did not start: '$line'")
        }
        url = "http://127.0.0.1:${line.removePrefix("LISTENING ").trim()}"
    }

    /** A client of this mock with the limiter off (unless [rateLimit] says otherwise). */
    fun client(rateLimit: RateLimit = RateLimit.Off, maxRetries: Int? = null, timeout: kotlin.time.Duration? = null) =
        Enjo(token = TOKEN, baseUrl = url, rateLimit = rateLimit, maxRetries = maxRetries, timeout = timeout)

    private fun call(method: String, path: String, body: JSONObject? = null): String {
        val request = HttpRequest.newBuilder(URI.create(url + path))
            .header("Content-Type", "application/json")
            .method(method, body?.let { HttpRequest.BodyPublishers.ofString(it.toString()) } ?: HttpRequest.BodyPublishers.noBody())
            .build()
        val response = http.send(request, HttpResponse.BodyHandlers.ofString())
        check(response.statusCode() in 200..299) { "$method $path: ${response.statusCode()} ${response.body()}" }
        return response.body()
    }

    /** The request log, oldest first (of one bot when given). */
    fun requests(botId: String? = null): List<JSONObject> {
        val array = JSONArray(call("GET", "/_mock/requests" + (botId?.let { "?bot_id=$it" } ?: "")))
        return (0 until array.length()).map { array.getJSONObject(it) }
    }

    /** The logged requests whose message text is [text] (tests use unique texts). */
    fun requestsWith(text: String) = requests().filter { it.optString("text") == text }

    /** Queues a fault (`"delay=2000"`, `"429;retry-after-ms=1"`, ...) for [botId]. */
    fun fault(botId: String?, fault: String, times: Int? = 1) {
        val body = JSONObject().put("fault", fault)
        if (botId != null) body.put("bot_id", botId)
        if (times != null) body.put("times", times)
        call("POST", "/_mock/faults", body)
    }

    /** Forgets requests, tickets, conversations, faults and rate-limit windows. */
    fun reset() {
        call("POST", "/_mock/reset", JSONObject())
    }

    override fun close() {
        runCatching { process.outputStream.close() }
        if (!process.waitFor(10, TimeUnit.SECONDS)) {
            process.destroyForcibly().waitFor()
        }
    }
}

/** Objects keep their keys, arrays their items; any other value becomes its JSON type. */
private fun shape(value: Any?): Any = when (value) {
    is JSONObject -> value.keySet().associateWith { shape(value.get(it)) }
    is JSONArray -> (0 until value.length()).map { shape(value.get(it)) }
    is Boolean -> "boolean"
    is Number -> "number"
    is String -> "string"
    null, JSONObject.NULL -> "null"
    else -> throw AssertionError("not a JSON value: $value")
}

/**
 * [body] (what the server received) has the structure of the vendor's sample body
 * (spec/vendor-request-body.json): same keys at the same places, same JSON types, no other key;
 * `message.conversationId` present exactly when [withConversation].
 */
fun assertVendorShape(body: JSONObject, withConversation: Boolean) {
    val expected = JSONObject(File(REPO, "spec/vendor-request-body.json").readText())
    if (!withConversation) expected.getJSONObject("message").remove("conversationId")
    if (shape(body) != shape(expected)) {
        throw AssertionError("the request body $body does not have the structure of the vendor's sample body $expected (spec/vendor-request-body.json)")
    }
}

/** [value], which must not be null. */
fun <T : Any> required(value: T?, message: String = "expected a value"): T = value ?: throw AssertionError(message)
