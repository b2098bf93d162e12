import {
  DeleteBucketCommand,
  DeleteObjectsCommand,
  GetBucketTaggingCommand,
  HeadBucketCommand,
  ListObjectsV2Command,
  ListObjectVersionsCommand,
  PutBucketTaggingCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import type { RestoredResourceHandler } from '../ports/restored-resources.ts';
import {
  absentResource,
  deleteStep,
  isNotFound,
  tagList,
  tagMap,
  unlessNotFound,
} from './restored-common.ts';

const NOT_FOUND = ['NotFound', 'NoSuchBucket'];
/** Listing pages (≤1000 keys each) counted per inspection: objects beyond are not counted. */
const COUNT_PAGES = 10;
/** Version pages (≤1000 keys each) emptied per call; a larger bucket is finished by the next sweep. */
const PAGES_PER_CALL = 20;

function bucketOf(arn: string): string {
  return arn.slice(arn.lastIndexOf(':') + 1).split('/')[0] ?? '';
}

/**
 * A restored S3 bucket: it exists, and its objects and bytes (the first 10,000 objects) are counted. Every call names the expected bucket owner (this account):
 * bucket names are global, and a bucket of another account is never read, tagged or emptied.
 */
export function createRestoredS3Handler(
  client: S3Client,
  options: { expectedBucketOwner: string },
): RestoredResourceHandler {
  const ExpectedBucketOwner = options.expectedBucketOwner;
  return {
    async inspect(arn) {
      const bucket = bucketOf(arn);
      const base = absentResource('S3', arn, bucket);
      const head = await unlessNotFound(
        () => client.send(new HeadBucketCommand({ Bucket: bucket, ExpectedBucketOwner })),
        NOT_FOUND,
      );
      if (!head) return base;
      let tags: Record<string, string> = {};
      try {
        tags = tagMap(
          (await client.send(new GetBucketTaggingCommand({ Bucket: bucket, ExpectedBucketOwner }))).TagSet,
        );
      } catch (error) {
        if (!isNotFound(error, ['NoSuchTagSet'])) throw error;
      }
      let objects = 0;
      let bytes = 0;
      let token: string | undefined;
      let pages = 0;
      do {
        const listing = await client.send(
          new ListObjectsV2Command({ Bucket: bucket, ContinuationToken: token, ExpectedBucketOwner }),
        );
        for (const item of listing.Contents ?? []) {
          objects++;
          bytes += item.Size ?? 0;
        }
        token = listing.IsTruncated ? listing.NextContinuationToken : undefined;
        pages++;
      } while (token && pages < COUNT_PAGES);
      return {
        ...base,
        exists: true,
        name: bucket,
        status: 'exists',
        tags,
        facts: { objects, bytes, listingComplete: token === undefined },
      };
    },
    async tag(resource, _targets, tags) {
      // PutBucketTagging replaces the whole set: keep what is there.
      await client.send(
        new PutBucketTaggingCommand({
          Bucket: resource.id,
          ExpectedBucketOwner,
          Tagging: { TagSet: tagList({ ...resource.tags, ...tags }) },
        }),
      );
    },
    delete: (step) =>
      deleteStep(
        async () => {
          for (let page = 0; page < PAGES_PER_CALL; page++) {
            const listing = await client.send(
              new ListObjectVersionsCommand({ Bucket: step.id, MaxKeys: 1000, ExpectedBucketOwner }),
            );
            const objects = [...(listing.Versions ?? []), ...(listing.DeleteMarkers ?? [])].flatMap((item) =>
              item.Key ? [{ Key: item.Key, VersionId: item.VersionId }] : [],
            );
            if (objects.length === 0) {
              await client.send(new DeleteBucketCommand({ Bucket: step.id, ExpectedBucketOwner }));
              return 'done';
            }
            const { Errors = [] } = await client.send(
              new DeleteObjectsCommand({
                Bucket: step.id,
                ExpectedBucketOwner,
                Delete: { Objects: objects, Quiet: true },
              }),
            );
            if (Errors.length > 0) {
              throw new Error(
                `could not delete ${Errors.length} object(s) of ${step.id}: ${Errors[0]?.Code ?? ''}`,
              );
            }
          }
          return 'waiting';
        },
        { notFound: NOT_FOUND },
      ),
  };
}
