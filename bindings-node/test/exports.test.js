'use strict'
// The hand-written entry points and declarations agree: what `require('enjo')` gives at run
// time is exactly what `import` gives and what index.d.ts / index.d.mts declare as values.
// And package.json's `npm test` runs only the intended files.

const { test } = require('node:test')
const assert = require('node:assert/strict')
const fs = require('node:fs')
const path = require('node:path')
const ts = require('typescript')

const PKG = path.resolve(__dirname, '..')

const DECLARATIONS = ['index.d.ts', 'index.d.mts']

/** For each declaration file, the names it exports as values (types and interfaces left out). */
function declaredValues() {
  const files = DECLARATIONS.map((f) => path.join(PKG, f))
  const program = ts.createProgram(files, {
    module: ts.ModuleKind.Node16,
    moduleResolution: ts.ModuleResolutionKind.Node16,
    target: ts.ScriptTarget.ES2022,
    strict: true,
    noEmit: true,
    types: ['node'],
  })
  const checker = program.getTypeChecker()
  const declared = {}
  for (const [i, file] of files.entries()) {
    const source = program.getSourceFile(file)
    // These two files only (the whole check is `tsc -p`'s, in run-tests.sh).
    const problems = [...program.getSyntacticDiagnostics(source), ...program.getSemanticDiagnostics(source)]
      .map((d) => ts.flattenDiagnosticMessageText(d.messageText, '\n'))
    assert.deepEqual(problems, [], `${DECLARATIONS[i]} type-checks`)
    const moduleSymbol = checker.getSymbolAtLocation(source)
    assert.ok(moduleSymbol, `${DECLARATIONS[i]} is a module`)
    declared[DECLARATIONS[i]] = checker
      .getExportsOfModule(moduleSymbol)
      .filter((symbol) => {
        const target = symbol.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(symbol) : symbol
        return (target.flags & ts.SymbolFlags.Value) !== 0
      })
      .map((symbol) => symbol.getName())
      .sort()
  }
  return declared
}

test('require, import, index.d.ts and index.d.mts export the same values', { timeout: 120_000 }, async () => {
  const cjs = Object.keys(require('..')).sort()
  const esm = Object.keys(await import('../index.mjs')).sort()
  assert.ok(cjs.includes('Enjo') && cjs.includes('default'), cjs.join(', '))
  assert.deepEqual(esm, cjs, 'index.mjs names every export of index.js')
  const declared = declaredValues()
  assert.deepEqual(declared['index.d.ts'], cjs, 'index.d.ts declares every export of index.js, and no other value')
  assert.deepEqual(declared['index.d.mts'], esm, 'index.d.mts declares every export of index.mjs, and no other value')
  // Each ESM export is the CommonJS one (one set of classes for instanceof).
  const esmModule = await import('../index.mjs')
  const cjsModule = require('..')
  for (const name of esm) assert.equal(esmModule[name], cjsModule[name], name)
})

test('the public exports hold no test hook', () => {
  const enjo = require('..')
  const all = [...Object.getOwnPropertyNames(enjo), ...Object.getOwnPropertySymbols(enjo).map(String)]
  assert.deepEqual(all.filter((name) => /test|panic/i.test(name)), [])
})

test('npm test runs only the node:test files and the type check', () => {
  const { scripts } = JSON.parse(fs.readFileSync(path.join(PKG, 'package.json'), 'utf8'))
  // `node --test test/` would also run test/types/*.test.mts on Node >= 23 (type stripping).
  assert.match(scripts['test:node'], /^node --test(?: --[\w-]+=\S+)* test\/\*\.test\.js$/)
  assert.match(scripts['test:types'], /^tsc -p tsconfig\.json --noEmit --strict$/)
  assert.equal(scripts.test, 'npm run test:node && npm run test:types')
  // What the glob matches is this directory's node:test files and nothing else.
  const files = fs.readdirSync(path.join(PKG, 'test')).filter((f) => /\.test\.js$/.test(f))
  assert.ok(files.includes('exports.test.js'), files.join(', '))
  const declared = fs.readdirSync(path.join(PKG, 'test', 'types'))
  assert.ok(declared.every((f) => !f.endsWith('.js')), 'no .js file under test/types')
})
