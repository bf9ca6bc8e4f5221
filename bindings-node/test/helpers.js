'use strict'
// Test fixture: starts the `enjo-mock` binary on a free loopback port (docs/bindings.md) and
// talks to its control endpoints with plain `fetch` (the SDK under test never does that).

const assert = require('node:assert/strict')
const { spawn } = require('node:child_process')
const fs = require('node:fs')
const path = require('node:path')
const readline = require('node:readline')

const REPO = path.resolve(__dirname, '..', '..')
const MOCK_BIN = process.env.ENJO_MOCK_BIN || path.join(REPO, 'target', 'release', 'enjo-mock')
const TOKEN = 'enjo-mock-token'

/**
 * Starts a mock server. `rateLimit` is passed to `--rate-limit` (default `off`). Resolves with
 * `{ url, token, fault, requests, tickets, reset, close }`.
 */
function startMock({ rateLimit = 'off', token } = {}) {
  const args = ['--port', '0', '--exit-on-stdin-close', '--rate-limit', rateLimit, '--quiet']
  if (token) args.push('--token', token)
  const child = spawn(MOCK_BIN, args, { stdio: ['pipe', 'pipe', 'pipe'] })
  let stderr = ''
  child.stderr.setEncoding('utf8').on('data', (chunk) => {
    if (stderr.length < 64 * 1024) stderr += chunk
  })
  return new Promise((resolve, reject) => {
    child.once('error', (err) => reject(new Error(`cannot start ${MOCK_BIN}: ${err.message} (cargo build --release -p enjo-mock)`)))
    child.once('exit', (code) => reject(new Error(`${MOCK_BIN} exited early with code ${code}: ${stderr}`)))
    const lines = readline.createInterface({ input: child.stdout })
    lines.once('line', (line) => {
      const match = /^LISTENING (\d+)$/.exec(line.trim())
      if (!match) return reject(new Error(`unexpected first line from the mock: ${line}`))
      child.removeAllListeners('exit')
      const url = `http://127.0.0.1:${match[1]}`
      resolve(mockHandle(child, url, token ?? TOKEN))
    })
  })
}

function mockHandle(child, url, token) {
  const control = async (method, route, body) => {
    const res = await fetch(url + route, {
      method,
      headers: body === undefined ? {} : { 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    })
    const text = await res.text()
    if (!res.ok) throw new Error(`${method} ${route}: HTTP ${res.status} ${text}`)
    return text ? JSON.parse(text) : undefined
  }
  return {
    url,
    token,
    /** Injects `fault` for the next `times` requests to `botId`. */
    fault: (botId, fault, times = 1) => control('POST', '/_mock/faults', { bot_id: botId, fault, times }),
    /** The request log (optionally for one bot). */
    requests: (botId) =>
      control('GET', '/_mock/requests' + (botId ? `?bot_id=${encodeURIComponent(botId)}` : '')),
    tickets: () => control('GET', '/_mock/tickets'),
    reset: () => control('POST', '/_mock/reset'),
    close: () =>
      new Promise((resolve) => {
        if (child.exitCode !== null) return resolve()
        child.once('exit', () => resolve())
        child.stdin.end()
      }),
  }
}

let counter = 0
/** A text no other test sends, to count one test's requests in the shared log. */
function uniqueText(label) {
  counter += 1
  return `${label} #${process.pid}-${counter}-${Math.random().toString(36).slice(2)}`
}

/** The vendor's sample body (spec/vendor-request-body.json, see spec/vendor-request-body.md). */
function vendorBody() {
  return JSON.parse(fs.readFileSync(path.join(REPO, 'spec', 'vendor-request-body.json'), 'utf8'))
}

/** The structure of a JSON value: objects keep their keys, arrays their items, every other value
 * becomes the name of its JSON type. */
function shape(value) {
  if (value === null) return 'null'
  if (Array.isArray(value)) return value.map(shape)
  if (typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, shape(v)]))
  return typeof value // 'string' | 'number' | 'boolean'
}

/**
 * Asserts that `body` (what the SERVER received, from the mock's request log) has the structure of
 * the vendor's sample body: same keys at the same places, same JSON types, no other key; with
 * `message.conversationId` exactly when `withConversation`. Values may differ.
 */
function assertVendorShape(body, withConversation) {
  const expected = vendorBody()
  if (!withConversation) delete expected.message.conversationId
  assert.deepEqual(
    shape(body),
    shape(expected),
    `the request body ${JSON.stringify(body)} does not have the structure of the vendor's sample body (spec/vendor-request-body.json)`,
  )
}

module.exports = { startMock, uniqueText, vendorBody, assertVendorShape, REPO, MOCK_BIN, TOKEN }
