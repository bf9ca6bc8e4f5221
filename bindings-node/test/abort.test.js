'use strict'
// AbortSignal: rejects the call and really drops the Rust future (connection closed, place in
// the rate limiter's queue given up).

const { test, before, after } = require('node:test')
const assert = require('node:assert/strict')
const http = require('node:http')
const { once } = require('node:events')

const { Enjo, EnjoError } = require('..')
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

test('aborting during the rate-limit wait gives up the place in line', { timeout: 30_000 }, async (t) => {
  const own = await startMock() // its own origin, so its own limiter log
  t.after(() => own.close())
  const client = new Enjo({
    token: own.token,
    baseUrl: own.url,
    rateLimit: [{ requests: 1, windowMs: 300 }],
  })
  const a = uniqueText('A')
  const b = uniqueText('B')
  const c = uniqueText('C')
  await client.sendMessage('echo-bot', a)
  const controller = new AbortController()
  const waiting = client.sendMessage('echo-bot', b, { signal: controller.signal }) // queued
  controller.abort()
  const err = await waiting.catch((e) => e)
  assert.equal(err.name, 'AbortError')
  // C queues behind where B was. Had B's future survived, B would hold the next slot and, with
  // one request per window counting in-flight requests, complete before C is even granted.
  await client.sendMessage('echo-bot', c)
  const texts = (await own.requests('echo-bot')).map((r) => r.text)
  assert.deepEqual(texts.filter((x) => [a, b, c].includes(x)), [a, c])
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
