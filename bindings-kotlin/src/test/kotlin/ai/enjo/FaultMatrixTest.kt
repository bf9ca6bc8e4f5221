package ai.enjo

import kotlinx.coroutines.runBlocking
import kotlinx.coroutines.withTimeoutOrNull
import org.json.JSONArray
import org.json.JSONObject
import org.junit.jupiter.api.AfterAll
import org.junit.jupiter.api.BeforeAll
import org.junit.jupiter.api.Test
import org.junit.jupiter.api.TestInstance
import java.io.File
import kotlin.math.abs
import kotlin.reflect.KClass
import kotlin.time.Duration
import kotlin.time.Duration.Companion.seconds

/**
 * The fault matrix (issue 21, item 4) for Kotlin: every row of spec/fault-matrix.json against a
 * real enjo-mock, through the coroutine API (`sendMessage`). Each row's outcome goes to
 * $ENJO_FAULT_MATRIX_RESULTS (default target/fault-matrix/) as kotlin.json for
 * scripts/fault-matrix.py; a row whose outcome differs from the data file fails the test.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class FaultMatrixTest {
    private val spec = JSONObject(File(REPO, "spec/fault-matrix.json").readText())
    private val bot = spec.getString("bot")
    private val text = spec.getString("text")

    /** The matrix's own mock: its 429 rows hold back only this origin. */
    private lateinit var mock: Mock

    @BeforeAll
    fun start() {
        mock = Mock("--rate-limit", "off")
    }

    @AfterAll
    fun stop() {
        mock.close()
    }

    private companion object {
        const val BINDING = "kotlin"

        /** The class each kind of the taxonomy must arrive as. */
        val CLASSES: Map<String, KClass<out EnjoException>> = mapOf(
            "server" to ServerException::class,
            "decode" to ResponseDecodeException::class,
            "timeout" to TimeoutException::class,
            "connection" to ConnectionException::class,
            "rate_limited" to RateLimitException::class,
            "api" to OtherApiException::class,
            "invalid_request" to InvalidRequestException::class,
            "authentication" to AuthenticationException::class,
            "not_found" to NotFoundException::class,
        )

        /** Far past every row's own timeout: a hang fails the row instead of the whole run. */
        val HANG_GUARD: Duration = 120.seconds
    }

    /** The row's options over the defaults. */
    private fun options(row: JSONObject): JSONObject {
        val merged = JSONObject(spec.getJSONObject("defaults").toMap())
        row.optJSONObject("options")?.let { own -> own.keySet().forEach { merged.put(it, own.get(it)) } }
        return merged
    }

    /** A client of the matrix's mock with the data file's options, in Kotlin's spelling and unit. */
    private fun client(options: JSONObject): Enjo {
        var timeout: Duration? = null
        var maxRetries: Int? = null
        var retryPolicy: RetryPolicy? = null
        var maxResponseBytes: Long? = null
        for (name in options.keySet()) {
            when (name) {
                "timeout" -> timeout = options.getDouble(name).seconds
                "max_retries" -> maxRetries = options.getInt(name)
                "retry_policy" -> retryPolicy = when (val policy = options.getString(name)) {
                    "safe" -> RetryPolicy.SAFE
                    "at_least_once" -> RetryPolicy.AT_LEAST_ONCE
                    else -> throw AssertionError("spec/fault-matrix.json: retry_policy $policy is not known here")
                }
                "max_response_bytes" -> maxResponseBytes = options.getLong(name)
                else -> throw AssertionError("spec/fault-matrix.json: option $name is not known here")
            }
        }
        return Enjo(
            token = TOKEN, baseUrl = mock.url, rateLimit = RateLimit.Off, timeout = timeout,
            maxRetries = maxRetries, retryPolicy = retryPolicy, maxResponseBytes = maxResponseBytes,
        )
    }

    /** One call through a fresh client: its reply, its error, or null when it hung past the guard. */
    private fun send(options: JSONObject): Any? = client(options).use { client ->
        runBlocking {
            withTimeoutOrNull(HANG_GUARD) {
                try {
                    client.sendMessage(bot, text)
                } catch (e: EnjoException) {
                    e
                }
            }
        }
    }

    /** What one call gave, in the data file's terms (`null`: absent). */
    private fun observed(result: Any?): MutableMap<String, Any?> = when (result) {
        null -> mutableMapOf("outcome" to "hung past the guard ($HANG_GUARD)")
        is EnjoException -> {
            val seen = mutableMapOf<String, Any?>(
                "outcome" to result.kind,
                "status" to result.status,
                "code" to result.code,
                "retry_after" to result.retryAfter,
            )
            if (CLASSES[result.kind]?.isInstance(result) != true) seen["class"] = result::class.simpleName
            seen
        }
        is MessageResponse -> mutableMapOf(
            "outcome" to "ok",
            "answers" to result.answers,
            // Code points, as the data file counts them (a Kotlin String's length counts UTF-16 units).
            "answers_length" to result.answers?.let { it.codePointCount(0, it.length) },
            "conversation_id" to result.conversationId,
            "sources" to result.sources.size,
        )
        else -> mutableMapOf("outcome" to "not a reply nor an EnjoException: $result")
    }

    /** The differences between [expect] and what was [seen] (empty: the row passes). */
    private fun mismatches(expect: JSONObject, seen: Map<String, Any?>): List<String> {
        val out = mutableListOf<String>()
        seen["class"]?.let { out.add("class $it does not match kind ${seen["outcome"]}") }
        for (key in expect.keySet().sorted()) {
            val want = expect.get(key).takeUnless { it == JSONObject.NULL }
            val got = seen[key]
            val same = if (want is Number && got is Number) {
                abs(want.toDouble() - got.toDouble()) < 1e-9
            } else {
                want == got
            }
            if (!same) out.add("$key: expected ${shown(want)}, got ${shown(got)}")
        }
        return out
    }

    private fun shown(value: Any?): String {
        val text = if (value is String) JSONObject.quote(value) else value.toString()
        return if (text.length > 80) text.take(80) + "…" else text
    }

    @Test
    fun `fault matrix - every row of spec fault-matrix json`() {
        val results = JSONArray()
        val failures = mutableListOf<String>()
        val rows = spec.getJSONArray("rows")
        for (i in 0 until rows.length()) {
            val row = rows.getJSONObject(i)
            val id = row.getString("id")
            mock.reset()
            if (!row.isNull("fault")) {
                mock.fault(bot, row.getString("fault"), if (row.has("times")) row.getInt("times") else null)
            }
            val seen = observed(send(options(row)))
            val requests = mock.requests(bot).size
            seen["requests"] = requests
            val problems = mismatches(row.getJSONObject("expect"), seen)
            val known = row.optJSONObject("known_failures")?.optString(BINDING)?.takeIf { it.isNotEmpty() }
            if (problems.isNotEmpty() && known == null) failures.add("$id: ${problems.joinToString("; ")}")
            results.put(
                JSONObject()
                    .put("binding", BINDING)
                    .put("fault", id)
                    .put("outcome", seen["outcome"])
                    .put("requests", requests)
                    .put("pass", problems.isEmpty())
                    .put("detail", problems.joinToString("; ")),
            )
        }
        val directory = System.getenv("ENJO_FAULT_MATRIX_RESULTS")?.takeIf { it.isNotEmpty() }?.let(::File)
            ?: File(REPO, "target/fault-matrix")
        directory.mkdirs()
        File(directory, "$BINDING.json").writeText(results.toString(2) + "\n")
        if (failures.isNotEmpty()) {
            throw AssertionError("$BINDING: rows differ from spec/fault-matrix.json:\n" + failures.joinToString("\n"))
        }
    }
}
