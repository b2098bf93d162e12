import {
  DeleteBucketCommand,
  DeleteObjectsCommand,
  GetBucketTaggingCommand,
  HeadBucketCommand,
  ListObjectsV2Command,
  ListObjectVersionsCommand,
  PutBucketTaggingCommand,
  paginateListObjectsV2,
  S3Client,
} from '@aws-sdk/client-s3';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type SimServer, startHttpServer } from '../../../sim/http.ts';
import { S3Sim } from '../../../sim/s3.ts';
import { routeByRegion } from '../../../sim/sigv4.ts';
import { SimWorld } from '../../../sim/world.ts';
import { createRestoredS3Handler } from '../../../src/adapters/restored-s3.ts';

/**
 * The simulated S3 through the real SDK client (REST-XML, path-style to an IP endpoint), routed by the Region
 * each request is signed for, as the simulator serves it: what a restored bucket does when dr-autopilot's S3
 * handler inspects, tags, empties and deletes it.
 */

const ACCOUNT = '111122223333';
const OTHER_ACCOUNT = '444455556666';
const WEST = 'us-west-2';
const EAST = 'us-east-1';
const BUCKET = 'dr-autopilot-0123456789ab';

const world = new SimWorld();
const s3 = new S3Sim(world, ACCOUNT);
let server: SimServer;
let west: S3Client;
let east: S3Client;

function client(region: string): S3Client {
  return new S3Client({
    endpoint: server.url,
    region,
    credentials: { accessKeyId: 'AKIDSIMULATED', secretAccessKey: 'secret' },
    maxAttempts: 1,
  });
}

beforeAll(async () => {
  server = await startHttpServer((request) => {
    const route = routeByRegion(world, request, 's3', 'rest-xml');
    return route.ok ? s3.handle(request, route.region) : route.response;
  });
  west = client(WEST);
  east = client(EAST);
});

afterAll(async () => {
  west.destroy();
  east.destroy();
  await server.close();
});

beforeEach(() => {
  s3.reset();
  world.reset();
});

/** A restored bucket in us-west-2: versioned, `count` objects of 100 bytes each. */
function restoredBucket(count: number, name = BUCKET): void {
  s3.createBucket({ name, region: WEST });
  for (let index = 0; index < count; index++) {
    s3.putObject(name, `data/object-${String(index).padStart(5, '0')}`, 100);
  }
}

/** The SDK error a call fails with: its name and HTTP status. */
async function failure(call: Promise<unknown>): Promise<{ name: string; status: number | undefined }> {
  try {
    await call;
  } catch (error) {
    const status = (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
    return { name: (error as Error).name, status };
  }
  throw new Error('the call succeeded');
}

const mine = { Bucket: BUCKET, ExpectedBucketOwner: ACCOUNT };

describe('simulated S3: a versioned bucket is deleted only once every version and delete marker is gone', () => {
  it('keeps versions behind delete markers and refuses DeleteBucket until both are deleted', async () => {
    // Prepare: three keys, one of them overwritten (two versions)
    restoredBucket(3);
    s3.putObject(BUCKET, 'data/object-00000', 200);

    // Act: delete two keys without a version ID
    const byKey = await west.send(
      new DeleteObjectsCommand({
        ...mine,
        Delete: { Objects: [{ Key: 'data/object-00000' }, { Key: 'data/object-00001' }] },
      }),
    );
    const listed = await west.send(new ListObjectsV2Command(mine));
    const refused = await failure(west.send(new DeleteBucketCommand(mine)));
    const versions = await west.send(new ListObjectVersionsCommand(mine));

    // Assess: delete markers hide the keys, the versions remain, the bucket is not empty
    expect(byKey.Deleted?.map((item) => [item.Key, item.DeleteMarker])).toEqual([
      ['data/object-00000', true],
      ['data/object-00001', true],
    ]);
    expect(listed.Contents?.map((item) => item.Key)).toEqual(['data/object-00002']);
    expect(listed.KeyCount).toBe(1);
    expect(refused).toEqual({ name: 'BucketNotEmpty', status: 409 });
    expect(versions.Versions).toHaveLength(4);
    expect(versions.DeleteMarkers).toHaveLength(2);
    expect(versions.DeleteMarkers?.every((marker) => marker.IsLatest)).toBe(true);

    // Act: delete every version by its ID, leaving the delete markers
    await west.send(
      new DeleteObjectsCommand({
        ...mine,
        Delete: {
          Objects: (versions.Versions ?? []).map((item) => ({ Key: item.Key, VersionId: item.VersionId })),
          Quiet: true,
        },
      }),
    );
    const stillRefused = await failure(west.send(new DeleteBucketCommand(mine)));
    const markersOnly = await west.send(new ListObjectVersionsCommand(mine));

    // Assess
    expect(stillRefused).toEqual({ name: 'BucketNotEmpty', status: 409 });
    expect(markersOnly.Versions ?? []).toEqual([]);
    expect(markersOnly.DeleteMarkers).toHaveLength(2);

    // Act: delete the delete markers by their version IDs, then the bucket
    const markers = await west.send(
      new DeleteObjectsCommand({
        ...mine,
        Delete: {
          Objects: (markersOnly.DeleteMarkers ?? []).map((item) => ({
            Key: item.Key,
            VersionId: item.VersionId,
          })),
        },
      }),
    );
    await west.send(new DeleteBucketCommand(mine));
    const gone = await failure(west.send(new HeadBucketCommand(mine)));

    // Assess
    expect(markers.Deleted?.every((item) => item.DeleteMarker === true)).toBe(true);
    expect(gone).toEqual({ name: 'NotFound', status: 404 });
    expect(
      world.calls
        .filter((call) => call.operation === 'DeleteBucket')
        .map((call) => [call.service, call.result, call.mutating]),
    ).toEqual([
      ['s3', 'BucketNotEmpty', true],
      ['s3', 'BucketNotEmpty', true],
      ['s3', 'ok', true],
    ]);
  });

  it("lets dr-autopilot's S3 handler empty and delete a bucket of 2,500 versions and delete markers", async () => {
    // Prepare: 2,000 objects, 500 of them deleted by key (a delete marker each)
    restoredBucket(2000);
    for (let start = 0; start < 500; start += 250) {
      await west.send(
        new DeleteObjectsCommand({
          ...mine,
          Delete: {
            Objects: Array.from({ length: 250 }, (_, index) => ({
              Key: `data/object-${String(start + index).padStart(5, '0')}`,
            })),
            Quiet: true,
          },
        }),
      );
    }
    const handler = createRestoredS3Handler(west, { expectedBucketOwner: ACCOUNT });
    const arn = `arn:aws:s3:::${BUCKET}`;

    // Act
    const result = await handler.delete(
      { type: 'S3', kind: 'main', id: BUCKET, arn },
      await handler.inspect(arn),
    );

    // Assess: three pages of versions deleted, then the bucket
    expect(result).toBe('done');
    expect(s3.buckets.has(BUCKET)).toBe(false);
    // the handler's inspection lists 1,500 current objects (2 pages); its deletion 3 pages of versions, then none
    expect(world.calls.filter((call) => call.operation === 'ListObjectsV2')).toHaveLength(2);
    expect(world.calls.filter((call) => call.operation === 'ListObjectVersions')).toHaveLength(4);
    expect(
      world.calls.filter((call) => call.operation === 'DeleteBucket' && call.result === 'ok'),
    ).toHaveLength(1);
    expect(world.calls.some((call) => call.result === 'BucketNotEmpty')).toBe(false);
  });
});

describe('simulated S3: whose bucket, in which Region', () => {
  it('refuses a call whose ExpectedBucketOwner is not the bucket owner', async () => {
    // Prepare
    restoredBucket(1);
    const wrongOwner = { Bucket: BUCKET, ExpectedBucketOwner: OTHER_ACCOUNT };

    // Act
    const head = await failure(west.send(new HeadBucketCommand(wrongOwner)));
    const list = await failure(west.send(new ListObjectsV2Command(wrongOwner)));
    const remove = await failure(west.send(new DeleteBucketCommand(wrongOwner)));

    // Assess: 403 (HeadBucket has no body to name the error), and nothing deleted
    expect(head.status).toBe(403);
    expect(list).toEqual({ name: 'AccessDenied', status: 403 });
    expect(remove).toEqual({ name: 'AccessDenied', status: 403 });
    expect(s3.buckets.has(BUCKET)).toBe(true);
  });

  it("refuses another account's bucket, whose name this account cannot take either", async () => {
    // Prepare: the name is taken by another account (one namespace for every account and Region)
    s3.createBucket({ name: BUCKET, region: EAST, owner: OTHER_ACCOUNT });

    // Act
    const list = await failure(
      east.send(new ListObjectsV2Command({ Bucket: BUCKET, ExpectedBucketOwner: OTHER_ACCOUNT })),
    );

    // Assess
    expect(list).toEqual({ name: 'AccessDenied', status: 403 });
    expect(() => s3.createBucket({ name: BUCKET, region: WEST })).toThrow(/not available/);
    expect(() => s3.createBucket({ name: BUCKET, region: EAST, owner: OTHER_ACCOUNT })).toThrow(
      /already own it/,
    );
  });

  it("does not serve a bucket to a request signed for another Region: 301 PermanentRedirect, the bucket's Region named", async () => {
    // Prepare
    restoredBucket(1);

    // Act
    const list = await failure(east.send(new ListObjectsV2Command(mine)));
    const head = await failure(east.send(new HeadBucketCommand(mine)));

    // Assess
    expect(list).toEqual({ name: 'PermanentRedirect', status: 301 });
    expect(head.status).toBe(301);
    expect(world.calls.map((call) => [call.operation, call.result, call.region])).toEqual([
      ['ListObjectsV2', 'PermanentRedirect', EAST],
      ['HeadBucket', 'PermanentRedirect', EAST],
    ]);
  });

  it('answers NoSuchBucket for an unknown bucket, NotFound to HeadBucket', async () => {
    // Act
    const head = await failure(west.send(new HeadBucketCommand(mine)));
    const list = await failure(west.send(new ListObjectsV2Command(mine)));

    // Assess
    expect(head).toEqual({ name: 'NotFound', status: 404 });
    expect(list).toEqual({ name: 'NoSuchBucket', status: 404 });
  });

  it("names the bucket's Region in HeadBucket's answer", async () => {
    // Prepare
    restoredBucket(0);

    // Act
    const head = await west.send(new HeadBucketCommand(mine));

    // Assess
    expect(head.BucketRegion).toBe(WEST);
  });
});

describe('simulated S3: paging', () => {
  it('pages ListObjectsV2 by 1,000 keys (or MaxKeys), in key order, current versions only', async () => {
    // Prepare: 2,500 objects, one of them deleted (a delete marker)
    restoredBucket(2500);
    await west.send(
      new DeleteObjectsCommand({ ...mine, Delete: { Objects: [{ Key: 'data/object-01234' }] } }),
    );

    // Act
    const first = await west.send(new ListObjectsV2Command(mine));
    const second = await west.send(
      new ListObjectsV2Command({ ...mine, ContinuationToken: first.NextContinuationToken }),
    );
    const keys: string[] = [];
    let pages = 0;
    for await (const page of paginateListObjectsV2({ client: west, pageSize: 700 }, mine)) {
      pages++;
      keys.push(...(page.Contents ?? []).map((item) => item.Key as string));
    }
    const badToken = await failure(
      west.send(new ListObjectsV2Command({ ...mine, ContinuationToken: 'not-a-token' })),
    );

    // Assess
    expect(first).toMatchObject({ KeyCount: 1000, MaxKeys: 1000, IsTruncated: true });
    expect(first.NextContinuationToken).toEqual(expect.any(String));
    expect(first.Contents?.[0]).toMatchObject({ Key: 'data/object-00000', Size: 100 });
    expect(first.Contents?.[0]?.ETag).toMatch(/^"[0-9a-f]{32}"$/);
    expect(first.Contents?.[0]?.LastModified).toBeInstanceOf(Date);
    expect(second).toMatchObject({ KeyCount: 1000, IsTruncated: true });
    expect(second.Contents?.[0]?.Key).toBe('data/object-01000');
    expect(pages).toBe(4);
    expect(keys).toHaveLength(2499);
    expect(keys).not.toContain('data/object-01234');
    expect([...keys].sort()).toEqual(keys);
    expect(badToken).toEqual({ name: 'InvalidArgument', status: 400 });
  });

  it('pages ListObjectVersions by key and version markers: every version and delete marker once, newest first', async () => {
    // Prepare: five keys, each written three times; two of them then deleted (delete markers)
    s3.createBucket({ name: BUCKET, region: WEST });
    for (let round = 0; round < 3; round++) {
      for (let index = 0; index < 5; index++) s3.putObject(BUCKET, `k${index}`, 10 * (round + 1));
    }
    await west.send(
      new DeleteObjectsCommand({ ...mine, Delete: { Objects: [{ Key: 'k1' }, { Key: 'k3' }] } }),
    );

    // Act: pages of 4 (version pages end inside a key)
    const pages: { versions: number; markers: number; truncated?: boolean }[] = [];
    const seen: { key: string; size?: number; marker: boolean; latest?: boolean }[] = [];
    let markers: { KeyMarker?: string; VersionIdMarker?: string } = {};
    for (let call = 0; call < 10; call++) {
      const page = await west.send(new ListObjectVersionsCommand({ ...mine, MaxKeys: 4, ...markers }));
      pages.push({
        versions: page.Versions?.length ?? 0,
        markers: page.DeleteMarkers?.length ?? 0,
        truncated: page.IsTruncated,
      });
      for (const item of page.Versions ?? []) {
        seen.push({ key: item.Key as string, size: item.Size, marker: false, latest: item.IsLatest });
      }
      for (const item of page.DeleteMarkers ?? []) {
        seen.push({ key: item.Key as string, marker: true, latest: item.IsLatest });
      }
      if (!page.IsTruncated) break;
      markers = { KeyMarker: page.NextKeyMarker, VersionIdMarker: page.NextVersionIdMarker };
    }
    const first = await west.send(new ListObjectVersionsCommand({ ...mine, MaxKeys: 4 }));

    // Assess
    expect(pages.map((page) => page.versions + page.markers)).toEqual([4, 4, 4, 4, 1]);
    expect(pages.at(-1)?.truncated).toBe(false);
    expect(seen.filter((item) => !item.marker)).toHaveLength(15);
    expect(seen.filter((item) => item.marker).map((item) => item.key)).toEqual(['k1', 'k3']);
    expect(first).toMatchObject({ IsTruncated: true, NextKeyMarker: 'k1' });
    // k0's versions newest first, then k1's newest entry: its delete marker, where the page ends
    expect(first.Versions?.map((item) => [item.Key, item.Size, item.IsLatest])).toEqual([
      ['k0', 30, true],
      ['k0', 20, false],
      ['k0', 10, false],
    ]);
    expect(first.DeleteMarkers?.map((item) => [item.Key, item.IsLatest])).toEqual([['k1', true]]);
    expect(first.NextVersionIdMarker).toEqual(first.DeleteMarkers?.[0]?.VersionId);
    // across pages too: k1's delete marker (page 1), then its versions newest first (page 2)
    expect(seen.filter((item) => item.key === 'k1').map((item) => item.size ?? 'marker')).toEqual([
      'marker',
      30,
      20,
      10,
    ]);
  });
});

describe('simulated S3: bucket tags', () => {
  it('answers NoSuchTagSet for a bucket without tags; PutBucketTagging replaces the whole set', async () => {
    // Prepare
    restoredBucket(0);

    // Act
    const none = await failure(west.send(new GetBucketTaggingCommand(mine)));
    await west.send(
      new PutBucketTaggingCommand({
        ...mine,
        Tagging: {
          TagSet: [
            { Key: 'a', Value: '1' },
            { Key: 'b', Value: '<2 & "3">' },
          ],
        },
      }),
    );
    const both = await west.send(new GetBucketTaggingCommand(mine));
    await west.send(new PutBucketTaggingCommand({ ...mine, Tagging: { TagSet: [{ Key: 'c', Value: '' }] } }));
    const replaced = await west.send(new GetBucketTaggingCommand(mine));
    const system = await failure(
      west.send(
        new PutBucketTaggingCommand({ ...mine, Tagging: { TagSet: [{ Key: 'aws:backup', Value: 'x' }] } }),
      ),
    );

    // Assess
    expect(none).toEqual({ name: 'NoSuchTagSet', status: 404 });
    expect(both.TagSet).toEqual([
      { Key: 'a', Value: '1' },
      { Key: 'b', Value: '<2 & "3">' },
    ]);
    expect(replaced.TagSet).toEqual([{ Key: 'c', Value: '' }]);
    expect(system).toEqual({ name: 'InvalidTag', status: 400 });
    expect(
      world.calls.filter((call) => call.operation === 'PutBucketTagging').map((call) => call.mutating),
    ).toEqual([true, true, true]);
  });
});

describe('simulated S3: a fault after apply', () => {
  it('makes the change, answers the 5xx, and records the call as applied', async () => {
    // Prepare
    restoredBucket(0);
    world.faults.push({
      service: 's3',
      operation: 'DeleteBucket',
      error: 'InternalError',
      times: 1,
      afterApply: true,
    });

    // Act
    const answered = await failure(west.send(new DeleteBucketCommand(mine)));

    // Assess
    expect(answered).toEqual({ name: 'InternalError', status: 500 });
    expect(s3.buckets.has(BUCKET)).toBe(false);
    expect(world.calls.at(-1)).toMatchObject({
      operation: 'DeleteBucket',
      result: 'InternalError',
      applied: true,
    });
  });
});
