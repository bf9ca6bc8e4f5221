// Compile-time test of the public declarations (`tsc -p .`, strict). Each `@ts-expect-error`
// fails the build if the declarations stop rejecting that misuse.
import Enjo, {
  APIConnectionError,
  APIError,
  APITimeoutError,
  AuthenticationError,
  Conversation,
  EnjoError,
  InvalidArgumentError,
  InvalidRequestError,
  NotFoundError,
  RateLimitError,
  ResponseDecodeError,
  ServerError,
  VERSION,
  type ClientOptions,
  type EnjoErrorFields,
  type MessageResponse,
  type RateLimitQuota,
  type SendOptions,
  type Source,
  type Ticket,
} from 'enjo'
import { Enjo as NamedEnjo } from 'enjo'

const quotas: RateLimitQuota[] = [{ requests: 5, windowMs: 200 }]
const options: ClientOptions = {
  token: 't',
  baseUrl: 'http://127.0.0.1:1',
  timeout: 60_000,
  connectTimeout: 10_000,
  maxRetries: 2,
  retryPolicy: 'atLeastOnce',
  rateLimit: quotas,
  rateLimitMaxWait: 5_000,
  userAgent: 'typing-test/1.0',
  deadline: 30_000,
  proxy: 'http://127.0.0.1:3128',
  rootCertificatePem: '-----BEGIN CERTIFICATE-----',
  allowInsecureHttp: false,
  maxResponseBytes: 1 << 20,
}
const client: Enjo = new NamedEnjo(options)
new Enjo()
new Enjo({ rateLimit: false })
new Enjo({ rateLimit: true })
// @ts-expect-error retryPolicy is one of two spellings
new Enjo({ retryPolicy: 'always' })
// @ts-expect-error durations are numbers of milliseconds
new Enjo({ timeout: '60s' })
// @ts-expect-error unknown option
new Enjo({ tokn: 'typo' })

const base: string = client.baseUrl
const send: SendOptions = { conversationId: 'c', timeout: 1_000, maxRetries: 0, signal: AbortSignal.timeout(5) }

async function use(): Promise<void> {
  const reply: MessageResponse = await client.sendMessage('bot', 'text', send)
  const answers: string | undefined = reply.answers
  const sources: Source[] = reply.sources
  const first: Source | undefined = sources[0]
  const score: number | undefined = first?.score
  const type: string | undefined = first?.type
  const conversationId: string | undefined = reply.conversationId
  const requestId: string | undefined = reply.requestId
  const serverRequestId: string | undefined = reply.serverRequestId
  void serverRequestId
  const httpStatus: number = reply.status
  const raw: Record<string, any> = reply.raw
  const ticket: Ticket | undefined = reply.ticket
  if (ticket) {
    const fields: Array<string | undefined> = [
      ticket.id, ticket.url, ticket.type, ticket.status, ticket.priority, ticket.description,
      ticket.createdDate, ticket.lastModifiedDate, ticket.caseNumber,
    ]
    const ticketRaw: Record<string, any> = ticket.raw
    void fields, ticketRaw
  }
  // @ts-expect-error answers may be undefined
  const sure: string = reply.answers
  // @ts-expect-error snake_case is not the Node spelling
  void reply.conversation_id
  void answers, score, type, conversationId, requestId, raw, sure, httpStatus

  const chat: Conversation = client.conversation('bot')
  const resumed: Conversation = client.conversation('bot', { conversationId: 'c' })
  const id: string | undefined = chat.conversationId
  const bot: string = resumed.botId
  await chat.send('hello', { signal: new AbortController().signal, timeout: 5 })
  // @ts-expect-error a conversation sets its own conversationId
  await chat.send('hello', { conversationId: 'x' })
  // @ts-expect-error Conversation is made by client.conversation()
  new Conversation()
  void id, bot

  // @ts-expect-error botId is a string
  await client.sendMessage(1, 'text')
}

function handle(error: unknown): string {
  if (error instanceof RateLimitError) {
    const wait: number | undefined = error.retryAfter
    const status: number | undefined = error.status
    return `${wait} ${status}`
  }
  if (error instanceof APIError) {
    const body: string | undefined = error.body
    const code: string | undefined = error.code
    const requestId: string | undefined = error.requestId
    return `${body} ${code} ${requestId}`
  }
  const classes: Array<typeof EnjoError> = [
    EnjoError, InvalidArgumentError, InvalidRequestError, AuthenticationError, NotFoundError,
    RateLimitError, ServerError, APIError, APITimeoutError, APIConnectionError, ResponseDecodeError,
  ]
  const apiSubclass: typeof APIError = InvalidRequestError
  const isEnjo: boolean = error instanceof EnjoError && error instanceof Error
  return `${classes.length} ${apiSubclass.name} ${isEnjo}`
}

// Errors can be made by callers (tests, wrappers), with every field and a cause.
const fields: EnjoErrorFields = { status: 429, code: 'rate_limit_error', retryAfter: 2, body: '{}', requestId: 'r' }
const made: RateLimitError = new RateLimitError('slow down', { ...fields, cause: new Error('x') })
const cause: unknown = made.cause
const plain: EnjoError = new EnjoError('plain')
const bare: EnjoError = new InvalidArgumentError()
// @ts-expect-error status is a number
new EnjoError('m', { status: '429' })
// @ts-expect-error unknown field
new EnjoError('m', { statsu: 429 })
// @ts-expect-error fields are read-only
made.status = 500

const version: string = VERSION
void use, handle, version, base, cause, plain, bare

// close() and disposal; per-call deadline and headers.
async function closing(): Promise<void> {
  const c = new Enjo()
  await c.sendMessage('b', 't', { deadline: 5_000, headers: { 'X-Tenant': 'acme' } })
  c[Symbol.dispose]()
  await c[Symbol.asyncDispose]()
  c.close()
  const closed: boolean = c.closed
  void closed
}
void closing
