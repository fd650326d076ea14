import t, { type Test } from 'tap'
import net from 'node:net'
import { randomBytes } from 'node:crypto'
import { DelayProxy } from '../lib/lab/delay-proxy'

/** an echo server on a free loopback port, closed at teardown */
async function echoServer(t: Test): Promise<number> {
  const sockets = new Set<net.Socket>()
  const server = net.createServer({ allowHalfOpen: true }, s => {
    sockets.add(s)
    s.on('close', () => sockets.delete(s))
    s.pipe(s)
  })
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve))
  t.teardown(() => new Promise<void>(resolve => {
    for (const s of sockets) s.destroy()
    server.close(() => resolve())
  }))
  return (server.address() as net.AddressInfo).port
}

async function startProxy(t: Test, targetPort: number, delayMs = 0): Promise<DelayProxy> {
  const proxy = await DelayProxy.start({ targetPort, delayMs })
  t.teardown(() => proxy.close())
  return proxy
}

/** roundTrip sends data in pieces (calling between() halfway), half-closes, and collects the echo */
function roundTrip(port: number, pieces: Buffer[], between = () => {}): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ port, host: '127.0.0.1', allowHalfOpen: true })
    const got: Buffer[] = []
    socket.on('data', c => got.push(c))
    socket.on('end', () => { socket.end(); resolve(Buffer.concat(got)) })
    socket.on('error', reject)
    socket.on('connect', () => {
      const half = pieces.length >> 1
      for (const p of pieces.slice(0, half)) socket.write(p)
      setTimeout(() => {
        between()
        for (const p of pieces.slice(half)) socket.write(p)
        socket.end()
      }, 5)
    })
  })
}

t.test('bytes pass intact and in order, both ways, also when the delay changes midway', async t => {
  const proxy = await startProxy(t, await echoServer(t), 20)
  const pieces = Array.from({ length: 200 }, (_, i) => randomBytes(1 + (i * 37) % 3000))
  // the second half goes undelayed while the first is still held: it must not overtake it
  const echo = await roundTrip(proxy.port, pieces, () => proxy.setDelay(0))
  t.equal(echo.length, Buffer.concat(pieces).length)
  t.ok(echo.equals(Buffer.concat(pieces)), 'the echo is the data, in order')
})

t.test('a delayed connection answers after an undelayed one that asked later', async t => {
  const proxy = await startProxy(t, await echoServer(t))
  proxy.setRule(head => head.toString().startsWith('slow') ? 300 : 0)
  const order: string[] = []
  const slow = roundTrip(proxy.port, [Buffer.from('slow hello')]).then(b => { order.push(b.toString()) })
  await new Promise(resolve => setTimeout(resolve, 20))
  const fast = roundTrip(proxy.port, [Buffer.from('fast hello')]).then(b => { order.push(b.toString()) })
  await Promise.all([slow, fast])
  t.same(order, ['fast hello', 'slow hello'])
})

t.test('close cuts open connections, refuses new ones, and is idempotent', async t => {
  const proxy = await startProxy(t, await echoServer(t))
  const port = proxy.port
  const socket = net.connect(port, '127.0.0.1')
  await new Promise(resolve => socket.once('connect', resolve))
  const closed = new Promise(resolve => socket.once('close', resolve))
  socket.on('error', () => {})
  await proxy.close()
  await proxy.close()
  await closed
  const refused = net.connect(port, '127.0.0.1')
  const err = await new Promise<NodeJS.ErrnoException>(resolve => refused.once('error', resolve))
  t.equal(err.code, 'ECONNREFUSED')
})
