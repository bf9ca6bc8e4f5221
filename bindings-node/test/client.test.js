'use strict'
// Replies, conversations, tickets, options and secrets, over real HTTP to `enjo-mock`.

const { test, before, after } = require('node:test')
const assert = require('node:assert/strict')
const util = require('node:util')

const enjo = require('..')
const { Enjo, InvalidArgumentError, EnjoError } = enjo
const { startMock, uniqueText, assertVendorShape } = require('./helpers')

let mock
let client

before(async () => {
  mock = await startMock()
  client = new Enjo({ token: mock.token, baseUrl: mock.url, rateLimit: false })
})
after(() => mock?.close())

test('echo-bot answers with the text, and the reply has the documented shape', { timeout: 120_000 }, async () => {
  const text = uniqueText('hello')
  const reply = await client.sendMessage('echo-bot', text)
  assert.equal(reply.answers, text)
  assert.equal(reply.status, 200)
  assert.equal(typeof reply.conversationId, 'string')
  assert.ok(reply.conversationId.length > 0)
  assert.ok(Array.isArray(reply.sources))
  assert.equal(Object.getPrototypeOf(reply.raw), Object.prototype, 'raw is a plain object')
  assert.equal(reply.raw.success, true)
  assert.equal(reply.raw.data.answers, text)
  assert.equal(reply.raw.data.conversationId, reply.conversationId)
  assert.equal(reply.ticket, undefined, 'echo-bot creates no ticket')
  const log = await mock.requests('echo-bot')
  const mine = log.filter((r) => r.text === text)
  assert.equal(mine.length, 1)
  assert.equal(mine[0].conversation_id ?? undefined, undefined, 'no conversationId on a first message')
})

test('unicode text survives the round trip unchanged', { timeout: 120_000 }, async () => {
  const samples = [
    'naïve café — “quotes” ‘and’ …',
    '日本語のテキストと中文和한국어',
    'עברית ومرحبا بالعربية',
    'emoji 👩🏽‍💻🚀🇫🇷 and ZWJ',
    'e\u0301 combining, \u200b zero width, \ud83d\ude00 surrogate pair',
    'line\nbreaks\tand "json" \\ escapes </script>',
  ]
  for (const base of samples) {
    const text = `${base} ${uniqueText('u')}`
    const reply = await client.sendMessage('echo-bot', text)
    assert.equal(reply.answers, text)
    const [logged] = (await mock.requests('echo-bot')).filter((r) => r.text === text)
    assert.ok(logged, `the server received ${JSON.stringify(base)} exactly`)
  }
})

test('bot ids are sent as one path segment', { timeout: 120_000 }, async () => {
  // A bot that does not exist: the server must see the whole id, not a path.
  const err = await client.sendMessage('no such/bot?x=1#y', uniqueText('seg')).catch((e) => e)
  assert.ok(err instanceof EnjoError)
  assert.ok(err.status === 400 || err.status === 404, `got ${err.status}`)
})

test('sources have type, name, score and url', { timeout: 120_000 }, async () => {
  const reply = await client.sendMessage('support-bot', uniqueText('How do I reset my password?'))
  assert.ok(reply.sources.length > 0, 'support-bot cites sources')
  for (const source of reply.sources) {
    assert.deepEqual(
      Object.keys(source).filter((k) => !['type', 'name', 'score', 'url'].includes(k)),
      [],
    )
    assert.equal(typeof source.name, 'string')
    if (source.score !== undefined) assert.equal(typeof source.score, 'number')
  }
  assert.deepEqual(
    reply.sources.map((s) => s.name),
    reply.raw.data.sources.map((s) => s.name ?? s.title),
  )
})

test('faq-bot never creates a ticket: ticket is undefined', { timeout: 120_000 }, async () => {
  const reply = await client.sendMessage('faq-bot', uniqueText('please open a ticket, I need a human'))
  assert.equal(reply.ticket, undefined)
  assert.equal(typeof reply.answers, 'string')
})

// Where each Ticket field comes from in each platform's own record (mock/src/tickets.rs).
const PLATFORMS = [
  ['support-bot', 'Salesforce', (r) => ({
    id: r.Id,
    url: r.url,
    type: r.Type,
    status: r.Status,
    priority: r.Priority,
    description: r.Description,
    createdDate: r.CreatedDate,
    lastModifiedDate: r.LastModifiedDate,
    caseNumber: r.CaseNumber,
  })],
  ['jira-bot', 'Jira', (r) => ({
    id: r.id,
    url: r.url,
    type: r.fields.issuetype.name,
    status: r.fields.status.name,
    priority: r.fields.priority.name,
    description: r.fields.description,
    createdDate: r.fields.created,
    lastModifiedDate: r.fields.updated,
    caseNumber: r.key,
  })],
  ['servicenow-bot', 'ServiceNow', (r) => ({
    id: r.sys_id,
    url: r.url,
    type: r.category,
    status: r.state,
    priority: r.priority,
    description: r.description,
    createdDate: r.sys_created_on,
    lastModifiedDate: r.sys_updated_on,
    caseNumber: r.number,
  })],
]
for (const [bot, platform, fieldsOf] of PLATFORMS) {
  test(`${platform} ticket (${bot}): every field is read from the platform's record`, { timeout: 120_000 }, async () => {
    const text = uniqueText('My laptop will not boot, please open a ticket')
    const reply = await client.sendMessage(bot, text)
    assert.ok(reply.ticket, `${bot} created a ticket`)
    // The mock's own record of the ticket it sent, found by the conversation.
    const records = (await mock.tickets()).filter((t) => t.conversation_id === reply.conversationId)
    assert.equal(records.length, 1, `one ticket for conversation ${reply.conversationId}`)
    const [record] = records
    assert.equal(record.bot_id, bot)
    const expected = fieldsOf(record.ticket)
    for (const [field, value] of Object.entries(expected)) {
      // Guards against a vacuous match (undefined === undefined): the mock sends every field.
      assert.equal(typeof value, 'string', `the mock sends ${platform}'s ${field}`)
      assert.ok(value.length > 0, `${platform}'s ${field} is not empty`)
    }
    assert.ok(expected.description.includes(text), 'the ticket describes this conversation')
    // Exactly these keys and values, and raw is the record as sent, as a plain object.
    assert.deepEqual(reply.ticket, { ...expected, raw: record.ticket })
    assert.equal(Object.getPrototypeOf(reply.ticket.raw), Object.prototype)
    assert.deepEqual(reply.ticket.raw, reply.raw.data.ticketDetails)
  })
}

test('Salesforce casing: CaseNumber and attributes are read case-insensitively', { timeout: 120_000 }, async () => {
  const reply = await client.sendMessage('support-bot', uniqueText('escalate to a human please'))
  const raw = reply.ticket.raw
  const caseNumber = raw.CaseNumber ?? raw.caseNumber
  assert.equal(reply.ticket.caseNumber, String(caseNumber))
})

test('a conversation threads its id through every message', { timeout: 120_000 }, async () => {
  const chat = client.conversation('echo-bot')
  assert.equal(chat.botId, 'echo-bot')
  assert.equal(chat.conversationId, undefined)
  const first = uniqueText('first')
  const r1 = await chat.send(first)
  assert.equal(r1.answers, first)
  assert.equal(chat.conversationId, r1.conversationId)
  const second = uniqueText('second')
  const r2 = await chat.send(second)
  assert.equal(r2.conversationId, r1.conversationId)
  const log = await mock.requests('echo-bot')
  const [l1] = log.filter((r) => r.text === first)
  const [l2] = log.filter((r) => r.text === second)
  assert.equal(l1.conversation_id ?? undefined, undefined)
  assert.equal(l2.conversation_id, r1.conversationId, 'the second message continues the first')
  assert.match(util.inspect(chat), /conversationId/)
})

test('sendMessage({ conversationId }) and conversation(bot, { conversationId }) resume', { timeout: 120_000 }, async () => {
  const r1 = await client.sendMessage('echo-bot', uniqueText('start'))
  const next = uniqueText('next')
  const r2 = await client.sendMessage('echo-bot', next, { conversationId: r1.conversationId })
  assert.equal(r2.conversationId, r1.conversationId)
  const resumed = client.conversation('echo-bot', { conversationId: r1.conversationId })
  assert.equal(resumed.conversationId, r1.conversationId)
  const third = uniqueText('third')
  await resumed.send(third)
  const log = await mock.requests('echo-bot')
  assert.equal(log.find((r) => r.text === next).conversation_id, r1.conversationId)
  assert.equal(log.find((r) => r.text === third).conversation_id, r1.conversationId)
  await assert.rejects(resumed.send('x', { conversationId: 'other' }), InvalidArgumentError)
})

test('the body the server received is the vendor sample body; a follow-up threads', { timeout: 120_000 }, async () => {
  const [first, second, third] = [uniqueText('first'), uniqueText('second'), uniqueText('third')]
  const r1 = await client.sendMessage('echo-bot', first)
  await client.sendMessage('echo-bot', second, { conversationId: r1.conversationId })
  await client.conversation('echo-bot', { conversationId: r1.conversationId }).send(third)
  const log = await mock.requests('echo-bot')
  const sent = (text) => log.find((r) => r.text === text)
  assert.deepEqual(sent(first).body, { message: { text: first } })
  assertVendorShape(sent(first).body, false)
  for (const text of [second, third]) {
    const entry = sent(text)
    // `conversationId` INSIDE `message`, as in the vendor's samples; nothing at the top level.
    assertVendorShape(entry.body, true)
    assert.deepEqual(entry.body.message, { text, conversationId: r1.conversationId })
    assert.equal(entry.conversation_id, r1.conversationId, 'the server continued the conversation')
  }
})

test('a ticket created over a conversation covers it', { timeout: 120_000 }, async () => {
  const chat = client.conversation('jira-bot')
  await chat.send(uniqueText('The VPN drops every few minutes'))
  const reply = await chat.send(uniqueText('Still broken: please open a ticket'))
  assert.ok(reply.ticket)
  assert.equal(reply.conversationId, chat.conversationId)
})

test('the token never appears in inspect, JSON, errors or messages', { timeout: 120_000 }, async () => {
  const token = 'tok-SECRET-4f1d2a'
  const wrong = new Enjo({ token, baseUrl: mock.url, rateLimit: false })
  const shown = [util.inspect(wrong), util.inspect(wrong, { showHidden: true, depth: 9 }), JSON.stringify(wrong)]
  for (const text of shown) assert.ok(!text.includes(token), text)
  assert.match(util.inspect(wrong), /redacted/)
  assert.match(util.inspect(wrong), new RegExp(mock.url.replace(/[.:/]/g, '\\$&')))
  const err = await wrong.sendMessage('echo-bot', uniqueText('x')).catch((e) => e)
  assert.ok(err instanceof enjo.AuthenticationError)
  for (const text of [err.message, err.stack, util.inspect(err), JSON.stringify(err), String(err.body)]) {
    assert.ok(!text.includes(token), text)
  }
  // Also when the token is not a valid header value.
  const bad = 'line1\nline2-SECRET'
  const badErr = (() => {
    try {
      return new Enjo({ token: bad, baseUrl: mock.url })
    } catch (e) {
      return e
    }
  })()
  assert.ok(badErr instanceof InvalidArgumentError)
  assert.ok(!badErr.message.includes('SECRET'), badErr.message)
  // And when it has the wrong type: only the type is reported.
  assert.throws(() => new Enjo({ token: 12345678 }), (e) => e instanceof InvalidArgumentError && !e.message.includes('12345678'))
})

/** Runs `body` with `vars` set in process.env (undefined deletes), then restores it. */
async function withEnv(vars, body) {
  const saved = { ...process.env }
  try {
    for (const [key, value] of Object.entries(vars)) {
      if (value === undefined) delete process.env[key]
      else process.env[key] = value
    }
    return await body()
  } finally {
    for (const key of Object.keys(process.env)) if (!(key in saved)) delete process.env[key]
    Object.assign(process.env, saved)
  }
}

test('env defaults: process.env as it is when the client is made, blank counts as unset', { timeout: 120_000 }, async () => {
  // The package was loaded long before: each new client reads process.env again.
  await withEnv({ ENJO_API_TOKEN: mock.token, ENJO_BASE_URL: mock.url }, async () => {
    const fromEnv = new Enjo({ rateLimit: false })
    assert.equal(fromEnv.baseUrl, mock.url)
    const text = uniqueText('env')
    assert.equal((await fromEnv.sendMessage('echo-bot', text)).answers, text)
    process.env.ENJO_BASE_URL = `${mock.url}/changed/`
    assert.equal(new Enjo({ rateLimit: false }).baseUrl, `${mock.url}/changed`)
    assert.equal(fromEnv.baseUrl, mock.url, 'an existing client keeps its settings')
    // What the caller passes wins over the environment.
    assert.equal(new Enjo({ baseUrl: `${mock.url}/mine` }).baseUrl, `${mock.url}/mine`)
  })
  // Blank is unset, as in Rust and Python (the core's rule): the vendor's base URL.
  for (const blank of ['', '  ', '\t\n']) {
    await withEnv({ ENJO_API_TOKEN: 't', ENJO_BASE_URL: blank }, () => {
      assert.equal(new Enjo().baseUrl, 'https://api.enjo.ai', JSON.stringify(blank))
    })
  }
  await withEnv({ ENJO_API_TOKEN: 't', ENJO_BASE_URL: undefined }, () => {
    assert.equal(new Enjo().baseUrl, 'https://api.enjo.ai')
  })
  // A blank or missing token is no token.
  for (const token of [undefined, '', '   ']) {
    await withEnv({ ENJO_API_TOKEN: token }, () => {
      assert.throws(() => new Enjo({ baseUrl: mock.url }), (e) => e instanceof InvalidArgumentError && /token/i.test(e.message))
    })
  }
})

test('options: bad values are InvalidArgumentError', { timeout: 120_000 }, async () => {
  const ok = { token: 't', baseUrl: mock.url }
  const bad = [
    { ...ok, baseUrl: 'ftp://example.com' },
    { ...ok, baseUrl: 'http://example.com' }, // the token would travel in clear text
    { ...ok, baseUrl: 'not a url' },
    { ...ok, timeout: 0 },
    { ...ok, timeout: -5 },
    { ...ok, timeout: Number.NaN },
    { ...ok, timeout: '100' },
    { ...ok, connectTimeout: Infinity },
    { ...ok, maxRetries: -1 },
    { ...ok, maxRetries: 1.5 },
    { ...ok, retryPolicy: 'always' },
    { ...ok, rateLimit: [] },
    { ...ok, rateLimit: [{ requests: 0, windowMs: 100 }] },
    { ...ok, rateLimit: [{ requests: 5 }] },
    { ...ok, rateLimit: 'on' },
    { ...ok, rateLimitMaxWait: -1 },
    { ...ok, userAgent: 'bad\nagent' },
    { ...ok, tokn: 'typo' },
    { token: '' },
    { token: '   ' },
    'a string',
  ]
  for (const options of bad) {
    assert.throws(() => new Enjo(options), InvalidArgumentError, JSON.stringify(options))
  }
  // Good values are accepted.
  const custom = new Enjo({
    ...ok,
    timeout: 1500,
    connectTimeout: 500,
    maxRetries: 0,
    retryPolicy: 'atLeastOnce',
    rateLimit: [{ requests: 5, windowMs: 200 }, { requests: 10, windowMs: 1000 }],
    rateLimitMaxWait: 0,
    userAgent: 'my-app/1.0',
  })
  assert.equal(custom.baseUrl, mock.url)
  assert.equal(new Enjo({ ...ok, baseUrl: mock.url + '/prefix/' }).baseUrl, mock.url + '/prefix')
})

test('bad arguments to sendMessage reject with InvalidArgumentError and send nothing', { timeout: 120_000 }, async () => {
  const before = (await mock.requests()).length
  const cases = [
    ['', 'text'],
    ['echo-bot', ''],
    ['echo-bot', '   '],
    ['echo-bot', 'x'.repeat(200 * 1024)],
    [42, 'text'],
    ['echo-bot', undefined],
    ['bad\nbot', 'text'],
  ]
  for (const [bot, text] of cases) {
    await assert.rejects(client.sendMessage(bot, text), InvalidArgumentError, `${bot}/${String(text).slice(0, 9)}`)
  }
  await assert.rejects(client.sendMessage('echo-bot', 'x', { timeout: 0 }), InvalidArgumentError)
  await assert.rejects(client.sendMessage('echo-bot', 'x', { maxRetries: -2 }), InvalidArgumentError)
  await assert.rejects(client.sendMessage('echo-bot', 'x', { signal: {} }), InvalidArgumentError)
  await assert.rejects(client.sendMessage('echo-bot', 'x', 'opts'), InvalidArgumentError)
  await assert.rejects(client.sendMessage('echo-bot', 'x', { conversationId: '' }), InvalidArgumentError)
  assert.equal((await mock.requests()).length, before, 'nothing reached the server')
  // Synchronous misuse still yields a rejected promise, never a throw.
  const p = client.sendMessage(undefined, undefined)
  assert.ok(p instanceof Promise)
  await assert.rejects(p, InvalidArgumentError)
})

test('unknown option keys are InvalidArgumentError everywhere, with a hint for a wrong case', { timeout: 120_000 }, async () => {
  const r1 = await client.sendMessage('echo-bot', uniqueText('start'))
  const text = uniqueText('typo')
  // `conversationID` would otherwise silently start a new conversation.
  const err = await client.sendMessage('echo-bot', text, { conversationID: r1.conversationId }).catch((e) => e)
  assert.ok(err instanceof InvalidArgumentError, String(err))
  assert.match(err.message, /^unknown option "conversationID" of sendMessage\(\) \(did you mean "conversationId"\?\); known options: conversationId, timeout, maxRetries, retryPolicy, deadline, headers, signal$/)
  await assert.rejects(client.sendMessage('echo-bot', text, { retries: 1 }), /unknown option "retries" of sendMessage\(\); known/)
  assert.throws(() => client.conversation('echo-bot', { conversationID: r1.conversationId }), (e) =>
    e instanceof InvalidArgumentError && /unknown option "conversationID" of conversation\(\) \(did you mean "conversationId"\?\)/.test(e.message))
  const chat = client.conversation('echo-bot')
  await assert.rejects(chat.send(text, { timeOut: 5 }), (e) =>
    e instanceof InvalidArgumentError && /unknown option "timeOut" of conversation\.send\(\) \(did you mean "timeout"\?\)/.test(e.message))
  // An explicit undefined is still a known key's absence, not an error.
  const fine = uniqueText('fine')
  assert.equal((await client.sendMessage('echo-bot', fine, { conversationId: undefined, signal: undefined })).answers, fine)
  assert.throws(() => new Enjo({ token: 't', baseUrl: mock.url, baseURL: mock.url }), (e) =>
    e instanceof InvalidArgumentError && /^unknown option "baseURL" of new Enjo\(\) \(did you mean "baseUrl"\?\)/.test(e.message))
  assert.equal((await mock.requests('echo-bot')).filter((r) => r.text === text).length, 0, 'nothing was sent')
})

test('an error\'s stack starts at the caller that awaits the call, without the SDK\'s frames', { timeout: 120_000 }, async () => {
  // The error is made after an await: its frames are V8's async stack trace of the awaiting
  // callers (index.js says why the synchronous stack is not captured at each call).
  async function callerOfSendMessage() {
    return await client.sendMessage('no-such-bot', uniqueText('stack'))
  }
  async function callerOfConversationSend(chat) {
    await chat.send(uniqueText('stack'))
  }
  const cases = [
    [await callerOfSendMessage().catch((e) => e), 'callerOfSendMessage'],
    [await callerOfConversationSend(client.conversation('no-such-bot')).catch((e) => e), 'callerOfConversationSend'],
  ]
  for (const [err, caller] of cases) {
    assert.ok(err instanceof enjo.InvalidRequestError, String(err))
    const lines = err.stack.split('\n')
    assert.equal(lines[0], `InvalidRequestError: ${err.message.split('\n')[0]}`)
    const first = lines.findIndex((l) => /^\s+at /.test(l))
    assert.match(lines[first], new RegExp(`^\\s+at async ${caller} \\(.*client\\.test\\.js:\\d+:\\d+\\)$`), err.stack)
    assert.ok(!err.stack.includes(require.resolve('..')), `no SDK-internal frames: ${err.stack}`)
  }
})

test('per-call options override the client: maxRetries and timeout', { timeout: 120_000 }, async () => {
  const bot = 'echo-bot'
  await mock.fault(bot, '429;retry-after-ms=1', 1)
  const text = uniqueText('no-retry')
  await assert.rejects(client.sendMessage(bot, text, { maxRetries: 0 }), enjo.RateLimitError)
  assert.equal((await mock.requests(bot)).filter((r) => r.text === text).length, 1)
  await mock.fault(bot, 'delay=3000', 1)
  await assert.rejects(client.sendMessage(bot, uniqueText('slow'), { timeout: 100 }), enjo.APITimeoutError)
})

test('the User-Agent names the SDK, Node and the caller\'s suffix', { timeout: 120_000 }, async () => {
  const withSuffix = new Enjo({ token: mock.token, baseUrl: mock.url, rateLimit: false, userAgent: 'my-app/2.1' })
  const text = uniqueText('ua')
  await withSuffix.sendMessage('echo-bot', text)
  const [logged] = (await mock.requests('echo-bot')).filter((r) => r.text === text)
  // Core's one rule: `enjo-rust/<version> node/<version> <suffix>`.
  assert.equal(logged.user_agent, `enjo-rust/${enjo.VERSION} node/${process.versions.node} my-app/2.1`)
})

test('many concurrent calls on one client all succeed and match their texts', { timeout: 120_000 }, async () => {
  const texts = Array.from({ length: 100 }, (_, i) => uniqueText(`c${i}`))
  const replies = await Promise.all(texts.map((t) => client.sendMessage('echo-bot', t)))
  assert.deepEqual(replies.map((r) => r.answers), texts)
})

test('the package exports every documented name', () => {
  for (const name of [
    'Enjo', 'Conversation', 'EnjoError', 'InvalidArgumentError', 'InvalidRequestError',
    'AuthenticationError', 'NotFoundError', 'RateLimitError', 'ServerError', 'APIError',
    'APITimeoutError', 'APIConnectionError', 'ResponseDecodeError', 'VERSION',
  ]) {
    assert.ok(name in enjo, name)
  }
  assert.equal(enjo.default, Enjo)
  assert.equal(enjo.VERSION, require('../package.json').version)
})
