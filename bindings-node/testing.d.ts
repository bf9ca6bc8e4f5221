// Types of `enjo/testing` (testing.js): the mock server in-process, for your own tests.
import type { Enjo, ClientOptions } from './index'

/** A quota of the mock's rate limit: at most `requests` in any window of `windowMs`. */
export interface MockQuota {
  requests: number
  windowMs: number
}

/** Options of `startMock()`. */
export interface MockOptions {
  /** `false` (default): no limit; `true`: the real API's limits; or scaled quotas. */
  rateLimit?: boolean | MockQuota[]
  /** Bots failing every request: bot id → fault spec (`'500'`, `'429'`, `'status=404'`...). */
  faultBots?: Record<string, string>
  /** Bots from this TOML file instead of the built-in ones. */
  botsFile?: string
  /** The accepted token (default `enjo-mock-token`). */
  token?: string
}

/** One request the mock received. */
export interface MockRequest {
  seq: number
  at_ms: number
  method: string
  path: string
  bot_id: string | null
  conversation_id: string | null
  text: string | null
  /** The request body as received (its JSON), or `null`. */
  body: any
  status: number
  fault: string | null
  authorized: boolean
  user_agent: string | null
  remote_ip: string
  /** Lowercased header names; the `authorization` value is redacted. */
  headers: Record<string, string>
}

/** One ticket the mock created. */
export interface MockTicket {
  bot_id: string
  platform: string
  conversation_id: string
  /** The platform's own JSON, as sent in `ticketDetails`. */
  ticket: Record<string, any>
}

/** A running mock server. */
export declare class MockServer {
  private constructor()
  /** `http://127.0.0.1:PORT`. */
  readonly url: string
  /** The accepted token. */
  readonly token: string
  /** The port. */
  readonly port: number
  /** An `Enjo` client pointed at this server, its rate limit matching the server's. */
  client(options?: ClientOptions): Enjo
  /** The requests received, oldest first (optionally only those to `botId`). */
  requests(botId?: string): MockRequest[]
  /** The tickets created. */
  tickets(): MockTicket[]
  /** Makes the next `times` requests (all when absent) to `botId` (any when absent) fail. */
  addFault(fault: string, options?: { botId?: string; times?: number }): void
  /** Forgets requests, tickets, conversations, queued faults and rate-limit windows. */
  reset(): void
  /** Stops the server (idempotent). */
  close(): Promise<void>
  [Symbol.dispose](): void
  [Symbol.asyncDispose](): Promise<void>
}

/** Starts the mock server on 127.0.0.1 and a free port. */
export declare function startMock(options?: MockOptions): Promise<MockServer>
