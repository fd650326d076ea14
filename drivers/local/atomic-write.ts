// Crash-safe file creation in two steps. writeAtomically: a reader (or a process that
// restarts after a crash) sees either no file or the whole file. syncFiles: once it resolves,
// the files written before survive a power loss as well. The local pool calls the second at
// its sync(), so a burst of puts pays for its fsyncs together, not one by one.
import { randomBytes } from 'node:crypto'
import { closeSync, existsSync, mkdirSync, openSync, renameSync, rmSync, writeSync } from 'node:fs'
import { open, rename, rm } from 'node:fs/promises'
import path from 'node:path'

/** TEMP_PREFIX marks unfinished writes; a crash may leave them behind. */
export const TEMP_PREFIX = '.tmp-'

/** how many fsyncs run at once (libuv's thread pool has four threads) */
const PARALLEL_SYNCS = 4

/**
 * below this size a file is written with synchronous calls: each call through libuv's thread
 * pool costs a thread hand-over (about 70 µs on the 2-vCPU machines we measure on, four of them
 * per file), more than writing a small file to the page cache takes
 */
const INLINE_BYTES = 256 * 1024

/**
 * writeAtomically writes data to a temp file beside file and renames it into place; the file's
 * directory must exist. inline: a small file may be written with synchronous calls.
 */
export async function writeAtomically(file: string, data: Buffer, inline: boolean): Promise<void> {
  const temp = path.join(path.dirname(file), TEMP_PREFIX + randomBytes(8).toString('hex'))
  if (inline && data.length < INLINE_BYTES) return writeInline(temp, file, data)
  try {
    const handle = await open(temp, 'wx')
    try {
      await handle.writeFile(data)
    } finally {
      await handle.close()
    }
    await rename(temp, file)
  } catch (err) {
    await rm(temp, { force: true })
    throw err
  }
}

function writeInline(temp: string, file: string, data: Buffer): void {
  try {
    const fd = openSync(temp, 'wx')
    try {
      for (let done = 0; done < data.length; ) done += writeSync(fd, data, done)
    } finally {
      closeSync(fd)
    }
    renameSync(temp, file)
  } catch (err) {
    rmSync(temp, { force: true })
    throw err
  }
}

/**
 * syncFiles fsyncs every file, then every directory that holds one (which makes their names
 * durable) and the directories in dirs (whose entries makeDirs changed). A file removed
 * meanwhile has nothing left to keep and is skipped.
 */
export async function syncFiles(files: string[], dirs: string[] = []): Promise<void> {
  await inParallel(files, file => syncPath(file).catch((err: NodeJS.ErrnoException) => {
    if (err.code !== 'ENOENT') throw err
  }))
  await inParallel([...new Set([...files.map(f => path.dirname(f)), ...dirs])], syncPath)
}

/**
 * makeDirs is mkdir -p (synchronous: a pool makes each shard directory once in its life). It
 * returns the directories whose names it added (the parents of every directory it created),
 * which syncFiles must fsync before the new directories are durable. One level at a time:
 * node's recursive mkdir reports ENOENT on a read-only filesystem, and never returns where a
 * directory cannot be made in a parent that exists (in /proc).
 */
export function makeDirs(dir: string): string[] {
  const missing: string[] = []
  for (let d = dir; !existsSync(d) && d !== path.dirname(d); d = path.dirname(d)) missing.unshift(d)
  for (const d of missing) {
    try {
      mkdirSync(d)
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err
    }
  }
  return missing.map(d => path.dirname(d))
}

async function syncPath(file: string): Promise<void> {
  const handle = await open(file, 'r')
  try {
    await handle.sync()
  } finally {
    await handle.close()
  }
}

/** inParallel runs fn on every item, PARALLEL_SYNCS at a time; the first failure rejects once all have settled */
async function inParallel<T>(items: T[], fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0
  const worker = async (): Promise<unknown[]> => {
    const failures: unknown[] = []
    while (next < items.length) await fn(items[next++]).catch((err: unknown) => failures.push(err))
    return failures
  }
  const failures = (await Promise.all(Array.from({ length: PARALLEL_SYNCS }, worker))).flat()
  if (failures.length > 0) throw failures[0]
}
