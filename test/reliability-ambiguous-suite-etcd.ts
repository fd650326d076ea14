// lib/fs's whole suite with every metadata commit ambiguous (see reliability-ambiguous-suite.ts),
// on etcd: the failpoint throws a time-out after each write transaction applied, so the retry
// policy of lib/meta/etcd.ts sends the very request again. Three clusters of one member, every
// new directory in the next one: rename, link and unlink between directories cross groups.
import t from 'tap'
import { startEtcd } from '../fixtures/etcd-cluster'
import { fsSuite } from '../fixtures/fs-suite'
import { etcdSingle } from '../fixtures/meta-engines'
import { FAILPOINTS } from '../lib/txn/failpoints'

process.env.MERIDIAN_FAILPOINTS = `${FAILPOINTS.replyLost}=on`
fsSuite(t, etcdSingle, async t => {
  const url = async () => `etcd://${(await startEtcd(t, { members: 1 })).endpoints.map(e => e.replace(/^http:\/\//, '')).join(',')}`
  return [await url(), await url()]
})
