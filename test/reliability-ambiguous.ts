// Ambiguous commits on the embedded engine, one kind of operation at a time (fixtures/ambiguous-cases.ts).
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import t from 'tap'
import { ambiguousCases } from '../fixtures/ambiguous-cases'
import { embedded } from '../fixtures/meta-engines'

ambiguousCases(t, embedded, async t => {
  const dir = mkdtempSync(join(tmpdir(), 'meridian-ambiguous-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  return [`sqlite://${join(dir, 'g1.db')}`, `sqlite://${join(dir, 'g2.db')}`]
})
