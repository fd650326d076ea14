// lib/fs's suite over three etcd clusters, every new directory in the next one in turn: the
// cross-group transactions of fs-spread.ts on real etcd.
import t from 'tap'
import { startEtcd } from '../fixtures/etcd-cluster'
import { fsSuite } from '../fixtures/fs-suite'
import { etcdSingle } from '../fixtures/meta-engines'

fsSuite(t, etcdSingle, async t => {
  const url = async () => `etcd://${(await startEtcd(t, { members: 1 })).endpoints.map(e => e.replace(/^http:\/\//, '')).join(',')}`
  return [await url(), await url()]
})
