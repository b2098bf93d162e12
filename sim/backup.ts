import { createHash } from 'node:crypto';
import type { CopyJob, DescribeRestoreJobOutput, RecoveryPointByBackupVault } from '@aws-sdk/client-backup';
import { z } from 'zod';
import type { EventSink } from './drs.ts';
import { hungResponse, json, jsonError, type SimRequest, type SimResponse } from './http.ts';
import type { Fault, SimWorld } from './world.ts';

/**
 * AWS Backup, simulated: the REST-JSON operations dr-autopilot uses (paths of the service model 2018-11-15),
 * with state (vaults, recovery points, copy jobs, restore jobs), the documented errors (members `Code`,
 * `Message`, `Type`, `Context`), and the events AWS Backup emits (Copy Job State Change, Restore Job State
 * Change), shaped like AWS's samples in events/backup/samples.
 *
 * A restore job stays RUNNING until the scenario finishes it; finishing it materialises what the restore
 * creates (see `materialize`, wired by the simulator: a DynamoDB table with the recovery point's items, an EC2
 * instance with its AMI, snapshots and volumes, an S3 bucket with the recovery point's objects), so validators
 * find a real resource. Restores of other resource types are not materialised: they finish FAILED with a
 * message saying so.
 */

const MUTATING = new Set(['StartRestoreJob', 'PutRestoreValidationResult']);

const recoveryPointSeed = z
  .object({
    /** The scenario's name for it (the ARN is derived from it). */
    id: z.string(),
    vault: z.string(),
    resourceType: z.string(),
    resourceArn: z.string(),
    /** How old the backup is (the copy keeps the source's creation date). */
    ageHours: z.number().default(1),
    tags: z.record(z.string(), z.string()).default({}),
    /** DynamoDB: how many items the restored table holds. */
    items: z.number().int().min(0).default(10),
    /**
     * S3: how many objects the backed-up bucket held (keys and sizes are deterministic, see
     * {@link s3ObjectsOf}); the recovery point's BackupSizeInBytes is their total, and a restore writes them into
     * the new bucket.
     */
    objects: z.number().int().min(0).default(10),
    /**
     * A fault the scenario injects: the restore completes, but what it creates holds no data (S3: a bucket with
     * no objects; DynamoDB: a table with no items), whatever the backup held (its BackupSizeInBytes is unchanged).
     */
    restoresEmpty: z.boolean().default(false),
    /** Copied from the primary Region's vault (a copy job exists in the primary Region). */
    copiedFrom: z.string().optional(),
    /** EC2: the backed-up instance's EBS volumes (the recovery point is an AMI with one snapshot each). */
    devices: z
      .array(
        z
          .object({
            deviceName: z.string(),
            sizeGiB: z.number().int().min(1),
            deleteOnTermination: z.boolean(),
          })
          .strict(),
      )
      .default([
        { deviceName: '/dev/xvda', sizeGiB: 8, deleteOnTermination: true },
        { deviceName: '/dev/sdf', sizeGiB: 32, deleteOnTermination: false },
      ]),
  })
  .strict();
export const backupSeedSchema = z.object({ recoveryPoints: z.array(recoveryPointSeed).default([]) }).strict();
type RecoveryPointSeed = z.infer<typeof recoveryPointSeed>;

interface StoredRecoveryPoint {
  point: RecoveryPointByBackupVault;
  tags: Record<string, string>;
  items: number;
  /** S3: the backed-up bucket's objects (empty for other types). */
  objects: S3ObjectSeed[];
  /** The restore comes back without data (a fault the scenario injects). */
  restoresEmpty: boolean;
  seedId: string;
  devices: { deviceName: string; sizeGiB: number; deleteOnTermination: boolean }[];
}

export interface S3ObjectSeed {
  key: string;
  size: number;
}

/** The objects of an S3 recovery point: `count` keys under the seed's name, sizes 1–64 KiB, deterministic. */
export function s3ObjectsOf(seedId: string, count: number): S3ObjectSeed[] {
  return Array.from({ length: count }, (_, index) => ({
    key: `${seedId}/part-${String(index).padStart(5, '0')}.json`,
    size: 1024 + ((index * 7919 + 17) % 64_512),
  }));
}

type StoredRestoreJob = DescribeRestoreJobOutput & {
  metadata: Record<string, string>;
  idempotencyToken?: string | undefined;
};

/** Turns a finished restore into a real resource; returns its ARN. */
export type RestoreMaterializer = (job: StoredRestoreJob, point: StoredRecoveryPoint) => Promise<string>;

export type BackupStep =
  | { backup: 'copyCompleted'; recoveryPoint: string; bus?: string | undefined }
  | { backup: 'restoreTest'; recoveryPoint: string; plan: string }
  | {
      backup: 'finishRestore';
      job?: number | undefined;
      status: 'COMPLETED' | 'FAILED' | 'ABORTED';
      statusMessage?: string | undefined;
    };

export class BackupSim {
  recoveryPoints: StoredRecoveryPoint[] = [];
  copyJobs: CopyJob[] = [];
  restoreJobs: StoredRestoreJob[] = [];
  materialize: RestoreMaterializer = async (job) => {
    throw new Error(`restoring ${job.ResourceType ?? 'this resource type'} is not simulated`);
  };
  /** Deletes what a restore created (AWS Backup does it for restore-testing jobs once validation is reported). */
  dematerialize: (job: StoredRestoreJob) => Promise<void> = async () => {};

  constructor(
    private readonly world: SimWorld,
    private readonly emit: EventSink,
    /** Copy Job events reach the recovery Region through a forwarding rule, onto this bus. */
    private readonly emitOn: (bus: string, event: Parameters<EventSink>[0]) => void = (_, event) =>
      emit(event),
  ) {}

  reset(): void {
    this.recoveryPoints = [];
    this.copyJobs = [];
    this.restoreJobs = [];
  }

  vaultArn(name: string, region = this.world.region): string {
    return `arn:aws:backup:${region}:${this.world.account}:backup-vault:${name}`;
  }

  seed(config: unknown): void {
    const parsed = backupSeedSchema.parse(config);
    for (const seed of parsed.recoveryPoints) this.addRecoveryPoint(seed);
  }

  addRecoveryPoint(seed: RecoveryPointSeed): StoredRecoveryPoint {
    const created = new Date(Date.now() - seed.ageHours * 3_600_000);
    const objects = seed.resourceType === 'S3' ? s3ObjectsOf(seed.id, seed.objects) : [];
    // EC2 recovery points are AMIs (their ARN is the image's), the others here Backup-native ARNs.
    const arn =
      seed.resourceType === 'EC2'
        ? `arn:aws:ec2:${this.world.region}::image/ami-${uuidFrom(seed.id).replace(/-/g, '').slice(0, 17)}`
        : `arn:aws:backup:${this.world.region}:${this.world.account}:recovery-point:${uuidFrom(seed.id)}`;
    const point: RecoveryPointByBackupVault = {
      RecoveryPointArn: arn,
      BackupVaultName: seed.vault,
      BackupVaultArn: this.vaultArn(seed.vault),
      ...(seed.copiedFrom
        ? { SourceBackupVaultArn: this.vaultArn(seed.copiedFrom, this.world.primaryRegion) }
        : {}),
      ResourceArn: seed.resourceArn,
      ResourceType: seed.resourceType,
      IamRoleArn: `arn:aws:iam::${this.world.account}:role/service-role/AWSBackupDefaultServiceRole`,
      Status: 'COMPLETED',
      CreationDate: created,
      InitiationDate: created,
      CompletionDate: new Date(created.getTime() + 120_000),
      // S3: what the bucket's objects add up to; the other types: a nominal 1 MiB.
      BackupSizeInBytes:
        seed.resourceType === 'S3' ? objects.reduce((sum, item) => sum + item.size, 0) : 1_048_576,
      IsEncrypted: true,
      EncryptionKeyArn: `arn:aws:kms:${this.world.region}:${this.world.account}:key/${uuidFrom(`${seed.vault}-key`)}`,
      // The last part of the ARN's resource (`table/customers`, an S3 ARN's bucket name after `:::`).
      ResourceName: seed.resourceArn.slice(
        Math.max(seed.resourceArn.lastIndexOf('/'), seed.resourceArn.lastIndexOf(':')) + 1,
      ),
      VaultType: 'BACKUP_VAULT',
    };
    const stored = {
      point,
      tags: { ...seed.tags },
      items: seed.items,
      objects,
      restoresEmpty: seed.restoresEmpty,
      seedId: seed.id,
      devices: seed.devices,
    };
    this.recoveryPoints.push(stored);
    return stored;
  }

  /** Scenario steps: a copy lands in the DR vault; a restore job finishes. */
  async play(step: BackupStep): Promise<void> {
    if (step.backup === 'copyCompleted') {
      const stored = this.recoveryPoints.find((candidate) => candidate.seedId === step.recoveryPoint);
      if (!stored) throw new Error(`no recovery point "${step.recoveryPoint}" in the scenario's world`);
      this.copyCompleted(stored, step.bus);
      return;
    }
    if (step.backup === 'restoreTest') {
      const stored = this.recoveryPoints.find((candidate) => candidate.seedId === step.recoveryPoint);
      if (!stored) throw new Error(`no recovery point "${step.recoveryPoint}" in the scenario's world`);
      this.startRestoreTest(stored, step.plan);
      return;
    }
    const running = this.restoreJobs.filter((job) => job.Status === 'PENDING' || job.Status === 'RUNNING');
    const jobs =
      step.job === undefined ? running : [this.restoreJobs[step.job - 1]].filter((job) => job !== undefined);
    if (jobs.length === 0) throw new Error('no restore job to finish');
    for (const job of jobs) await this.finishRestore(job, step.status, step.statusMessage);
  }

  private copyCompleted(stored: StoredRecoveryPoint, bus: string | undefined): void {
    const { point } = stored;
    const sourceVault = point.SourceBackupVaultArn ?? this.vaultArn('Default', this.world.primaryRegion);
    const created = point.CreationDate ?? new Date();
    const job: CopyJob = {
      AccountId: this.world.account,
      CopyJobId: uuidFrom(`copy-${stored.seedId}`).toUpperCase(),
      SourceBackupVaultArn: sourceVault,
      SourceRecoveryPointArn: `arn:aws:backup:${this.world.primaryRegion}:${this.world.account}:recovery-point:${uuidFrom(`source-${stored.seedId}`)}`,
      DestinationBackupVaultArn: point.BackupVaultArn,
      DestinationRecoveryPointArn: point.RecoveryPointArn,
      ResourceArn: point.ResourceArn,
      CreationDate: new Date(Date.now() - 300_000),
      CompletionDate: new Date(),
      State: 'COMPLETED',
      BackupSizeInBytes: point.BackupSizeInBytes,
      IamRoleArn: point.IamRoleArn,
      ResourceType: point.ResourceType,
    };
    this.copyJobs.push(job);
    // The copy job runs in the source (primary) Region: its event is emitted there, and forwarded here.
    const event = {
      'detail-type': 'Copy Job State Change',
      source: 'aws.backup',
      account: this.world.account,
      region: this.world.primaryRegion,
      resources: [point.RecoveryPointArn ?? ''],
      detail: {
        copyJobId: job.CopyJobId,
        backupSizeInBytes: job.BackupSizeInBytes,
        creationDate: job.CreationDate?.toISOString(),
        iamRoleArn: job.IamRoleArn,
        resourceArn: job.ResourceArn,
        resourceType: job.ResourceType,
        sourceBackupVaultArn: job.SourceBackupVaultArn,
        state: 'COMPLETED',
        completionDate: job.CompletionDate?.toISOString(),
        destinationBackupVaultArn: job.DestinationBackupVaultArn,
        destinationRecoveryPointArn: job.DestinationRecoveryPointArn,
        createdBy: {
          backupPlanId: uuidFrom('plan'),
          backupPlanArn: `arn:aws:backup:${this.world.primaryRegion}:${this.world.account}:backup-plan:${uuidFrom('plan')}`,
          backupPlanVersion: 'c2ltdWxhdGVkLXBsYW4tdmVyc2lvbg',
          backupPlanRuleId: uuidFrom('rule'),
        },
      },
    };
    void created;
    this.emitOn(bus ?? 'forwarded', event);
  }

  /**
   * A restore testing plan's job: AWS Backup starts it with the inferred metadata (restore-testing-inferred-
   * metadata.html), records the plan in `CreatedBy.RestoreTestingPlanArn`, and no one holds a token for it.
   */
  private startRestoreTest(stored: StoredRecoveryPoint, plan: string): void {
    const { point } = stored;
    const now = new Date();
    this.restoreJobs.push({
      AccountId: this.world.account,
      RestoreJobId: crypto.randomUUID().toUpperCase(),
      RecoveryPointArn: point.RecoveryPointArn,
      SourceResourceArn: point.ResourceArn,
      BackupVaultArn: point.BackupVaultArn,
      CreationDate: now,
      Status: 'RUNNING',
      PercentDone: '0.00%',
      BackupSizeInBytes: point.BackupSizeInBytes,
      IamRoleArn: point.IamRoleArn,
      ExpectedCompletionTimeMinutes: 10,
      ResourceType: point.ResourceType,
      RecoveryPointCreationDate: point.CreationDate,
      CreatedBy: {
        RestoreTestingPlanArn: `arn:aws:backup:${this.world.region}:${this.world.account}:restore-testing-plan:${plan}-${uuidFrom(plan).slice(0, 6)}`,
      },
      metadata: inferredMetadata(point),
    });
  }

  /**
   * ListRestoreJobs: newest first; `status`, `completeAfter/Before`, `createdAfter/Before`, `resourceType`,
   * `restoreTestingPlanArn`, `accountId` filters; `maxResults` 1–1000 (the model's range), `nextToken` paging.
   */
  private listRestoreJobs(query: URLSearchParams): SimResponse {
    const maxText = query.get('maxResults');
    const size = maxText === null ? 1000 : Number(maxText);
    if (!Number.isInteger(size) || size < 1 || size > 1000) {
      return error('InvalidParameterValueException', `maxResults ${maxText} is not between 1 and 1000`);
    }
    const time = (name: string) => {
      const text = query.get(name);
      return text === null ? undefined : parseTime(text);
    };
    const [completeAfter, completeBefore, createdAfter, createdBefore] = [
      time('completeAfter'),
      time('completeBefore'),
      time('createdAfter'),
      time('createdBefore'),
    ];
    const status = query.get('status');
    const type = query.get('resourceType');
    const plan = query.get('restoreTestingPlanArn');
    const account = query.get('accountId');
    const at = (date: Date | undefined) => date?.getTime();
    const jobs = this.restoreJobs
      .filter((job) => !status || job.Status === status)
      .filter((job) => !type || job.ResourceType === type)
      .filter((job) => !plan || job.CreatedBy?.RestoreTestingPlanArn === plan)
      .filter((job) => !account || job.AccountId === account)
      .filter((job) => completeAfter === undefined || (at(job.CompletionDate) ?? -1) > completeAfter)
      .filter((job) => completeBefore === undefined || (at(job.CompletionDate) ?? Infinity) < completeBefore)
      .filter((job) => createdAfter === undefined || (at(job.CreationDate) ?? -1) > createdAfter)
      .filter((job) => createdBefore === undefined || (at(job.CreationDate) ?? Infinity) < createdBefore)
      .sort((a, b) => (at(b.CreationDate) ?? 0) - (at(a.CreationDate) ?? 0));
    const start = Number(query.get('nextToken') ?? 0);
    const slice = jobs.slice(start, start + size);
    return json(200, {
      RestoreJobs: slice.map(({ metadata: _, idempotencyToken: __, ...job }) => toWire(job)),
      ...(start + size < jobs.length ? { NextToken: String(start + size) } : {}),
    });
  }

  private async finishRestore(
    job: StoredRestoreJob,
    status: 'COMPLETED' | 'FAILED' | 'ABORTED',
    statusMessage: string | undefined,
  ): Promise<void> {
    const stored = this.recoveryPoints.find(
      (candidate) => candidate.point.RecoveryPointArn === job.RecoveryPointArn,
    );
    let finalStatus = status;
    let message = statusMessage;
    if (status === 'COMPLETED' && stored) {
      try {
        job.CreatedResourceArn = await this.materialize(job, stored);
      } catch (error) {
        finalStatus = 'FAILED';
        message = (error as Error).message;
      }
    }
    job.Status = finalStatus;
    job.StatusMessage = message;
    job.PercentDone = finalStatus === 'COMPLETED' ? '100.00%' : '0.00%';
    job.CompletionDate = new Date();
    this.world.record({
      kind: 'note',
      text: `AWS Backup: restore job ${job.RestoreJobId} ${finalStatus}${job.CreatedResourceArn ? ` → ${job.CreatedResourceArn}` : ''}${message ? ` (${message})` : ''}`,
    });
    const detail: Record<string, unknown> = {
      restoreJobId: job.RestoreJobId,
      backupSizeInBytes: String(job.BackupSizeInBytes ?? 0),
      creationDate: job.CreationDate?.toISOString(),
      iamRoleArn: job.IamRoleArn,
      percentDone: finalStatus === 'COMPLETED' ? 100 : 0,
      resourceType: job.ResourceType,
      status: finalStatus,
    };
    if (finalStatus === 'COMPLETED') {
      Object.assign(detail, {
        backupVaultArn: job.BackupVaultArn,
        recoveryPointArn: job.RecoveryPointArn,
        sourceResourceArn: job.SourceResourceArn,
        createdResourceArn: job.CreatedResourceArn,
        completionDate: job.CompletionDate.toISOString(),
      });
    } else if (message) detail.statusMessage = message;
    if (job.CreatedBy?.RestoreTestingPlanArn)
      detail.restoreTestingPlanArn = job.CreatedBy.RestoreTestingPlanArn;
    this.emit({
      'detail-type': 'Restore Job State Change',
      source: 'aws.backup',
      account: this.world.account,
      region: this.world.region,
      resources: [job.RecoveryPointArn ?? ''],
      detail,
    });
  }

  async handle(request: SimRequest): Promise<SimResponse> {
    const route = routeOf(request);
    const operation = route?.operation ?? `${request.method} ${request.path}`;
    let input: Record<string, unknown> = {};
    try {
      input = request.body ? (JSON.parse(request.body) as Record<string, unknown>) : {};
    } catch {
      return this.finish(operation, input, error('InvalidRequestException', 'The request body is not JSON'));
    }
    const fault = this.world.takeFault('backup', operation);
    let response: SimResponse;
    let applied = false;
    if (fault && !fault.afterApply) {
      response = faultResponse(fault);
    } else if (!route) {
      response = error('InvalidRequestException', `${request.method} ${request.path} is not simulated`);
    } else {
      response = await this.dispatch(route, input, request.query);
      // A fault after apply: the operation's effect stays (a restore job started), the client gets the error.
      if (fault) {
        applied = response.status < 300;
        response = faultResponse(fault);
      }
    }
    return this.finish(operation, { ...input, ...route?.params }, response, applied);
  }

  private finish(
    operation: string,
    input: Record<string, unknown>,
    response: SimResponse,
    applied = false,
  ): SimResponse {
    const result =
      response.status < 300 ? 'ok' : (response.headers?.['x-amzn-ErrorType'] ?? `HTTP ${response.status}`);
    this.world.recordCall(
      {
        service: 'backup',
        operation,
        result,
        mutating: MUTATING.has(operation),
        input,
        ...(applied ? { applied: true } : {}),
      },
      summarize(operation, input),
    );
    return response;
  }

  private async dispatch(
    route: Route,
    input: Record<string, unknown>,
    query: URLSearchParams,
  ): Promise<SimResponse> {
    const { params } = route;
    switch (route.operation) {
      case 'StartRestoreJob':
        return this.startRestoreJob(input);
      case 'ListRestoreJobs':
        return this.listRestoreJobs(query);
      case 'DescribeRestoreJob': {
        const job = this.restoreJobs.find((candidate) => candidate.RestoreJobId === params.restoreJobId);
        if (!job) return error('ResourceNotFoundException', `Restore job ${params.restoreJobId} not found`);
        const { metadata: _, idempotencyToken: __, ...output } = job;
        return json(200, toWire(output));
      }
      case 'PutRestoreValidationResult':
        return this.putValidation(params.restoreJobId ?? '', input);
      case 'DescribeCopyJob': {
        const job = this.copyJobs.find((candidate) => candidate.CopyJobId === params.copyJobId);
        if (!job) return error('ResourceNotFoundException', `Copy job ${params.copyJobId} not found`);
        return json(200, { CopyJob: toWire(job) });
      }
      case 'ListRecoveryPointsByBackupVault': {
        const vault = params.backupVaultName;
        const resourceArn = query.get('resourceArn');
        const resourceType = query.get('resourceType');
        const after = query.get('createdAfter');
        const before = query.get('createdBefore');
        const points = this.recoveryPoints
          .map((stored) => stored.point)
          .filter((point) => point.BackupVaultName === vault)
          .filter((point) => !resourceArn || point.ResourceArn === resourceArn)
          .filter((point) => !resourceType || point.ResourceType === resourceType)
          .filter((point) => !after || (point.CreationDate?.getTime() ?? 0) > parseTime(after))
          .filter((point) => !before || (point.CreationDate?.getTime() ?? 0) < parseTime(before))
          .sort((a, b) => (b.CreationDate?.getTime() ?? 0) - (a.CreationDate?.getTime() ?? 0));
        const start = Number(query.get('nextToken') ?? 0);
        const size = Number(query.get('maxResults') ?? 1000);
        const slice = points.slice(start, start + size);
        return json(200, {
          RecoveryPoints: slice.map(toWire),
          ...(start + size < points.length ? { NextToken: String(start + size) } : {}),
        });
      }
      case 'DescribeRecoveryPoint': {
        const stored = this.findPoint(params.backupVaultName, params.recoveryPointArn);
        if (!stored)
          return error('ResourceNotFoundException', `Recovery point ${params.recoveryPointArn} not found`);
        return json(200, toWire({ ...stored.point, StorageClass: 'WARM' }));
      }
      case 'GetRecoveryPointRestoreMetadata': {
        const stored = this.findPoint(params.backupVaultName, params.recoveryPointArn);
        if (!stored)
          return error('ResourceNotFoundException', `Recovery point ${params.recoveryPointArn} not found`);
        return json(200, {
          BackupVaultArn: stored.point.BackupVaultArn,
          RecoveryPointArn: stored.point.RecoveryPointArn,
          RestoreMetadata: originalMetadata(stored),
          ResourceType: stored.point.ResourceType,
        });
      }
      case 'GetRestoreTestingInferredMetadata': {
        const vault = query.get('BackupVaultName');
        const arn = query.get('RecoveryPointArn');
        if (!vault || !arn)
          return error('MissingParameterValueException', 'BackupVaultName and RecoveryPointArn are required');
        const stored = this.findPoint(vault, arn);
        if (!stored) return error('ResourceNotFoundException', `Recovery point ${arn} not found`);
        return json(200, { InferredMetadata: inferredMetadata(stored.point) });
      }
      case 'ListTags': {
        // "ListTags only works for resource types that support full Backup management of their backups"
        // (API_ListTags): an EC2 AMI or an EBS/RDS snapshot recovery point is refused, as AWS would.
        if (!/^arn:aws[a-z-]*:backup:/.test(String(params.resourceArn ?? ''))) {
          return error(
            'InvalidParameterValueException',
            `ListTags does not support ${params.resourceArn}: not a resource AWS Backup fully manages`,
          );
        }
        const stored = this.recoveryPoints.find(
          (candidate) => candidate.point.RecoveryPointArn === params.resourceArn,
        );
        if (!stored) return error('ResourceNotFoundException', `Resource ${params.resourceArn} not found`);
        return json(200, { Tags: stored.tags });
      }
    }
  }

  private findPoint(vault: string | undefined, arn: string | undefined): StoredRecoveryPoint | undefined {
    return this.recoveryPoints.find(
      (candidate) => candidate.point.BackupVaultName === vault && candidate.point.RecoveryPointArn === arn,
    );
  }

  private startRestoreJob(input: Record<string, unknown>): SimResponse {
    const arn = input.RecoveryPointArn;
    const metadata = input.Metadata as Record<string, string> | undefined;
    if (typeof arn !== 'string' || !metadata) {
      return error('MissingParameterValueException', 'RecoveryPointArn and Metadata are required');
    }
    const token = typeof input.IdempotencyToken === 'string' ? input.IdempotencyToken : undefined;
    const again = token ? this.restoreJobs.find((job) => job.idempotencyToken === token) : undefined;
    if (again) {
      if (again.RecoveryPointArn !== arn) {
        return error('InvalidRequestException', 'The idempotency token was used with different parameters');
      }
      return json(200, { RestoreJobId: again.RestoreJobId });
    }
    const stored = this.recoveryPoints.find((candidate) => candidate.point.RecoveryPointArn === arn);
    if (!stored) return error('ResourceNotFoundException', `Recovery point ${arn} not found`);
    if (stored.point.BackupVaultArn && !stored.point.BackupVaultArn.includes(`:${this.world.region}:`)) {
      return error('InvalidRequestException', 'Restore jobs only run in the Region of the recovery point');
    }
    const type = typeof input.ResourceType === 'string' ? input.ResourceType : stored.point.ResourceType;
    if (typeof input.ResourceType === 'string' && !/^[a-zA-Z0-9\-_.]{1,50}$/.test(input.ResourceType)) {
      return error('InvalidParameterValueException', `Invalid ResourceType ${input.ResourceType}`);
    }
    const job: StoredRestoreJob = {
      AccountId: this.world.account,
      RestoreJobId: crypto.randomUUID().toUpperCase(),
      RecoveryPointArn: arn,
      SourceResourceArn: stored.point.ResourceArn,
      BackupVaultArn: stored.point.BackupVaultArn,
      CreationDate: new Date(),
      Status: 'RUNNING',
      PercentDone: '0.00%',
      BackupSizeInBytes: stored.point.BackupSizeInBytes,
      IamRoleArn: typeof input.IamRoleArn === 'string' ? input.IamRoleArn : undefined,
      ExpectedCompletionTimeMinutes: 10,
      ResourceType: type,
      RecoveryPointCreationDate: stored.point.CreationDate,
      metadata: { ...metadata },
      idempotencyToken: token,
    };
    this.restoreJobs.push(job);
    return json(200, { RestoreJobId: job.RestoreJobId });
  }

  private async putValidation(restoreJobId: string, input: Record<string, unknown>): Promise<SimResponse> {
    const job = this.restoreJobs.find((candidate) => candidate.RestoreJobId === restoreJobId);
    if (!job) return error('ResourceNotFoundException', `Restore job ${restoreJobId} not found`);
    const status = input.ValidationStatus;
    if (status !== 'FAILED' && status !== 'SUCCESSFUL' && status !== 'TIMED_OUT' && status !== 'VALIDATING') {
      return error('InvalidParameterValueException', `Invalid ValidationStatus ${String(status)}`);
    }
    if (job.Status !== 'COMPLETED') {
      return error('InvalidRequestException', `Restore job ${restoreJobId} is ${job.Status}, not COMPLETED`);
    }
    if (job.ValidationStatus && job.ValidationStatus !== 'VALIDATING') {
      return error('InvalidRequestException', 'Once a validation status is set, it cannot be changed');
    }
    job.ValidationStatus = status;
    job.ValidationStatusMessage =
      typeof input.ValidationStatusMessage === 'string' ? input.ValidationStatusMessage : undefined;
    if (job.CreatedBy?.RestoreTestingPlanArn && status !== 'VALIDATING') {
      // A restore testing plan's resources are deleted by AWS Backup once validation is reported.
      job.DeletionStatus = 'DELETING';
      await this.dematerialize(job);
      job.DeletionStatus = 'SUCCESSFUL';
      this.world.record({
        kind: 'note',
        text: `AWS Backup deletes what restore test ${job.RestoreJobId} created${job.CreatedResourceArn ? ` (${job.CreatedResourceArn})` : ''}`,
      });
    }
    return { status: 204, headers: { 'x-amzn-requestid': crypto.randomUUID() } };
  }
}

interface Route {
  operation:
    | 'StartRestoreJob'
    | 'ListRestoreJobs'
    | 'DescribeRestoreJob'
    | 'PutRestoreValidationResult'
    | 'DescribeCopyJob'
    | 'ListRecoveryPointsByBackupVault'
    | 'DescribeRecoveryPoint'
    | 'GetRecoveryPointRestoreMetadata'
    | 'GetRestoreTestingInferredMetadata'
    | 'ListTags';
  params: Record<string, string>;
}

/** The REST-JSON routes (method + URI template of each operation in the service model). */
function routeOf(request: SimRequest): Route | undefined {
  const segments = request.path
    .split('/')
    .filter((segment) => segment.length > 0)
    .map((segment) => decodeURIComponent(segment));
  const [first, second, third, fourth, fifth] = segments;
  const method = request.method;
  if (first === 'restore-jobs') {
    if (method === 'PUT' && segments.length === 1) return { operation: 'StartRestoreJob', params: {} };
    if (method === 'GET' && segments.length === 1) return { operation: 'ListRestoreJobs', params: {} };
    if (method === 'GET' && segments.length === 2)
      return { operation: 'DescribeRestoreJob', params: { restoreJobId: second ?? '' } };
    if (method === 'PUT' && segments.length === 3 && third === 'validations') {
      return { operation: 'PutRestoreValidationResult', params: { restoreJobId: second ?? '' } };
    }
  }
  if (first === 'copy-jobs' && method === 'GET' && segments.length === 2) {
    return { operation: 'DescribeCopyJob', params: { copyJobId: second ?? '' } };
  }
  if (first === 'backup-vaults' && third === 'recovery-points' && method === 'GET') {
    const params = { backupVaultName: second ?? '', recoveryPointArn: fourth ?? '' };
    if (segments.length === 3) return { operation: 'ListRecoveryPointsByBackupVault', params };
    if (segments.length === 4) return { operation: 'DescribeRecoveryPoint', params };
    if (segments.length === 5 && fifth === 'restore-metadata')
      return { operation: 'GetRecoveryPointRestoreMetadata', params };
  }
  if (first === 'restore-testing' && second === 'inferred-metadata' && method === 'GET') {
    return { operation: 'GetRestoreTestingInferredMetadata', params: {} };
  }
  if (first === 'tags' && method === 'GET') {
    // An ARN holds no '/' for Backup-native recovery points; keep the rest joined for the others.
    return { operation: 'ListTags', params: { resourceArn: segments.slice(1).join('/') } };
  }
  return undefined;
}

function error(type: string, message: string, status = 400): SimResponse {
  return jsonError(status, type, { Code: type, Message: message, Type: 'User', Context: '' });
}

/** REST-JSON timestamps travel as epoch seconds. */
function toWire(value: unknown): unknown {
  if (value instanceof Date) return value.getTime() / 1000;
  if (Array.isArray(value)) return value.map(toWire);
  if (typeof value === 'object' && value !== null) {
    return Object.fromEntries(
      Object.entries(value)
        .filter(([, item]) => item !== undefined)
        .map(([key, item]) => [key, toWire(item)]),
    );
  }
  return value;
}

function parseTime(text: string): number {
  const number = Number(text);
  return Number.isNaN(number) ? Date.parse(text) : number * 1000;
}

function uuidFrom(text: string): string {
  const digest = createHash('sha256').update(text).digest('hex');
  return `${digest.slice(0, 8)}-${digest.slice(8, 12)}-${digest.slice(12, 16)}-${digest.slice(16, 20)}-${digest.slice(20, 32)}`;
}

function resourceName(point: RecoveryPointByBackupVault): string {
  const arn = point.ResourceArn ?? '';
  return arn.slice(Math.max(arn.lastIndexOf('/'), arn.lastIndexOf(':')) + 1);
}

/** GetRecoveryPointRestoreMetadata: the *original* configuration (source Region values). */
function originalMetadata({ point, devices }: StoredRecoveryPoint): Record<string, string> {
  switch (point.ResourceType) {
    // restoring-ec2.html: the backed-up configuration, BlockDeviceMappings as a JSON string (source values).
    case 'EC2':
      return {
        InstanceType: 't3.micro',
        SubnetId: 'subnet-0source0000000001',
        SecurityGroupIds: '["sg-0source000000001"]',
        vpcId: 'vpc-0source000000001',
        Placement: JSON.stringify({ AvailabilityZone: 'us-east-1a', Tenancy: 'default' }),
        BlockDeviceMappings: JSON.stringify(
          devices.map((device) => ({
            DeviceName: device.deviceName,
            Ebs: {
              DeleteOnTermination: device.deleteOnTermination,
              VolumeSize: device.sizeGiB,
              VolumeType: 'gp3',
              Encrypted: true,
              KmsKeyId: `arn:aws:kms:us-east-1:111122223333:key/${uuidFrom('source-key')}`,
            },
          })),
        ),
      };
    case 'DynamoDB':
      return { targetTableName: resourceName(point), encryptionType: 'Default' };
    case 'EBS':
      return { availabilityZone: 'us-east-1a', encrypted: 'true', volumeType: 'gp3', volumeSize: '32' };
    default:
      return {};
  }
}

/** GetRestoreTestingInferredMetadata: the minimal metadata for a restore with secure defaults. */
function inferredMetadata(point: RecoveryPointByBackupVault): Record<string, string> {
  const suffix = createHash('sha256')
    .update(point.RecoveryPointArn ?? '')
    .digest('hex')
    .slice(0, 10);
  switch (point.ResourceType) {
    case 'DynamoDB':
      return { targetTableName: `awsbackup-restore-test-${suffix}`, encryptionType: 'Default' };
    case 'EBS':
      return { availabilityZone: 'us-west-2a', encrypted: 'true' };
    // restore-testing-inferred-metadata.html: EC2 gets no BlockDeviceMappings.
    case 'EC2':
      return { disableApiTermination: 'false', instanceType: 't3.micro', requireImdsV2: 'true' };
    case 'S3':
      return {
        DestinationBucketName: `awsbackup-restore-test-${suffix}`,
        NewBucket: 'true',
        EncryptionType: 'SSE-S3',
      };
    default:
      return {};
  }
}

function summarize(operation: string, input: Record<string, unknown>): string {
  switch (operation) {
    case 'StartRestoreJob': {
      const metadata = (input.Metadata ?? {}) as Record<string, string>;
      const target = metadata.targetTableName ?? metadata.TargetTableName ?? '';
      return `StartRestoreJob(${String(input.ResourceType ?? '')} ${String(input.RecoveryPointArn ?? '')}${target ? ` → ${target}` : ''})`;
    }
    case 'PutRestoreValidationResult':
      return `PutRestoreValidationResult(${String(input.restoreJobId ?? '')}: ${String(input.ValidationStatus ?? '')})`;
    default:
      return operation;
  }
}

/** An injected error: throttling as AWS Backup answers it (429, Retry-After), `ServiceUnavailableException` a 500. */
function faultResponse(fault: Fault): SimResponse {
  if (fault.hang) return hungResponse(fault.error);
  return fault.error === 'ThrottlingException'
    ? jsonError(
        429,
        'ThrottlingException',
        { Message: fault.message ?? 'Rate exceeded' },
        { 'Retry-After': fault.retryAfterSeconds ?? '1' },
      )
    : error(
        fault.error,
        fault.message ?? `simulated ${fault.error}`,
        fault.error === 'ServiceUnavailableException' ? 500 : 400,
      );
}
