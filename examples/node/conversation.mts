// A conversation that ends in a ticket, in TypeScript: typed replies, typed errors, a deadline.
//
//   ENJO_API_TOKEN=... ENJO_BOT_ID=support-bot: compile with tsc (module node16), run with node
import Enjo, { APITimeoutError, EnjoError, RateLimitError, type MessageResponse, type Ticket } from 'enjo'

const client = new Enjo({ timeout: 30_000, maxRetries: 2 }) // token from ENJO_API_TOKEN
const chat = client.conversation(process.env.ENJO_BOT_ID ?? 'support-bot')

function describe(ticket: Ticket | undefined): string {
  if (ticket === undefined) return 'no ticket'
  return `ticket ${ticket.caseNumber ?? ticket.id ?? '?'} (${ticket.status ?? 'unknown status'})`
}

async function ask(text: string): Promise<MessageResponse | undefined> {
  try {
    // Give up after 20 s whatever happens (rate-limit wait included).
    return await chat.send(text, { signal: AbortSignal.timeout(20_000) })
  } catch (error: unknown) {
    if (error instanceof RateLimitError) {
      console.error(`rate limited; retry after ${error.retryAfter ?? '?'} s`)
    } else if (error instanceof APITimeoutError) {
      console.error('the bot took too long to answer')
    } else if (error instanceof EnjoError) {
      console.error(`${error.name} (HTTP ${error.status ?? '-'}): ${error.message}`)
    } else {
      throw error
    }
    process.exitCode = 1
    return undefined
  }
}

const first = await ask('My VPN disconnects every few minutes')
console.log(first?.answers ?? '')
const second = await ask('It is still broken, please open a ticket')
console.log(second?.answers ?? '')
console.log(`conversation ${chat.conversationId ?? '?'}: ${describe(second?.ticket)}`)
