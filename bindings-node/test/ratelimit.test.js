'use strict'
// Client-side rate limiting against a mock that enforces the same (scaled) quotas.

const { test, before, after } = require('node:test')
const assert = require('node:assert/strict')

const { Enjo, RateLimitError } = require('..')
const { startMock, uniqueText } = require('./helpers')

let mock

before(async () => {
  mock = await startMock({ rateLimit: '5/200ms,10/1s' })
})
after(() => mock?.close())

test('200 concurrent sendMessage calls under scaled quotas: zero 429s', { timeout: 120_000 }, async () => {
  const client = new Enjo({
    token: mock.token,
    baseUrl: mock.url,
    rateLimit: [
      { requests: 5, windowMs: 200 },
      { requests: 10, windowMs: 1000 },
    ],
    maxRetries: 0, // a single 429 would reject
  })
  const texts = Array.from({ length: 200 }, (_, i) => uniqueText(`burst ${i}`))
  const results = await Promise.allSettled(texts.map((t) => client.sendMessage('echo-bot', t)))
  const rejected = results.filter((r) => r.status === 'rejected')
  assert.deepEqual(rejected.map((r) => `${r.reason.name}: ${r.reason.message}`), [])
  assert.deepEqual(results.map((r) => r.value.answers), texts)
  const log = await mock.requests('echo-bot')
  const mine = log.filter((r) => texts.includes(r.text))
  assert.equal(mine.length, 200, 'each call sent exactly once')
  assert.deepEqual(mine.filter((r) => r.status !== 200).map((r) => r.status), [], 'the server refused none')
})

test('rateLimitMaxWait: a wait past the bound fails locally with RateLimitError, nothing sent', { timeout: 120_000 }, async (t) => {
  // Its own server: the limiter is shared by every client of the process per origin, and the
  // burst above filled this origin's log.
  const own = await startMock()
  t.after(() => own.close())
  const client = new Enjo({
    token: own.token,
    baseUrl: own.url,
    rateLimit: [{ requests: 1, windowMs: 60_000 }],
    rateLimitMaxWait: 0,
  })
  const first = uniqueText('first')
  await client.sendMessage('faq-bot', first)
  const second = uniqueText('second')
  const err = await client.sendMessage('faq-bot', second).catch((e) => e)
  assert.ok(err instanceof RateLimitError, String(err))
  assert.equal(err.status, undefined, 'local: no HTTP status')
  assert.equal(typeof err.retryAfter, 'number')
  assert.ok(err.retryAfter > 0)
  assert.match(err.message, /nothing was sent/)
  const log = await own.requests('faq-bot')
  assert.equal(log.filter((r) => r.text === first).length, 1)
  assert.equal(log.filter((r) => r.text === second).length, 0)
})
