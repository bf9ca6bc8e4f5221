package ai.enjo

import kotlinx.coroutines.runBlocking
import org.junit.jupiter.api.AfterAll
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.BeforeAll
import org.junit.jupiter.api.Test
import org.junit.jupiter.api.TestInstance
import org.junit.jupiter.api.assertThrows
import kotlin.time.Duration.Companion.milliseconds
import kotlin.time.Duration.Companion.seconds

/** The parity options: each reaches the wire or changes behaviour; bad values are named as Kotlin spells them. */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class OptionsTest {
    private lateinit var mock: Mock

    @BeforeAll
    fun start() {
        mock = Mock("--rate-limit", "off")
    }

    @AfterAll
    fun stop() = mock.close()

    @Test
    fun `proxy and allowInsecureHttp - a plain-http host is refused unless allowed, requests go through the proxy`() {
        // Nothing answers for enjo.invalid: the reply can only come through the proxy (the mock
        // serves absolute-form requests, as a forward proxy receives them).
        val refused = assertThrows<InvalidArgumentException> {
            Enjo(token = TOKEN, baseUrl = "http://enjo.invalid", proxy = mock.url, rateLimit = RateLimit.Off)
        }
        assertTrue(refused.message!!.contains("http"), refused.message)
        Enjo(token = TOKEN, baseUrl = "http://enjo.invalid", proxy = mock.url, rateLimit = RateLimit.Off, allowInsecureHttp = true).use {
            assertEquals("through the proxy", it.sendMessageBlocking("echo-bot", "through the proxy").answers)
        }
        assertEquals(1, mock.requestsWith("through the proxy").size)
    }

    @Test
    fun `maxResponseBytes caps a reply - over it is a ResponseDecodeException`() = runBlocking {
        Enjo(token = TOKEN, baseUrl = mock.url, rateLimit = RateLimit.Off, maxResponseBytes = 1024).use { small ->
            assertEquals("short", small.sendMessage("echo-bot", "short").answers)
            assertThrows<ResponseDecodeException> { runBlocking { small.sendMessage("echo-bot", "long " + "x".repeat(4096)) } }
        }
        val bad = assertThrows<InvalidArgumentException> { Enjo(token = TOKEN, maxResponseBytes = 0) }
        assertTrue(bad.message!!.startsWith("maxResponseBytes must be"), bad.message)
    }

    @Test
    fun `deadline bounds a whole call, on the client and per call`() = runBlocking {
        mock.fault("echo-bot", "delay=5000", times = 2)
        Enjo(token = TOKEN, baseUrl = mock.url, rateLimit = RateLimit.Off, deadline = 200.milliseconds).use { bounded ->
            assertThrows<TimeoutException> { runBlocking { bounded.sendMessage("echo-bot", "client deadline") } }
        }
        mock.client().use { client ->
            assertThrows<TimeoutException> { runBlocking { client.sendMessage("echo-bot", "call deadline", deadline = 200.milliseconds) } }
            val zero = assertThrows<InvalidArgumentException> { runBlocking { client.sendMessage("echo-bot", "x", deadline = 0.seconds) } }
            assertTrue(zero.message!!.startsWith("deadline must be"), zero.message)
        }
    }

    @Test
    fun `per-call headers are sent with the request, bad ones are refused by core without sending`() = runBlocking {
        mock.client().use { client ->
            client.sendMessage("echo-bot", "with headers", headers = mapOf("X-Tenant" to "acme", "X-Trace" to "t1"))
            val logged = mock.requestsWith("with headers").single().getJSONObject("headers")
            assertEquals("acme", logged.getString("x-tenant"))
            assertEquals("t1", logged.getString("x-trace"))
            client.conversation("echo-bot").send("conversation headers", headers = mapOf("X-Tenant" to "conv"))
            assertEquals("conv", mock.requestsWith("conversation headers").single().getJSONObject("headers").getString("x-tenant"))
            assertThrows<InvalidArgumentException> { runBlocking { client.sendMessage("echo-bot", "bad header", headers = mapOf("bad name" to "v")) } }
            assertTrue(mock.requestsWith("bad header").isEmpty(), "nothing sent")
        }
    }

    @Test
    fun `rootCertificatePem - garbage is refused`() {
        assertThrows<InvalidArgumentException> {
            Enjo(token = TOKEN, baseUrl = mock.url, rootCertificatePem = "-----BEGIN CERTIFICATE-----\n!!!!\n-----END CERTIFICATE-----\n")
        }
    }

    @Test
    fun `rateLimitStore - unreachable is a RateLimitStoreException unless falling back, a file store is shared`() {
        val down = "redis://127.0.0.1:1/0"
        val text = "kotlin store down ${System.nanoTime()}"
        Enjo(token = TOKEN, baseUrl = mock.url, rateLimitStore = down).use {
            val e = assertThrows<RateLimitStoreException> { it.sendMessageBlocking("echo-bot", text) }
            assertEquals(false, e.mayHaveBeenSent)
        }
        assertEquals(0, mock.requestsWith(text).size)
        Enjo(token = TOKEN, baseUrl = mock.url, rateLimitStore = down, rateLimitStoreFallback = true).use {
            assertEquals(text, it.sendMessageBlocking("echo-bot", text).answers)
        }
        val bad = assertThrows<InvalidArgumentException> { Enjo(token = TOKEN, rateLimitStore = "redis://:hunter2@") }
        assertTrue(bad.message!!.startsWith("rateLimitStore: ") && !bad.message!!.contains("hunter2"), bad.message)

        val dir = java.nio.file.Files.createTempDirectory("enjo-kotlin-store")
        val store = "file:" + dir.resolve("limiter.state")
        val shared = "kotlin store file ${System.nanoTime()}"
        fun client() = Enjo(
            token = TOKEN, baseUrl = mock.url, rateLimit = RateLimit.quotas(Quota(2, 600.seconds)),
            rateLimitMaxWait = 0.milliseconds, rateLimitStore = store,
        )
        client().use { a ->
            client().use { b ->
                a.sendMessageBlocking("echo-bot", shared)
                b.sendMessageBlocking("echo-bot", shared)
                assertThrows<RateLimitException> { a.sendMessageBlocking("echo-bot", shared) }
            }
        }
        assertEquals(2, mock.requestsWith(shared).size)
        assertTrue(java.nio.file.Files.exists(dir.resolve("limiter.state")))
        dir.toFile().deleteRecursively()
    }
}
