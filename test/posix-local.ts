// The POSIX conformance suite against a plain local directory: the reference it must pass.
import t from 'tap'
import { chmodSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { posixSuite } from '../fixtures/posix-suite'

const root = mkdtempSync(join(tmpdir(), 'meridian-posix-'))
t.teardown(() => rmSync(root, { recursive: true, force: true }))
// searchable by the other user some cases act as
chmodSync(root, 0o755)
posixSuite(t, () => root)
