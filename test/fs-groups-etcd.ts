import t from 'tap'
import { startEtcd } from '../fixtures/etcd-cluster'
import { groupsSuite } from '../fixtures/groups-suite'
import { etcdSingle } from '../fixtures/meta-engines'

// the root group and each further group an etcd cluster of its own
groupsSuite(t, etcdSingle, async t => {
  const url = async () => `etcd://${(await startEtcd(t, { members: 1 })).endpoints.map(e => e.replace(/^http:\/\//, '')).join(',')}`
  return [await url(), await url()]
})
