// The POSIX conformance suite through a real FUSE mount of Meridian (embedded metadata), through
// the binding of this test process (testBinding: low-level by default;
// posix-meridian-fuse-native.ts runs it through fuse-native). The low-level binding runs at the
// default attribute timeout: every name of a hard link is one kernel inode. fuse-native's mount
// trusts no cached attributes (--attr-timeout 0): path-based libfuse gives each hard link its
// own kernel inode, so with a 1 s attribute cache the other names of a file show a stale link
// count for up to a second (docs/fuse.md). Other users may enter (--allow-other): some cases
// act as another user.
import { chmod } from 'node:fs/promises'
import t from 'tap'
import { mountMeridian, testBinding, type MeridianMount } from '../fixtures/mount'
import { posixSuite } from '../fixtures/posix-suite'

let m: MeridianMount
t.before(async () => {
  m = await mountMeridian(t, { mount: { ...(testBinding() === 'fuse-native' ? { attrTimeout: 0 } : {}), allowOther: true } })
  await chmod(m.root, 0o755)
})
posixSuite(t, () => m.dir)
