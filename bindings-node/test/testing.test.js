'use strict'
// The testing kit (`enjo/testing`, the `enjo-mock` bin): the mock server in-process, as a
// user's tests would use it, and a user's own node:test file run from the packed tarball in a
// project outside this repository.

const { test } = require('node:test')
const assert = require('node:assert/strict')
const fs = require('node:fs')
const os = require('node:os')
const path = require('node:path')
const { execFile, spawn } = require('node:child_process')
const readline = require('node:readline')
const { promisify } = require('node:util')

const enjo = require('..')
const { startMock, MockServer } = require('../testing.js')

const exec = promisify(execFile)
const PKG = path.resolve(__dirname, '..')
const NPM = process.platform === 'win32' ? 'npm.cmd' : 'npm'

test('enjo/testing gives the same objects to require and import', async () => {
  const esm = await import('../testing.mjs')
  assert.deepEqual(Object.keys(esm).sort(), ['MockServer', 'startMock'])
  assert.equal(esm.startMock, startMock)
  assert.equal(esm.MockServer, MockServer)
})

test('startMock serves, records requests and tickets, and closes', async () => {
  const mock = await startMock()
  assert.ok(mock instanceof MockServer)
  assert.equal(mock.url, `http://127.0.0.1:${mock.port}`)
  assert.equal(mock.token, 'enjo-mock-token')
  const client = mock.client()
  const reply = await client.sendMessage('support-bot', 'Please open a ticket: SSO login fails')
  assert.ok(reply.ticket?.caseNumber)
  const follow = await client.sendMessage('support-bot', 'thanks', { conversationId: reply.conversationId })
  assert.equal(follow.conversationId, reply.conversationId)
  const [first, second] = mock.requests()
  assert.deepEqual(first.body, { message: { text: 'Please open a ticket: SSO login fails' } })
  assert.deepEqual(second.body.message, { text: 'thanks', conversationId: reply.conversationId })
  assert.doesNotMatch(JSON.stringify(mock.requests()), /enjo-mock-token/)
  const [ticket] = mock.tickets()
  assert.equal(ticket.platform, 'salesforce')
  assert.equal(ticket.ticket.CaseNumber, reply.ticket.caseNumber)
  assert.deepEqual(mock.requests('faq-bot'), [])
  mock.reset()
  assert.deepEqual(mock.requests(), [])
  await mock.close()
  await mock.close() // idempotent
  await assert.rejects(fetch(`${mock.url}/_mock/health`))
})

test('Symbol.asyncDispose / Symbol.dispose close the server (await using / using)', async () => {
  const mock = await startMock()
  assert.equal((await fetch(`${mock.url}/_mock/health`)).status, 200)
  await mock[Symbol.asyncDispose]()
  await assert.rejects(fetch(`${mock.url}/_mock/health`))
  const other = await startMock()
  other[Symbol.dispose]()
  await assert.rejects(fetch(`${other.url}/_mock/health`))
})

// Starts a mock closed when test `t` ends (what `await using` does where Node parses it).
async function mockFor(t, options) {
  const mock = await startMock(options)
  t.after(() => mock.close())
  return mock
}

test('fault bots and queued faults give typed errors', async (t) => {
  const mock = await mockFor(t, { faultBots: { 'down-bot': '500', 'gone-bot': 'status=404' } })
  const client = mock.client({ maxRetries: 0 })
  await assert.rejects(client.sendMessage('down-bot', 'hi'), (err) => err instanceof enjo.ServerError && err.status === 500)
  await assert.rejects(client.sendMessage('gone-bot', 'hi'), enjo.NotFoundError)
  assert.equal((await client.sendMessage('faq-bot', 'Is there a free trial?')).answers.length > 0, true)
  assert.throws(() => mock.addFault('explode'), enjo.InvalidArgumentError)
  // Last: a server 429 holds back every caller of this host until its Retry-After.
  mock.addFault('429;retry-after=7', { botId: 'echo-bot', times: 1 })
  await assert.rejects(client.sendMessage('echo-bot', 'hi'), (err) => err instanceof enjo.RateLimitError && err.retryAfter === 7)
})

test('scaled limits: a matching client never meets a 429; a client without limits does', async (t) => {
  {
    const mock = await mockFor(t, { rateLimit: [{ requests: 3, windowMs: 300 }] })
    const client = mock.client({ maxRetries: 0 })
    for (let i = 0; i < 7; i++) await client.sendMessage('echo-bot', `m${i}`)
    assert.deepEqual(mock.requests().map((r) => r.status), Array(7).fill(200))
  }
  const strict = await mockFor(t, { rateLimit: [{ requests: 2, windowMs: 60_000 }] })
  const loose = strict.client({ rateLimit: false, maxRetries: 0 })
  await loose.sendMessage('echo-bot', 'a')
  await loose.sendMessage('echo-bot', 'b')
  await assert.rejects(loose.sendMessage('echo-bot', 'c'), enjo.RateLimitError)
})

test('options are checked', async (t) => {
  await assert.rejects(startMock({ faultBots: { x: 'explode' } }), enjo.InvalidArgumentError)
  await assert.rejects(startMock({ botsFile: '/nonexistent/bots.toml' }), /print-config/)
  await assert.rejects(startMock({ rateLimit: '20/60s' }), TypeError)
  await assert.rejects(startMock({ rateLimit: [{ requests: 1.5, windowMs: 10 }] }), TypeError)
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'enjo-kit-'))
  try {
    const bots = path.join(dir, 'bots.toml')
    fs.writeFileSync(bots, '[[bots]]\nid = "my-bot"\necho = true\n')
    const mock = await mockFor(t, { botsFile: bots, token: 'secret-test-token' })
    assert.equal(mock.token, 'secret-test-token')
    assert.equal((await mock.client().sendMessage('my-bot', 'hi')).answers, 'hi')
  } finally {
    fs.rmSync(dir, { recursive: true, force: true })
  }
})

test('the enjo-mock bin runs the server standalone', { timeout: 60_000 }, async () => {
  const help = await exec(process.execPath, [path.join(PKG, 'enjo-mock.js'), '--help'])
  assert.match(help.stdout, /--rate-limit/)
  await assert.rejects(exec(process.execPath, [path.join(PKG, 'enjo-mock.js'), '--rate-limit', 'fast']), (err) => err.code === 1)
  const child = spawn(process.execPath, [path.join(PKG, 'enjo-mock.js'), '--port', '0', '--exit-on-stdin-close', '--quiet', '--rate-limit', 'off'], { stdio: ['pipe', 'pipe', 'ignore'] })
  const exited = new Promise((resolve) => child.once('exit', resolve))
  try {
    const line = await new Promise((resolve) => readline.createInterface({ input: child.stdout }).once('line', resolve))
    const match = /^LISTENING (\d+)$/.exec(line)
    assert.ok(match, line)
    const client = new enjo.Enjo({ token: 'enjo-mock-token', baseUrl: `http://127.0.0.1:${match[1]}`, rateLimit: false })
    assert.equal((await client.sendMessage('echo-bot', 'standalone')).answers, 'standalone')
  } finally {
    child.stdin.end()
  }
  assert.equal(await exited, 0)
})

const USER_TEST = `// A user's own tests: only 'enjo' and 'enjo/testing', no repository, no Rust.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { Enjo, ServerError } from 'enjo'
import { startMock } from 'enjo/testing'

// A fresh server per test, closed when it ends (or: await using mock = await startMock(), on Node 24+).
async function mockFor(t, options) {
  const mock = await startMock(options)
  t.after(() => mock.close())
  return mock
}

test('send', async (t) => {
  const mock = await mockFor(t)
  const client = new Enjo({ token: mock.token, baseUrl: mock.url, rateLimit: false })
  const reply = await client.sendMessage('faq-bot', 'Is there a free trial?')
  assert.ok(reply.answers && reply.conversationId)
  assert.equal(mock.requests()[0].text, 'Is there a free trial?')
})

test('conversation', async (t) => {
  const mock = await mockFor(t)
  const conversation = mock.client().conversation('support-bot')
  const first = await conversation.send('How do I reset my password?')
  const second = await conversation.send('It still fails')
  assert.equal(second.conversationId, first.conversationId)
  assert.deepEqual(mock.requests().map((r) => r.conversation_id), [null, first.conversationId])
})

test('ticket', async (t) => {
  const mock = await mockFor(t)
  const reply = await mock.client().sendMessage('jira-bot', 'CI is down, open a ticket')
  assert.ok(reply.ticket?.status)
  const [ticket] = mock.tickets()
  assert.equal(ticket.platform, 'jira')
  assert.equal(ticket.conversation_id, reply.conversationId)
})

test('fault bot: typed error', async (t) => {
  const mock = await mockFor(t, { faultBots: { 'broken-bot': '500' } })
  await assert.rejects(mock.client({ maxRetries: 0 }).sendMessage('broken-bot', 'hello'), ServerError)
})

test('scaled rate limit without 429s', async (t) => {
  const quotas = [{ requests: 2, windowMs: 200 }, { requests: 4, windowMs: 1000 }]
  const mock = await mockFor(t, { rateLimit: quotas })
  const client = new Enjo({ token: mock.token, baseUrl: mock.url, rateLimit: quotas, maxRetries: 0 })
  for (let i = 0; i < 6; i++) await client.sendMessage('echo-bot', 'message ' + i)
  assert.deepEqual(mock.requests().map((r) => r.status), [200, 200, 200, 200, 200, 200])
})
`

test('a user\'s own node:test file passes against the packed tarball, outside the repository', { timeout: 180_000 }, async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'enjo-kit-pack-'))
  try {
    const { stdout: packed } = await exec(NPM, ['pack', '--json', '--pack-destination', dir], { cwd: PKG })
    const [info] = JSON.parse(packed)
    const files = info.files.map((f) => f.path)
    for (const needed of ['testing.js', 'testing.mjs', 'testing.d.ts', 'enjo-mock.js']) {
      assert.ok(files.includes(needed), `${needed} is in the tarball: ${files}`)
    }
    const project = path.join(dir, 'app')
    fs.mkdirSync(project)
    fs.writeFileSync(path.join(project, 'package.json'), JSON.stringify({ name: 'app', private: true, type: 'module' }))
    await exec(NPM, ['install', '--offline', '--no-audit', '--no-fund', path.join(dir, info.filename)], { cwd: project })
    fs.writeFileSync(path.join(project, 'users.test.js'), USER_TEST)
    // The README's "Testing your code" example, as a user copies it.
    const readme = fs.readFileSync(path.join(PKG, 'README.md'), 'utf8').split('## Testing your code')[1]
    fs.writeFileSync(path.join(project, 'readme.test.mjs'), readme.split('```js\n')[1].split('```')[0])
    const env = { ...process.env }
    // NODE_TEST_CONTEXT would make the inner runner report to this one instead of printing.
    for (const name of Object.keys(env)) if (name.startsWith('ENJO_') || name === 'NODE_TEST_CONTEXT') delete env[name]
    const run = await exec(process.execPath, ['--test', '--test-reporter=tap', 'users.test.js', 'readme.test.mjs'], { cwd: project, env, timeout: 120_000 })
    assert.match(run.stdout, /# pass 6/)
    assert.match(run.stdout, /# fail 0/)
    // `npx enjo-mock` from the installed package.
    const help = await exec(NPM, ['exec', '--offline', '--', 'enjo-mock', '--help'], { cwd: project, env, timeout: 60_000 })
    assert.match(help.stdout, /--rate-limit/)
  } finally {
    fs.rmSync(dir, { recursive: true, force: true })
  }
})
