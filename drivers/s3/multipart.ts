// Multipart upload of one large blob: parts of partSize bytes, a few in flight at once, then
// one completion. A failure aborts the upload so that no parts linger in the bucket.
import { AbortMultipartUploadCommand, CompleteMultipartUploadCommand, CreateMultipartUploadCommand, UploadPartCommand, type S3Client } from '@aws-sdk/client-s3'

/** how many parts upload at once */
const PARALLEL_PARTS = 4

export async function uploadInParts(client: S3Client, bucket: string, key: string, data: Buffer, partSize: number): Promise<void> {
  const { UploadId } = await client.send(new CreateMultipartUploadCommand({ Bucket: bucket, Key: key }))
  if (!UploadId) throw new Error('CreateMultipartUpload returned no upload id')
  const count = Math.ceil(data.length / partSize)
  const etags: string[] = new Array(count)
  let next = 0
  const worker = async (): Promise<void> => {
    while (next < count) {
      const n = next++
      const Body = data.subarray(n * partSize, Math.min(data.length, (n + 1) * partSize))
      const { ETag } = await client.send(new UploadPartCommand({ Bucket: bucket, Key: key, UploadId, PartNumber: n + 1, Body }))
      etags[n] = ETag ?? ''
    }
  }
  try {
    await Promise.all(Array.from({ length: Math.min(PARALLEL_PARTS, count) }, worker))
    await client.send(new CompleteMultipartUploadCommand({
      Bucket: bucket, Key: key, UploadId,
      MultipartUpload: { Parts: etags.map((ETag, n) => ({ ETag, PartNumber: n + 1 })) },
    }))
  } catch (err) {
    await client.send(new AbortMultipartUploadCommand({ Bucket: bucket, Key: key, UploadId })).catch(() => undefined)
    throw err
  }
}
