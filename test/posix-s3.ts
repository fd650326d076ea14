// The POSIX conformance suite through a real FUSE mount of Meridian whose only pool is an S3
// bucket on a real S3 protocol server (fixtures/s3-server.ts). Same options as posix-meridian.
import { chmod } from 'node:fs/promises'
import t from 'tap'
import { mountMeridian, type MeridianMount } from '../fixtures/mount'
import { posixSuite } from '../fixtures/posix-suite'
import { startS3 } from '../fixtures/s3-server'

let m: MeridianMount
t.before(async () => {
  const s3 = await startS3(t)
  process.env.AWS_ACCESS_KEY_ID = s3.accessKeyId
  process.env.AWS_SECRET_ACCESS_KEY = s3.secretAccessKey
  m = await mountMeridian(t, {
    pools: { s3: { driver: 's3', endpoint: s3.endpoint, bucket: s3.bucket, pathStyle: true } },
    mount: { attrTimeout: 0, allowOther: true },
  })
  await chmod(m.root, 0o755) // searchable by the other user some cases act as
})
posixSuite(t, () => m.dir)
