// Random 4 KiB I/O in one big file: a.count aligned 4 KiB writes at random offsets followed by
// an fsync (timed together), then, after the parent dropped what caches it can, a.count 4 KiB
// reads at other random offsets. The offsets come from a seeded generator, so every target
// sees the same ones. Runs in a worker process.
import { randomBytes } from 'node:crypto'
import { closeSync, fsyncSync, openSync, readSync, unlinkSync } from 'node:fs'
import { join } from 'node:path'
import { stamp, writeAll } from './io'
import { now, type PhaseArgs, type Progress, type Timing } from './job'
import { writeSequential } from './seq'

const PAGE = 4096
const WRITE_SEED = 1
const READ_SEED = 2

const file = (dir: string) => join(dir, 'random')

/** offsets yields n page-aligned offsets below size (mulberry32) */
function* offsets(seed: number, size: number, n: number): Generator<number> {
  const pages = Math.floor(size / PAGE)
  let s = seed
  for (let i = 0; i < n; i++) {
    s = (s + 0x6d2b79f5) | 0
    let x = Math.imul(s ^ (s >>> 15), 1 | s)
    x = (x + Math.imul(x ^ (x >>> 7), 61 | x)) ^ x
    yield Math.floor((((x ^ (x >>> 14)) >>> 0) / 2 ** 32) * pages) * PAGE
  }
}

/** randomPrepare writes the file sequentially (untimed: its figure is the big file's) */
export function randomPrepare(dir: string, a: PhaseArgs, progress: Progress): Timing {
  const start = now()
  writeSequential(file(dir), a.size, progress)
  return { start, end: now(), ops: 0, bytes: 0 }
}

/** randomWrite overwrites a.count random pages and fsyncs once at the end */
export function randomWrite(dir: string, a: PhaseArgs, progress: Progress): Timing {
  const buf = randomBytes(PAGE)
  const start = now()
  const fd = openSync(file(dir), 'r+')
  let i = 0
  try {
    for (const off of offsets(WRITE_SEED, a.size, a.count)) {
      writeAll(fd, stamp(buf, ++i), off)
      progress(i, a.count)
    }
    fsyncSync(fd)
  } finally {
    closeSync(fd)
  }
  return { start, end: now(), ops: a.count, bytes: a.count * PAGE }
}

/** randomRead reads a.count random pages, then removes the file (untimed) */
export function randomRead(dir: string, a: PhaseArgs, progress: Progress): Timing {
  const buf = Buffer.alloc(PAGE)
  const start = now()
  const fd = openSync(file(dir), 'r')
  let i = 0
  try {
    for (const off of offsets(READ_SEED, a.size, a.count)) {
      if (readSync(fd, buf, 0, PAGE, off) !== PAGE) throw new Error(`short read at ${off} of ${file(dir)}`)
      progress(++i, a.count)
    }
  } finally {
    closeSync(fd)
  }
  const end = now()
  unlinkSync(file(dir))
  return { start, end, ops: a.count, bytes: a.count * PAGE }
}
