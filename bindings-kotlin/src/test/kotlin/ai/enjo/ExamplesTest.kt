package ai.enjo

import org.junit.jupiter.api.AfterAll
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.BeforeAll
import org.junit.jupiter.api.Test
import org.junit.jupiter.api.TestInstance
import java.io.File
import java.util.concurrent.TimeUnit

/** The examples (compiled with the tests) run in their own JVM against the mock, as a user runs them. */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ExamplesTest {
    private lateinit var mock: Mock

    @BeforeAll
    fun start() {
        mock = Mock("--rate-limit", "off")
    }

    @AfterAll
    fun stop() = mock.close()

    private data class Run(val code: Int, val stdout: String, val stderr: String)

    private fun run(mainClass: String, env: Map<String, String>): Run {
        val java = File(System.getProperty("java.home"), "bin/java").path
        val process = ProcessBuilder(java, "-cp", System.getProperty("java.class.path"), mainClass).apply {
            environment().putAll(mapOf("ENJO_API_TOKEN" to TOKEN, "ENJO_BASE_URL" to mock.url) + env)
        }.start()
        val stdout = process.inputStream.bufferedReader().readText()
        val stderr = process.errorStream.bufferedReader().readText()
        check(process.waitFor(60, TimeUnit.SECONDS)) { "$mainClass did not finish" }
        return Run(process.exitValue(), stdout, stderr)
    }

    @Test
    fun `SendMessage (the vendor sample in Kotlin) prints the answer and the ticket, and continues a conversation`() {
        val first = run("enjo.examples.SendMessageKt", mapOf("ENJO_BOT_ID" to "support-bot"))
        assertEquals(0, first.code, first.stderr)
        val id = Regex("conversation: (\\S+)").find(first.stdout)!!.groupValues[1]
        assertTrue(Regex("ticket \\S+ \\(.+\\): http").containsMatchIn(first.stdout), first.stdout)
        val (entry) = mock.requests("support-bot")
        assertEquals("""{"message":{"text":"Request for ticket generation"}}""", entry.getJSONObject("body").toString())
        assertVendorShape(entry.getJSONObject("body"), withConversation = false)

        val again = run("enjo.examples.SendMessageKt", mapOf("ENJO_BOT_ID" to "support-bot", "ENJO_CONVERSATION_ID" to id))
        assertEquals(0, again.code, again.stderr)
        assertTrue(again.stdout.contains("conversation: $id"), again.stdout)
        val continued = mock.requests("support-bot").last()
        assertVendorShape(continued.getJSONObject("body"), withConversation = true)
        assertEquals(id, continued.getString("conversation_id"))
    }

    @Test
    fun `SendMessage reports a wrong token as a typed error and exits 1`() {
        val bad = run("enjo.examples.SendMessageKt", mapOf("ENJO_BOT_ID" to "faq-bot", "ENJO_API_TOKEN" to "wrong-token-123"))
        assertEquals(1, bad.code)
        assertTrue(bad.stderr.lines().any { it.startsWith("AuthenticationException: HTTP 401") }, bad.stderr)
        assertTrue(!bad.stderr.contains("wrong-token-123"), bad.stderr)
    }

    @Test
    fun `the Java example uses the blocking API and threads the conversation`() {
        val out = run("enjo.examples.SendMessageBlocking", mapOf("ENJO_BOT_ID" to "jira-bot"))
        assertEquals(0, out.code, out.stderr)
        val id = Regex("conversation: (\\S+)").find(out.stdout)!!.groupValues[1]
        assertTrue(out.stdout.contains("continued: $id"), out.stdout)
        assertEquals(id, mock.requests("jira-bot").last().getString("conversation_id"))
    }
}
