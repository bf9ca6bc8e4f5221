#!/usr/bin/env node
'use strict'
// `npx enjo-mock`: the Enjo-compatible mock server as a command, with the flags of `enjo mock`
// (`--port`, `--rate-limit`, `--config`, `--token`, `--quiet`...; `npx enjo-mock --help`).
const native = require('./native.js')

process.exitCode = native.mockMain('enjo-mock', process.argv.slice(2))
