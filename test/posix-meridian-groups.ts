// The POSIX conformance suite through a real FUSE mount whose root group has two further
// groups, with every case inside the partition /eu: what a user does inside a partition
// behaves as anywhere else (--attr-timeout 0, as test/posix-meridian.ts says why).
import { join } from 'node:path'
import { chmod } from 'node:fs/promises'
import t from 'tap'
import { mountMeridian, type MeridianMount } from '../fixtures/mount'
import { posixSuite } from '../fixtures/posix-suite'

let m: MeridianMount
t.before(async () => {
  m = await mountMeridian(t, { mount: { attrTimeout: 0, allowOther: true }, groups: ['eu', 'us'] })
  await chmod(m.root, 0o755) // searchable by the other user some cases act as
})
posixSuite(t, () => join(m.dir, 'eu'))
