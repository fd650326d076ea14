// The data path: blob ids, chunk layouts, the read cache, the blob store over pools, the
// per-file write buffer, and the data of open files (sealing, compaction, reads).
export { blobId, holds, idOf } from './blob-id'
export { CHUNK_SIZE, blobsOf, chunkSpans, overlay, pieces, truncate, type ChunkSpan, type Extent, type Piece } from './extent'
export { READ_CACHE_BYTES, ReadCache, type ReadCacheOptions } from './read-cache'
export { BlobStore, type BadCopy, type BlobStoreOptions, type Log, type Pool } from './blob-store'
export { WriteBuffer, type Block, type DirtyRange } from './write-buffer'
export { FileData, MAX_FILE_SIZE, type ChunkSnapshot, type Layouts, type Placed } from './file-data'
export { OpenFile } from './open-file'
