// systemd readiness (sd_notify): a datagram socket that python3 listens on stands in for
// systemd's $NOTIFY_SOCKET. sdNotify reaches a path socket and an abstract one ('@...'); a
// real foreground `meridian mount` sends READY=1 once its mount answers and STOPPING=1 when
// it begins to unmount.
import t from 'tap'
import { spawn } from 'node:child_process'
import { mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import { isMounted } from '../lib/fuse/mounts'
import { sdNotify } from '../lib/fuse/lowlevel/sd-notify'
import { startCli } from '../fixtures/cli-process'
import { alive } from '../fixtures/file-checks'

const home = mkdtempSync(join(tmpdir(), 'meridian-sd-notify-'))
t.teardown(() => rmSync(home, { recursive: true, force: true }))

// binds the address given ('@name': abstract), says so, then prints every datagram as a JSON line
const LISTENER = `
import json, socket, sys
addr = sys.argv[1]
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind('\\0' + addr[1:] if addr.startswith('@') else addr)
print('listening', flush=True)
while True:
    print(json.dumps(s.recv(4096).decode()), flush=True)
`

/** listen starts the listener on addr; next() is the next datagram it received */
async function listen(t: tap.Test, addr: string): Promise<{ next(): Promise<string> }> {
  const child = spawn('python3', ['-c', LISTENER, addr], { stdio: ['ignore', 'pipe', 'inherit'] })
  t.teardown(() => { if (alive(child.pid!)) child.kill('SIGKILL') })
  const lines = createInterface({ input: child.stdout })[Symbol.asyncIterator]()
  const first = await lines.next()
  if (first.value !== 'listening') throw new Error(`the python3 listener did not start: ${String(first.value)}`)
  return {
    async next() {
      const line = await lines.next()
      if (line.done) throw new Error('the listener ended')
      return JSON.parse(line.value as string) as string
    },
  }
}

t.test('sdNotify sends to a path socket and to an abstract one; without NOTIFY_SOCKET it does nothing', async t => {
  const path = join(home, 'notify.sock')
  const byPath = await listen(t, path)
  t.equal(sdNotify('READY=1', { NOTIFY_SOCKET: path }), true, 'sent to a path')
  t.equal(await byPath.next(), 'READY=1')
  const abstract = `@meridian-sd-notify-${process.pid}`
  const byName = await listen(t, abstract)
  t.equal(sdNotify('STATUS=hello\nREADY=1', { NOTIFY_SOCKET: abstract }), true, 'sent to an abstract socket')
  t.equal(await byName.next(), 'STATUS=hello\nREADY=1', 'the whole message, lines and all')
  t.equal(sdNotify('READY=1', {}), false, 'no NOTIFY_SOCKET: not under systemd, nothing sent')
  t.throws(() => sdNotify('READY=1', { NOTIFY_SOCKET: join(home, 'nobody.sock') }), { code: 'ENOENT' }, 'a socket that is not there: its errno')
})

t.test('a foreground mount notifies READY=1 once it answers, and STOPPING=1 as it unmounts', async t => {
  const socket = join(home, 'mount.sock')
  const systemd = await listen(t, socket)
  const mnt = join(home, 'mnt')
  mkdirSync(mnt)
  const env = { ...process.env, MERIDIAN_HOME: home, NOTIFY_SOCKET: socket }
  const mount = await startCli(t, ['mount', mnt], env, /mounted at/)
  const ready = await systemd.next()
  t.match(ready, /^READY=1\nSTATUS=serving 'meridian' at /, `READY=1 with a status line: ${JSON.stringify(ready)}`)
  t.ok(isMounted(mnt), 'the mount is up when systemd is told')
  t.same(readdirSync(mnt), [], 'and it answers')
  const stopped = mount.stop()
  t.equal(await systemd.next(), 'STOPPING=1', 'SIGTERM: STOPPING=1 as it begins to unmount')
  await stopped
  t.notOk(alive(mount.pid), 'the mount process exited')
  t.notOk(isMounted(mnt), 'and the mount is gone')
})
