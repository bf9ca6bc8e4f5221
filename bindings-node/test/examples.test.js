'use strict'
// The examples run against the mock, as a user would run them.

const { test, before, after } = require('node:test')
const assert = require('node:assert/strict')
const fs = require('node:fs')
const path = require('node:path')
const { execFile } = require('node:child_process')
const { promisify } = require('node:util')

const { startMock, assertVendorShape, REPO } = require('./helpers')

const PKG = path.resolve(__dirname, '..')
const EXAMPLES = path.join(REPO, 'examples', 'node')
let mock

before(async () => {
  mock = await startMock()
  // `import 'enjo'` from examples/node resolves to this package (as `npm install` would link it).
  const link = path.join(EXAMPLES, 'node_modules', 'enjo')
  if (!fs.existsSync(link)) {
    fs.mkdirSync(path.dirname(link), { recursive: true })
    fs.symlinkSync(path.relative(path.dirname(link), PKG), link, 'dir')
  }
})
after(() => mock?.close())

async function run(file, env) {
  return promisify(execFile)(process.execPath, [file], {
    env: { ...process.env, ENJO_API_TOKEN: mock.token, ENJO_BASE_URL: mock.url, ...env },
    timeout: 60_000,
  })
}

test('send_message.mjs (the vendor sample on the SDK) prints the answer and the ticket', { timeout: 120_000 }, async () => {
  const { stdout } = await run(path.join(EXAMPLES, 'send_message.mjs'), { ENJO_BOT_ID: 'support-bot' })
  assert.match(stdout, /conversation: \S+/)
  assert.match(stdout, /ticket \S+ \(.+\): http/)
  const tickets = JSON.stringify(await mock.tickets())
  const caseNumber = /ticket (\S+) /.exec(stdout)[1]
  assert.ok(tickets.includes(caseNumber), `${caseNumber} was created on the server`)
  // What the server received: the vendor's sample body, first without an id...
  const conversationId = /conversation: (\S+)/.exec(stdout)[1]
  const [entry, ...others] = await mock.requests('support-bot') // this test's bot alone
  assert.equal(others.length, 0)
  assert.deepEqual(entry.body, { message: { text: 'Request for ticket generation' } })
  assertVendorShape(entry.body, false)
  // ...then, given ENJO_CONVERSATION_ID, with the id inside `message`, continuing it.
  const again = await run(path.join(EXAMPLES, 'send_message.mjs'), { ENJO_BOT_ID: 'support-bot', ENJO_CONVERSATION_ID: conversationId })
  assert.match(again.stdout, new RegExp(`conversation: ${conversationId}`))
  const log = await mock.requests('support-bot')
  assert.equal(log.length, 2)
  assert.equal(log[1].conversation_id, conversationId, 'the second run continued the first conversation')
  assertVendorShape(log[1].body, true)
  assert.deepEqual(log[1].body, { message: { text: 'Request for ticket generation', conversationId } })
})

test('send_message.mjs reports a typed error and exits non-zero', { timeout: 120_000 }, async () => {
  const err = await run(path.join(EXAMPLES, 'send_message.mjs'), { ENJO_BOT_ID: 'no-such-bot' }).catch((e) => e)
  assert.equal(err.code, 1)
  assert.match(err.stderr, /^InvalidRequestError: /m)
})

test('conversation.mts (TypeScript) compiles and holds a conversation ending in a ticket', { timeout: 120_000 }, async () => {
  const tsc = path.join(PKG, 'node_modules', 'typescript', 'bin', 'tsc')
  await promisify(execFile)(process.execPath, [tsc, '-p', path.join(PKG, 'tsconfig.examples.json')], { cwd: PKG })
  const { stdout } = await run(path.join(PKG, 'build', 'examples', 'conversation.mjs'), { ENJO_BOT_ID: 'jira-bot' })
  assert.match(stdout, /conversation \S+: ticket \S+ \(/)
  // Both messages reached the server with the vendor's body; the second carried the id inside
  // `message` and the server threaded it.
  const conversationId = /conversation (\S+):/.exec(stdout)[1]
  const log = await mock.requests('jira-bot') // this test's bot alone
  assert.equal(log.length, 2, JSON.stringify(log))
  assertVendorShape(log[0].body, false)
  assertVendorShape(log[1].body, true)
  assert.equal(log[1].body.message.conversationId, conversationId)
  assert.equal(log[1].conversation_id, conversationId)
})
