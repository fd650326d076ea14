// A vector clock: for each metadata group, the highest revision of that group that a session
// has written or observed. A read is causally safe on a replica whose revision for the group
// is at least the clock's entry. Entries only ever rise.
//
// Token (the xattr meridian.clock): 'c1:' then entries sorted by group, 'group=revision' with
// the revision in base 36, joined by ','; e.g. 'c1:eu=2n9,root=k2,us=1z'. An empty clock is 'c1:'.
import { EINVAL } from '../errors'

const TOKEN_PREFIX = 'c1:'
const GROUP = /^[A-Za-z0-9_.-]{1,64}$/

export class VectorClock {
  private readonly entries = new Map<string, number>()

  constructor(entries: Record<string, number> = {}) {
    for (const [group, revision] of Object.entries(entries)) this.observe(group, revision)
  }

  /** get is the clock's revision for group, 0 when it has none */
  get(group: string): number {
    return this.entries.get(group) ?? 0
  }

  /** groups lists the groups the clock has an entry for, sorted */
  groups(): string[] {
    return [...this.entries.keys()].sort()
  }

  /** observe raises group's entry to revision; returns whether it rose */
  observe(group: string, revision: number): boolean {
    if (!GROUP.test(group)) throw EINVAL(`'${group}' is not a group id for a clock`)
    if (!Number.isSafeInteger(revision) || revision < 0) throw EINVAL(`${revision} is not a revision`)
    if (revision <= this.get(group)) return false
    this.entries.set(group, revision)
    return true
  }

  /** merge raises every entry to other's where other's is higher */
  merge(other: VectorClock): this {
    for (const [group, revision] of other.entries) this.observe(group, revision)
    return this
  }

  /** covers tells whether this clock is at or past other in every group */
  covers(other: VectorClock): boolean {
    for (const [group, revision] of other.entries) if (this.get(group) < revision) return false
    return true
  }

  clone(): VectorClock {
    return new VectorClock().merge(this)
  }

  /** encode is the clock as a compact printable token */
  encode(): string {
    return TOKEN_PREFIX + this.groups().map(g => `${g}=${this.get(g).toString(36)}`).join(',')
  }

  /** decode reads a token that encode wrote; EINVAL for anything else */
  static decode(token: string): VectorClock {
    const bad = () => EINVAL(`'${token.slice(0, 80)}' is not a clock token (expected ${TOKEN_PREFIX}group=revision,...)`)
    if (!token.startsWith(TOKEN_PREFIX)) throw bad()
    const clock = new VectorClock()
    const body = token.slice(TOKEN_PREFIX.length)
    if (body === '') return clock
    const seen = new Set<string>()
    for (const entry of body.split(',')) {
      const m = /^([^=]+)=([0-9a-z]{1,11})$/.exec(entry)
      if (!m || !GROUP.test(m[1]) || seen.has(m[1])) throw bad()
      seen.add(m[1])
      const revision = parseInt(m[2], 36)
      if (!Number.isSafeInteger(revision)) throw bad()
      clock.observe(m[1], revision)
    }
    return clock
  }

  toJSON(): Record<string, number> {
    return Object.fromEntries(this.groups().map(g => [g, this.get(g)]))
  }
}
