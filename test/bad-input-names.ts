// Hostile names, paths, xattrs and offsets (fixtures/hostile-cases.ts) on a local directory, the
// reference, and through a real Meridian mount: each must fail with the same errno, or succeed.
import t from 'tap'
import { chmod, mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { hostileCases } from '../fixtures/hostile-cases'
import { mountMeridian, type MeridianMount } from '../fixtures/mount'
import { posixSuite } from '../fixtures/posix-suite'

let local = ''
let m: MeridianMount
t.before(async () => {
  local = await mkdtemp(join(tmpdir(), 'meridian-hostile-'))
  t.teardown(() => rm(local, { recursive: true, force: true }))
  m = await mountMeridian(t)
  await chmod(m.root, 0o755)
})
posixSuite(t, () => local, hostileCases, 'hostile input on the local reference')
posixSuite(t, () => m.dir, hostileCases, 'hostile input through a Meridian mount')
