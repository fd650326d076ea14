// The rules for one chunk's layout: well-formed extents naming valid blob ids, sorted and
// non-overlapping, inside the chunk, and not past the end of the file.
import { isBlobId } from '../../drivers/driver'
import type { Extent } from '../data/extent'

export interface ExtentProblem {
  kind: 'bad-extent' | 'extent-overlap' | 'extent-range' | 'extent-beyond-size'
  detail: string
}

export interface ChunkBounds {
  chunkSize: number
  /** the file offset where the chunk starts */
  start: number
  /** the file's size */
  size: number
}

/** isExtent tells whether a decoded value has the shape of an Extent with a valid blob id. */
export function isExtent(e: unknown): e is Extent {
  const x = e as Partial<Extent> | null
  const count = (n: unknown) => Number.isSafeInteger(n) && (n as number) >= 0
  return typeof x === 'object' && x !== null && count(x.off) && count(x.boff) && count(x.len) && (x.len as number) > 0 &&
    typeof x.blob === 'string' && isBlobId(x.blob)
}

/** extentProblems checks a decoded chunk value against the layout rules. */
export function extentProblems(value: unknown, bounds: ChunkBounds): ExtentProblem[] {
  if (!Array.isArray(value)) return [{ kind: 'bad-extent', detail: 'the chunk is not a list of extents' }]
  const problems: ExtentProblem[] = []
  let end = 0
  value.forEach((e: unknown, n) => {
    if (!isExtent(e)) {
      problems.push({ kind: 'bad-extent', detail: `extent ${n} is malformed: ${JSON.stringify(e)}` })
      return
    }
    if (e.off < end) problems.push({ kind: 'extent-overlap', detail: `extent ${n} starts at ${e.off}, before the previous one ends (${end})` })
    end = Math.max(end, e.off + e.len)
    if (e.off + e.len > bounds.chunkSize) {
      problems.push({ kind: 'extent-range', detail: `extent ${n} ends at ${e.off + e.len}, past the chunk size ${bounds.chunkSize}` })
    } else if (bounds.start + e.off + e.len > bounds.size) {
      problems.push({ kind: 'extent-beyond-size', detail: `extent ${n} ends at file offset ${bounds.start + e.off + e.len}, past the file size ${bounds.size}` })
    }
  })
  return problems
}
