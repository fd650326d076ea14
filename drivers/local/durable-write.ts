// Crash-safe file creation: a reader sees either no file or the whole file, and once
// writeDurably resolves the file survives a power loss.
import { randomBytes } from 'node:crypto'
import { mkdir, open, rename, rm } from 'node:fs/promises'
import path from 'node:path'

/** TEMP_PREFIX marks unfinished writes; a crash may leave them behind. */
export const TEMP_PREFIX = '.tmp-'

/** writeDurably writes data to a temp file beside file, fsyncs it, renames it into place and fsyncs the directory. */
export async function writeDurably(file: string, data: Buffer): Promise<void> {
  const dir = path.dirname(file)
  await makeDirDurably(dir)
  const temp = path.join(dir, TEMP_PREFIX + randomBytes(8).toString('hex'))
  try {
    const handle = await open(temp, 'wx')
    try {
      await handle.writeFile(data)
      await handle.sync()
    } finally {
      await handle.close()
    }
    await rename(temp, file)
  } catch (err) {
    await rm(temp, { force: true })
    throw err
  }
  await syncDir(dir)
}

/** makeDirDurably is mkdir -p that also fsyncs the parents of every directory it created. */
async function makeDirDurably(dir: string): Promise<void> {
  const firstCreated = await mkdir(dir, { recursive: true })
  if (firstCreated === undefined) return
  const top = path.dirname(firstCreated)
  for (let parent = path.dirname(dir); ; parent = path.dirname(parent)) {
    await syncDir(parent)
    if (parent === top || parent === path.dirname(parent)) return
  }
}

async function syncDir(dir: string): Promise<void> {
  const handle = await open(dir, 'r')
  try {
    await handle.sync()
  } finally {
    await handle.close()
  }
}
