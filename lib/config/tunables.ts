// Every tunable an operator may need, with its default: the one place defaults live. The code
// that uses one reads its default from here (DEFAULTS) and takes the configured value when
// there is one (the `tuning:` section of the configuration file, docs/operations.md).
// Durations are seconds, sizes bytes (the file also takes 256M, 1G, ...).

export type Unit = 'seconds' | 'bytes' | 'count'

export interface Tunable {
  unit: Unit
  default: number
  min: number
  max: number
  /** what it sets, for the docs table and error messages */
  doc: string
}

const MiB = 1024 * 1024

/** the tunables by their name in the file (kebab-case, as the flags are) */
export const TUNABLES = {
  'session-ttl': { unit: 'seconds', default: 20, min: 2, max: 3600, doc: "how long a mount's session (its open marks and locks) outlives its last keep-alive" },
  'writeback-interval': { unit: 'seconds', default: 5, min: 0.1, max: 3600, doc: 'how often committed changes are made durable without an fsync' },
  'read-cache-size': { unit: 'bytes', default: 256 * MiB, min: 0, max: 2 ** 40, doc: "the mount's cache of blob contents" },
  'read-ahead-blocks': { unit: 'count', default: 4, min: 0, max: 256, doc: 'blocks past a sequential read whose blobs are fetched ahead' },
  'write-buffer-batches': { unit: 'count', default: 3, min: 1, max: 64, doc: 'dirty data per open file before writes wait, in batches of 4 blocks' },
  'kernel-read-ahead': { unit: 'bytes', default: 1 * MiB, min: 4096, max: 64 * MiB, doc: "the kernel's read-ahead on the mount (raised only when root)" },
  'name-cache-ttl': { unit: 'seconds', default: 1, min: 0, max: 3600, doc: 'how long the mount trusts a looked-up name before asking the store again' },
  'op-timeout': { unit: 'seconds', default: 60, min: 1, max: 3600, doc: 'a FUSE request still unanswered after this long is answered ETIMEDOUT' },
  'meta-deadline': { unit: 'seconds', default: 10, min: 0.1, max: 600, doc: "how long one call to the root group's store retries before it fails" },
  'group-deadline': { unit: 'seconds', default: 10, min: 0.1, max: 600, doc: "the same for a further group's store" },
  'cross-group-timeout': { unit: 'seconds', default: 10, min: 1, max: 3600, doc: 'how long a cross-group transaction may stay pending before another mount may abort it' },
  'store-lock-wait': { unit: 'seconds', default: 15, min: 0, max: 600, doc: 'how long a mount waits for an embedded store another process still holds' },
  'mount-wait': { unit: 'seconds', default: 30, min: 1, max: 600, doc: 'how long a background mount (and the mount helper) waits for the mount to appear' },
} as const satisfies Record<string, Tunable>

export type TunableName = keyof typeof TUNABLES

/** Tuning is the tuning section as the code receives it: every value filled in */
export type Tuning = { [K in TunableName]: number }

/** DEFAULTS: every tunable at its default */
export const DEFAULTS: Tuning = Object.fromEntries(Object.entries(TUNABLES).map(([k, t]) => [k, t.default])) as Tuning

/** ms turns a duration tunable into milliseconds */
export function ms(tuning: Partial<Tuning> | undefined, name: TunableName): number {
  return (tuning?.[name] ?? DEFAULTS[name]) * 1000
}

/** value is a tunable as configured, or its default */
export function value(tuning: Partial<Tuning> | undefined, name: TunableName): number {
  return tuning?.[name] ?? DEFAULTS[name]
}
