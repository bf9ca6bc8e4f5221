'use strict'
// The fault matrix (issue 21, item 4) for Node: every row of spec/fault-matrix.json against a
// real enjo-mock. Each row's outcome goes to $ENJO_FAULT_MATRIX_RESULTS (default
// target/fault-matrix/) for scripts/fault-matrix.py; a row whose outcome differs from the data
// file fails the test.

const { test, before, after } = require('node:test')
const assert = require('node:assert/strict')
const fs = require('node:fs')
const path = require('node:path')

const enjo = require('..')
const { startMock, REPO, TOKEN } = require('./helpers')

const SPEC = JSON.parse(fs.readFileSync(path.join(REPO, 'spec', 'fault-matrix.json'), 'utf8'))
// The class each kind of the taxonomy must arrive as.
const CLASSES = {
  server: enjo.ServerError,
  decode: enjo.ResponseDecodeError,
  timeout: enjo.APITimeoutError,
  connection: enjo.APIConnectionError,
  rate_limited: enjo.RateLimitError,
  api: enjo.APIError,
  invalid_request: enjo.InvalidRequestError,
  authentication: enjo.AuthenticationError,
  not_found: enjo.NotFoundError,
}
// Far past every row's own timeout: a hang fails the row instead of the whole run.
const HANG_GUARD_MS = 120_000

let mock
before(async () => {
  mock = await startMock()
})
after(async () => {
  await mock?.close()
})

// The data file's options (seconds, snake_case) in Node's spelling and unit.
function clientOptions(row) {
  const o = { ...SPEC.defaults, ...(row.options ?? {}) }
  const out = { token: TOKEN, baseUrl: mock.url, rateLimit: false }
  for (const [name, value] of Object.entries(o)) {
    if (name === 'timeout') out.timeout = value * 1000
    else if (name === 'max_retries') out.maxRetries = value
    else if (name === 'retry_policy') out.retryPolicy = value === 'at_least_once' ? 'atLeastOnce' : 'safe'
    else if (name === 'max_response_bytes') out.maxResponseBytes = value
    else throw new Error(`spec/fault-matrix.json: option ${name} is not known here`)
  }
  return out
}

const orNull = (v) => (v === undefined ? null : v)
// Code points, as the data file counts `answers_length` (JS lengths count UTF-16 units).
const codePoints = (s) => s.length - (s.match(/[\uD800-\uDBFF]/g) ?? []).length

function observed(result) {
  if (result instanceof enjo.EnjoError) {
    const seen = {
      outcome: result.kind,
      status: orNull(result.status),
      code: orNull(result.code),
      retry_after: orNull(result.retryAfter),
    }
    const Class = CLASSES[result.kind]
    if (!Class || !(result instanceof Class)) seen.class = result.constructor.name
    return seen
  }
  if (result instanceof Error) return { outcome: `not an EnjoError: ${result}` }
  const answers = orNull(result.answers)
  return {
    outcome: 'ok',
    answers,
    answers_length: answers === null ? null : codePoints(answers),
    conversation_id: orNull(result.conversationId),
    sources: result.sources.length,
  }
}

function mismatches(expect, seen) {
  const out = []
  if (seen.class) out.push(`class ${seen.class} does not match kind ${seen.outcome}`)
  for (const [key, want] of Object.entries(expect)) {
    const got = orNull(seen[key])
    const same =
      typeof want === 'number' && typeof got === 'number' ? Math.abs(want - got) < 1e-9 : want === got
    if (!same) out.push(`${key}: expected ${JSON.stringify(want)?.slice(0, 80)}, got ${JSON.stringify(got)?.slice(0, 80)}`)
  }
  return out
}

async function send(row) {
  const client = new enjo.Enjo(clientOptions(row))
  let timer
  const guard = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error('hung past the guard')), HANG_GUARD_MS)
  })
  try {
    return await Promise.race([client.sendMessage(SPEC.bot, SPEC.text), guard])
  } catch (err) {
    return err
  } finally {
    clearTimeout(timer)
    client.close()
  }
}

test('fault matrix: every row of spec/fault-matrix.json', async () => {
  const binding = 'node'
  const results = []
  const failures = []
  for (const row of SPEC.rows) {
    await mock.reset()
    if (row.fault !== null) {
      const rule = { bot_id: SPEC.bot, fault: row.fault }
      if (row.times !== undefined) rule.times = row.times
      await fetch(`${mock.url}/_mock/faults`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(rule),
      }).then((r) => assert.ok(r.ok, `fault ${row.fault}: ${r.status}`))
    }
    const seen = observed(await send(row))
    seen.requests = (await mock.requests(SPEC.bot)).length
    const problems = mismatches(row.expect, seen)
    const known = row.known_failures?.[binding]
    if (problems.length && !known) failures.push(`${row.id}: ${problems.join('; ')}`)
    results.push({
      binding,
      fault: row.id,
      outcome: seen.outcome,
      requests: seen.requests,
      pass: problems.length === 0,
      detail: problems.join('; '),
    })
  }
  const dir = process.env.ENJO_FAULT_MATRIX_RESULTS || path.join(REPO, 'target', 'fault-matrix')
  fs.mkdirSync(dir, { recursive: true })
  fs.writeFileSync(path.join(dir, `${binding}.json`), JSON.stringify(results, null, 2) + '\n')
  assert.deepEqual(failures, [], `node: rows differ from spec/fault-matrix.json:\n${failures.join('\n')}`)
})
