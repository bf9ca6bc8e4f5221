package ai.enjo

import kotlinx.coroutines.async
import kotlinx.coroutines.awaitAll
import kotlinx.coroutines.runBlocking
import org.junit.jupiter.api.AfterAll
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertFalse
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.BeforeAll
import org.junit.jupiter.api.Test
import org.junit.jupiter.api.TestInstance
import org.junit.jupiter.api.assertThrows
import kotlin.time.Duration
import kotlin.time.Duration.Companion.hours
import kotlin.time.Duration.Companion.milliseconds
import kotlin.time.Duration.Companion.seconds

/** The core limiter, seen from Kotlin, against a mock that enforces the same scaled quotas. */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class RateLimitTest {
    private lateinit var mock: Mock

    @BeforeAll
    fun start() {
        mock = Mock("--rate-limit", "5/200ms,10/1s")
    }

    @AfterAll
    fun stop() = mock.close()

    @Test
    fun `with scaled quotas, 15 concurrent coroutines, no 429 from the server`() = runBlocking {
        val quotas = RateLimit.quotas(Quota(5, 200.milliseconds), Quota(10, 1.seconds))
        mock.client(rateLimit = quotas).use { client ->
            val replies = (1..15).map { i -> async { client.sendMessage("echo-bot", "limited $i") } }.awaitAll()
            assertEquals((1..15).map { "limited $it" }, replies.map { it.answers })
        }
        val statuses = mock.requests("echo-bot").map { it.getInt("status") }
        assertEquals(15, statuses.size)
        assertTrue(statuses.all { it == 200 }, "$statuses")
    }

    @Test
    fun `a wait past rateLimitMaxWait is a RateLimitException that was never sent`() {
        Enjo(
            token = TOKEN, baseUrl = mock.url, rateLimit = RateLimit.quotas(Quota(1, 1.hours)),
            rateLimitMaxWait = Duration.ZERO,
        ).use { client ->
            client.sendMessageBlocking("faq-bot", "first of the hour")
            val e = assertThrows<RateLimitException> { client.sendMessageBlocking("faq-bot", "second of the hour") }
            assertFalse(e.mayHaveBeenSent)
            assertTrue((e.retryAfter ?: 0.0) > 0.0, "${e.retryAfter}")
            assertTrue(mock.requestsWith("second of the hour").isEmpty())
        }
    }
}
