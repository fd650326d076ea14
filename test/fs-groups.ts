import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import t from 'tap'
import { groupsSuite } from '../fixtures/groups-suite'
import { embedded } from '../fixtures/meta-engines'

// every further group an embedded store of its own
groupsSuite(t, embedded, async t => {
  const dir = mkdtempSync(join(tmpdir(), 'meridian-groups-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  return [`sqlite://${join(dir, 'eu.db')}`, `sqlite://${join(dir, 'us.db')}`]
})
