'use strict'
// AbortSignal: rejects the call and really drops the Rust future (connection closed, place in
// the rate limiter's queue given up).

const { test, before, after } = require('node:test')
const assert = require('node:assert/strict')
const http = require('node:http')
const { once } = require('node:events')

const { Enjo, EnjoError, RateLimitError } = require('..')
const { startMock, uniqueText } = require('./helpers')

let mock

before(async () => {
  mock = await startMock()
})
after(() => mock?.close())

test('an already aborted signal rejects with its reason and sends nothing', { timeout: 30_000 }, async () => {
  const client = new Enjo({ token: mock.token, baseUrl: mock.url, rateLimit: false })
  const text = uniqueText('pre-aborted')
  const reason = new Error('not needed any more')
  const err = await client.sendMessage('echo-bot', text, { signal: AbortSignal.abort(reason) }).catch((e) => e)
  assert.equal(err, reason)
  const plain = await client.sendMessage('echo-bot', text, { signal: AbortSignal.abort() }).catch((e) => e)
  assert.equal(plain.name, 'AbortError')
  assert.ok(!(plain instanceof EnjoError))
  assert.equal((await mock.requests('echo-bot')).filter((r) => r.text === text).length, 0)
})

test('aborting an in-flight request closes its connection', { timeout: 30_000 }, async (t) => {
  // A real server that accepts the request and never answers: it sees the socket close.
  let socketClosed
  let arrive
  const arrived = new Promise((resolve) => {
    arrive = resolve
  })
  const server = http.createServer((req) => {
    socketClosed = once(req.socket, 'close')
    arrive()
  })
  server.listen(0, '127.0.0.1')
  t.after(() => {
    server.closeAllConnections()
    server.close()
  })
  await once(server, 'listening')
  const { port } = server.address()
  const client = new Enjo({ token: 't', baseUrl: `http://127.0.0.1:${port}`, rateLimit: false, timeout: 600_000 })
  const controller = new AbortController()
  const pending = client.sendMessage('echo-bot', 'wait for me', { signal: controller.signal })
  await arrived
  controller.abort()
  const err = await pending.catch((e) => e)
  assert.equal(err.name, 'AbortError')
  await socketClosed // the Rust future was dropped: reqwest closed the connection
})

test('aborting during the rate-limit wait rejects at once and gives up the place in line', { timeout: 30_000 }, async (t) => {
  // The limiter is shared by every client of an origin, and its waiters are served in arrival
  // order: while one waits for a slot, a call from another client of the origin that may not
  // wait at all (rateLimitMaxWait: 0) fails at once with a local RateLimitError, sending
  // nothing. That is how the test knows, without any timing, that B really is waiting.
  const own = await startMock() // its own origin, so its own limiter
  t.after(() => own.close())
  const options = { token: own.token, baseUrl: own.url }
  const slow = new Enjo({ ...options, rateLimit: [{ requests: 1, windowMs: 60_000 }] })
  const probe = new Enjo({ ...options, rateLimit: [{ requests: 1000, windowMs: 1000 }], rateLimitMaxWait: 0 })
  const sent = async (text) => (await own.requests('echo-bot')).filter((r) => r.text === text).length
  const a = uniqueText('A')
  const b = uniqueText('B')
  await slow.sendMessage('echo-bot', a)
  const controller = new AbortController()
  // B needs the next slot of a 60 s window: without the abort, this test hangs until
  // node:test's timeout fails it.
  const waiting = slow.sendMessage('echo-bot', b, { signal: controller.signal })
  let settled = false
  waiting.then(() => { settled = true }, () => { settled = true })
  // Wait until B holds the limiter's line. Each probe that gets through (B has not reached
  // the limiter yet) is an ordinary request; the one that is refused proves B is waiting.
  let probes = 0
  for (;;) {
    await new Promise((resolve) => setImmediate(resolve))
    const err = await probe.sendMessage('echo-bot', uniqueText('probe')).catch((e) => e)
    probes += 1
    if (err instanceof RateLimitError) {
      assert.equal(err.status, undefined, 'refused by the local limiter, not by the server')
      break
    }
    assert.ok(!(err instanceof Error), `probe ${probes}: ${err}`)
    assert.ok(probes < 1000, 'B never reached the rate limiter')
  }
  assert.equal(settled, false, 'B is still waiting')
  assert.equal(await sent(b), 0, 'the server has not seen B')
  controller.abort()
  const err = await waiting.catch((e) => e)
  assert.equal(err.name, 'AbortError')
  // B's future is dropped, and with it its place in line: a call that may not wait goes
  // through. The Promise rejected at once (as fetch does) and the SDK's thread drops the
  // future a moment later, so the probe may be refused a few times first; had B's future
  // survived, it would hold the line for the rest of the window and the test would time out.
  let c
  for (;;) {
    const text = uniqueText('C')
    const reply = await probe.sendMessage('echo-bot', text).catch((e) => e)
    if (!(reply instanceof RateLimitError)) {
      assert.equal(reply.answers, text)
      c = text
      break
    }
    await new Promise((resolve) => setImmediate(resolve))
  }
  assert.equal(await sent(c), 1)
  assert.equal(await sent(b), 0, 'the server never saw B')
})

test('AbortSignal.timeout rejects with a TimeoutError and the request is dropped', { timeout: 30_000 }, async () => {
  const client = new Enjo({ token: mock.token, baseUrl: mock.url, rateLimit: false })
  await mock.fault('echo-bot', 'delay=5000', 1)
  const err = await client
    .sendMessage('echo-bot', uniqueText('slow'), { signal: AbortSignal.timeout(100) })
    .catch((e) => e)
  assert.equal(err.name, 'TimeoutError')
})

test('abort works on conversation.send and leaves the conversation usable', { timeout: 30_000 }, async () => {
  const client = new Enjo({ token: mock.token, baseUrl: mock.url, rateLimit: false })
  const chat = client.conversation('echo-bot')
  const first = await chat.send(uniqueText('one'))
  await mock.fault('echo-bot', 'delay=5000', 1)
  const controller = new AbortController()
  const pending = chat.send(uniqueText('two'), { signal: controller.signal })
  setImmediate(() => controller.abort())
  assert.equal((await pending.catch((e) => e)).name, 'AbortError')
  await mock.reset()
  const third = await chat.send(uniqueText('three'))
  assert.equal(third.conversationId, first.conversationId)
})

test('a signal that fires after the reply changes nothing', { timeout: 30_000 }, async () => {
  const client = new Enjo({ token: mock.token, baseUrl: mock.url, rateLimit: false })
  const controller = new AbortController()
  const text = uniqueText('done')
  const reply = await client.sendMessage('echo-bot', text, { signal: controller.signal })
  controller.abort()
  assert.equal(reply.answers, text)
  // Reusing one signal for many calls does not pile up listeners.
  const many = new AbortController()
  for (let i = 0; i < 20; i++) await client.sendMessage('echo-bot', uniqueText('r'), { signal: many.signal })
  const { getEventListeners } = require('node:events')
  assert.equal(getEventListeners(many.signal, 'abort').length, 0)
})
