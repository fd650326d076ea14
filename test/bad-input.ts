// The bad-input table (fixtures/bad-input-cases.ts) through bin/meridian.ts's program, in this
// process (a node start per row would take minutes on a loaded machine): each row exits
// non-zero with one line on stderr naming what was wrong, prints nothing on stdout, and changes
// neither the metadata (every key and value of the embedded store) nor the files under the home.
// Then the command tree is walked: a command, option or argument without a row fails, by name.
import t from 'tap'
import { CommanderError, type Command } from 'commander'
import Database from 'better-sqlite3'
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join, relative } from 'node:path'
import { program } from '../bin/meridian'
import { failure } from '../lib/cli/run'
import { BAD_INPUT, FILES, type BadInput } from '../fixtures/bad-input-cases'

const home = mkdtempSync(join(tmpdir(), 'meridian-bad-input-'))
const files = join(home, 'files')
t.teardown(() => rmSync(home, { recursive: true, force: true }))
const previousHome = process.env.MERIDIAN_HOME
process.env.MERIDIAN_HOME = home
t.teardown(() => { process.env.MERIDIAN_HOME = previousHome })

/** every command of the tree with its path as typed ('pool add') */
function commands(root: Command, prefix = ''): Array<{ path: string; cmd: Command }> {
  return root.commands.flatMap(c => {
    const path = `${prefix}${c.name()}`
    return [{ path, cmd: c }, ...commands(c, `${path} `)]
  })
}

let out = ''
let err = ''
for (const cmd of [program, ...commands(program).map(c => c.cmd)]) {
  cmd.exitOverride()
  cmd.configureOutput({ writeOut: s => { out += s }, writeErr: s => { err += s } })
}

/** invoke runs `meridian ...args` in this process; what it printed, and its exit code */
async function invoke(args: string[]): Promise<{ out: string; err: string; code: number }> {
  out = ''
  err = ''
  const writes = { out: process.stdout.write, err: process.stderr.write }
  process.stdout.write = ((s: string) => { out += s; return true }) as typeof process.stdout.write
  process.stderr.write = ((s: string) => { err += s; return true }) as typeof process.stderr.write
  let code = 0
  try {
    await program.parseAsync(['node', 'meridian', ...args])
    code = Number(process.exitCode ?? 0)
  } catch (e) {
    if (e instanceof CommanderError) code = e.exitCode
    else {
      const f = failure(e)
      err += f.line
      code = f.exitCode
    }
  } finally {
    process.stdout.write = writes.out
    process.stderr.write = writes.err
    process.exitCode = undefined
  }
  return { out, err, code }
}

/** snapshot is every key and value of the store and every file under the home (logs and the store's own files aside) */
function snapshot(): string[] {
  const db = new Database(join(home, 'meta.db'), { readonly: true, fileMustExist: true })
  try {
    const kvs = (db.prepare('SELECT key, value FROM kv ORDER BY key').all() as Array<{ key: Buffer; value: Buffer }>)
      .map(r => `kv ${r.key.toString('hex')}=${r.value.toString('hex')}`)
    return [...kvs, ...tree(home)]
  } finally {
    db.close()
  }
}

function tree(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap(e => {
    const full = join(dir, e.name)
    if (/^meta\.db|\.log$/.test(e.name)) return []
    return e.isDirectory() ? [`dir ${relative(home, full)}`, ...tree(full)] : [`file ${relative(home, full)}`]
  })
}

let http = ''
t.before(async () => {
  mkdirSync(files)
  for (const [name, text] of Object.entries(FILES)) writeFileSync(join(files, name), text)
  const server = createServer((_req, res) => res.end('not etcd\n'))
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve))
  t.teardown(() => new Promise(resolve => server.close(resolve)))
  http = `127.0.0.1:${(server.address() as AddressInfo).port}`
  for (const args of [['format'], ['pool', 'add', 'spare', '--driver', 'local', '--site', 'default', '--path', join(home, 'spare')]]) {
    const r = await invoke(args)
    if (r.code !== 0) throw new Error(`setting up: meridian ${args.join(' ')}: ${r.err}`)
  }
})

/** pathOf is an absolute path of bytes bytes: names of 200 and a shorter last one */
const pathOf = (bytes: number) => '/p'.padEnd(201, 'p').repeat(20) + '/' + 'q'.repeat(bytes - 20 * 201 - 1)

function fill(arg: string): string {
  return arg
    .replaceAll('$HOME', home).replaceAll('$F', files).replaceAll('$HTTP', http)
    .replaceAll('$NAME256', 'n'.repeat(256))
    .replaceAll('$PATH4095', pathOf(4095)).replaceAll('$PATH4097', pathOf(4097))
}

const describe = (row: BadInput) => `meridian ${[row.command, ...row.args].filter(Boolean).join(' ')}`.replace(/\n/g, '\\n').slice(0, 140)

t.test('every row: one line naming what was wrong, a non-zero exit, nothing changed', async t => {
  let before = snapshot()
  for (const row of BAD_INPUT) {
    const r = await invoke([...(row.command ? row.command.split(' ') : []), ...row.args.map(fill)])
    const what = describe(row)
    const lines = r.err.replace(/\n$/, '').split('\n')
    // a group without its subcommand prints its usage: the rows give the group an unknown one instead
    const ok = r.code !== 0 && lines.length === 1 && row.error.test(lines[0]) && r.out === ''
    t.ok(ok, what, ok ? {} : { code: r.code, stderr: r.err, stdout: r.out, wanted: String(row.error) })
    const after = snapshot()
    const changed = after.filter(l => !before.includes(l)).concat(before.filter(l => !after.includes(l)).map(l => `- ${l}`))
    if (changed.length > 0) t.fail(`${what} changed nothing`, { changed })
    before = after
  }
})

/** missingRows names every command, option and argument of the tree that no row of rows exercises */
function missingRows(rows: BadInput[]): string[] {
  const missing: string[] = []
  for (const { path, cmd } of commands(program)) {
    if (cmd.commands.length > 0) continue // a group: its commands are checked
    const mine = rows.filter(r => r.command === path)
    if (mine.length === 0) {
      missing.push(`command '${path}' has no rows in fixtures/bad-input-cases.ts`)
      continue
    }
    const named = new Set(mine.flatMap(r => (r.covers ? [...r.args, r.covers] : r.args)))
    for (const opt of cmd.options) {
      if (![opt.long, opt.short].some(flag => flag !== undefined && named.has(flag))) missing.push(`option ${opt.long} of '${path}' has no row in fixtures/bad-input-cases.ts`)
    }
    for (const arg of cmd.registeredArguments) {
      const covered = mine.some(r => r.covers === `<${arg.name()}>` || r.covers === `[${arg.name()}]` || r.error.source.includes(`'${arg.name()}'`))
      if (!covered) missing.push(`argument <${arg.name()}> of '${path}' has no row in fixtures/bad-input-cases.ts (a row with covers: '<${arg.name()}>')`)
    }
  }
  return missing
}

t.test('every command, option and argument has rows', async t => {
  t.same(missingRows(BAD_INPUT), [], `the ${BAD_INPUT.length} rows cover all ${commands(program).length} commands and groups`)
  // the check itself: a table without gc's rows, or without --grace, is told so by name
  t.same(missingRows(BAD_INPUT.filter(r => r.command !== 'gc')), ["command 'gc' has no rows in fixtures/bad-input-cases.ts"])
  t.same(missingRows(BAD_INPUT.filter(r => !(r.command === 'gc' && r.args.includes('--grace')))), [
    "option --dry-run of 'gc' has no row in fixtures/bad-input-cases.ts",
    "option --grace of 'gc' has no row in fixtures/bad-input-cases.ts",
  ])
})
