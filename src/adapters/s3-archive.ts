import { PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import type { EvidenceArchive } from '../app/evidence-export.ts';

/**
 * The evidence archive in a bucket the platform team owns: each object written with SSE-S3 (AES-256), so it is
 * encrypted whatever the bucket's default, and owned by the bucket owner's account (`ExpectedBucketOwner`).
 */
export function createS3EvidenceArchive(options: {
  client: S3Client;
  bucket: string;
  account: string;
}): EvidenceArchive {
  return {
    async put(key, body, contentType) {
      await options.client.send(
        new PutObjectCommand({
          Bucket: options.bucket,
          Key: key,
          Body: body,
          ContentType: contentType,
          ServerSideEncryption: 'AES256',
          ExpectedBucketOwner: options.account,
        }),
      );
    },
  };
}
