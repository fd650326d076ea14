// The crash matrix (fixtures/crash-matrix.ts, `npm run crash`) with a small N in each mode:
// kill -9 of the mount, of an etcd member, and of the replicator under the mixed workload; after
// each, every file whose fsync and close returned reads back byte for byte and fsck is clean (in
// replicator mode, once a pass has taken over the dead replicators' work: fsck --verify, every
// block with good copies on all its targets).
import { execFile } from 'node:child_process'
import { join } from 'node:path'
import { promisify } from 'node:util'
import t from 'tap'

const run = promisify(execFile)
const script = join(__dirname, '..', 'fixtures', 'crash-matrix.js')

for (const mode of ['mount', 'etcd', 'replicator']) {
  t.test(`crash matrix, ${mode} mode, 2 runs`, { timeout: 240_000 }, async t => {
    // the tool stops everything it started, also when a run fails
    const r = await run(process.execPath, [script, '--runs', '2', '--mode', mode], { timeout: 230_000 }).catch((err: { stdout?: string; stderr?: string }) => ({ stdout: err.stdout ?? '', stderr: err.stderr ?? String(err) }))
    t.match(r.stdout, /crash matrix: 2 runs \(\w+\) passed/, `${r.stdout}${r.stderr}`)
  })
}
