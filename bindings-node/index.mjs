// ESM entry point: the same objects as the CommonJS entry (one addon, one set of classes, so
// `instanceof` agrees between `import` and `require` in one process).
import { createRequire } from 'node:module'

const require = createRequire(import.meta.url)
const enjo = require('./index.js')

export const {
  Enjo,
  Conversation,
  EnjoError,
  InvalidArgumentError,
  APIError,
  InvalidRequestError,
  AuthenticationError,
  NotFoundError,
  RateLimitError,
  ServerError,
  APITimeoutError,
  APIConnectionError,
  ResponseDecodeError,
  InternalError,
  RateLimitStoreError,
  VERSION,
} = enjo
export default Enjo
