// straw2 (CRUSH's bucket choice, the same as weighted rendezvous hashing): every pool draws
// a straw ln(u)/weight from a hash u of (blob id, pool name) in (0, 1]; the longest straw
// wins, the next longest is the second choice, and so on. A pool's draw depends only on the
// id, its own name and its own weight, so adding a pool moves only the blobs it now wins
// (its fair share), and removing one moves only the blobs it held.
import { createHash } from 'node:crypto'

const TWO_52 = 2 ** 52

/** draw is pool's straw for id: higher is preferred; weight must be > 0 */
export function draw(id: string, pool: string, weight: number): number {
  const h = createHash('sha256').update(pool).update('\0').update(id).digest()
  // 52 bits of the hash as a uniform u in (0, 1]
  const u = (h.readUIntBE(0, 6) * 16 + (h[6] >> 4) + 1) / TWO_52
  return Math.log(u) / weight
}

/** ranked orders candidates by their straw for id, best first (ties by name, so always the same) */
export function ranked<T extends { name: string; weight: number }>(id: string, candidates: T[]): T[] {
  return candidates
    .map(c => ({ c, straw: draw(id, c.name, c.weight) }))
    .sort((a, b) => b.straw - a.straw || (a.c.name < b.c.name ? -1 : 1))
    .map(({ c }) => c)
}
