// lib/fs's whole suite with every metadata commit ambiguous: the failpoint applies each write
// transaction, drops its reply and sends the request again (docs/reliability.md). Over three
// embedded groups, every new directory in the next one, so rename, link and unlink between
// directories are cross-group transactions. Every operation must behave as without it.
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import t from 'tap'
import { fsSuite } from '../fixtures/fs-suite'
import { embedded } from '../fixtures/meta-engines'
import { FAILPOINTS } from '../lib/txn/failpoints'

process.env.MERIDIAN_FAILPOINTS = `${FAILPOINTS.replyLost}=on`
fsSuite(t, embedded, async t => {
  const dir = mkdtempSync(join(tmpdir(), 'meridian-ambiguous-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  return [`sqlite://${join(dir, 'g1.db')}`, `sqlite://${join(dir, 'g2.db')}`]
})
