// `enjo` (sendMessage) against Node's built-in fetch (undici) doing the same POST and JSON parse,
// against one release `enjo-mock` (limits off). Each contender runs in its own child process so
// that its peak RSS is its own. Prints median latency, throughput, ratios and peak RSS, and
// writes them to results.json beside this file.
//
//   node benchmarks/node/bench.mjs            (bench.sh builds what it needs first)
import { spawn, execFile } from 'node:child_process'
import { createInterface } from 'node:readline'
import { writeFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import path from 'node:path'
import os from 'node:os'

const HERE = path.dirname(fileURLToPath(import.meta.url))
const REPO = path.resolve(HERE, '..', '..')
const TOKEN = 'enjo-mock-token'
const BOT = 'echo-bot'
const CALLS = Number(process.env.BENCH_CALLS ?? 2000) // sequential
const CONCURRENT_CALLS = Number(process.env.BENCH_CONCURRENT_CALLS ?? 10_000) // per round
const IN_FLIGHT = 64
const WARMUP = 200
const ROUNDS = 3 // of the 64-in-flight phase; the median round counts

// ------------------------------------------------------------------------------------------
// Contender side: `node bench.mjs --contender sdk|fetch <base url>`
// ------------------------------------------------------------------------------------------

async function makeCall(kind, base) {
  if (kind === 'sdk') {
    const { Enjo } = await import(path.join(REPO, 'bindings-node', 'index.mjs'))
    const client = new Enjo({ token: TOKEN, baseUrl: base, rateLimit: false })
    return async (text) => {
      const reply = await client.sendMessage(BOT, text)
      if (reply.answers !== text) throw new Error('wrong answer')
    }
  }
  const url = `${base}/v1/bots/${BOT}/message`
  return async (text) => {
    // What the vendor's sample does, with the JSON parsed as an SDK user would need it.
    const response = await fetch(url, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${TOKEN}` },
      body: JSON.stringify({ message: { text } }),
    })
    const body = await response.json()
    if (!response.ok || body.data.answers !== text) throw new Error(`HTTP ${response.status}`)
  }
}

function median(values) {
  const sorted = [...values].sort((a, b) => a - b)
  return sorted[Math.floor(sorted.length / 2)]
}

async function contender(kind, base) {
  const call = await makeCall(kind, base)
  for (let i = 0; i < WARMUP; i++) await call(`warm-up ${i}`)

  const latencies = new Float64Array(CALLS)
  const seqStart = process.hrtime.bigint()
  for (let i = 0; i < CALLS; i++) {
    const start = process.hrtime.bigint()
    await call(`hello ${i}`)
    latencies[i] = Number(process.hrtime.bigint() - start) / 1e3 // µs
  }
  const seqSeconds = Number(process.hrtime.bigint() - seqStart) / 1e9

  const rounds = []
  for (let round = 0; round < ROUNDS; round++) {
    let next = 0
    const start = process.hrtime.bigint()
    const lane = async () => {
      while (next < CONCURRENT_CALLS) {
        const i = next++
        await call(`concurrent ${round} ${i}`)
      }
    }
    await Promise.all(Array.from({ length: IN_FLIGHT }, lane))
    rounds.push(CONCURRENT_CALLS / (Number(process.hrtime.bigint() - start) / 1e9))
  }
  const usage = process.resourceUsage()
  return {
    kind,
    seqMedianUs: median(latencies),
    seqP99Us: [...latencies].sort((a, b) => a - b)[Math.floor(CALLS * 0.99)],
    seqThroughput: CALLS / seqSeconds,
    concurrentThroughput: median(rounds),
    concurrentRounds: rounds,
    peakRssMiB: usage.maxRSS / 1024,
    cpuSeconds: (usage.userCPUTime + usage.systemCPUTime) / 1e6,
  }
}

// ------------------------------------------------------------------------------------------
// Driver side
// ------------------------------------------------------------------------------------------

function startMock() {
  const bin = process.env.ENJO_MOCK_BIN ?? path.join(REPO, 'target', 'release', 'enjo-mock')
  const child = spawn(bin, ['--port', '0', '--rate-limit', 'off', '--quiet', '--exit-on-stdin-close'], {
    stdio: ['pipe', 'pipe', 'ignore'], // its banner goes to stderr
  })
  return new Promise((resolve, reject) => {
    child.once('error', reject)
    createInterface({ input: child.stdout }).once('line', (line) => {
      const port = /^LISTENING (\d+)/.exec(line)?.[1]
      if (!port) return reject(new Error(`unexpected mock output: ${line}`))
      resolve({ url: `http://127.0.0.1:${port}`, close: () => child.stdin.end() })
    })
  })
}

function runContender(kind, base) {
  return new Promise((resolve, reject) => {
    execFile(
      process.execPath,
      [fileURLToPath(import.meta.url), '--contender', kind, base],
      { maxBuffer: 1 << 20 },
      (error, stdout, stderr) => (error ? reject(new Error(`${kind}: ${stderr || error.message}`)) : resolve(JSON.parse(stdout))),
    )
  })
}

async function driver() {
  const mock = await startMock()
  try {
    // Alternate the order so neither contender always runs on a warmer machine.
    const fetch1 = await runContender('fetch', mock.url)
    const sdk1 = await runContender('sdk', mock.url)
    const sdk2 = await runContender('sdk', mock.url)
    const fetch2 = await runContender('fetch', mock.url)
    const best = (a, b, key, higher) => (higher ? Math.max(a[key], b[key]) : Math.min(a[key], b[key]))
    const pick = (a, b) => ({
      seqMedianUs: best(a, b, 'seqMedianUs', false),
      seqP99Us: best(a, b, 'seqP99Us', false),
      concurrentThroughput: best(a, b, 'concurrentThroughput', true),
      peakRssMiB: best(a, b, 'peakRssMiB', false),
      cpuSeconds: best(a, b, 'cpuSeconds', false),
    })
    const sdk = pick(sdk1, sdk2)
    const fetch = pick(fetch1, fetch2)
    const result = {
      date: new Date().toISOString(),
      node: process.version,
      cpus: os.cpus().length,
      cpuModel: os.cpus()[0]?.model,
      calls: CALLS,
      concurrentCalls: CONCURRENT_CALLS,
      inFlight: IN_FLIGHT,
      sdk,
      fetch,
      ratios: {
        sequentialLatency: sdk.seqMedianUs / fetch.seqMedianUs, // target ≤ 0.4
        concurrentThroughput: sdk.concurrentThroughput / fetch.concurrentThroughput, // target ≥ 3
        peakRss: sdk.peakRssMiB / fetch.peakRssMiB, // target < 1
      },
      runs: { sdk: [sdk1, sdk2], fetch: [fetch1, fetch2] },
    }
    const f = (x, d = 0) => x.toFixed(d)
    console.log(`enjo sendMessage vs fetch (undici), one enjo-mock (limits off), ${result.cpus} CPUs, Node ${process.version}`)
    console.log(`${CALLS} sequential calls; ${IN_FLIGHT} in flight: ${CONCURRENT_CALLS} calls x ${ROUNDS} rounds (median); best of 2 runs each`)
    console.log(`                          enjo        fetch       ratio     target`)
    console.log(`  sequential median      ${f(sdk.seqMedianUs).padStart(6)} µs   ${f(fetch.seqMedianUs).padStart(6)} µs   ${f(result.ratios.sequentialLatency, 2).padStart(5)}     ≤ 0.40`)
    console.log(`  sequential p99         ${f(sdk.seqP99Us).padStart(6)} µs   ${f(fetch.seqP99Us).padStart(6)} µs   ${f(sdk.seqP99Us / fetch.seqP99Us, 2).padStart(5)}`)
    console.log(`  ${IN_FLIGHT} in flight           ${f(sdk.concurrentThroughput).padStart(6)} /s   ${f(fetch.concurrentThroughput).padStart(6)} /s   ${f(result.ratios.concurrentThroughput, 2).padStart(5)}     ≥ 3.00`)
    console.log(`  peak RSS               ${f(sdk.peakRssMiB, 1).padStart(6)} MiB  ${f(fetch.peakRssMiB, 1).padStart(6)} MiB  ${f(result.ratios.peakRss, 2).padStart(5)}     < 1.00`)
    console.log(`  CPU time (whole run)   ${f(sdk.cpuSeconds, 2).padStart(6)} s    ${f(fetch.cpuSeconds, 2).padStart(6)} s    ${f(sdk.cpuSeconds / fetch.cpuSeconds, 2).padStart(5)}`)
    writeFileSync(path.join(HERE, 'results.json'), JSON.stringify(result, null, 2) + '\n')
  } finally {
    mock.close()
  }
}

if (process.argv[2] === '--contender') {
  const result = await contender(process.argv[3], process.argv[4])
  process.stdout.write(JSON.stringify(result))
} else {
  await driver()
}
