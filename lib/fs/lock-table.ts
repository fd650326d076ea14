// Byte-range lock arithmetic (POSIX fcntl locks) and whole-file flock, as pure functions over
// the locks one inode holds. Ranges are [start, end); TO_EOF stands for "to the end of the file".

export const TO_EOF = Number.MAX_SAFE_INTEGER

export type LockType = 'read' | 'write'

export interface Lock {
  /** 'posix' locks belong to an owner (a process); 'flock' locks to an open file description */
  kind: 'posix' | 'flock'
  /** session that holds it (the lock vanishes with the session's lease) */
  sid: string
  /** owner within the session: a pid or a file handle */
  owner: number
  type: LockType
  start: number
  end: number
  /** the process that took it, for F_GETLK */
  pid: number
}

const sameOwner = (a: Lock, b: Pick<Lock, 'kind' | 'sid' | 'owner'>) => a.kind === b.kind && a.sid === b.sid && a.owner === b.owner

/** conflict returns a lock held by someone else that forbids `want`, or undefined. */
export function conflict(held: Lock[], want: Lock): Lock | undefined {
  return held.find(l =>
    l.kind === want.kind && !sameOwner(l, want) && l.start < want.end && want.start < l.end &&
    (l.type === 'write' || want.type === 'write'))
}

/**
 * apply returns the locks after the owner of `change` takes it, or releases the range when
 * type is undefined: its own locks in the range are cut away and the new one (if any) added.
 */
export function apply(held: Lock[], change: Omit<Lock, 'type'> & { type?: LockType }): Lock[] {
  const out: Lock[] = []
  for (const l of held) {
    if (!sameOwner(l, change) || l.end <= change.start || change.end <= l.start) {
      out.push(l)
      continue
    }
    if (l.start < change.start) out.push({ ...l, end: change.start })
    if (change.end < l.end) out.push({ ...l, start: change.end })
  }
  if (change.type) out.push({ ...change, type: change.type })
  return merge(out)
}

// Adjacent or overlapping locks of one owner and type become one, as the kernel reports them.
function merge(locks: Lock[]): Lock[] {
  const sorted = [...locks].sort((a, b) => a.start - b.start)
  const out: Lock[] = []
  for (const l of sorted) {
    const prev = out.find(p => sameOwner(p, l) && p.type === l.type && p.end >= l.start)
    if (prev) prev.end = Math.max(prev.end, l.end)
    else out.push({ ...l })
  }
  return out
}
