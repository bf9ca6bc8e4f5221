'use strict'
// What users do: `npm pack`, install the tarball into a fresh project (offline: the package
// has no dependencies), and run the example with require and import.

const { test, before, after } = require('node:test')
const assert = require('node:assert/strict')
const fs = require('node:fs')
const os = require('node:os')
const path = require('node:path')
const { execFile } = require('node:child_process')
const { promisify } = require('node:util')

const { REPO } = require('./helpers')
// The testing kit: an in-process server (enjo/testing), no binary to find.
const { startMock } = require('../testing.js')

const exec = promisify(execFile)
const PKG = path.resolve(__dirname, '..')
const NPM = process.platform === 'win32' ? 'npm.cmd' : 'npm'
let mock
let dir

before(async () => {
  mock = await startMock()
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'enjo-pack-'))
})
after(async () => {
  await mock?.close()
  if (dir) fs.rmSync(dir, { recursive: true, force: true })
})

test('npm pack → npm install (offline) in a fresh project → the example runs', { timeout: 120_000 }, async () => {
  const { stdout: packed } = await exec(NPM, ['pack', '--json', '--pack-destination', dir], { cwd: PKG })
  const [info] = JSON.parse(packed)
  const files = info.files.map((f) => f.path).sort()
  for (const needed of ['index.js', 'index.mjs', 'index.d.ts', 'index.d.mts', 'native.js', 'native.d.ts', 'package.json', 'README.md']) {
    assert.ok(files.includes(needed), `${needed} is in the tarball: ${files}`)
  }
  assert.ok(files.some((f) => f.endsWith('.node')), 'the addon is in the tarball')
  assert.deepEqual(files.filter((f) => /^(src|test|node_modules|target)\//.test(f) || f.endsWith('.rs')), [])

  const project = path.join(dir, 'app')
  fs.mkdirSync(project)
  fs.writeFileSync(path.join(project, 'package.json'), JSON.stringify({ name: 'app', private: true, type: 'module' }))
  await exec(NPM, ['install', '--offline', '--no-audit', '--no-fund', path.join(dir, info.filename)], { cwd: project })
  fs.copyFileSync(path.join(REPO, 'examples', 'node', 'send_message.mjs'), path.join(project, 'send_message.mjs'))
  fs.writeFileSync(
    path.join(project, 'check.cjs'),
    `const { Enjo, RateLimitError } = require('enjo')
     new Enjo({ rateLimit: false }).sendMessage('echo-bot', 'from cjs')
       .then((r) => console.log(r.answers, typeof RateLimitError))`,
  )
  const env = {
    ...process.env,
    ENJO_API_TOKEN: mock.token,
    ENJO_BASE_URL: mock.url,
    ENJO_BOT_ID: 'servicenow-bot',
  }
  const example = await exec(process.execPath, ['send_message.mjs'], { cwd: project, env, timeout: 60_000 })
  assert.match(example.stdout, /ticket \S+ \(.+\): http/)
  const cjs = await exec(process.execPath, ['check.cjs'], { cwd: project, env, timeout: 60_000 })
  assert.equal(cjs.stdout.trim(), 'from cjs function')
  // The installed copy is the tarball's, not a link to the source tree.
  const installed = fs.realpathSync(path.join(project, 'node_modules', 'enjo'))
  assert.ok(installed.startsWith(fs.realpathSync(project)), installed)

  // No test hook among the public exports, and the addon's own module is not reachable.
  fs.writeFileSync(
    path.join(project, 'exports.cjs'),
    `const enjo = require('enjo')
     const names = [...Object.getOwnPropertyNames(enjo), ...Object.getOwnPropertySymbols(enjo).map(String)]
     let native
     try { require('enjo/native.js'); native = 'reachable' } catch (e) { native = e.code }
     import('enjo').then((esm) => console.log(JSON.stringify({ names, esm: Object.keys(esm), native })))`,
  )
  const exported = JSON.parse((await exec(process.execPath, ['exports.cjs'], { cwd: project, env, timeout: 60_000 })).stdout)
  for (const list of [exported.names, exported.esm]) {
    assert.ok(list.includes('Enjo'), list.join(', '))
    assert.deepEqual(list.filter((name) => /test|panic/i.test(name)), [], list.join(', '))
  }
  assert.equal(exported.native, 'ERR_PACKAGE_PATH_NOT_EXPORTED')

  // The declarations type-check where users have them: in the installed package, under
  // --strict, for ESM and CommonJS importers (tsc is the binding's own devDependency; the
  // project's @types/node is the binding's copy, since this project installs nothing else).
  fs.writeFileSync(
    path.join(project, 'use.mts'),
    `import Enjo, { RateLimitError, EnjoError, type MessageResponse, type Ticket } from 'enjo'
     const client = new Enjo({ timeout: 30_000, rateLimit: [{ requests: 5, windowMs: 1_000 }] })
     async function ask(text: string): Promise<Ticket | undefined> {
       try {
         const reply: MessageResponse = await client.sendMessage('bot', text, { signal: AbortSignal.timeout(5_000) })
         const status: number = reply.status
         return status === 200 ? reply.ticket : undefined
       } catch (error) {
         if (error instanceof RateLimitError) return undefined
         throw new EnjoError('wrapped', { cause: error })
       }
     }
     // @ts-expect-error durations are numbers of milliseconds
     new Enjo({ timeout: '30s' })
     void ask`,
  )
  fs.writeFileSync(
    path.join(project, 'use.cts'),
    `import enjo = require('enjo')
     const chat: enjo.Conversation = new enjo.Enjo().conversation('bot')
     void chat.send('hello').then((reply) => reply.answers?.length)`,
  )
  const tsc = path.join(PKG, 'node_modules', 'typescript', 'bin', 'tsc')
  const typeRoots = path.join(PKG, 'node_modules', '@types')
  const checked = await exec(
    process.execPath,
    [tsc, '--noEmit', '--strict', '--target', 'es2022', '--module', 'node16', '--moduleResolution', 'node16',
      '--types', 'node', '--typeRoots', typeRoots, 'use.mts', 'use.cts'],
    { cwd: project, timeout: 120_000 },
  ).catch((e) => e)
  assert.equal(checked.code ?? 0, 0, `tsc in the fresh project: ${checked.stdout}${checked.stderr}`)
})

test('npm pack refuses to pack without the addon (prepack)', { timeout: 120_000 }, async () => {
  // A copy of the package's files, as a fresh checkout has them before `npm run build`.
  const bare = path.join(dir, 'bare')
  fs.mkdirSync(path.join(bare, 'scripts'), { recursive: true })
  for (const file of ['package.json', 'index.js', 'index.mjs', 'index.d.ts', 'index.d.mts', 'native.js', 'native.d.ts', 'README.md']) {
    fs.copyFileSync(path.join(PKG, file), path.join(bare, file))
  }
  fs.copyFileSync(path.join(PKG, 'scripts', 'prepack.js'), path.join(bare, 'scripts', 'prepack.js'))
  const out = path.join(dir, 'bare-out')
  fs.mkdirSync(out)
  const failed = await exec(NPM, ['pack', '--pack-destination', out], { cwd: bare }).catch((e) => e)
  assert.ok(failed instanceof Error, 'npm pack failed')
  assert.match(failed.stderr, /prepack: no native addon \(enjo\.<platform>\.node\)[^]*npm run build/)
  assert.deepEqual(fs.readdirSync(out), [], 'no tarball was written')
})
