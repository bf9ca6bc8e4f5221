'use strict'
// `npm pack` / `npm publish` guard: the tarball must hold the native addon that native.js
// loads, or it installs fine and fails at the first `require('enjo')`. Build it first with
// `npm run build` (run-tests.sh does).
const fs = require('node:fs')
const path = require('node:path')

const dir = path.resolve(__dirname, '..')
const addons = fs.readdirSync(dir).filter((f) => /^enjo\..+\.node$/.test(f))
if (addons.length === 0) {
  console.error(
    'prepack: no native addon (enjo.<platform>.node) in ' + dir + ': the package would not load.\n' +
      'Build it first: npm run build',
  )
  process.exit(1)
}
try {
  require(path.join(dir, 'native.js'))
} catch (err) {
  console.error(`prepack: the addon ${addons.join(', ')} does not load: ${err.message}\nRebuild it: npm run build`)
  process.exit(1)
}
