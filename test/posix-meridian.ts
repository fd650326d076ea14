// The POSIX conformance suite through a real FUSE mount of Meridian (embedded metadata).
// The mount trusts no cached attributes (--attr-timeout 0): path-based libfuse gives each
// hard link its own kernel inode, so with a 1 s attribute cache the other names of a file show
// a stale link count for up to a second (docs/fuse.md). Everything else passes either way.
// Other users may enter (--allow-other): some cases act as another user.
import { chmod } from 'node:fs/promises'
import t from 'tap'
import { mountMeridian, type MeridianMount } from '../fixtures/mount'
import { posixSuite } from '../fixtures/posix-suite'

let m: MeridianMount
t.before(async () => {
  m = await mountMeridian(t, { mount: { attrTimeout: 0, allowOther: true } })
  await chmod(m.root, 0o755)
})
posixSuite(t, () => m.dir)
