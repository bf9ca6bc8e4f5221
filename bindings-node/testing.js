'use strict'
// `enjo/testing`: the Enjo-compatible mock server, in-process, for your own tests. The server
// is the SDK's own `enjo-mock` (real HTTP on a free loopback port, on a thread of its own;
// nothing in the client is patched), shipped inside the addon: no Rust toolchain, no Docker.

const native = require('./native.js')
const { Enjo, InvalidArgumentError } = require('./index.js')

const DISPOSE = Symbol.dispose ?? Symbol.for('nodejs.dispose')
const ASYNC_DISPOSE = Symbol.asyncDispose ?? Symbol.for('nodejs.asyncDispose')

// `rateLimit` as the server takes it: false/undefined → off, true → the real API's limits,
// [{ requests, windowMs }] → scaled quotas.
function rateLimitSpec(rateLimit) {
  if (rateLimit === undefined || rateLimit === false) return 'off'
  if (rateLimit === true) return 'documented'
  if (!Array.isArray(rateLimit) || rateLimit.length === 0) {
    throw new TypeError('rateLimit must be true, false or a non-empty array of { requests, windowMs }, e.g. [{ requests: 5, windowMs: 200 }]')
  }
  return rateLimit
    .map((quota) => {
      const { requests, windowMs } = quota ?? {}
      if (!Number.isInteger(requests) || requests < 1) {
        throw new TypeError(`rateLimit requests must be a positive integer; got ${requests}`)
      }
      if (typeof windowMs !== 'number' || !(windowMs > 0) || !Number.isFinite(windowMs)) {
        throw new TypeError(`rateLimit windowMs must be a positive number of milliseconds; got ${windowMs}`)
      }
      return `${requests}/${windowMs}ms`
    })
    .join(',')
}

function rethrow(err) {
  if (err && err.code === 'InvalidArg') throw new InvalidArgumentError(err.message)
  throw err
}

/** A running mock server: `startMock()` returns one. */
class MockServer {
  #native
  #rateLimit

  constructor(nativeMock, rateLimit) {
    this.#native = nativeMock
    this.#rateLimit = rateLimit
    /** `http://127.0.0.1:PORT`: the `baseUrl` for a client. */
    this.url = nativeMock.url
    /** The token the server accepts (`enjo-mock-token` unless given). */
    this.token = nativeMock.token
    /** The port it listens on. */
    this.port = nativeMock.port
  }

  /**
   * An `Enjo` client pointed at this server. Its client-side rate limit matches the server's
   * (off when the server has none) unless `options.rateLimit` is given.
   */
  client(options = {}) {
    const rateLimit = this.#rateLimit === undefined || this.#rateLimit === false
      ? false
      : this.#rateLimit === true ? true : this.#rateLimit.map((q) => ({ ...q }))
    return new Enjo({ token: this.token, baseUrl: this.url, rateLimit, ...options })
  }

  /** The requests received, oldest first (optionally only those to `botId`). */
  requests(botId) {
    const log = JSON.parse(this.#native.requestsJson())
    return botId === undefined ? log : log.filter((r) => r.bot_id === botId)
  }

  /** The tickets created: `{ bot_id, platform, conversation_id, ticket }`. */
  tickets() {
    return JSON.parse(this.#native.ticketsJson())
  }

  /** Makes the next `times` requests (all when absent) to `botId` (any when absent) fail with `fault`. */
  addFault(fault, { botId, times } = {}) {
    try {
      this.#native.addFault(fault, botId, times)
    } catch (err) {
      rethrow(err)
    }
  }

  /** Forgets requests, tickets, conversations, queued faults and rate-limit windows. */
  reset() {
    this.#native.reset()
  }

  /** Stops the server (idempotent). */
  async close() {
    this.#native.stop()
  }

  [DISPOSE]() {
    this.#native.stop()
  }

  async [ASYNC_DISPOSE]() {
    this.#native.stop()
  }
}

/**
 * Starts the mock server on 127.0.0.1 and a free port. Options: `rateLimit` (false: none, the
 * default; true: the real API's; or `[{ requests, windowMs }]`), `faultBots` (`{ 'down-bot':
 * '500' }`: bots failing every request), `botsFile` (bots from a TOML file), `token`.
 */
async function startMock(options = {}) {
  if (options === null || typeof options !== 'object') throw new TypeError('startMock options must be an object')
  const { rateLimit, faultBots, botsFile, token } = options
  const spec = rateLimitSpec(rateLimit)
  let nativeMock
  try {
    nativeMock = native.startNativeMock({
      rateLimit: spec,
      botsFile,
      faultBots: faultBots === undefined ? undefined : { ...faultBots },
      token,
    })
  } catch (err) {
    rethrow(err)
  }
  return new MockServer(nativeMock, rateLimit)
}

module.exports = { startMock, MockServer }
