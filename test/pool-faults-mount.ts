// Pool faults through a real FUSE mount whose only pool is a fault pool (fixtures/fault-driver.ts):
// the errno a process sees when the pool is full or read-only, and that a corrupt blob reads as
// EIO rather than as wrong bytes; what was committed before reads back once the fault is gone.
import t from 'tap'
import { randomBytes } from 'node:crypto'
import { mkdtempSync, rmSync } from 'node:fs'
import { open, readFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { setFault, type Fault } from '../fixtures/fault-driver'
import { mountExisting, mountMeridian } from '../fixtures/mount'

const faultModule = join(__dirname, '..', 'fixtures', 'fault-driver.js')

/** writeSynced writes a file and fsyncs it; it resolves with the errno code that failed, or 'ok' */
async function writeSynced(file: string, data: Buffer): Promise<string> {
  try {
    const handle = await open(file, 'w')
    try {
      await handle.writeFile(data)
      await handle.sync()
    } finally {
      await handle.close()
    }
    return 'ok'
  } catch (err) {
    return (err as NodeJS.ErrnoException).code ?? String(err)
  }
}

t.test('one fault pool through a mount: ENOSPC, EROFS, and EIO rather than corrupt bytes', async t => {
  const dir = mkdtempSync(join(tmpdir(), 'meridian-fault-pool-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  const control = join(dir, 'control.json')
  const pool = { driver: 'fault', module: faultModule, path: join(dir, 'pool'), control }
  const m = await mountMeridian(t, { blockSize: 64 * 1024, pools: { only: pool } })
  const committed = randomBytes(200_000)
  t.equal(await writeSynced(join(m.dir, 'committed'), committed), 'ok', 'a file written and fsynced while the pool is healthy')

  const expected: Array<[Fault, string]> = [['full', 'ENOSPC'], ['readonly', 'EROFS']]
  for (const [fault, code] of expected) {
    setFault(control, fault)
    t.equal(await writeSynced(join(m.dir, `during-${fault}`), randomBytes(100_000)), code, `pool ${fault}: write+fsync fails with ${code}`)
    setFault(control, 'none')
  }
  // a second session of the filesystem: its read cache is cold, so the read below reaches the pool
  const cold = await mountExisting(t, m.store, 'meridian')
  setFault(control, 'corrupt')
  const corrupt = await readFile(join(cold.dir, 'committed')).then(() => 'read', (err: NodeJS.ErrnoException) => err.code)
  t.equal(corrupt, 'EIO', 'a read of a corrupt blob fails with EIO')
  setFault(control, 'none')
  t.ok((await readFile(join(cold.dir, 'committed'))).equals(committed), 'the committed file reads back once the pool is healthy')
})
