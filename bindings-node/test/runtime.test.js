'use strict'
// Module formats, worker threads, and the process lifecycle (exits when idle, survives a
// worker torn down mid-request).

const { test, before, after } = require('node:test')
const assert = require('node:assert/strict')
const path = require('node:path')
const { execFile } = require('node:child_process')
const { Worker } = require('node:worker_threads')
const { once } = require('node:events')

const { startMock, uniqueText } = require('./helpers')

const PKG = path.resolve(__dirname, '..')
let mock

before(async () => {
  mock = await startMock()
})
after(() => mock?.close())

/** Runs `node <args>` with the mock in the environment; resolves with {code, stdout, stderr}. */
function node(args, env = {}) {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      args,
      {
        cwd: PKG,
        // A guard against a hang (an event loop kept alive), not a timing assertion.
        timeout: 60_000,
        env: { ...process.env, ENJO_API_TOKEN: mock.token, ENJO_BASE_URL: mock.url, ...env },
      },
      (error, stdout, stderr) => resolve({ code: error ? (error.code ?? error.signal) : 0, stdout, stderr }),
    )
  })
}

test('CommonJS require and ESM import give the same classes', { timeout: 120_000 }, async () => {
  const script = `
    // Both resolve the package by name, through its exports map (a self-reference).
    const cjs = require('enjo')
    import('enjo').then(async (esm) => {
      const same = ['Enjo', 'EnjoError', 'RateLimitError', 'InvalidArgumentError', 'Conversation']
        .every((k) => esm[k] === cjs[k])
      const client = new esm.default({ rateLimit: false })
      const reply = await client.sendMessage('echo-bot', 'esm says hi')
      let err
      try { new cjs.Enjo({ token: '' }) } catch (e) { err = e }
      console.log(JSON.stringify({ same, answers: reply.answers, isEsmError: err instanceof esm.InvalidArgumentError }))
    })
  `
  const out = await node(['-e', script])
  assert.equal(out.code, 0, out.stderr)
  assert.deepEqual(JSON.parse(out.stdout), { same: true, answers: 'esm says hi', isEsmError: true })
})

test('an ESM module can use named imports (the package is resolved by its exports map)', { timeout: 120_000 }, async () => {
  const script = `
    import { Enjo, RateLimitError } from 'enjo'
    import Default from 'enjo'
    const client = new Enjo({ rateLimit: false })
    const reply = await client.sendMessage('echo-bot', 'named imports')
    console.log(JSON.stringify([reply.answers, Default === Enjo, typeof RateLimitError]))
  `
  // Resolve the bare specifier 'enjo' to this package through a self-reference.
  const out = await node(['--input-type=module', '-e', script])
  assert.equal(out.code, 0, out.stderr)
  assert.deepEqual(JSON.parse(out.stdout), ['named imports', true, 'function'])
})

test('the process exits on its own when idle (no handle keeps the event loop alive)', { timeout: 120_000 }, async () => {
  const script = `
    const { Enjo } = require(${JSON.stringify(PKG)})
    const client = new Enjo({ rateLimit: false })
    const chat = client.conversation('echo-bot')
    Promise.all([
      client.sendMessage('echo-bot', 'one'),
      chat.send('two'),
      client.sendMessage('no-such-bot', 'three').catch((e) => e.name),
      client.sendMessage('echo-bot', 'four', { signal: AbortSignal.abort() }).catch((e) => e.name),
    ]).then((r) => { process.exitCode = 0; console.log(JSON.stringify([r[0].answers, r[1].answers, r[2], r[3]])) })
    // The client stays referenced: it must still not keep the loop alive.
    globalThis.keep = client
  `
  const out = await node(['-e', script])
  assert.equal(out.code, 0, out.stderr)
  assert.deepEqual(JSON.parse(out.stdout), ['one', 'two', 'InvalidRequestError', 'AbortError'])
})

test('a pending request keeps the process alive until it settles', { timeout: 120_000 }, async () => {
  const text = uniqueText('pending')
  await mock.fault('echo-bot', 'delay=300', 1)
  const script = `
    const { Enjo } = require(${JSON.stringify(PKG)})
    new Enjo({ rateLimit: false }).sendMessage('echo-bot', ${JSON.stringify(text)})
      .then((r) => console.log(r.answers))
  `
  const out = await node(['-e', script])
  assert.equal(out.code, 0, out.stderr)
  assert.equal(out.stdout.trim(), text, 'the reply was printed before exit')
})

test('works in worker threads, with the token from the worker\'s own env', { timeout: 120_000 }, async () => {
  const source = `
    const { parentPort, workerData } = require('node:worker_threads')
    const { Enjo, AuthenticationError } = require(workerData.pkg)
    ;(async () => {
      const client = new Enjo({ rateLimit: false }) // ENJO_* from this worker's env option
      const replies = await Promise.all(workerData.texts.map((t) => client.sendMessage('echo-bot', t)))
      const bad = new Enjo({ token: 'nope', rateLimit: false })
      const err = await bad.sendMessage('echo-bot', 'x').catch((e) => e)
      parentPort.postMessage({ answers: replies.map((r) => r.answers), auth: err instanceof AuthenticationError })
    })().catch((e) => parentPort.postMessage({ failed: String(e) }))
  `
  const workers = [0, 1, 2].map((n) => {
    const texts = [uniqueText(`w${n}a`), uniqueText(`w${n}b`)]
    const worker = new Worker(source, {
      eval: true,
      workerData: { pkg: PKG, texts },
      // Not in the process environment: only the worker's process.env has them.
      env: { ENJO_API_TOKEN: mock.token, ENJO_BASE_URL: mock.url },
    })
    // Listen for both now: a worker that exits right after posting can emit 'exit' in the
    // same turn as 'message'.
    const exited = once(worker, 'exit')
    return once(worker, 'message').then(async ([msg]) => {
      assert.deepEqual(msg, { answers: texts, auth: true })
      const [code] = await exited
      assert.equal(code, 0, 'the worker exits on its own')
    })
  })
  await Promise.all(workers)
  // The main thread's copy still works after the workers are gone.
  const { Enjo } = require('..')
  const text = uniqueText('main')
  const client = new Enjo({ token: mock.token, baseUrl: mock.url, rateLimit: false })
  assert.equal((await client.sendMessage('echo-bot', text)).answers, text)
})

test('terminating workers with requests in flight does not crash the process', { timeout: 120_000 }, async () => {
  // Requests outlive their environment and complete (or are still running) on the SDK's
  // threads after worker.terminate(): their Promises must be dropped, not settled into a
  // freed environment (which would abort the whole process).
  const source = `
    const { parentPort, workerData } = require('node:worker_threads')
    const { Enjo } = require(workerData.pkg)
    const client = new Enjo({ token: workerData.token, baseUrl: workerData.url, rateLimit: false })
    for (let i = 0; i < workerData.calls; i++) client.sendMessage('echo-bot', 'orphan ' + i).catch(() => {})
    parentPort.postMessage('sent')
  `
  const start = (calls) =>
    new Worker(source, { eval: true, workerData: { pkg: PKG, token: mock.token, url: mock.url, calls } })
  // One slow request that completes long after its worker is gone...
  await mock.fault('echo-bot', 'delay=500', 1)
  const slow = start(1)
  await once(slow, 'message')
  await slow.terminate()
  // ...and many fast ones torn down at varying points of their lives.
  for (let round = 0; round < 12; round++) {
    const workers = [start(40), start(40), start(40)]
    await Promise.all(workers.map((w) => once(w, 'message')))
    await new Promise((resolve) => setTimeout(resolve, round % 6))
    await Promise.all(workers.map((w) => w.terminate()))
  }
  // Still alive, and still working, after the slow one has completed for nobody.
  await mock.fault('echo-bot', 'delay=700', 1)
  const { Enjo } = require('..')
  const client = new Enjo({ token: mock.token, baseUrl: mock.url, rateLimit: false })
  const text = uniqueText('survivor')
  assert.equal((await client.sendMessage('echo-bot', text)).answers, text)
})
