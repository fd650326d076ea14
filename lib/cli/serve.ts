// meridian serve --listen ADDR: the web status page of one filesystem (groups, pools, sessions,
// replication backlog, the slow operations that mounts logged), refreshing itself, with
// /status.json behind it and this process's /metrics. Serves until SIGINT/SIGTERM.
import { join } from 'node:path'
import { Command } from 'commander'
import { ConfigError } from '../errors'
import { exists } from '../fs/format'
import { log } from '../log'
import { defaultMetaUrl, openStore } from '../meta'
import { listen, parseListen, StatusSource, statusRoutes, type Listening } from '../web'
import { slowOpsLogged } from '../web/slow-log'
import { DEFAULT_NAME, meridianHome } from './format'

export interface ServeCliOptions {
  listen: string
  meta?: string
  name?: string
  /** mount logs to read slow operations from (default: ~/.meridian/mount.log) */
  log?: string[]
}

export interface Serving {
  listening: Listening
  /** close stops serving and closes the stores; idempotent */
  close(): Promise<void>
}

/** startServe checks the options, opens the root group (never creating one) and starts serving */
export async function startServe(opts: ServeCliOptions): Promise<Serving> {
  parseListen('listen', opts.listen)
  const meta = opts.meta ?? defaultMetaUrl()
  const name = opts.name ?? DEFAULT_NAME
  const logs = opts.log ?? [join(meridianHome(), 'mount.log')]
  // read beside the mount that owns an embedded store: serve only reads
  const root = await openStore(meta, { deadlineMs: 5_000, existing: true, readOnly: true })
  try {
    if (!(await exists(root, name))) throw new ConfigError('name', `no filesystem '${name}' in ${meta}: run meridian format first`)
    const source = new StatusSource(root, name, meta, () => slowOpsLogged(logs))
    const listening = await listen('listen', opts.listen, statusRoutes(source))
    let closing: Promise<void> | undefined
    return {
      listening,
      close: () => (closing ??= (async () => {
        await listening.close()
        await source.close()
        await root.close()
      })()),
    }
  } catch (err) {
    await root.close()
    throw err
  }
}

export function serveCommand(): Command {
  return new Command('serve')
    .description('serve the web status page (groups, pools, sessions, backlog, slow operations) and /metrics until Ctrl-C')
    .requiredOption('--listen <addr>', 'HOST:PORT, :PORT or PORT to listen on (a bare port listens on 127.0.0.1)')
    .option('--meta <url>', 'metadata store: etcd://host:port[,...] or sqlite:///path (default: ~/.meridian/meta.db)')
    .option('--name <name>', `filesystem name (default: ${DEFAULT_NAME})`)
    .option('--log <file>', 'a mount log to show slow operations from; repeatable (default: ~/.meridian/mount.log)', (v: string, prev: string[] = []) => [...prev, v])
    .action(async (opts: ServeCliOptions) => {
      const serving = await startServe(opts)
      process.stdout.write(`meridian: status page at http://${serving.listening.address}/ (pid ${process.pid})\n`)
      const signal = await new Promise<string>(done => {
        process.once('SIGINT', () => done('SIGINT'))
        process.once('SIGTERM', () => done('SIGTERM'))
      })
      log.info({ signal }, 'serve: shutting down')
      await serving.close()
    })
}
