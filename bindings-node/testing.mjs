// ESM entry point of `enjo/testing`: the same objects as the CommonJS one.
import { createRequire } from 'node:module'

const require = createRequire(import.meta.url)
const testing = require('./testing.js')

export const { startMock, MockServer } = testing
