// The vendor's message sample (curl / fetch / requests), rewritten on the Kotlin SDK.
//
// The vendor's version builds the request by hand:
//
//   POST https://api.enjo.ai/v1/bots/botId/message
//   Authorization: Bearer <access token>
//   Content-Type: application/json
//   {"message": {"text": "Request for ticket generation", "conversationId": "conversationId"}}
//
// With the SDK the token comes from ENJO_API_TOKEN and the base URL from ENJO_BASE_URL (default
// https://api.enjo.ai); the reply is parsed, errors are typed, the documented rate limits are
// respected and a request that may have created a ticket is never sent twice. It sends the same
// body (the conversation id left out when not given).
//
//   ENJO_API_TOKEN=... ENJO_BOT_ID=support-bot java -cp ... enjo.examples.SendMessageKt
package enjo.examples

import ai.enjo.Enjo
import ai.enjo.EnjoException
import ai.enjo.RateLimitException
import kotlin.system.exitProcess

suspend fun main() {
    val botId = System.getenv("ENJO_BOT_ID") ?: "botId"
    // Continue a conversation when you have its id (the vendor's sample sends a placeholder).
    val conversationId = System.getenv("ENJO_CONVERSATION_ID")?.ifEmpty { null }
    try {
        Enjo().use { client ->
            val reply = client.sendMessage(botId, "Request for ticket generation", conversationId)
            println(reply.answers)
            println("conversation: ${reply.conversationId}")
            for (source in reply.sources) println("source: ${source.name} ${source.url ?: ""}")
            reply.ticket?.let { println("ticket ${it.caseNumber} (${it.status}): ${it.url}") }
        }
    } catch (e: RateLimitException) {
        System.err.println("rate limited, retry in ${e.retryAfter ?: "?"} s")
        exitProcess(1)
    } catch (e: EnjoException) {
        System.err.println("${e::class.simpleName}: ${e.message}")
        exitProcess(1)
    }
}
