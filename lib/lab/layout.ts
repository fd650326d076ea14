// Where a lab keeps its files, under its directory DIR:
//   DIR/lab.json                 the state: plan, processes and their pids (process-table.ts)
//   DIR/proxy.json, proxy.sock, proxy.log   the link proxy's config, control socket and log
//   DIR/<site>/mnt               the site's mount
//   DIR/<site>/pool              the site's pool
//   DIR/<site>/etcd-global, etcd-local      its members' data; <member>.log, mount.log
import { join } from 'node:path'

export function proxySocket(dir: string): string {
  return join(dir, 'proxy.sock')
}

export function mountDir(dir: string, site: string): string {
  return join(dir, site, 'mnt')
}
