// Compile-time test of `enjo/testing`'s declarations (`tsc -p .`, strict).
import type { MessageResponse } from 'enjo'
import { startMock, MockServer, type MockRequest, type MockTicket } from 'enjo/testing'

const mock: MockServer = await startMock({ rateLimit: [{ requests: 5, windowMs: 200 }], faultBots: { 'down-bot': '500' } })
const reply: MessageResponse = await mock.client({ maxRetries: 0 }).sendMessage('echo-bot', 'hi')
const requests: MockRequest[] = mock.requests('echo-bot')
const tickets: MockTicket[] = mock.tickets()
const url: string = mock.url
mock.addFault('500', { botId: 'echo-bot', times: 1 })
mock.reset()
await mock.close()
await mock[Symbol.asyncDispose]()
console.log(reply.answers, requests[0]?.body, tickets.length, url)
// @ts-expect-error rateLimit takes booleans or quotas, not the CLI's spec strings
await startMock({ rateLimit: '20/60s' })
