// lib/fs's suite over three embedded groups, every new directory in the next group in turn:
// operations between directories are cross-group transactions, and must behave as in one.
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import t from 'tap'
import { fsSuite } from '../fixtures/fs-suite'
import { embedded } from '../fixtures/meta-engines'

fsSuite(t, embedded, async t => {
  const dir = mkdtempSync(join(tmpdir(), 'meridian-spread-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  return [`sqlite://${join(dir, 'g1.db')}`, `sqlite://${join(dir, 'g2.db')}`]
})
