// `meridian mount -o LIST`: the mount options people pass to mount(8), as MountOptions.
//   ro, rw                            read-only or not
//   suid, nosuid, dev, nodev          setuid bits and device files (FUSE mounts are nosuid,nodev unless asked; root only)
//   relatime, strictatime, noatime    when reads move atime
//   exec, noexec                      whether programs on the mount may be executed
//   allow_other                       as --allow-other
//   acl                               permissions checked by lib/fs alone, POSIX ACLs included (docs/fuse.md)
//   writeback_cache                   the kernel's writeback cache (low-level binding; docs/fuse.md)
//   remount                           change a live mount (ro/rw) instead of mounting
import { ConfigError } from '../errors'
import type { AtimeMode } from '../fs/atime'
import type { MountOptions } from '../fuse'

export interface ParsedMountOptions {
  mount: MountOptions
  remount: boolean
  /** what a remount changes: 'ro' or 'rw' */
  remountMode?: 'ro' | 'rw'
}

const ATIMES: Record<string, AtimeMode> = { relatime: 'relatime', strictatime: 'strictatime', noatime: 'noatime' }

const KNOWN = ['ro', 'rw', 'suid', 'nosuid', 'dev', 'nodev', 'exec', 'noexec', 'relatime', 'strictatime', 'noatime', 'allow_other', 'acl', 'writeback_cache', 'remount']

/**
 * parseMountOptions reads a comma-separated -o list; an unknown option is a ConfigError naming
 * it and listing the known ones (with `known`: those a caller took out of the list before)
 */
export function parseMountOptions(list: string | undefined, known: string[] = []): ParsedMountOptions {
  const parsed: ParsedMountOptions = { mount: {}, remount: false }
  for (const opt of (list ?? '').split(',').filter(o => o !== '')) {
    if (opt === 'ro' || opt === 'rw') {
      parsed.mount.readOnly = opt === 'ro'
      parsed.remountMode = opt
    } else if (opt === 'suid' || opt === 'nosuid') parsed.mount.suid = opt === 'suid'
    else if (opt === 'dev' || opt === 'nodev') parsed.mount.dev = opt === 'dev'
    else if (opt === 'exec' || opt === 'noexec') parsed.mount.exec = opt === 'exec'
    else if (opt in ATIMES) parsed.mount.atime = ATIMES[opt]
    else if (opt === 'allow_other') parsed.mount.allowOther = true
    else if (opt === 'acl') parsed.mount.acl = true
    else if (opt === 'writeback_cache') parsed.mount.writebackCache = true
    else if (opt === 'remount') parsed.remount = true
    else throw new ConfigError('o', `unknown mount option '${opt}' (known: ${[...KNOWN, ...known].join(', ')})`)
  }
  if (parsed.remount && (parsed.remountMode === undefined || Object.keys(parsed.mount).some(k => k !== 'readOnly'))) {
    throw new ConfigError('o', 'remount changes only ro or rw on a live mount; unmount and mount again for other options')
  }
  return parsed
}
