// S3Pool: a PoolDriver over one bucket (and an optional key prefix) of any S3-compatible
// server. Blob keys are <prefix><blob id>, flat: S3 has no directories to shard. A put is
// durable once it resolves (S3 acknowledges only stored objects), so sync() has nothing to do.
// Transient failures (5xx, throttling, dropped connections) are retried by the SDK's standard
// strategy: exponential backoff with jitter, maxAttempts tries.
import { DeleteObjectCommand, GetObjectCommand, HeadObjectCommand, ListObjectsV2Command, PutObjectCommand, S3Client } from '@aws-sdk/client-s3'
import { EINVAL, EIO, EFBIG } from '../../lib/errors'
import { isBlobId, type ByteRange, type DriverCapabilities, type PoolDriver, type PoolUsage } from '../driver'
import type { S3Config } from './config'
import { uploadInParts } from './multipart'
import { isNotFound, statusOf, toFsError } from './s3-errors'

const GiB = 1024 ** 3

// Meridian supports Node 20; the SDK's warning that its future releases will not would be a
// second line on every command's stderr
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true'

export class S3Pool implements PoolDriver {
  readonly driver = 's3'
  readonly capabilities: DriverCapabilities = { maxBlobBytes: 5 * GiB, rangeReads: true }
  // private with #, so that no inspect or JSON of the pool reaches the client and its credentials
  readonly #client: S3Client
  readonly #config: S3Config
  #closed = false

  constructor(config: S3Config) {
    this.#config = config
    this.#client = new S3Client({
      region: config.region,
      endpoint: config.endpoint,
      forcePathStyle: config.pathStyle,
      profile: config.profile,
      maxAttempts: config.maxAttempts,
      retryMode: 'standard',
      // many S3-compatible servers know no flexible checksums; the blob id checks content end to end
      requestChecksumCalculation: 'WHEN_REQUIRED',
      responseChecksumValidation: 'WHEN_REQUIRED',
      requestHandler: { connectionTimeout: Math.min(config.timeoutMs, 5_000), requestTimeout: config.timeoutMs },
    })
  }

  /** where names the pool in messages: bucket and prefix, never the credentials */
  get where(): string {
    return `s3 bucket ${this.#config.bucket}${this.#config.prefix ? '/' + this.#config.prefix : ''}`
  }

  async put(id: string, data: Buffer): Promise<void> {
    const key = this.key(id)
    if (data.length > this.capabilities.maxBlobBytes) {
      throw EFBIG(`blob ${id} is ${data.length} bytes, over the ${this.capabilities.maxBlobBytes} byte limit`)
    }
    try {
      if (data.length <= this.#config.partSize) {
        await this.#client.send(new PutObjectCommand({ Bucket: this.#config.bucket, Key: key, Body: data }))
        return
      }
      // an id names its content: a large blob already there is not sent again
      if (await this.has(id)) return
      await uploadInParts(this.#client, this.#config.bucket, key, data, this.#config.partSize)
    } catch (err) {
      throw toFsError(err, `${this.where}: put ${id}`)
    }
  }

  async sync(): Promise<void> {
    this.checkOpen()
  }

  async get(id: string, range?: ByteRange): Promise<Buffer> {
    const key = this.key(id)
    if (range) checkRange(range)
    if (range?.length === 0) {
      if (!(await this.has(id))) throw toFsError({ name: 'NotFound' }, `${this.where}: get ${id}`)
      return Buffer.alloc(0)
    }
    const Range = range ? `bytes=${range.offset}-${range.offset + range.length - 1}` : undefined
    try {
      const res = await this.#client.send(new GetObjectCommand({ Bucket: this.#config.bucket, Key: key, Range }))
      if (!res.Body) return Buffer.alloc(0)
      return Buffer.from(await res.Body.transformToByteArray())
    } catch (err) {
      // a range that starts past the end of an existing blob reads nothing, as a file would
      if (statusOf(err) === 416) return Buffer.alloc(0)
      throw toFsError(err, `${this.where}: get ${id}`)
    }
  }

  async has(id: string): Promise<boolean> {
    const key = this.key(id)
    try {
      await this.#client.send(new HeadObjectCommand({ Bucket: this.#config.bucket, Key: key }))
      return true
    } catch (err) {
      if (isNotFound(err)) return false
      throw toFsError(err, `${this.where}: has ${id}`)
    }
  }

  async delete(id: string): Promise<void> {
    const key = this.key(id)
    try {
      await this.#client.send(new DeleteObjectCommand({ Bucket: this.#config.bucket, Key: key }))
    } catch (err) {
      if (!isNotFound(err)) throw toFsError(err, `${this.where}: delete ${id}`)
    }
  }

  async *list(): AsyncGenerator<string> {
    for await (const { id } of this.listSizes()) yield id
  }

  async *listSizes(): AsyncGenerator<{ id: string; bytes: number }> {
    this.checkOpen()
    const prefix = this.#config.prefix
    let ContinuationToken: string | undefined
    do {
      let page
      try {
        page = await this.#client.send(new ListObjectsV2Command({ Bucket: this.#config.bucket, Prefix: prefix || undefined, ContinuationToken }))
      } catch (err) {
        throw toFsError(err, `${this.where}: list`)
      }
      for (const { Key, Size } of page.Contents ?? []) {
        const id = Key?.slice(prefix.length)
        // keys below the prefix that are not blobs (another tool's, a nested prefix) are not ours
        if (id !== undefined && isBlobId(id)) yield { id, bytes: Size ?? 0 }
      }
      ContinuationToken = page.IsTruncated ? page.NextContinuationToken : undefined
    } while (ContinuationToken)
  }

  /** usage reports the configured capacity as free: S3 has no capacity to ask for */
  async usage(): Promise<PoolUsage> {
    this.checkOpen()
    return { totalBytes: this.#config.capacityBytes, freeBytes: this.#config.capacityBytes }
  }

  /** check asks the server for the bucket (one listing of at most one key) */
  async check(): Promise<void> {
    try {
      await this.#client.send(new ListObjectsV2Command({ Bucket: this.#config.bucket, Prefix: this.#config.prefix || undefined, MaxKeys: 1 }))
    } catch (err) {
      throw toFsError(err, this.where)
    }
  }

  async close(): Promise<void> {
    if (this.#closed) return
    this.#closed = true
    this.#client.destroy()
  }

  /** key is where id lives in the bucket; it refuses anything but a blob id */
  private key(id: string): string {
    this.checkOpen()
    if (!isBlobId(id)) throw EINVAL(`not a blob id: ${JSON.stringify(id)}`)
    return this.#config.prefix + id
  }

  private checkOpen(): void {
    if (this.#closed) throw EIO(`${this.where} is closed`)
  }
}

function checkRange({ offset, length }: ByteRange): void {
  if (!Number.isSafeInteger(offset) || offset < 0 || !Number.isSafeInteger(length) || length < 0) {
    throw EINVAL(`bad byte range: offset ${offset}, length ${length}`)
  }
}
