import { createHash } from 'node:crypto';
import { hungResponse, restXmlError, type SimRequest, type SimResponse, xmlEscape } from './http.ts';
import { hex, type SimWorld } from './world.ts';

/**
 * Amazon S3, simulated for what an AWS Backup S3 restore leaves behind and what dr-autopilot's restore handler
 * (src/adapters/restored-s3.ts) does with it: a new, versioned bucket holding the restored objects, inspected,
 * tagged, emptied and deleted. REST-XML over path-style requests (`/<bucket>?list-type=2`: what the SDK sends
 * to an IP-address endpoint), answers in the 2006-03-01 namespace, errors as `<Error><Code>…` with the
 * documented status (https://docs.aws.amazon.com/AmazonS3/latest/API/ErrorResponses.html). Only the operations
 * that handler calls: HeadBucket, GetBucketTagging, PutBucketTagging, ListObjectsV2, ListObjectVersions,
 * DeleteObjects, DeleteBucket; any other request is answered 501 `NotImplemented` (and recorded), never served
 * silently. The restore itself (a bucket created, objects written) is direct method calls
 * ({@link S3Sim.createBucket}, {@link S3Sim.putObject}), as AWS Backup's own writes are not the caller's.
 *
 * Behaviour modelled, each from S3's documentation:
 * - Bucket names are one namespace across Regions and accounts (a partition): one map of buckets, each with
 *   its Region and owner account; creating a taken name fails (`BucketAlreadyOwnedByYou` /
 *   `BucketAlreadyExists`, 409). https://docs.aws.amazon.com/AmazonS3/latest/userguide/bucketnamingrules.html,
 *   https://docs.aws.amazon.com/AmazonS3/latest/API/API_CreateBucket.html
 * - An unknown bucket is `NoSuchBucket` (404); HeadBucket answers 404 with no body (the SDK then names the error
 *   `NotFound`), and on success names the bucket's Region in `x-amz-bucket-region`.
 *   https://docs.aws.amazon.com/AmazonS3/latest/API/API_HeadBucket.html
 * - `ExpectedBucketOwner` (`x-amz-expected-bucket-owner`) naming another account than the bucket's owner is
 *   refused 403 `AccessDenied`; a value that is not an account ID is 400 `InvalidBucketOwnerAWSAccountID`. A
 *   bucket of another account is refused 403 `AccessDenied` as well: no bucket policy grants this account
 *   anything here. https://docs.aws.amazon.com/AmazonS3/latest/userguide/bucket-owner-condition.html
 * - A request for a bucket of another Region than the one it was signed for (the regional endpoint it was sent
 *   to) is answered 301 `PermanentRedirect` with `x-amz-bucket-region`, no body for HEAD; the SDK does not follow
 *   it (followRegionRedirects is off by default), so the caller sees the error rather than being served by the
 *   wrong Region. https://docs.aws.amazon.com/AmazonS3/latest/API/ErrorResponses.html (PermanentRedirect)
 * - Versioning: a restore's bucket is versioned (AWS Backup requires S3 Versioning, s3-backups.html, and its
 *   restore role creates the bucket and enables versioning: AWSBackupServiceRolePolicyForS3Restore has
 *   s3:CreateBucket and s3:PutBucketVersioning). Deleting a key without a version ID adds a delete marker (the
 *   versions stay); deleting with a version ID removes that version (or that delete marker) for good.
 *   https://docs.aws.amazon.com/AmazonS3/latest/userguide/DeletingObjectVersions.html,
 *   https://docs.aws.amazon.com/AmazonS3/latest/userguide/DeleteMarker.html. Suspended versioning is not
 *   modelled; an unversioned bucket (created without versioning) has `null` versions only.
 * - DeleteObjects: 1–1000 keys (else `MalformedXML`), a Content-MD5 or `x-amz-checksum-*` header required
 *   (`InvalidRequest`), `Quiet` answers only the errors; deleting a version that does not exist succeeds (deletes
 *   are idempotent). https://docs.aws.amazon.com/AmazonS3/latest/API/API_DeleteObjects.html
 * - DeleteBucket of a bucket that still holds any object version or delete marker is 409 `BucketNotEmpty`.
 *   https://docs.aws.amazon.com/AmazonS3/latest/API/API_DeleteBucket.html
 * - ListObjectsV2: current versions only (a key whose latest version is a delete marker is not listed), key
 *   order, `MaxKeys` default and ceiling 1000, `prefix`, `start-after`, `KeyCount`, `IsTruncated` and an opaque
 *   `NextContinuationToken` (a token that is not one of this bucket's is 400 `InvalidArgument`). `delimiter` and
 *   `encoding-type` are not simulated (501). https://docs.aws.amazon.com/AmazonS3/latest/API/API_ListObjectsV2.html
 * - ListObjectVersions: every version and delete marker, by key, newest first within a key, paged by
 *   `MaxKeys` (≤ 1000), `key-marker` / `version-id-marker`, answering `IsTruncated`, `NextKeyMarker`,
 *   `NextVersionIdMarker`. https://docs.aws.amazon.com/AmazonS3/latest/API/API_ListObjectVersions.html
 * - GetBucketTagging of a bucket without tags is 404 `NoSuchTagSet`; PutBucketTagging replaces the whole set
 *   (≤ 50 tags, unique keys, no `aws:` keys: else `InvalidTag`) and answers 204.
 *   https://docs.aws.amazon.com/AmazonS3/latest/API/API_GetBucketTagging.html,
 *   https://docs.aws.amazon.com/AmazonS3/latest/API/API_PutBucketTagging.html
 *
 * Each call is recorded with `world.recordCall` (PutBucketTagging, DeleteObjects and DeleteBucket as mutating),
 * and a scenario may inject faults (`s3`, operation name) like for the other services.
 */

const NAMESPACE = 'http://s3.amazonaws.com/doc/2006-03-01/';
const MAX_KEYS = 1000;
const MAX_TAGS = 50;
const MUTATING = new Set(['PutBucketTagging', 'DeleteObjects', 'DeleteBucket']);
/** The operations served; anything else is answered `NotImplemented`. */
export type S3Operation =
  | 'HeadBucket'
  | 'GetBucketTagging'
  | 'PutBucketTagging'
  | 'ListObjectsV2'
  | 'ListObjectVersions'
  | 'DeleteObjects'
  | 'DeleteBucket';

type Tags = Record<string, string>;

interface ObjectVersion {
  key: string;
  /** `null` in an unversioned bucket. */
  versionId: string;
  /** Creation order across the simulator: a key's versions are listed newest (largest) first. */
  sequence: number;
  deleteMarker: boolean;
  size: number;
  etag: string;
  lastModified: Date;
}

export interface S3Bucket {
  name: string;
  region: string;
  /** The owner's account ID. */
  owner: string;
  createdAt: Date;
  versioning: 'Enabled' | undefined;
  /** `undefined` (or empty): no tag set, GetBucketTagging answers NoSuchTagSet. */
  tags: Tags | undefined;
  /** Every object version and delete marker, in creation order. */
  versions: ObjectVersion[];
}

export class S3Error extends Error {
  constructor(
    readonly code: string,
    readonly status: number,
    message: string,
    /** Extra members of the error document (`BucketName`, `Endpoint`…). */
    readonly members: Record<string, string> = {},
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }
}

/** What a request asks for: the operation (or a description of what is not simulated), bucket and key. */
export function s3OperationOf(request: SimRequest): {
  operation: S3Operation | undefined;
  name: string;
  bucket: string;
  key: string;
} {
  const [, first = '', ...rest] = request.path.split('/');
  const bucket = decodeURIComponent(first);
  const key = decodeURIComponent(rest.join('/'));
  const has = (name: string) => request.query.has(name);
  const method = request.method.toUpperCase();
  let operation: S3Operation | undefined;
  if (bucket !== '' && key === '') {
    if (method === 'HEAD' && [...request.query.keys()].length === 0) operation = 'HeadBucket';
    else if (has('tagging')) {
      if (method === 'GET') operation = 'GetBucketTagging';
      if (method === 'PUT') operation = 'PutBucketTagging';
    } else if (method === 'GET' && has('versions')) operation = 'ListObjectVersions';
    else if (method === 'GET' && request.query.get('list-type') === '2') operation = 'ListObjectsV2';
    else if (method === 'POST' && has('delete')) operation = 'DeleteObjects';
    else if (method === 'DELETE' && [...request.query.keys()].length === 0) operation = 'DeleteBucket';
  }
  const subresource = [...request.query.keys()][0];
  const name =
    operation ??
    `${method} ${bucket === '' ? '/' : key === '' ? 'bucket' : 'object'}${subresource ? `?${subresource}` : ''}`;
  return { operation, name, bucket, key };
}

let sequence = 0;

export class S3Sim {
  /** Every bucket of the partition, by name (one namespace across Regions and accounts). */
  buckets = new Map<string, S3Bucket>();

  constructor(
    private readonly world: SimWorld,
    /** The caller's account (the simulated account): the owner of the buckets it creates. */
    private readonly account: string,
  ) {}

  reset(): void {
    this.buckets = new Map();
  }

  /** CreateBucket, as a restore (or a test) makes one: versioned unless said otherwise. */
  createBucket(input: {
    name: string;
    region: string;
    owner?: string | undefined;
    versioning?: boolean | undefined;
    tags?: Tags | undefined;
  }): S3Bucket {
    const { name } = input;
    if (!/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(name) || name.includes('..')) {
      throw new S3Error('InvalidBucketName', 400, 'The specified bucket is not valid.', { BucketName: name });
    }
    const owner = input.owner ?? this.account;
    const existing = this.buckets.get(name);
    if (existing) {
      throw existing.owner === owner
        ? new S3Error(
            'BucketAlreadyOwnedByYou',
            409,
            'Your previous request to create the named bucket succeeded and you already own it.',
            { BucketName: name },
          )
        : new S3Error(
            'BucketAlreadyExists',
            409,
            'The requested bucket name is not available. The bucket namespace is shared by all users of the system. Please select a different name and try again.',
            { BucketName: name },
          );
    }
    const bucket: S3Bucket = {
      name,
      region: input.region,
      owner,
      createdAt: new Date(),
      versioning: input.versioning === false ? undefined : 'Enabled',
      tags: input.tags ? { ...input.tags } : undefined,
      versions: [],
    };
    this.buckets.set(name, bucket);
    return bucket;
  }

  /** PutObject: a new version of `key` (the only `null` version, replaced, in an unversioned bucket). */
  putObject(bucketName: string, key: string, size: number): string {
    const bucket = this.buckets.get(bucketName);
    if (!bucket) throw new S3Error('NoSuchBucket', 404, 'The specified bucket does not exist');
    const etag = createHash('md5').update(`${bucketName}/${key}/${size}/${sequence}`).digest('hex');
    return this.addVersion(bucket, key, { deleteMarker: false, size, etag }).versionId;
  }

  /** What AWS Backup does to a restore testing plan's bucket once validation is reported: gone, contents and all. */
  removeBucket(name: string): boolean {
    return this.buckets.delete(name);
  }

  /** What a scenario checks: buckets of `region` carrying `tagKey` (any value), with what they still hold. */
  tagged(region: string, tagKey: string): { name: string; versions: number; deleteMarkers: number }[] {
    return [...this.buckets.values()]
      .filter((bucket) => bucket.region === region && bucket.tags !== undefined && tagKey in bucket.tags)
      .map((bucket) => ({
        name: bucket.name,
        versions: bucket.versions.filter((version) => !version.deleteMarker).length,
        deleteMarkers: bucket.versions.filter((version) => version.deleteMarker).length,
      }));
  }

  handle(request: SimRequest, region: string): SimResponse {
    const { operation, name, bucket, key } = s3OperationOf(request);
    const recorded = operation ?? name;
    const input: Record<string, unknown> = { Bucket: bucket, ...(key ? { Key: key } : {}) };
    let response: SimResponse;
    let result = 'ok';
    const fault = this.world.takeFault('s3', recorded, region);
    let applied = false;
    try {
      if (fault && !fault.afterApply)
        throw new S3Error(fault.error, faultStatus(fault.error), fault.message ?? 'simulated fault');
      if (!operation) throw new S3Error('NotImplemented', 501, `${name} is not simulated`);
      response = this.dispatch(operation, request, region, bucket, input);
      if (fault) {
        // After apply: the change is made, the answer lost.
        applied = response.status < 300;
        throw new S3Error(fault.error, faultStatus(fault.error), fault.message ?? 'simulated fault');
      }
    } catch (error) {
      if (!(error instanceof S3Error)) throw error;
      result = error.code;
      response = fault?.hang
        ? hungResponse(error.code)
        : s3Error(error, request.method.toUpperCase() === 'HEAD');
    }
    this.record(recorded, input, region, result, applied);
    return response;
  }

  private record(
    operation: string,
    input: Record<string, unknown>,
    region: string,
    result: string,
    applied = false,
  ): void {
    const details = Object.entries(input)
      .filter(([name]) => name !== 'Bucket' && name !== 'ExpectedBucketOwner')
      .map(([name, value]) => `${name}=${String(value)}`);
    const mutating = MUTATING.has(operation);
    this.world.recordCall(
      {
        service: 's3',
        operation,
        result,
        mutating,
        input,
        region,
        ...(applied && mutating ? { applied: true } : {}),
      },
      `${operation}(${[String(input.Bucket ?? ''), ...details].join(', ')})${result === 'ok' ? '' : ` → ${result}`}`,
    );
  }

  private dispatch(
    operation: S3Operation,
    request: SimRequest,
    region: string,
    name: string,
    input: Record<string, unknown>,
  ): SimResponse {
    const header = (key: string) => {
      const value = request.headers[key];
      return Array.isArray(value) ? value[0] : value;
    };
    const expectedOwner = header('x-amz-expected-bucket-owner');
    if (expectedOwner !== undefined) input.ExpectedBucketOwner = expectedOwner;
    const bucket = this.bucketFor(name, region, expectedOwner);
    switch (operation) {
      case 'HeadBucket':
        return {
          status: 200,
          headers: { ...ids(), 'x-amz-bucket-region': bucket.region, 'x-amz-access-point-alias': 'false' },
        };
      case 'GetBucketTagging': {
        const tags = Object.entries(bucket.tags ?? {});
        if (tags.length === 0) {
          throw new S3Error('NoSuchTagSet', 404, 'The TagSet does not exist', { BucketName: name });
        }
        return xml(
          `<Tagging xmlns="${NAMESPACE}"><TagSet>${tags
            .map(
              ([tagKey, value]) =>
                `<Tag><Key>${xmlEscape(tagKey)}</Key><Value>${xmlEscape(value)}</Value></Tag>`,
            )
            .join('')}</TagSet></Tagging>`,
        );
      }
      case 'PutBucketTagging': {
        requireChecksum(request, header);
        const tags = parseTags(request.body);
        input.Tags = Object.keys(tags).length;
        bucket.tags = tags;
        return { status: 204, headers: ids() };
      }
      case 'ListObjectsV2':
        return this.listObjects(bucket, request.query, input);
      case 'ListObjectVersions':
        return this.listVersions(bucket, request.query, input);
      case 'DeleteObjects': {
        requireChecksum(request, header);
        const { objects, quiet } = parseDelete(request.body);
        input.Objects = objects.length;
        input.Quiet = quiet;
        const deleted = objects.map((object) => this.deleteObject(bucket, object.key, object.versionId));
        return xml(`<DeleteResult xmlns="${NAMESPACE}">${quiet ? '' : deleted.join('')}</DeleteResult>`);
      }
      case 'DeleteBucket':
        if (bucket.versions.length > 0) {
          throw new S3Error(
            'BucketNotEmpty',
            409,
            'The bucket you tried to delete is not empty. You must delete all versions in the bucket.',
            { BucketName: name },
          );
        }
        this.buckets.delete(name);
        return { status: 204, headers: ids() };
    }
  }

  /** The bucket a request may act on, or the error S3 answers (unknown, another Region's, another owner's). */
  private bucketFor(name: string, region: string, expectedOwner: string | undefined): S3Bucket {
    if (expectedOwner !== undefined && !/^\d{12}$/.test(expectedOwner)) {
      throw new S3Error(
        'InvalidBucketOwnerAWSAccountID',
        400,
        'The value of the expected bucket owner parameter must be an AWS Account ID...',
      );
    }
    const bucket = this.buckets.get(name);
    if (!bucket) {
      throw new S3Error('NoSuchBucket', 404, 'The specified bucket does not exist', { BucketName: name });
    }
    if (bucket.region !== region) {
      throw new S3Error(
        'PermanentRedirect',
        301,
        'The bucket you are attempting to access must be addressed using the specified endpoint. Please send all future requests to this endpoint.',
        { Endpoint: `s3.${bucket.region}.amazonaws.com`, Bucket: name },
        { 'x-amz-bucket-region': bucket.region },
      );
    }
    if (bucket.owner !== this.account || (expectedOwner !== undefined && expectedOwner !== bucket.owner)) {
      throw new S3Error('AccessDenied', 403, 'Access Denied');
    }
    return bucket;
  }

  private addVersion(
    bucket: S3Bucket,
    key: string,
    content: { deleteMarker: boolean; size: number; etag: string },
  ): ObjectVersion {
    const version: ObjectVersion = {
      key,
      versionId: bucket.versioning === 'Enabled' ? versionId() : 'null',
      sequence: ++sequence,
      lastModified: new Date(),
      ...content,
    };
    if (bucket.versioning !== 'Enabled') {
      bucket.versions = bucket.versions.filter((existing) => existing.key !== key);
    }
    bucket.versions.push(version);
    return version;
  }

  /** One key of DeleteObjects: a `<Deleted>` element. */
  private deleteObject(bucket: S3Bucket, key: string, versionId: string | undefined): string {
    if (versionId === undefined) {
      if (bucket.versioning === 'Enabled') {
        const marker = this.addVersion(bucket, key, { deleteMarker: true, size: 0, etag: '' });
        return `<Deleted><Key>${xmlEscape(key)}</Key><DeleteMarker>true</DeleteMarker><DeleteMarkerVersionId>${marker.versionId}</DeleteMarkerVersionId></Deleted>`;
      }
      bucket.versions = bucket.versions.filter((version) => version.key !== key);
      return `<Deleted><Key>${xmlEscape(key)}</Key></Deleted>`;
    }
    const found = bucket.versions.find((version) => version.key === key && version.versionId === versionId);
    bucket.versions = bucket.versions.filter((version) => version !== found);
    const marker = found?.deleteMarker
      ? `<DeleteMarker>true</DeleteMarker><DeleteMarkerVersionId>${xmlEscape(versionId)}</DeleteMarkerVersionId>`
      : '';
    return `<Deleted><Key>${xmlEscape(key)}</Key><VersionId>${xmlEscape(versionId)}</VersionId>${marker}</Deleted>`;
  }

  private listObjects(bucket: S3Bucket, query: URLSearchParams, input: Record<string, unknown>): SimResponse {
    notSimulated(query, ['delimiter', 'encoding-type', 'fetch-owner']);
    const maxKeys = maxKeysOf(query);
    const prefix = query.get('prefix') ?? '';
    const startAfter = query.get('start-after') ?? undefined;
    const token = query.get('continuation-token') ?? undefined;
    if (token !== undefined) input.ContinuationToken = token;
    let after = startAfter ?? '';
    if (token !== undefined) {
      const decoded = Buffer.from(token, 'base64url').toString('utf8');
      const [tokenBucket, ...rest] = decoded.split('\n');
      if (tokenBucket !== bucket.name || rest.length !== 1) {
        throw new S3Error('InvalidArgument', 400, 'The continuation token provided is incorrect', {
          ArgumentName: 'continuation-token',
        });
      }
      after = rest[0] as string;
    }
    const current = currentVersions(bucket)
      .filter((version) => version.key.startsWith(prefix) && version.key > after)
      .sort((a, b) => compareKeys(a.key, b.key));
    const page = current.slice(0, maxKeys);
    const truncated = current.length > page.length;
    const last = page[page.length - 1];
    const next =
      truncated && last
        ? Buffer.from(`${bucket.name}\n${last.key}`, 'utf8').toString('base64url')
        : undefined;
    return xml(
      `<ListBucketResult xmlns="${NAMESPACE}"><Name>${xmlEscape(bucket.name)}</Name><Prefix>${xmlEscape(prefix)}</Prefix>${
        token !== undefined ? `<ContinuationToken>${xmlEscape(token)}</ContinuationToken>` : ''
      }${startAfter !== undefined ? `<StartAfter>${xmlEscape(startAfter)}</StartAfter>` : ''}<KeyCount>${page.length}</KeyCount><MaxKeys>${maxKeys}</MaxKeys><IsTruncated>${truncated}</IsTruncated>${
        next ? `<NextContinuationToken>${next}</NextContinuationToken>` : ''
      }${page
        .map(
          (version) =>
            `<Contents><Key>${xmlEscape(version.key)}</Key><LastModified>${version.lastModified.toISOString()}</LastModified><ETag>&quot;${version.etag}&quot;</ETag><Size>${version.size}</Size><StorageClass>STANDARD</StorageClass></Contents>`,
        )
        .join('')}</ListBucketResult>`,
    );
  }

  private listVersions(
    bucket: S3Bucket,
    query: URLSearchParams,
    input: Record<string, unknown>,
  ): SimResponse {
    notSimulated(query, ['delimiter', 'encoding-type']);
    const maxKeys = maxKeysOf(query);
    const prefix = query.get('prefix') ?? '';
    const keyMarker = query.get('key-marker') ?? undefined;
    const versionIdMarker = query.get('version-id-marker') ?? undefined;
    if (keyMarker !== undefined) input.KeyMarker = keyMarker;
    if (versionIdMarker !== undefined) input.VersionIdMarker = versionIdMarker;
    if (versionIdMarker !== undefined && keyMarker === undefined) {
      throw new S3Error(
        'InvalidArgument',
        400,
        'A version-id marker cannot be specified without a key marker.',
        {
          ArgumentName: 'version-id-marker',
        },
      );
    }
    const ordered = bucket.versions
      .filter((version) => version.key.startsWith(prefix))
      .sort((a, b) => compareKeys(a.key, b.key) || b.sequence - a.sequence);
    let start = 0;
    if (keyMarker !== undefined) {
      if (versionIdMarker !== undefined && versionIdMarker !== '') {
        const at = ordered.findIndex(
          (version) => version.key === keyMarker && version.versionId === versionIdMarker,
        );
        if (at < 0) {
          throw new S3Error('InvalidArgument', 400, 'Invalid version id specified', {
            ArgumentName: 'version-id-marker',
            ArgumentValue: versionIdMarker,
          });
        }
        start = at + 1;
      } else {
        start = ordered.findIndex((version) => compareKeys(version.key, keyMarker) > 0);
        if (start < 0) start = ordered.length;
      }
    }
    const page = ordered.slice(start, start + maxKeys);
    const truncated = start + page.length < ordered.length;
    const last = page[page.length - 1];
    const latest = new Set(latestVersions(bucket));
    const owner = `<Owner><ID>${canonicalId(bucket.owner)}</ID></Owner>`;
    return xml(
      `<ListVersionsResult xmlns="${NAMESPACE}"><Name>${xmlEscape(bucket.name)}</Name><Prefix>${xmlEscape(prefix)}</Prefix><KeyMarker>${xmlEscape(keyMarker ?? '')}</KeyMarker><VersionIdMarker>${xmlEscape(versionIdMarker ?? '')}</VersionIdMarker>${
        truncated && last
          ? `<NextKeyMarker>${xmlEscape(last.key)}</NextKeyMarker><NextVersionIdMarker>${xmlEscape(last.versionId)}</NextVersionIdMarker>`
          : ''
      }<MaxKeys>${maxKeys}</MaxKeys><IsTruncated>${truncated}</IsTruncated>${page
        .map((version) => {
          const common = `<Key>${xmlEscape(version.key)}</Key><VersionId>${xmlEscape(version.versionId)}</VersionId><IsLatest>${latest.has(version)}</IsLatest><LastModified>${version.lastModified.toISOString()}</LastModified>`;
          return version.deleteMarker
            ? `<DeleteMarker>${common}${owner}</DeleteMarker>`
            : `<Version>${common}<ETag>&quot;${version.etag}&quot;</ETag><Size>${version.size}</Size><StorageClass>STANDARD</StorageClass>${owner}</Version>`;
        })
        .join('')}</ListVersionsResult>`,
    );
  }
}

/** The newest version (or delete marker) of each key. */
function latestVersions(bucket: S3Bucket): ObjectVersion[] {
  const latest = new Map<string, ObjectVersion>();
  for (const version of bucket.versions) {
    const seen = latest.get(version.key);
    if (!seen || version.sequence > seen.sequence) latest.set(version.key, version);
  }
  return [...latest.values()];
}

/** What ListObjectsV2 sees: each key's current version, unless that is a delete marker. */
function currentVersions(bucket: S3Bucket): ObjectVersion[] {
  return latestVersions(bucket).filter((version) => !version.deleteMarker);
}

/** S3 lists keys in UTF-8 binary order. */
function compareKeys(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
}

function maxKeysOf(query: URLSearchParams): number {
  const text = query.get('max-keys');
  if (text === null) return MAX_KEYS;
  const value = Number(text);
  if (!Number.isInteger(value) || value < 0) {
    throw new S3Error('InvalidArgument', 400, 'Provided max-keys not an integer or within integer range', {
      ArgumentName: 'max-keys',
      ArgumentValue: text,
    });
  }
  return Math.min(value, MAX_KEYS);
}

function notSimulated(query: URLSearchParams, names: string[]): void {
  const used = names.find((name) => query.has(name));
  if (used) throw new S3Error('NotImplemented', 501, `the ${used} parameter is not simulated`);
}

/** DeleteObjects and PutBucketTagging need an integrity check of the body: Content-MD5 or a flexible checksum. */
function requireChecksum(request: SimRequest, header: (key: string) => string | undefined): void {
  const flexible = Object.keys(request.headers).some((name) => name.startsWith('x-amz-checksum-'));
  if (header('content-md5') === undefined && !flexible) {
    throw new S3Error('InvalidRequest', 400, 'Missing required header for this request: Content-MD5');
  }
}

function xmlUnescape(text: string): string {
  return text
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&quot;/g, '"')
    .replace(/&apos;/g, "'")
    .replace(/&#x([0-9a-fA-F]+);/g, (_, code: string) => String.fromCodePoint(Number.parseInt(code, 16)))
    .replace(/&#(\d+);/g, (_, code: string) => String.fromCodePoint(Number(code)))
    .replace(/&amp;/g, '&');
}

/** The text of the first `<name>` element in `xml` (`''` for `<name/>`), undefined when there is none. */
function element(xml: string, name: string): string | undefined {
  if (new RegExp(`<${name}\\s*/>`).test(xml)) return '';
  const match = new RegExp(`<${name}>([\\s\\S]*?)</${name}>`).exec(xml);
  return match ? xmlUnescape(match[1] as string) : undefined;
}

const MALFORMED = () =>
  new S3Error(
    'MalformedXML',
    400,
    'The XML you provided was not well-formed or did not validate against our published schema',
  );

function parseDelete(body: string): {
  objects: { key: string; versionId: string | undefined }[];
  quiet: boolean;
} {
  if (!/<Delete[\s>]/.test(body)) throw MALFORMED();
  const objects = [...body.matchAll(/<Object>([\s\S]*?)<\/Object>/g)].map((match) => {
    const key = element(match[1] as string, 'Key');
    if (key === undefined) throw MALFORMED();
    return { key, versionId: element(match[1] as string, 'VersionId') };
  });
  if (objects.length === 0 || objects.length > MAX_KEYS) throw MALFORMED();
  return { objects, quiet: element(body, 'Quiet')?.trim().toLowerCase() === 'true' };
}

function parseTags(body: string): Tags {
  if (!/<Tagging[\s>]/.test(body) || element(body, 'TagSet') === undefined) throw MALFORMED();
  const tags: Tags = {};
  const entries = [...body.matchAll(/<Tag>([\s\S]*?)<\/Tag>/g)];
  if (entries.length > MAX_TAGS) {
    throw new S3Error('InvalidTag', 400, `Bucket tag count cannot be greater than ${MAX_TAGS}`);
  }
  for (const entry of entries) {
    const key = element(entry[1] as string, 'Key');
    const value = element(entry[1] as string, 'Value') ?? '';
    if (key === undefined || key === '') throw MALFORMED();
    if (key in tags) throw new S3Error('InvalidTag', 400, 'Cannot provide multiple Tags with the same key');
    if (key.toLowerCase().startsWith('aws:')) {
      throw new S3Error('InvalidTag', 400, 'System tags cannot be added/updated by requester');
    }
    if (key.length > 128)
      throw new S3Error('InvalidTag', 400, 'The TagKey you have provided is too long, max 128');
    if (value.length > 256) {
      throw new S3Error('InvalidTag', 400, 'The TagValue you have provided is too long, max 256');
    }
    tags[key] = value;
  }
  return tags;
}

/** An S3 version ID: opaque, URL-safe, 32 characters. */
function versionId(): string {
  return Buffer.from(hex(48), 'hex').toString('base64url').slice(0, 32);
}

/** The canonical user ID S3 shows as an owner (64 hex digits), stable per account. */
function canonicalId(account: string): string {
  return createHash('sha256').update(`canonical-user:${account}`).digest('hex');
}

function faultStatus(code: string): number {
  if (code === 'SlowDown' || code === 'ServiceUnavailable') return 503;
  if (code === 'InternalError') return 500;
  if (code === 'AccessDenied') return 403;
  return 400;
}

function ids(): Record<string, string> {
  return {
    'x-amz-request-id': hex(16).toUpperCase(),
    'x-amz-id-2': Buffer.from(hex(48), 'hex').toString('base64'),
  };
}

function xml(body: string): SimResponse {
  return {
    status: 200,
    headers: { 'content-type': 'application/xml', ...ids() },
    body: `<?xml version="1.0" encoding="UTF-8"?>\n${body}`,
  };
}

/** An S3 error: the `<Error>` document (none for HEAD), with the error's own headers (`x-amz-bucket-region`). */
function s3Error(error: S3Error, head: boolean): SimResponse {
  const response = restXmlError(error.status, error.code, error.message, error.members);
  return {
    ...response,
    headers: { ...response.headers, ...ids(), ...error.headers },
    ...(head ? { body: '' } : {}),
  };
}
