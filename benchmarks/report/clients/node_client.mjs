// One Node contender of `make bench-report`: `node node_client.mjs KIND URL SEQ CONC WARMUP`.
// KIND: enjo (sendMessage), fetch (built-in), undici (its request(), the package's fast path).
// WARMUP calls, then SEQ sequential calls (each timed), then CONC calls with 64 in flight.
// Prints one JSON line: {"seq_us": [...], "conc_calls": N, "conc_s": seconds}.
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { createRequire } from 'node:module'

const HERE = path.dirname(fileURLToPath(import.meta.url))
const REPO = path.resolve(HERE, '..', '..', '..')
const TOKEN = 'enjo-mock-token'
// The bot every request goes to: report.py sets it (`enjo mock` knows only its own bots).
const BOT = process.env.BENCH_BOT || 'bench-bot'
const TEXT = 'Request for ticket generation'
const IN_FLIGHT = 64
const HEADERS = { 'Content-Type': 'application/json', Authorization: `Bearer ${TOKEN}` }

function check(body) {
  if (body.success !== true || typeof body.data.answers !== 'string') throw new Error('unexpected reply')
}

async function makeCall(kind, base) {
  const url = `${base}/v1/bots/${BOT}/message`
  if (kind === 'enjo') {
    // ENJO_NODE_INDEX: another build of the package (a before/after comparison).
    const index = process.env.ENJO_NODE_INDEX ?? path.join(REPO, 'bindings-node', 'index.js')
    const { Enjo } = createRequire(import.meta.url)(index)
    const client = new Enjo({ token: TOKEN, baseUrl: base, rateLimit: false, maxRetries: 0 })
    return async () => {
      const reply = await client.sendMessage(BOT, TEXT)
      if (typeof reply.answers !== 'string') throw new Error('no answer')
    }
  }
  if (kind === 'fetch') {
    return async () => {
      const response = await fetch(url, {
        method: 'POST',
        headers: HEADERS,
        body: JSON.stringify({ message: { text: TEXT } }),
      })
      const body = await response.json()
      if (!response.ok) throw new Error(`HTTP ${response.status}`)
      check(body)
    }
  }
  if (kind === 'undici') {
    const { Agent, request } = createRequire(import.meta.url)(path.join(HERE, '..', 'node_modules', 'undici'))
    const dispatcher = new Agent({ connections: IN_FLIGHT })
    return async () => {
      const { statusCode, body } = await request(url, {
        method: 'POST',
        headers: HEADERS,
        body: JSON.stringify({ message: { text: TEXT } }),
        dispatcher,
      })
      const parsed = await body.json()
      if (statusCode !== 200) throw new Error(`HTTP ${statusCode}`)
      check(parsed)
    }
  }
  throw new Error(`unknown contender ${kind}`)
}

const [kind, base, seqArg, concArg, warmupArg] = process.argv.slice(2)
const [seq, conc, warmup] = [seqArg, concArg, warmupArg].map(Number)
const call = await makeCall(kind, base)
for (let i = 0; i < warmup; i++) await call()
const lat = new Array(seq)
for (let i = 0; i < seq; i++) {
  const start = process.hrtime.bigint()
  await call()
  lat[i] = Math.round(Number(process.hrtime.bigint() - start) / 10) / 100
}
let remaining = conc
const lane = async () => {
  while (remaining > 0) {
    remaining--
    await call()
  }
}
const start = process.hrtime.bigint()
await Promise.all(Array.from({ length: IN_FLIGHT }, lane))
const concS = Number(process.hrtime.bigint() - start) / 1e9
process.stdout.write(JSON.stringify({ seq_us: lat, conc_calls: conc, conc_s: concS }) + '\n')
process.exit(0)
