// The lab's links (lib/lab/links.ts) over an echo server: which link a connection travels on,
// how bytes and legs (round trips) are counted, what a cut does; and the lab commands' bad input.
import t, { type Test } from 'tap'
import net from 'node:net'
import { Links, type ListenerSpec } from '../lib/lab/links'
import { labUp } from '../lib/cli/lab-up'
import { labExec } from '../lib/cli/lab-exec'
import { background } from '../lib/cli/mount'
import { ConfigError } from '../lib/errors'

async function echoServer(t: Test): Promise<number> {
  const sockets = new Set<net.Socket>()
  const server = net.createServer(s => { sockets.add(s); s.on('close', () => sockets.delete(s)); s.pipe(s) })
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve))
  t.teardown(() => new Promise<void>(resolve => { for (const s of sockets) s.destroy(); server.close(() => resolve()) }))
  return (server.address() as net.AddressInfo).port
}

/** exchange sends each message and waits for its echo before the next: one round trip each */
async function exchange(port: number, messages: string[]): Promise<string[]> {
  const socket = net.connect(port, '127.0.0.1')
  await new Promise((resolve, reject) => socket.once('connect', resolve).once('error', reject))
  const got: string[] = []
  for (const m of messages) {
    socket.write(m)
    got.push(await new Promise<string>((resolve, reject) => socket.once('data', d => resolve(String(d))).once('close', () => reject(new Error('cut')))))
  }
  socket.destroy()
  return got
}

async function startLinks(t: Test, listeners: Omit<ListenerSpec, 'port' | 'host'>[]): Promise<{ links: Links; ports: number[] }> {
  const ports: number[] = []
  for (let i = 0; i < listeners.length; i++) {
    const s = net.createServer()
    await new Promise<void>(resolve => s.listen(0, '127.0.0.1', resolve))
    ports.push((s.address() as net.AddressInfo).port)
    await new Promise<void>(resolve => s.close(() => resolve()))
  }
  const links = await Links.start({
    rttMs: 10, jitterMs: 2, addresses: { '127.0.0.1': 'eu' },
    listeners: listeners.map((l, i) => ({ ...l, host: '127.0.0.1', port: ports[i] })),
  })
  t.teardown(() => links.close())
  return { links, ports }
}

t.test('a request answered is two legs, one round trip, on the link of its two sites', async t => {
  const echo = await echoServer(t)
  const { links, ports } = await startLinks(t, [{ targetHost: '127.0.0.1', targetPort: echo, to: 'us', from: 'eu' }])
  t.same(await exchange(ports[0], ['a', 'b', 'c']), ['a', 'b', 'c'])
  const [eu] = links.counters()
  t.equal(eu.link, 'eu-us')
  t.same(eu.bytes, { 'eu->us': 3, 'us->eu': 3 })
  t.equal(eu.legs, 6)
  t.equal(eu.roundTrips, 3)
  t.equal(eu.connections, 1)
})

t.test('a raft connection is known by its sender: by member id, or by its advertised peer URL', async t => {
  const echo = await echoServer(t)
  const { links, ports } = await startLinks(t, [{ targetHost: '127.0.0.1', targetPort: echo, to: 'asia' }])
  links.setMembers({ abc123: 'us' })
  await exchange(ports[0], ['GET /raft/stream HTTP/1.1\r\nX-Server-From: abc123\r\n\r\n'])
  await exchange(ports[0], ['GET /raft/stream HTTP/1.1\r\nX-PeerURLs: http://127.0.0.1:2380\r\n\r\n'])
  await exchange(ports[0], ['GET /version HTTP/1.1\r\n\r\n'])
  t.same(links.counters().map(l => [l.link, l.roundTrips]), [['?-asia', 1], ['asia-eu', 1], ['asia-us', 1]])
})

t.test('a cut drops open connections of the site, refuses new ones, and heal ends it', async t => {
  const echo = await echoServer(t)
  const { links, ports } = await startLinks(t, [
    { targetHost: '127.0.0.1', targetPort: echo, to: 'us', from: 'eu' },
    { targetHost: '127.0.0.1', targetPort: echo, to: 'us', from: 'asia' },
  ])
  const open = net.connect(ports[0], '127.0.0.1')
  open.on('error', () => {})
  await new Promise(resolve => open.once('connect', resolve))
  open.write('x')
  await new Promise(resolve => open.once('data', resolve))
  const closed = new Promise(resolve => open.once('close', resolve))
  links.cut('eu')
  await closed
  await t.rejects(exchange(ports[0], ['y']), 'eu cannot reach us')
  t.same(await exchange(ports[1], ['z']), ['z'], 'asia still reaches us')
  t.same(links.counters().map(l => [l.link, l.cut]), [['asia-us', false], ['eu-us', true]])
  links.heal()
  t.same(await exchange(ports[0], ['w']), ['w'])
})

t.test('bad input to the lab commands and to mount --group-url: one error naming the field, nothing started', async t => {
  const cases: Array<[string, () => Promise<unknown>, string]> = [
    ['no sites', () => labUp({ sites: ',', rtt: '10', dir: '/nonexistent/lab' }), 'sites'],
    ['a site twice', () => labUp({ sites: 'eu,eu', rtt: '10', dir: '/nonexistent/lab' }), 'sites'],
    ['a bad site name', () => labUp({ sites: 'EU', rtt: '10', dir: '/nonexistent/lab' }), 'sites'],
    ['root as a site', () => labUp({ sites: 'root', rtt: '10', dir: '/nonexistent/lab' }), 'sites'],
    ['a bad rtt', () => labUp({ sites: 'eu', rtt: '1.5', dir: '/nonexistent/lab' }), 'rtt'],
    ['jitter above the rtt', () => labUp({ sites: 'eu', rtt: '10', jitter: '20', dir: '/nonexistent/lab' }), 'jitter'],
    ['exec without a lab', () => labExec('eu', ['ls'], { dir: '/nonexistent/lab' }), 'dir'],
    ['a mount\'s group URL that is not group=url', () => background('/nonexistent/mnt', { groupUrl: ['us:etcd://h:1'] }), 'group-url'],
    ['a mount\'s group URL without a scheme', () => background('/nonexistent/mnt', { groupUrl: ['us=h:1'] }), 'group-url'],
  ]
  for (const [what, run, field] of cases) {
    const err = await run().then(() => undefined, (e: unknown) => e)
    t.ok(err instanceof ConfigError && err.field === field, `${what}: a ConfigError naming ${field}`)
  }
})
