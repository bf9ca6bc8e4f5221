'use strict'
// What a new user meets first (issue 19): ENJO_LOG=info shows a long rate-limit wait when it
// starts (not when the call settles), and the insecure-http hint names a real option.

const { test, before, after } = require('node:test')
const assert = require('node:assert/strict')
const { spawn } = require('node:child_process')
const path = require('node:path')

const { Enjo, InvalidArgumentError } = require('..')
const { startMock } = require('./helpers')

let mock
before(async () => {
  mock = await startMock()
})
after(() => mock?.close())

function runChild(source, env) {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['-e', source], { env: { ...process.env, ...env } })
    let stdout = ''
    let stderr = ''
    child.stdout.setEncoding('utf8').on('data', (c) => { stdout += c })
    child.stderr.setEncoding('utf8').on('data', (c) => { stderr += c })
    child.once('error', reject)
    child.once('exit', (code) => resolve({ code, stdout, stderr }))
  })
}

test('ENJO_LOG=info writes a wait over a second to stderr when it starts, naming the quota', { timeout: 60_000 }, async () => {
  const source = `
    const { Enjo } = require(${JSON.stringify(path.resolve(__dirname, '..'))})
    const client = new Enjo({ token: ${JSON.stringify(mock.token)}, baseUrl: ${JSON.stringify(mock.url)},
      rateLimit: [{ requests: 1, windowMs: 1500 }], maxRetries: 0 })
    ;(async () => {
      await client.sendMessage('echo-bot', 'node-env-log-1')
      const second = client.sendMessage('echo-bot', 'node-env-log-2')
      // Well inside the ~1.5 s wait: a line written at settle time would come after this.
      setTimeout(() => console.error('MARK during the wait'), 300)
      await second
      console.log('sent')
    })().catch((e) => { console.error(String(e)); process.exit(1) })
  `
  const { code, stdout, stderr } = await runChild(source, { ENJO_LOG: 'info' })
  assert.equal(code, 0, stderr)
  assert.equal(stdout, 'sent\n')
  const lines = stderr.split('\n').filter(Boolean)
  const wait = lines.findIndex((l) => l.startsWith('[enjo] info: POST /v1/bots/echo-bot/message: client-side rate limit, waiting 1.'))
  assert.ok(wait >= 0, stderr)
  assert.match(lines[wait], /\(quota: 1 request per 1\.5s\)$/)
  assert.ok(wait < lines.indexOf('MARK during the wait'), `written when the wait starts:\n${stderr}`)
  assert.equal(lines.filter((l) => l.includes('rate limit')).length, 1, stderr)
  assert.ok(!stderr.includes(mock.token))
})

test('the insecure-http hint names an option Enjo takes', () => {
  let err
  try {
    new Enjo({ token: mock.token, baseUrl: 'http://enjo.invalid' })
  } catch (e) {
    err = e
  }
  assert.ok(err instanceof InvalidArgumentError, String(err))
  const named = /set (\w+) explicitly/.exec(err.message)
  assert.ok(named, err.message)
  assert.equal(named[1], 'allowInsecureHttp')
  assert.ok(err.message.startsWith('baseUrl '), err.message)
  const client = new Enjo({ token: mock.token, baseUrl: 'http://enjo.invalid', [named[1]]: true })
  client.close()
})
