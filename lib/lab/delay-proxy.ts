// A user-space TCP proxy that holds every chunk for a while before passing it on, in both
// directions: a slow WAN link on loopback (the kernel here has no netem). Order is kept per
// direction, so a link whose delay shrinks never lets a later chunk overtake an earlier one.
// A rule may also answer 'cut': the connection is then dropped (a partition, for the lab).
import net from 'node:net'

/**
 * A DelayRule picks the delay, in ms, for one chunk of one connection, from the first bytes
 * the client sent (up to HEAD_BYTES, e.g. an HTTP request line and headers). It is asked
 * again for every chunk, so a new rule also slows connections that are already open.
 */
export type DelayRule = (head: Buffer) => number | 'cut'

/** a ChunkObserver sees every chunk as it arrives: its connection's head, its direction, its size */
export type ChunkObserver = (head: Buffer, toTarget: boolean, bytes: number) => void

export interface DelayProxyOptions {
  /** where connections go, on targetHost */
  targetPort: number
  /** default 127.0.0.1 */
  targetHost?: string
  /** the port to listen on, on host; default a free one */
  port?: number
  /** the address to listen on; default 127.0.0.1 */
  host?: string
  /** the delay of every chunk until setRule or setDelay; default 0 */
  delayMs?: number
}

const HEAD_BYTES = 4096

export class DelayProxy {
  readonly targetPort: number
  readonly targetHost: string
  private rule: DelayRule
  private observe: ChunkObserver = () => {}
  private readonly heads = new Map<net.Socket, () => Buffer>()
  private readonly sockets = new Set<net.Socket>()
  private closed?: Promise<void>

  private constructor(private readonly server: net.Server, opts: DelayProxyOptions) {
    this.targetPort = opts.targetPort
    this.targetHost = opts.targetHost ?? '127.0.0.1'
    const delayMs = opts.delayMs ?? 0
    this.rule = () => delayMs
    server.on('connection', client => this.relay(client))
  }

  static async start(opts: DelayProxyOptions): Promise<DelayProxy> {
    const server = net.createServer({ allowHalfOpen: true })
    const proxy = new DelayProxy(server, opts)
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject).listen(opts.port ?? 0, opts.host ?? '127.0.0.1', () => {
        server.off('error', reject)
        resolve()
      })
    })
    return proxy
  }

  get port(): number {
    return (this.server.address() as net.AddressInfo).port
  }

  /** setDelay delays every chunk of every connection by ms from now on */
  setDelay(ms: number): void {
    this.rule = () => ms
  }

  /** setRule decides each chunk's delay from its connection's first bytes */
  setRule(rule: DelayRule): void {
    this.rule = rule
  }

  /** setObserver passes every chunk to observe from now on (e.g. to count bytes per link) */
  setObserver(observe: ChunkObserver): void {
    this.observe = observe
  }

  /** cutWhere drops every open connection whose head matches (new ones are the rule's to refuse) */
  cutWhere(matches: (head: Buffer) => boolean): void {
    for (const [client, head] of this.heads) if (matches(head())) client.destroy()
  }

  /** close stops listening and cuts every open connection; idempotent */
  close(): Promise<void> {
    this.closed ??= new Promise(resolve => {
      this.server.close(() => resolve())
      for (const s of this.sockets) s.destroy()
    })
    return this.closed
  }

  private relay(client: net.Socket): void {
    if (this.closed || this.rule(Buffer.alloc(0)) === 'cut') return void client.destroy()
    const target = net.connect({ port: this.targetPort, host: this.targetHost, allowHalfOpen: true })
    let head = Buffer.alloc(0)
    const cut = () => { client.destroy(); target.destroy() }
    for (const s of [client, target]) {
      this.sockets.add(s)
      s.setNoDelay(true)
      // A failing side cuts the whole connection; an orderly end travels on, late like data.
      s.on('error', cut)
      s.on('close', () => { this.sockets.delete(s) })
    }
    this.heads.set(client, () => head)
    client.on('close', () => this.heads.delete(client))
    client.on('data', (chunk: Buffer) => {
      if (head.length < HEAD_BYTES) head = Buffer.concat([head, chunk]).subarray(0, HEAD_BYTES)
    })
    const delay = (toTarget: boolean) => (chunk?: Buffer): number | undefined => {
      const ms = this.rule(head)
      if (ms === 'cut') return void cut()
      if (chunk) this.observe(head, toTarget, chunk.length)
      return ms
    }
    pipeLate(client, target, delay(true))
    pipeLate(target, client, delay(false))
  }
}

/** pipeLate writes what from reads to to, each chunk delay() ms late, in order; ends alike; undefined drops it */
function pipeLate(from: net.Socket, to: net.Socket, delay: (chunk?: Buffer) => number | undefined): void {
  // One queue and one timer per direction: chunks leave strictly in the order they came.
  const queue: Array<{ due: number; chunk?: Buffer }> = []
  let timer: NodeJS.Timeout | undefined
  const flush = () => {
    timer = undefined
    while (queue.length > 0 && queue[0].due <= Date.now()) {
      const { chunk } = queue.shift()!
      if (to.destroyed) return
      if (chunk) to.write(chunk)
      else to.end()
    }
    if (queue.length > 0) timer = setTimeout(flush, queue[0].due - Date.now())
  }
  const push = (chunk?: Buffer) => {
    const ms = delay(chunk)
    if (ms === undefined) return
    const due = Math.max(Date.now() + ms, queue.at(-1)?.due ?? 0)
    queue.push({ due, chunk })
    if (timer === undefined) flush()
  }
  from.on('data', (chunk: Buffer) => push(chunk))
  from.on('end', () => push())
  to.on('close', () => { if (timer) clearTimeout(timer) })
}
