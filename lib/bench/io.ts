// File I/O helpers for the workers: whole-buffer writes and reads (a short one is continued,
// never counted), and data that never repeats.
import { readSync, writeSync } from 'node:fs'

/** writeAll writes buf at offset, all of it */
export function writeAll(fd: number, buf: Buffer, offset: number): void {
  for (let done = 0; done < buf.length; ) done += writeSync(fd, buf, done, buf.length - done, offset + done)
}

/** readFull reads into buf at offset until it is full or the file ends; the bytes read */
export function readFull(fd: number, buf: Buffer, offset: number): number {
  let done = 0
  while (done < buf.length) {
    const n = readSync(fd, buf, done, buf.length - done, offset + done)
    if (n === 0) break
    done += n
  }
  return done
}

/** stamp writes n into the first 8 bytes of buf, so that no two blocks are equal (Meridian dedupes equal blobs) */
export function stamp(buf: Buffer, n: number): Buffer {
  buf.writeDoubleLE(n, 0)
  return buf
}
