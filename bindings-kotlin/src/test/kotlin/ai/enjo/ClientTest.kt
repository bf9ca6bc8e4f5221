package ai.enjo

import kotlinx.coroutines.CoroutineStart
import kotlinx.coroutines.async
import kotlinx.coroutines.awaitAll
import kotlinx.coroutines.delay
import kotlinx.coroutines.launch
import kotlinx.coroutines.runBlocking
import kotlinx.coroutines.withTimeout
import org.json.JSONObject
import org.junit.jupiter.api.AfterAll
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertFalse
import org.junit.jupiter.api.assertNotNull
import org.junit.jupiter.api.Assertions.assertNull
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.BeforeAll
import org.junit.jupiter.api.Test
import org.junit.jupiter.api.TestInfo
import org.junit.jupiter.api.TestInstance
import org.junit.jupiter.api.assertThrows
import java.util.concurrent.atomic.AtomicInteger
import kotlin.time.Duration.Companion.milliseconds
import kotlin.time.Duration.Companion.seconds

@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ClientTest {
    private lateinit var mock: Mock
    private lateinit var client: Enjo
    private val counter = AtomicInteger()

    @BeforeAll
    fun start() {
        mock = Mock("--rate-limit", "off")
        client = mock.client()
    }

    @AfterAll
    fun stop() {
        client.close()
        mock.close()
    }

    /** A message text no other test sends. */
    private fun unique(info: TestInfo, what: String = "msg") =
        "$what ${info.testMethod.get().name} #${counter.incrementAndGet()}"

    @Test
    fun `the runtime threads that deliver replies stay attached to the JVM, as daemons`(info: TestInfo) = runBlocking {
        // Attaching and detaching a runtime thread for every reply's wake-up doubled the time
        // of a call (benchmarks/kotlin): they stay attached, under one name, and never hold the
        // JVM open.
        repeat(20) {
            val text = unique(info)
            assertEquals(text, client.sendMessage("echo-bot", text).answers)
        }
        val attached = Thread.getAllStackTraces().keys.filter { it.name == "enjo-runtime" }
        assertTrue(attached.isNotEmpty(), "no runtime thread stayed attached after 20 calls")
        assertTrue(attached.all { it.isDaemon }, "a runtime thread is not a daemon: it would keep the JVM alive")
    }

    @Test
    fun `a first message and a follow-up thread, with the vendor's body`(info: TestInfo) = runBlocking {
        val first = unique(info, "Hello")
        val reply = client.sendMessage("echo-bot", first)
        assertEquals(first, reply.answers)
        assertEquals(200, reply.status)
        val id = required(reply.conversationId)
        assertNotNull(reply.requestId)
        assertEquals(id, JSONObject(reply.raw).getJSONObject("data").getString("conversationId"))

        val second = unique(info, "And then")
        val followUp = client.sendMessage("echo-bot", second, conversationId = id)
        assertEquals(id, followUp.conversationId)

        val (sentFirst) = mock.requestsWith(first)
        assertVendorShape(sentFirst.getJSONObject("body"), withConversation = false)
        val (sentSecond) = mock.requestsWith(second)
        assertVendorShape(sentSecond.getJSONObject("body"), withConversation = true)
        assertEquals(id, sentSecond.getJSONObject("body").getJSONObject("message").getString("conversationId"))
        assertEquals(id, sentSecond.getString("conversation_id"), "the server continued the conversation")
    }

    @Test
    fun `a conversation keeps its id and ends in a ticket, on all three platforms`() = runBlocking {
        val expectations = mapOf(
            "support-bot" to "Case",
            "jira-bot" to null,
            "servicenow-bot" to null,
        )
        for ((bot, _) in expectations) {
            client.conversation(bot).let { conversation ->
                assertNull(conversation.id)
                val first = conversation.send("My sign-in fails since this morning.")
                val id = required(first.conversationId)
                assertEquals(id, conversation.id)
                val reply = conversation.send("This is urgent, please open a ticket for a human agent.")
                assertEquals(id, reply.conversationId, bot)
                val ticket = required(reply.ticket, bot)
                assertNotNull(ticket.caseNumber, "$bot: $ticket")
                assertNotNull(ticket.url, bot)
                assertTrue(ticket.priority!!.contains("High"), "$bot: ${ticket.priority}")
                assertFalse(JSONObject(ticket.raw).isEmpty(), bot)
                val logged = mock.requests(bot).last()
                assertEquals(id, logged.getString("conversation_id"))
                assertVendorShape(logged.getJSONObject("body"), withConversation = true)
            }
        }
        val salesforce = client.conversation("support-bot").send("Please create a ticket: I need a human agent.").ticket!!
        assertEquals("Case", JSONObject(salesforce.raw).getJSONObject("attributes").getString("type"))
        assertNotNull(salesforce.status)
    }

    @Test
    fun `the blocking variants send the same`(info: TestInfo) {
        val text = unique(info)
        val reply = client.sendMessageBlocking("echo-bot", text)
        assertEquals(text, reply.answers)
        val again = client.sendMessageBlocking("echo-bot", "$text again", reply.conversationId)
        assertEquals(reply.conversationId, again.conversationId)
        val conversation = client.conversation("echo-bot", reply.conversationId)
        assertEquals(reply.conversationId, conversation.sendBlocking("$text third").conversationId)
    }

    @Test
    fun `a wrong token is an AuthenticationException that does not show the token`() {
        val secret = "sk-wrong-token-4f9a1c"
        Enjo(token = secret, baseUrl = mock.url, rateLimit = RateLimit.Off).use { bad ->
            val e = assertThrows<AuthenticationException> { runBlocking { bad.sendMessage("faq-bot", "hi") } }
            assertEquals(401, e.status)
            assertEquals("authentication", e.kind)
            assertNotNull(e.requestId)
            assertFalse(e.toString().contains(secret))
            assertFalse(bad.toString().contains(secret), bad.toString())
        }
    }

    @Test
    fun `an unknown bot is an InvalidRequestException, a wrong path a NotFoundException`() {
        val e = assertThrows<InvalidRequestException> { runBlocking { client.sendMessage("no-such-bot", "hi") } }
        assertEquals(400, e.status)
        assertEquals("invalid_request_error", e.code)
        assertTrue(e.body!!.contains("botId not found"), e.body)
        Enjo(token = TOKEN, baseUrl = mock.url + "/nope", rateLimit = RateLimit.Off).use { wrong ->
            val notFound = assertThrows<NotFoundException> { wrong.sendMessageBlocking("faq-bot", "hi") }
            assertEquals(404, notFound.status)
        }
    }

    @Test
    fun `a 429 is retried after its Retry-After, or raised with retryAfter in seconds`(info: TestInfo) = runBlocking {
        mock.fault("echo-bot", "429;retry-after-ms=1", times = 1)
        val text = unique(info)
        assertEquals(text, client.sendMessage("echo-bot", text).answers)
        assertEquals(listOf(429, 200), mock.requestsWith(text).map { it.getInt("status") })

        mock.fault("echo-bot", "429;retry-after=3", times = 1)
        val e = assertThrows<RateLimitException> { runBlocking { client.sendMessage("echo-bot", unique(info), maxRetries = 0) } }
        assertEquals(429, e.status)
        assertEquals(3.0, e.retryAfter)
    }

    @Test
    fun `no answer in time is a TimeoutException`(info: TestInfo) {
        mock.fault("echo-bot", "delay=5000", times = 1)
        val e = assertThrows<TimeoutException> {
            runBlocking { client.sendMessage("echo-bot", unique(info), timeout = 200.milliseconds) }
        }
        assertEquals("timeout", e.kind)
        assertNotNull(e.requestId)
    }

    @Test
    fun `a cancelled coroutine cancels the request and the client stays usable`(info: TestInfo) = runBlocking {
        mock.fault("echo-bot", "delay=30000", times = 1)
        val conversation = client.conversation("echo-bot")
        val text = unique(info)
        val job = launch(start = CoroutineStart.UNDISPATCHED) { conversation.send(text) }
        while (mock.requestsWith(text).isEmpty()) delay(10) // the request reached the server
        // Guards against a hang, far from the mock's 30 s delay: not timing assertions.
        withTimeout(10.seconds) {
            job.cancel()
            job.join()
        }
        assertTrue(job.isCancelled)
        // A conversation sends one message at a time: had the Rust request lived on, this one
        // would wait for the 30 s reply. It goes at once because cancelling dropped it.
        val after = unique(info)
        assertEquals(after, withTimeout(10.seconds) { conversation.send(after) }.answers)
        assertEquals(after, client.sendMessage("echo-bot", after).answers)
    }

    @Test
    fun `interrupting a blocking call cancels it and throws InterruptedException`(info: TestInfo) {
        mock.fault("echo-bot", "delay=30000", times = 1)
        val text = unique(info)
        var thrown: Throwable? = null
        val caller = Thread { thrown = runCatching { client.sendMessageBlocking("echo-bot", text) }.exceptionOrNull() }
        caller.start()
        while (mock.requestsWith(text).isEmpty()) Thread.sleep(10) // the request reached the server
        caller.interrupt()
        caller.join(10_000) // a guard against a hang, far from the mock's 30 s delay
        assertFalse(caller.isAlive)
        assertTrue(thrown is InterruptedException, "$thrown")
        val after = unique(info)
        assertEquals(after, client.sendMessageBlocking("echo-bot", after).answers)
    }

    @Test
    fun `sixteen coroutines share one client`() = runBlocking {
        val replies = (1..16).map { i -> async { client.sendMessage("echo-bot", "concurrent $i") } }.awaitAll()
        assertEquals((1..16).map { "concurrent $it" }, replies.map { it.answers })
        assertEquals(16, replies.map { it.conversationId }.toSet().size)
    }

    @Test
    fun `hostile replies are typed exceptions, never a crash`() {
        val cases = mapOf(
            "malformed-json" to ResponseDecodeException::class,
            "html-502" to ServerException::class,
            "empty-body=500" to ServerException::class,
            "success-false" to OtherApiException::class,
            "status=418" to OtherApiException::class,
            "reset" to ConnectionException::class,
            "huge-body=20000000" to ResponseDecodeException::class,
        )
        for ((fault, expected) in cases) {
            mock.fault("echo-bot", fault, times = 1)
            val e = assertThrows<EnjoException>(fault) { client.sendMessageBlocking("echo-bot", "hostile $fault") }
            assertEquals(expected, e::class, "$fault: $e")
        }
        mock.fault("echo-bot", "missing-fields", times = 1)
        val empty = client.sendMessageBlocking("echo-bot", "missing fields")
        assertNull(empty.answers)
        assertEquals(emptyList<Source>(), empty.sources)
    }

    @Test
    fun `bad options are InvalidArgumentExceptions naming the option`() {
        val timeout = assertThrows<InvalidArgumentException> { Enjo(token = TOKEN, timeout = (-1).seconds) }
        assertTrue(timeout.message!!.startsWith("timeout must be"), timeout.message)
        val retries = assertThrows<InvalidArgumentException> { Enjo(token = TOKEN, maxRetries = -1) }
        assertTrue(retries.message!!.startsWith("maxRetries must be"), retries.message)
        val quota = assertThrows<InvalidArgumentException> {
            Enjo(token = TOKEN, rateLimit = RateLimit.quotas(Quota(5, (-1).seconds)))
        }
        assertTrue(quota.message!!.startsWith("rateLimit[0].window must be"), quota.message)
        val empty = assertThrows<InvalidArgumentException> { client.sendMessageBlocking("", "hi") }
        assertFalse(empty.mayHaveBeenSent)
    }

    @Test
    fun `close makes later calls fail and can be repeated`() {
        val own = mock.client()
        val conversation = own.conversation("echo-bot")
        assertEquals("x", own.sendMessageBlocking("echo-bot", "x").answers)
        own.close()
        own.close()
        assertTrue(own.isClosed)
        assertFalse(own.toString().contains(TOKEN), own.toString())
        val e = assertThrows<InvalidArgumentException> { own.sendMessageBlocking("echo-bot", "y") }
        assertTrue(e.message!!.contains("closed"), e.message)
        assertThrows<InvalidArgumentException> { conversation.sendBlocking("z") }
        assertThrows<InvalidArgumentException> { own.conversation("echo-bot").sendBlocking("z") }
        assertEquals(listOf("x"), mock.requests("echo-bot").map { it.getString("text") }.filter { it in setOf("x", "y", "z") })
    }

    @Test
    fun `the builder sets the same options, for Java callers`(info: TestInfo) {
        Enjo.builder().token(TOKEN).baseUrl(mock.url).rateLimit(RateLimit.off())
            .timeout(java.time.Duration.ofSeconds(5)).maxRetries(0).retryPolicy(RetryPolicy.AT_LEAST_ONCE)
            .userAgent("builder-test/1").build().use { built ->
                val text = unique(info)
                assertEquals(text, built.sendMessageBlocking("echo-bot", text).answers)
                val agent = mock.requestsWith(text).single().getString("user_agent")
                assertTrue(agent.contains(" kotlin/${KotlinVersion.CURRENT} builder-test/1"), agent)
                assertEquals(mock.url, built.baseUrl)
            }
    }
}
