// Small files: create+write+close, read, stat and unlink a.count files of a.size bytes each,
// one phase per step, in dir/small-<size>/. Runs in a worker process.
import { randomBytes } from 'node:crypto'
import { closeSync, mkdirSync, openSync, readFileSync, rmdirSync, statSync, unlinkSync } from 'node:fs'
import { join } from 'node:path'
import { stamp, writeAll } from './io'
import { now, type PhaseArgs, type Progress, type Timing } from './job'

const folder = (dir: string, a: PhaseArgs) => join(dir, `small-${a.size}`)

/** each runs fn on every file of the set and times the whole loop */
function each(dir: string, a: PhaseArgs, progress: Progress, fn: (path: string, i: number) => void): Timing {
  const at = folder(dir, a)
  const start = now()
  for (let i = 0; i < a.count; i++) {
    fn(join(at, `f${i}`), i)
    progress(i + 1, a.count)
  }
  return { start, end: now(), ops: a.count, bytes: a.count * a.size }
}

/** smallCreate makes the folder (untimed), then creates, writes and closes every file */
export function smallCreate(dir: string, a: PhaseArgs, progress: Progress): Timing {
  mkdirSync(folder(dir, a))
  const buf = randomBytes(a.size)
  return each(dir, a, progress, (path, i) => {
    const fd = openSync(path, 'wx')
    try {
      writeAll(fd, stamp(buf, i), 0)
    } finally {
      closeSync(fd)
    }
  })
}

/** smallRead reads every file whole and checks its length */
export function smallRead(dir: string, a: PhaseArgs, progress: Progress): Timing {
  return each(dir, a, progress, path => {
    const n = readFileSync(path).length
    if (n !== a.size) throw new Error(`read ${n} bytes of ${path}, wrote ${a.size}`)
  })
}

/** smallStat stats every file */
export function smallStat(dir: string, a: PhaseArgs, progress: Progress): Timing {
  return each(dir, a, progress, path => statSync(path))
}

/** smallUnlink removes every file, then the folder (untimed) */
export function smallUnlink(dir: string, a: PhaseArgs, progress: Progress): Timing {
  const timing = each(dir, a, progress, path => unlinkSync(path))
  rmdirSync(folder(dir, a))
  return timing
}
