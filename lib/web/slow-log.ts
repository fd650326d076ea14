// The latest slow operations that mounts logged (pino JSON lines marked slow: true, see
// lib/metrics/ops.ts), read from the end of their log files: a background mount logs to
// ~/.meridian/mount.log. Only the tail is read, so a long log costs one small read per poll.
import { open } from 'node:fs/promises'
import type { SlowOp } from '../metrics'

/** how much of the end of each log is read */
const TAIL_BYTES = 256 * 1024
const KEPT = 50

async function tail(path: string): Promise<string> {
  const fh = await open(path, 'r').catch(() => undefined)
  if (!fh) return ''
  try {
    const { size } = await fh.stat()
    const from = Math.max(0, size - TAIL_BYTES)
    const buf = Buffer.alloc(size - from)
    await fh.read(buf, 0, buf.length, from)
    // the first line may be cut: drop it unless the read began at the start
    const text = buf.toString()
    return from === 0 ? text : text.slice(text.indexOf('\n') + 1)
  } finally {
    await fh.close()
  }
}

/** slowOpsLogged is the latest slow operations in the logs, newest first */
export async function slowOpsLogged(paths: string[]): Promise<SlowOp[]> {
  const found: SlowOp[] = []
  for (const path of paths) {
    for (const line of (await tail(path)).split('\n')) {
      if (!line.includes('"slow":true')) continue
      try {
        const { at, op, path: p, ino, entry, ms, errno } = JSON.parse(line) as SlowOp
        found.push({ at, op, path: p, ino, entry, ms, errno })
      } catch {
        // a line cut short by a crash
      }
    }
  }
  return found.sort((a, b) => b.at.localeCompare(a.at)).slice(0, KEPT)
}
