// Ambiguous commits on etcd, one kind of operation at a time (fixtures/ambiguous-cases.ts): the
// retry policy of lib/meta/etcd.ts sends each write transaction again after its reply is dropped.
import t from 'tap'
import { ambiguousCases } from '../fixtures/ambiguous-cases'
import { startEtcd } from '../fixtures/etcd-cluster'
import { etcdSingle } from '../fixtures/meta-engines'

ambiguousCases(t, etcdSingle, async t => {
  const url = async () => `etcd://${(await startEtcd(t, { members: 1 })).endpoints.map(e => e.replace(/^http:\/\//, '')).join(',')}`
  return [await url(), await url()]
})
