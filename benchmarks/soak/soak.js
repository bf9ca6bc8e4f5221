'use strict'
// The Node soak of benchmarks/soak/bench.sh: SOAK_CALLS (default 100,000) sequential calls
// against enjo mock (limits off) at ENJO_BASE_URL, in the mix every soak program uses
// (README.md). Prints `calls,rss_kb,fds` every SOAK_EVERY (10,000) calls, from /proc/self.

const fs = require('node:fs')
const path = require('node:path')
const enjo = require(path.join(__dirname, '..', '..', 'bindings-node'))

const CALLS = Number(process.env.SOAK_CALLS || 100000)
const EVERY = Math.max(1, Number(process.env.SOAK_EVERY || 10000))

// The fault (and per-call timeout, ms) of call `i`: per 200 calls, 1 timeout, 16 4xx, 16 5xx.
function mix(i) {
  const k = i % 200
  if (k === 0) return ['delay=100', 20]
  if (k <= 16) return [['status=400', 'status=404', 'status=401'][k % 3], undefined]
  if (k <= 32) return [['500', 'html-502', 'empty-body=503'][k % 3], undefined]
  return [undefined, undefined]
}

function rssKb() {
  const line = fs.readFileSync('/proc/self/status', 'utf8').split('\n').find((l) => l.startsWith('VmRSS:'))
  return line ? Number(line.split(/\s+/)[1]) : 0
}

const fds = () => fs.readdirSync('/proc/self/fd').length - 1 // the listing's own handle
// V8's own view beside RSS: what the JavaScript heap and the buffers outside it hold.
function heap() {
  const m = process.memoryUsage()
  return `${Math.round(m.heapUsed / 1024)},${Math.round(m.external / 1024)}`
}

function classify(err, counts) {
  let key = 'other'
  if (err === null) key = 'ok'
  else if (err instanceof enjo.InvalidRequestError || err instanceof enjo.NotFoundError || err instanceof enjo.AuthenticationError) key = '4xx'
  else if (err instanceof enjo.ServerError) key = '5xx'
  else if (err instanceof enjo.APITimeoutError) key = 'timeout'
  counts[key] = (counts[key] ?? 0) + 1
}

async function main() {
  const client = new enjo.Enjo({
    token: 'enjo-mock-token',
    baseUrl: process.env.ENJO_BASE_URL,
    rateLimit: false,
    maxRetries: 0,
    timeout: 10_000,
  })
  const counts = {}
  console.log('calls,rss_kb,fds,heap_used_kb,external_kb')
  if (global.gc) global.gc()
  console.log(`0,${rssKb()},${fds()},${heap()}`)
  for (let i = 0; i < CALLS; i++) {
    const [fault, timeout] = mix(i)
    const options = {}
    if (fault !== undefined) options.headers = { 'X-Enjo-Mock-Fault': fault }
    if (timeout !== undefined) options.timeout = timeout
    try {
      await client.sendMessage('echo-bot', `soak ${i}`, options)
      classify(null, counts)
    } catch (err) {
      classify(err, counts)
    }
    // With --expose-gc (bench.sh passes it), collect first: the sample is what is retained.
    if ((i + 1) % EVERY === 0 && global.gc) global.gc()
    if ((i + 1) % EVERY === 0) console.log(`${i + 1},${rssKb()},${fds()},${heap()}`)
  }
  client.close()
  console.error('node: ' + Object.entries(counts).sort().map(([k, v]) => `${k} ${v}`).join(' '))
}

main().catch((err) => {
  console.error(err)
  process.exit(1)
})
