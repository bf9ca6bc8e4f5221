'use strict'
// `make dist`'s npm step (napi-rs platform-package convention):
//   1. enjo-linux-x64-gnu: bindings-node/npm/linux-x64-gnu/ + the built enjo.linux-x64-gnu.node;
//   2. enjo: the files package.json lists, without any *.node, and with the platform package as
//      an optional dependency of the same version (what `napi prepublish` adds at publish time;
//      the committed package.json leaves it out so that `npm ci` in the checkout needs no
//      unpublished package). native.js requires `enjo-linux-x64-gnu` when no local addon is next
//      to it.
// Usage: node scripts/dist-npm.js <bindings-node dir> <staging dir> <dist dir>
const fs = require('node:fs')
const path = require('node:path')
const { execFileSync } = require('node:child_process')

const [pkgDir, stage, dist] = process.argv.slice(2).map((p) => path.resolve(p))
const fail = (msg) => {
  console.error(`dist-npm: ${msg}`)
  process.exit(1)
}
const main = JSON.parse(fs.readFileSync(path.join(pkgDir, 'package.json'), 'utf8'))
const platformDir = path.join(pkgDir, 'npm', 'linux-x64-gnu')
const platform = JSON.parse(fs.readFileSync(path.join(platformDir, 'package.json'), 'utf8'))
if (platform.version !== main.version) {
  fail(`npm/linux-x64-gnu is ${platform.version} but enjo is ${main.version}: bump both together`)
}
const addon = path.join(pkgDir, platform.main)
if (!fs.existsSync(addon)) fail(`no ${addon}: build it with npm run build`)

fs.mkdirSync(dist, { recursive: true })
const pack = (dir) => {
  const out = execFileSync('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', dist], {
    cwd: dir,
    encoding: 'utf8',
  })
  const [info] = JSON.parse(out)
  console.log(`${info.filename}: ${info.entryCount} files, ${info.size} bytes`)
}

// 1. the platform package
const p1 = path.join(stage, 'linux-x64-gnu')
fs.mkdirSync(p1, { recursive: true })
for (const f of ['package.json', 'README.md']) fs.copyFileSync(path.join(platformDir, f), path.join(p1, f))
fs.copyFileSync(addon, path.join(p1, platform.main))
pack(p1)

// 2. the main package: what `npm pack` would take from the checkout, minus the addon
const listing = JSON.parse(
  execFileSync('npm', ['pack', '--dry-run', '--ignore-scripts', '--json'], { cwd: pkgDir, encoding: 'utf8' }),
)[0].files.map((f) => f.path)
const p2 = path.join(stage, 'enjo')
for (const f of listing) {
  if (f.endsWith('.node')) continue
  fs.mkdirSync(path.dirname(path.join(p2, f)), { recursive: true })
  fs.copyFileSync(path.join(pkgDir, f), path.join(p2, f))
}
const staged = { ...main }
staged.optionalDependencies = { ...(main.optionalDependencies || {}), [platform.name]: platform.version }
// The checkout's prepack guard (an addon next to native.js) does not apply to this layout.
if (staged.scripts) {
  staged.scripts = { ...staged.scripts }
  delete staged.scripts.prepack
}
fs.writeFileSync(path.join(p2, 'package.json'), JSON.stringify(staged, null, 2) + '\n')
pack(p2)
