// Types of the `enjo` package. The data types (options, replies, tickets) are generated from
// the Rust side into `native.d.ts` by napi-rs; this file adds what lives in `index.js`: the
// `Enjo` and `Conversation` classes, AbortSignal support and the error classes.

import type {
  ClientOptions,
  MessageResponse,
  NativeSendOptions,
  RateLimitQuota,
  Source,
  Ticket,
} from './native'

export type { ClientOptions, MessageResponse, RateLimitQuota, Source, Ticket }

/**
 * Per-call options of `sendMessage` and `Conversation.send` (`conversationId`, `timeout`,
 * `maxRetries`, `retryPolicy`, `deadline`, `headers`). Durations in milliseconds.
 */
export interface SendOptions extends NativeSendOptions {
  /**
   * Aborts the call: the Promise rejects at once with `signal.reason` (an `AbortError` by
   * default, as with `fetch`), and the request is dropped (its connection closed, or its place
   * in the rate limiter's queue given up).
   */
  signal?: AbortSignal
}

/** Options of `client.conversation(botId, options)`. */
export interface ConversationOptions {
  /** Resume this conversation instead of starting a new one. */
  conversationId?: string
}

/**
 * The Enjo client.
 *
 * ```ts
 * const client = new Enjo() // token from ENJO_API_TOKEN
 * const reply = await client.sendMessage('support-bot', 'How do I reset my password?')
 * console.log(reply.answers)
 * ```
 */
export declare class Enjo {
  /**
   * @throws {InvalidArgumentError} on a missing token, a bad base URL or a bad option.
   */
  constructor(options?: ClientOptions)
  /** The base URL requests go to (normalised, no trailing slash). */
  readonly baseUrl: string
  /**
   * Sends `text` to the bot `botId` and resolves with its reply. Waits for the client-side
   * rate limiter, and retries what is safe to retry (never a request that may have created a
   * ticket, unless `retryPolicy: 'atLeastOnce'`).
   *
   * Rejects with an {@link EnjoError} subclass, or with `signal.reason` when aborted.
   */
  sendMessage(botId: string, text: string, options?: SendOptions): Promise<MessageResponse>
  /** A conversation with `botId`: each `send` continues it. */
  conversation(botId: string, options?: ConversationOptions): Conversation
  /**
   * Closes the client: every later call, of this client and of its conversations, rejects with
   * an {@link InvalidArgumentError} and sends nothing. Idempotent.
   */
  close(): void
  /** Whether `close()` was called. */
  readonly closed: boolean
  /** `using client = new Enjo()` closes it at the end of the block. */
  [Symbol.dispose](): void
  /** `await using client = new Enjo()` closes it at the end of the block. */
  [Symbol.asyncDispose](): Promise<void>
  toJSON(): { baseUrl: string }
}

export default Enjo

/** A conversation with one bot; created by `client.conversation(botId)`. */
export declare class Conversation {
  private constructor()
  /** The bot this conversation talks to. */
  readonly botId: string
  /** The conversation id, once the first reply has given one (or when resumed). */
  readonly conversationId: string | undefined
  /** Sends `text` in this conversation and remembers the reply's conversation id. */
  send(text: string, options?: Omit<SendOptions, 'conversationId'>): Promise<MessageResponse>
}

/** What `new EnjoError(message, fields)` (and every subclass) takes; all optional. */
export interface EnjoErrorFields {
  /** The kind shared by every binding (default: the class's own, e.g. `rate_limited`). */
  kind?: string
  /** HTTP status, for errors that come from a response. */
  status?: number
  /** The server's error code, e.g. `rate_limit_error`. */
  code?: string
  /** Seconds to wait before trying again. */
  retryAfter?: number
  /** The raw response body. */
  body?: string
  /** The call's request id (sent as `X-Request-Id`). */
  requestId?: string
  /** The server's own request id. */
  serverRequestId?: string
  /** False (the default) when the request provably never reached the server. */
  mayHaveBeenSent?: boolean
  /** The underlying error, kept as `error.cause` (as `new Error(message, { cause })` does). */
  cause?: unknown
}

/** Base class of every error the SDK throws. */
export declare class EnjoError extends Error {
  /**
   * Errors are made by the SDK; the constructor is public so that tests and wrappers can make
   * their own (e.g. `new RateLimitError('slow down', { status: 429, retryAfter: 2 })`).
   */
  constructor(message?: string, fields?: EnjoErrorFields)
  /** The underlying error, when there is one (e.g. the addon's own error for a bug). */
  cause?: unknown
  /**
   * The kind shared by every binding: `rate_limited`, `timeout`, ..., `internal` (undefined for
   * a plain `EnjoError`).
   */
  readonly kind: string | undefined
  /** HTTP status, for errors that come from a response. */
  readonly status: number | undefined
  /** The server's error code, e.g. `rate_limit_error`. */
  readonly code: string | undefined
  /** Seconds to wait before trying again (`Retry-After`, or the client-side limiter's estimate). */
  readonly retryAfter: number | undefined
  /** The raw response body (cut at 64 KiB). */
  readonly body: string | undefined
  /** The call's request id (sent as X-Request-Id), to quote to Enjo's support. */
  readonly requestId: string | undefined
  /** The server's own request id (its `x-request-id` header), when a reply came with one. */
  readonly serverRequestId: string | undefined
  /** False when the request provably never reached the server (sending it again cannot duplicate a ticket). */
  readonly mayHaveBeenSent: boolean
}
/** Rejected before anything was sent: empty bot id or text, bad option, missing token. */
export declare class InvalidArgumentError extends EnjoError {}
/** An HTTP error status from the API (a redirect that is not followed included: anything but a 307/308 to the same origin), or a reply with `"success": false`. */
export declare class APIError extends EnjoError {}
/** HTTP 400, e.g. `botId not found`. */
export declare class InvalidRequestError extends APIError {}
/** HTTP 401: the token is missing, wrong or revoked. */
export declare class AuthenticationError extends APIError {}
/** HTTP 404: usually a wrong base URL. */
export declare class NotFoundError extends APIError {}
/** HTTP 429, or the client-side limiter would wait longer than `rateLimitMaxWait` (no `status`). */
export declare class RateLimitError extends APIError {}
/** HTTP 5xx. The request may have been processed (a ticket may exist). */
export declare class ServerError extends APIError {}
/** No full answer within the timeout. */
export declare class APITimeoutError extends EnjoError {}
/** DNS failure, connection refused or reset, TLS failure. */
export declare class APIConnectionError extends EnjoError {}
/** A 2xx whose body is not the documented JSON. */
export declare class ResponseDecodeError extends EnjoError {}
/** A bug in enjo (a caught panic): never your fault; the message says where to report it. */
export declare class InternalError extends EnjoError {}
/** The shared rate-limit store (a state file, Redis) could not be used: nothing was sent. */
export declare class RateLimitStoreError extends EnjoError {}

/** The package's version. */
export declare const VERSION: string
