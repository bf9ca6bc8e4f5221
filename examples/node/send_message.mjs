// The vendor's JavaScript sample (fetch + Headers + JSON.stringify), rewritten on the SDK.
//
// The vendor's version builds the request by hand:
//
//   const myHeaders = new Headers();
//   myHeaders.append("Content-Type", "application/json");
//   myHeaders.append("Authorization", "Bearer <access token>");
//   const raw = JSON.stringify({
//     "message": {
//       "text": "Request for ticket generation",
//       "conversationId": "conversationId"
//     }
//   });
//   fetch("https://api.enjo.ai/v1/bots/botId/message",
//         { method: "POST", headers: myHeaders, body: raw, redirect: "follow" })
//     .then((response) => response.text())
//     .then((result) => console.log(result))
//     .catch((error) => console.error(error));
//
// With the SDK the token comes from ENJO_API_TOKEN and the base URL from ENJO_BASE_URL (default
// https://api.enjo.ai); the reply is parsed, errors are typed, the documented rate limits are
// respected and a request that may have created a ticket is never sent twice. It sends the same
// body: `{"message": {"text": ..., "conversationId": ...}}` (the id left out when not given).
//
//   ENJO_API_TOKEN=... ENJO_BOT_ID=support-bot node send_message.mjs
import { Enjo, EnjoError, RateLimitError } from 'enjo'

const client = new Enjo()
const botId = process.env.ENJO_BOT_ID ?? 'botId'
// Continue a conversation when you have its id (the vendor's sample sends a placeholder).
const conversationId = process.env.ENJO_CONVERSATION_ID || undefined

try {
  const reply = await client.sendMessage(botId, 'Request for ticket generation', { conversationId })
  console.log(reply.answers)
  console.log(`conversation: ${reply.conversationId}`)
  for (const source of reply.sources) console.log(`source: ${source.name} ${source.url ?? ''}`)
  if (reply.ticket) {
    const { caseNumber, status, url } = reply.ticket
    console.log(`ticket ${caseNumber} (${status}): ${url}`)
  }
} catch (error) {
  if (error instanceof RateLimitError) {
    console.error(`rate limited, retry in ${error.retryAfter ?? '?'} s`)
  } else if (error instanceof EnjoError) {
    console.error(`${error.name}: ${error.message}`)
  } else {
    throw error
  }
  process.exitCode = 1
}
