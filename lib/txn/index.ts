// Cross-group transactions over several metadata groups (docs/metadata-groups.md):
// crossGroupCommit runs one; isIntent/decodeIntent recognise the envelope a reader may meet,
// resolveIntent settles it; findIntents/findRecords/repair serve fsck.
export { crossGroupCommit, type CommitResult } from './commit'
export { FAILPOINTS, failpoint } from './failpoints'
export type { Groups, Participant, WriteOp } from './group'
export { decodeIntent, isIntent, type Intent } from './intent'
export type { TxnOptions } from './options'
export { DEFAULT_RECORD_PREFIX, type TxnRecord, type TxnState } from './record'
export { findIntents, findRecords, repair, type FoundRecord, type RepairOptions, type RepairReport } from './repair'
export { resolveIntent, resolveRecord, type Resolution, type ResolveOptions } from './resolve'
