// Big file, sequential: write it in 1 MiB blocks and fsync (dd conv=fsync), then, after the
// parent dropped what caches it can, read it back in 1 MiB blocks. Runs in a worker process.
import { randomBytes } from 'node:crypto'
import { closeSync, fsyncSync, openSync, unlinkSync } from 'node:fs'
import { join } from 'node:path'
import { now, type PhaseArgs, type Progress, type Timing } from './job'
import { readFull, stamp, writeAll } from './io'

/** the size of every write(2) and read(2) */
export const BLOCK = 1024 * 1024

/** writeSequential writes size bytes to path in BLOCK-sized writes, then fsyncs and closes it */
export function writeSequential(path: string, size: number, progress: Progress): void {
  const buf = randomBytes(BLOCK)
  const fd = openSync(path, 'w')
  try {
    for (let off = 0; off < size; off += BLOCK) {
      writeAll(fd, stamp(buf, off).subarray(0, Math.min(BLOCK, size - off)), off)
      progress(off, size)
    }
    fsyncSync(fd)
  } finally {
    closeSync(fd)
  }
}

/** bigWrite writes a.size bytes to dir/big, fsyncs and closes it: the timed window covers all three */
export function bigWrite(dir: string, a: PhaseArgs, progress: Progress): Timing {
  const start = now()
  writeSequential(join(dir, 'big'), a.size, progress)
  return { start, end: now(), ops: Math.ceil(a.size / BLOCK), bytes: a.size }
}

/** bigRead reads dir/big to its end, checks its size, and then removes it (untimed) */
export function bigRead(dir: string, a: PhaseArgs, progress: Progress): Timing {
  const path = join(dir, 'big')
  const buf = Buffer.alloc(BLOCK)
  const start = now()
  const fd = openSync(path, 'r')
  let bytes = 0
  try {
    for (let n = readFull(fd, buf, 0); n > 0; n = readFull(fd, buf, bytes)) {
      bytes += n
      progress(bytes, a.size)
    }
  } finally {
    closeSync(fd)
  }
  const end = now()
  if (bytes !== a.size) throw new Error(`read ${bytes} bytes of ${path}, wrote ${a.size}`)
  unlinkSync(path)
  return { start, end, ops: Math.ceil(bytes / BLOCK), bytes }
}
