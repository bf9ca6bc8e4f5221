'use strict'
// The Node soak of benchmarks/soak/bench.sh: SOAK_CALLS (default 100,000) sequential calls
// against enjo mock (limits off) at ENJO_BASE_URL, in the mix every soak program uses
// (README.md). Prints a CSV row (node-sample.js) every SOAK_EVERY (10,000) calls: RSS, fds,
// V8's heap figures and malloc's resident heaps, after a full collection with --expose-gc.

const path = require('node:path')
const enjo = require(path.join(__dirname, '..', '..', 'bindings-node'))
const { HEADER, sample, mix } = require('./node-sample')

const CALLS = Number(process.env.SOAK_CALLS || 100000)
const EVERY = Math.max(1, Number(process.env.SOAK_EVERY || 10000))

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
  console.log(HEADER)
  console.log(sample(0))
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
    if ((i + 1) % EVERY === 0) console.log(sample(i + 1))
  }
  client.close()
  console.error('node: ' + Object.entries(counts).sort().map(([k, v]) => `${k} ${v}`).join(' '))
}

main().catch((err) => {
  console.error(err)
  process.exit(1)
})
