// The POSIX conformance suite against a plain local directory: the reference it must pass.
import t from 'tap'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { posixSuite } from '../fixtures/posix-suite'

const root = mkdtempSync(join(tmpdir(), 'meridian-posix-'))
t.teardown(() => rmSync(root, { recursive: true, force: true }))
posixSuite(t, () => root)
