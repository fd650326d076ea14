// The POSIX conformance suite through a real FUSE mount whose root group and two further
// groups are etcd clusters, every new directory made in the next group in turn: a case's
// renames, links and unlinks between directories are cross-group transactions on etcd.
import { chmod } from 'node:fs/promises'
import t from 'tap'
import { startEtcd } from '../fixtures/etcd-cluster'
import { mountMeridian, testBinding, type MeridianMount } from '../fixtures/mount'
import { posixSuite } from '../fixtures/posix-suite'

const url = (endpoints: string[]) => `etcd://${endpoints.map(e => e.replace(/^http:\/\//, '')).join(',')}`

let m: MeridianMount
t.before(async () => {
  const [root, eu, us] = await Promise.all([1, 2, 3].map(() => startEtcd(t, { members: 1 })))
  m = await mountMeridian(t, {
    meta: url(root.endpoints),
    groups: [{ name: 'eu', url: url(eu.endpoints) }, { name: 'us', url: url(us.endpoints) }],
    spreadDirectories: true,
    mount: { ...(testBinding() === 'fuse-native' ? { attrTimeout: 0 } : {}), allowOther: true },
  })
  await chmod(m.root, 0o755) // searchable by the other user some cases act as
})
posixSuite(t, () => m.dir)
