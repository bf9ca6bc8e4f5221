'use strict'
// The options every binding shares (client and per call), close() and disposal, request ids
// and mayHaveBeenSent, and ENJO_LOG records: over real HTTP to `enjo-mock`.

const { test, before, after } = require('node:test')
const assert = require('node:assert/strict')
const { spawnSync } = require('node:child_process')
const fs = require('node:fs')
const os = require('node:os')
const path = require('node:path')

const { Enjo, InvalidArgumentError, APITimeoutError, ResponseDecodeError, APIConnectionError, ServerError } = require('..')
const { startMock, uniqueText } = require('./helpers')

let mock
let client

before(async () => {
  mock = await startMock()
  client = new Enjo({ token: mock.token, baseUrl: mock.url, rateLimit: false })
})
after(() => mock?.close())

const sent = async (text) => (await mock.requests('echo-bot')).filter((r) => r.text === text)

test('every client option is accepted; range checks come from core, named as Node spells them', () => {
  const ok = { token: 't', baseUrl: 'https://127.0.0.1:9' }
  const all = new Enjo({
    ...ok,
    timeout: 1500,
    connectTimeout: 500,
    maxRetries: 0,
    retryPolicy: 'atLeastOnce',
    rateLimit: [{ requests: 5, windowMs: 200 }],
    rateLimitMaxWait: 0,
    deadline: 5000,
    userAgent: 'my-app/1',
    proxy: 'http://127.0.0.1:9',
    allowInsecureHttp: false,
    maxResponseBytes: 1024,
  })
  assert.equal(all.baseUrl, 'https://127.0.0.1:9')
  const cases = [
    [{ deadline: 0 }, /^deadline must be/],
    [{ maxResponseBytes: 0 }, /^maxResponseBytes must be a whole number of bytes/],
    [{ maxResponseBytes: 1.5 }, /^maxResponseBytes must be/],
    [{ rateLimit: [{ requests: 5, windowMs: 100 }, { requests: 1.5, windowMs: 100 }] }, /^rateLimit\[1\]\.requests must be/],
    [{ rateLimit: [{ requests: 5, windowMs: -1 }] }, /^rateLimit\[0\]\.windowMs must be/],
    [{ rateLimitMaxWait: -1 }, /^rateLimitMaxWait must be/],
    [{ retryPolicy: 'at_least_once' }, /^retryPolicy must be "safe" or "atLeastOnce"/],
    [{ proxy: 'not a url' }, /proxy/],
    [{ rootCertificatePem: 'not pem' }, /certificate/i],
  ]
  for (const [options, message] of cases) {
    assert.throws(() => new Enjo({ ...ok, ...options }), (e) => e instanceof InvalidArgumentError && message.test(e.message),
      JSON.stringify(options))
  }
  // Types are napi's own checks, still InvalidArgumentError.
  for (const options of [{ deadline: '5' }, { allowInsecureHttp: 'yes' }, { proxy: 42 }, { maxResponseBytes: '1' }]) {
    assert.throws(() => new Enjo({ ...ok, ...options }), InvalidArgumentError, JSON.stringify(options))
  }
})

test('rootCertificatePem: a real certificate is accepted', { timeout: 30_000 }, (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'enjo-pem-'))
  try {
    const made = spawnSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1',
      '-nodes', '-subj', '/CN=enjo-test', '-days', '1', '-keyout', path.join(dir, 'k.pem'), '-out', path.join(dir, 'c.pem')])
    if (made.error || made.status !== 0) return t.skip('openssl is not available to make a certificate')
    const pem = fs.readFileSync(path.join(dir, 'c.pem'), 'utf8')
    assert.ok(new Enjo({ token: 't', baseUrl: mock.url, rootCertificatePem: pem }))
    assert.throws(() => new Enjo({ token: 't', baseUrl: mock.url, rootCertificatePem: pem.replace(/\n[A-Za-z0-9+/]{8}/, '\n!!!!!!!!') }), InvalidArgumentError)
  } finally {
    fs.rmSync(dir, { recursive: true, force: true })
  }
})

test('proxy and allowInsecureHttp: a plain-http host is refused unless allowed; requests go through the proxy', { timeout: 60_000 }, async () => {
  // Nothing answers for enjo.invalid: the reply can only come through the proxy (the mock
  // serves absolute-form requests, as a forward proxy receives them).
  const options = { token: mock.token, baseUrl: 'http://enjo.invalid', proxy: mock.url, rateLimit: false }
  assert.throws(() => new Enjo(options), (e) => e instanceof InvalidArgumentError && /http/.test(e.message))
  const proxied = new Enjo({ ...options, allowInsecureHttp: true })
  const text = uniqueText('proxy')
  assert.equal((await proxied.sendMessage('echo-bot', text)).answers, text)
  assert.equal((await sent(text)).length, 1)
})

test('maxResponseBytes caps a reply: over it is a ResponseDecodeError', { timeout: 60_000 }, async () => {
  const small = new Enjo({ token: mock.token, baseUrl: mock.url, rateLimit: false, maxResponseBytes: 1024 })
  const short = uniqueText('short')
  assert.equal((await small.sendMessage('echo-bot', short)).answers, short)
  await assert.rejects(small.sendMessage('echo-bot', uniqueText('long') + 'x'.repeat(4096)), ResponseDecodeError)
})

test('deadline bounds a whole call, on the client and per call; a per-call one overrides', { timeout: 60_000 }, async () => {
  const bounded = new Enjo({ token: mock.token, baseUrl: mock.url, rateLimit: false, deadline: 200 })
  await mock.fault('echo-bot', 'delay=3000', 1)
  await assert.rejects(bounded.sendMessage('echo-bot', uniqueText('deadline')), APITimeoutError)
  await mock.fault('echo-bot', 'delay=3000', 1)
  await assert.rejects(client.sendMessage('echo-bot', uniqueText('call-deadline'), { deadline: 200 }), APITimeoutError)
  await mock.fault('echo-bot', 'delay=600', 1)
  const text = uniqueText('longer')
  assert.equal((await bounded.sendMessage('echo-bot', text, { deadline: 30_000 })).answers, text)
  await assert.rejects(client.sendMessage('echo-bot', 'x', { deadline: 0 }), (e) => e instanceof InvalidArgumentError && /^deadline must be/.test(e.message))
})

test('per-call headers are sent with the request; bad ones are refused by core', { timeout: 60_000 }, async () => {
  const text = uniqueText('headers')
  await client.sendMessage('echo-bot', text, { headers: { 'X-Tenant': 'acme', 'X-Trace': 't1' } })
  const [logged] = await sent(text)
  assert.equal(logged.headers['x-tenant'], 'acme')
  assert.equal(logged.headers['x-trace'], 't1')
  const chat = client.conversation('echo-bot')
  const again = uniqueText('conv-headers')
  await chat.send(again, { headers: { 'X-Tenant': 'conv' } })
  assert.equal((await sent(again))[0].headers['x-tenant'], 'conv')
  const before = (await mock.requests()).length
  await assert.rejects(client.sendMessage('echo-bot', 'x', { headers: { 'bad name': 'v' } }), InvalidArgumentError)
  await assert.rejects(client.sendMessage('echo-bot', 'x', { headers: { 'X-Ok': 42 } }), InvalidArgumentError)
  assert.equal((await mock.requests()).length, before, 'nothing sent')
})

test('a conversation refuses a per-call conversationId (core\'s rule)', { timeout: 60_000 }, async () => {
  const before = (await mock.requests()).length
  await assert.rejects(client.conversation('echo-bot').send('x', { conversationId: 'other' }),
    (e) => e instanceof InvalidArgumentError && /conversation/.test(e.message))
  assert.equal((await mock.requests()).length, before, 'nothing sent')
})

test('replies and errors carry serverRequestId; errors say whether the request may have been sent', { timeout: 60_000 }, async () => {
  const reply = await client.sendMessage('echo-bot', uniqueText('srid'))
  assert.equal(typeof reply.serverRequestId, 'string')
  // The mock echoes the client's X-Request-Id, as many gateways do.
  assert.equal(reply.serverRequestId, reply.requestId)
  await mock.fault('echo-bot', '500', 1)
  const err = await client.sendMessage('echo-bot', uniqueText('500')).catch((e) => e)
  assert.ok(err instanceof ServerError, String(err))
  assert.equal(typeof err.serverRequestId, 'string')
  assert.equal(err.mayHaveBeenSent, true)
  const refused = new Enjo({ token: 't', baseUrl: 'http://127.0.0.1:1', rateLimit: false, maxRetries: 0 })
  const never = await refused.sendMessage('echo-bot', 'x').catch((e) => e)
  assert.ok(never instanceof APIConnectionError, String(never))
  assert.equal(never.mayHaveBeenSent, false)
  assert.equal(never.serverRequestId, undefined)
})

test('close(): every later call of the client and its conversations fails and sends nothing', { timeout: 60_000 }, async () => {
  const mine = new Enjo({ token: mock.token, baseUrl: mock.url, rateLimit: false })
  const chat = mine.conversation('echo-bot')
  assert.equal(mine.closed, false)
  mine.close()
  mine.close() // idempotent
  assert.equal(mine.closed, true)
  const before = (await mock.requests()).length
  await assert.rejects(mine.sendMessage('echo-bot', 'x'), (e) => e instanceof InvalidArgumentError && /closed/.test(e.message))
  await assert.rejects(chat.send('x'), (e) => e instanceof InvalidArgumentError && /closed/.test(e.message))
  await assert.rejects(mine.conversation('echo-bot').send('x'), InvalidArgumentError)
  assert.equal((await mock.requests()).length, before, 'nothing sent')
  // Other clients are not affected.
  const text = uniqueText('other')
  assert.equal((await client.sendMessage('echo-bot', text)).answers, text)
})

test('Symbol.dispose / Symbol.asyncDispose close the client (using / await using)', { timeout: 60_000 }, async () => {
  assert.equal(typeof Symbol.dispose, 'symbol', 'Node 20 has Symbol.dispose')
  const sync = new Enjo({ token: mock.token, baseUrl: mock.url })
  sync[Symbol.dispose]()
  assert.equal(sync.closed, true)
  const asyncOne = new Enjo({ token: mock.token, baseUrl: mock.url })
  await asyncOne[Symbol.asyncDispose]()
  assert.equal(asyncOne.closed, true)
  // The `using` syntax itself, where this Node's parser has it.
  let usingBlock
  try {
    usingBlock = new Function('Enjo', 'options', '{ using c = new Enjo(options); globalThis.__enjoUsing = c } return globalThis.__enjoUsing')
  } catch {
    return
  }
  const c = usingBlock(Enjo, { token: mock.token, baseUrl: mock.url })
  delete globalThis.__enjoUsing
  assert.equal(c.closed, true)
})

test('ENJO_LOG=debug writes each attempt and retry to stderr (console.error), POST <path> first', { timeout: 60_000 }, async (t) => {
  const lines = []
  t.mock.method(console, 'error', (line) => lines.push(String(line)))
  const saved = process.env.ENJO_LOG
  let logged, quiet, info
  try {
    process.env.ENJO_LOG = 'debug'
    logged = new Enjo({ token: mock.token, baseUrl: mock.url, rateLimit: false })
    process.env.ENJO_LOG = 'info'
    info = new Enjo({ token: mock.token, baseUrl: mock.url, rateLimit: false })
    delete process.env.ENJO_LOG
    quiet = new Enjo({ token: mock.token, baseUrl: mock.url, rateLimit: false })
  } finally {
    if (saved === undefined) delete process.env.ENJO_LOG
    else process.env.ENJO_LOG = saved
  }
  await mock.fault('echo-bot', '429;retry-after-ms=1', 1)
  await logged.sendMessage('echo-bot', uniqueText('log'))
  const path = '/v1/bots/echo-bot/message'
  assert.equal(lines.length, 3, lines.join('\n'))
  assert.match(lines[0], new RegExp(`^\\[enjo\\] debug: POST ${path}: attempt 1 of 3: HTTP 429 \\(rate_limited\\) after [0-9.]+ ms$`))
  assert.match(lines[1], new RegExp(`^\\[enjo\\] info: POST ${path}: attempt 1 failed \\(.*\\); retrying in [0-9.]+s$`))
  assert.match(lines[2], new RegExp(`^\\[enjo\\] debug: POST ${path}: attempt 2 of 3: HTTP 200 in [0-9.]+ ms$`))
  // info: the retry only; a conversation logs too.
  lines.length = 0
  await mock.fault('echo-bot', '429;retry-after-ms=1', 1)
  await info.conversation('echo-bot').send(uniqueText('log-info'))
  assert.equal(lines.length, 1, lines.join('\n'))
  assert.match(lines[0], /^\[enjo\] info: POST \/v1\/bots\/echo-bot\/message: attempt 1 failed/)
  // Unset: nothing.
  lines.length = 0
  await quiet.sendMessage('echo-bot', uniqueText('log-off'))
  assert.deepEqual(lines, [])
  assert.ok(!lines.join('').includes(mock.token))
})

test('a wrong type is reported by its type only, never its value (a token, a header)', { timeout: 60_000 }, async () => {
  assert.throws(() => new Enjo({ token: 98765432 }), (e) => e instanceof InvalidArgumentError &&
    /Number/.test(e.message) && !e.message.includes('98765432') && e.cause === undefined)
  const err = await client.sendMessage('echo-bot', 'x', { headers: { 'X-Key': 55554444 } }).catch((e) => e)
  assert.ok(err instanceof InvalidArgumentError, String(err))
  assert.ok(!err.message.includes('55554444'), err.message)
})

test('a file rateLimitStore shares the quota with another process', async () => {
  const { RateLimitError } = require('..')
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'enjo-node-store-'))
  const store = `file:${path.join(dir, 'limiter.state')}`
  const text = uniqueText('store')
  // Another process takes both requests of a 2-per-10-minutes quota...
  const child = `
    const { Enjo } = require(${JSON.stringify(path.join(__dirname, '..'))})
    const c = new Enjo({ token: ${JSON.stringify(mock.token)}, baseUrl: ${JSON.stringify(mock.url)},
      rateLimit: [{ requests: 2, windowMs: 600000 }], rateLimitStore: ${JSON.stringify(store)} })
    ;(async () => { for (const i of [0, 1]) await c.sendMessage('echo-bot', ${JSON.stringify(text)} + i) })()
      .catch((e) => { console.error(e); process.exit(1) })`
  const run = spawnSync(process.execPath, ['-e', child], { encoding: 'utf8', timeout: 120000 })
  assert.equal(run.status, 0, run.stderr)
  // ...so this one, sharing the file, has none left: it fails at once without sending.
  const shared = new Enjo({ token: mock.token, baseUrl: mock.url, rateLimit: [{ requests: 2, windowMs: 600000 }],
    rateLimitStore: store, rateLimitMaxWait: 0 })
  await assert.rejects(shared.sendMessage('echo-bot', text + 'parent'), RateLimitError)
  const log = (await mock.requests('echo-bot')).filter((r) => r.text.startsWith(text))
  assert.equal(log.length, 2)
  fs.rmSync(dir, { recursive: true, force: true })
})

test('an unreachable rateLimitStore is a RateLimitStoreError, or falls back when asked', async () => {
  const { RateLimitStoreError } = require('..')
  const down = 'redis://127.0.0.1:1/0'
  const text = uniqueText('store-down')
  const c = new Enjo({ token: mock.token, baseUrl: mock.url, rateLimitStore: down })
  await assert.rejects(c.sendMessage('echo-bot', text), (e) => e instanceof RateLimitStoreError && e.mayHaveBeenSent === false)
  assert.equal((await sent(text)).length, 0)
  const fallback = new Enjo({ token: mock.token, baseUrl: mock.url, rateLimitStore: down, rateLimitStoreFallback: true })
  assert.ok((await fallback.sendMessage('echo-bot', text)).answers)
  assert.equal((await sent(text)).length, 1)
  assert.throws(() => new Enjo({ token: 't', rateLimitStore: 'redis://:hunter2@' }),
    (e) => e instanceof InvalidArgumentError && /^rateLimitStore: /.test(e.message) && !e.message.includes('hunter2'))
})
