'use strict'
// One memory sample of this Node process for the soak programs (soak.js, node-http.js):
// the CSV header and row `calls,rss_kb,fds,heap_used_kb,heap_total_kb,external_kb,
// new_space_kb,v8_other_kb,malloc_kb`, where RSS is `VmRSS` of /proc/self/status, fds the entries of
// /proc/self/fd, the heap figures `process.memoryUsage()`'s, `new_space_kb` the resident size
// of V8's young generation (`v8.getHeapSpaceStatistics()`'s `new_space`, physical),
// `v8_other_kb` that of V8's other spaces (old, code, large objects...) and
// `malloc_kb` the resident size of glibc malloc's heaps (the main `[heap]` and every thread
// arena, read from /proc/self/smaps). With `node --expose-gc` a full collection runs first,
// so the sample is what is retained, not garbage waiting for the collector.

const fs = require('node:fs')
const v8 = require('node:v8')

const HEADER = 'calls,rss_kb,fds,heap_used_kb,heap_total_kb,external_kb,new_space_kb,v8_other_kb,malloc_kb'

function rssKb() {
  const line = fs.readFileSync('/proc/self/status', 'utf8').split('\n').find((l) => l.startsWith('VmRSS:'))
  return line ? Number(line.split(/\s+/)[1]) : 0
}

const fds = () => fs.readdirSync('/proc/self/fd').length - 1 // the listing's own handle

// A glibc thread arena is a 64 MiB-aligned reservation of 64 MiB (HEAP_MAX_SIZE on 64-bit):
// a read-write part followed by the rest, mapped without access.
const ARENA = 64 * 1024 * 1024

function mallocKb() {
  const maps = []
  let current = null
  for (const line of fs.readFileSync('/proc/self/smaps', 'utf8').split('\n')) {
    const head = /^([0-9a-f]+)-([0-9a-f]+) (\S+) \S+ \S+ \S+\s*(.*)$/.exec(line)
    if (head) {
      current = { start: BigInt('0x' + head[1]), end: BigInt('0x' + head[2]), perms: head[3], path: head[4], rss: 0 }
      maps.push(current)
    } else if (current && line.startsWith('Rss:')) {
      current.rss = Number(line.split(/\s+/)[1])
    }
  }
  let kb = 0
  maps.forEach((m, i) => {
    if (m.path === '[heap]') kb += m.rss
    const next = maps[i + 1]
    if (m.path === '' && m.perms === 'rw-p' && m.start % BigInt(ARENA) === 0n &&
        next && next.start === m.end && next.perms === '---p' && next.end - m.start === BigInt(ARENA)) {
      kb += m.rss
    }
  })
  return kb
}

// The resident size of V8's young generation, and of its other spaces, in KiB.
function v8Spaces() {
  let young = 0
  let other = 0
  for (const s of v8.getHeapSpaceStatistics()) {
    if (s.space_name === 'new_space') young += s.physical_space_size
    else other += s.physical_space_size
  }
  return [Math.round(young / 1024), Math.round(other / 1024)]
}

/** The CSV row after `calls` calls (collecting first when `global.gc` is exposed). */
function sample(calls) {
  if (global.gc) global.gc()
  const m = process.memoryUsage()
  const kb = (n) => Math.round(n / 1024)
  return [calls, rssKb(), fds(), kb(m.heapUsed), kb(m.heapTotal), kb(m.external), ...v8Spaces(), mallocKb()].join(',')
}

// The fault (and per-call timeout, ms) of call `i`: per 200 calls, 1 timeout, 16 4xx, 16 5xx.
function mix(i) {
  const k = i % 200
  if (k === 0) return ['delay=100', 20]
  if (k <= 16) return [['status=400', 'status=404', 'status=401'][k % 3], undefined]
  if (k <= 32) return [['500', 'html-502', 'empty-body=503'][k % 3], undefined]
  return [undefined, undefined]
}

module.exports = { HEADER, sample, mix }
