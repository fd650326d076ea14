// The POSIX conformance suite through a real FUSE mount with a root group and two further
// groups, every new directory made in the next group in turn (lib/fs's spreadDirectories): a
// case's directories live in different groups, so its renames, links and unlinks between
// directories are cross-group transactions. They must behave exactly as on a local disk.
import { chmod } from 'node:fs/promises'
import t from 'tap'
import { mountMeridian, type MeridianMount } from '../fixtures/mount'
import { posixSuite } from '../fixtures/posix-suite'

let m: MeridianMount
t.before(async () => {
  m = await mountMeridian(t, { mount: { attrTimeout: 0, allowOther: true }, groups: ['eu', 'us'], spreadDirectories: true })
  await chmod(m.root, 0o755) // searchable by the other user some cases act as
})
posixSuite(t, () => m.dir)
