'use strict'
// The control of the Node soak (bench.sh's `node-http` row, not judged): the same calls, in
// the same mix and sampled the same way (node-sample.js), made with Node's own `http` client
// (one keep-alive socket, the body parsed as JSON) instead of the SDK. What V8 does with its
// heap under this load without any native code of ours.

const http = require('node:http')
const { HEADER, sample, mix } = require('./node-sample')

const CALLS = Number(process.env.SOAK_CALLS || 100000)
const EVERY = Math.max(1, Number(process.env.SOAK_EVERY || 10000))
const base = new URL(process.env.ENJO_BASE_URL)
const agent = new http.Agent({ keepAlive: true, maxSockets: 1 })

// Resolves with the status class: 'ok', '4xx', '5xx', 'timeout' or 'other'.
function call(i, fault, timeout) {
  return new Promise((resolve) => {
    const body = JSON.stringify({ message: { text: `soak ${i}` } })
    const headers = {
      'content-type': 'application/json',
      authorization: 'Bearer enjo-mock-token',
      'content-length': Buffer.byteLength(body),
    }
    if (fault !== undefined) headers['X-Enjo-Mock-Fault'] = fault
    const options = { agent, host: base.hostname, port: base.port, method: 'POST', path: '/v1/bots/echo-bot/message', headers }
    const req = http.request(options, (res) => {
      const chunks = []
      res.on('data', (c) => chunks.push(c))
      res.on('error', () => resolve('other'))
      res.on('end', () => {
        const status = res.statusCode ?? 0
        if (status >= 400) return resolve(status < 500 ? '4xx' : '5xx')
        try {
          JSON.parse(Buffer.concat(chunks).toString('utf8'))
          resolve('ok')
        } catch {
          resolve('other')
        }
      })
    })
    req.on('error', (err) => resolve(err.message === 'timeout' ? 'timeout' : 'other'))
    req.setTimeout(timeout ?? 10_000, () => req.destroy(new Error('timeout')))
    req.end(body)
  })
}

async function main() {
  const counts = {}
  console.log(HEADER)
  console.log(sample(0))
  for (let i = 0; i < CALLS; i++) {
    const [fault, timeout] = mix(i)
    const key = await call(i, fault, timeout)
    counts[key] = (counts[key] ?? 0) + 1
    if ((i + 1) % EVERY === 0) console.log(sample(i + 1))
  }
  agent.destroy()
  console.error('node-http: ' + Object.entries(counts).sort().map(([k, v]) => `${k} ${v}`).join(' '))
}

main().catch((err) => {
  console.error(err)
  process.exit(1)
})
