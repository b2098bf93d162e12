import type { RestorableType } from '../domain/restore-settings.ts';

/**
 * A resource a restore job created, as its own service reports it. `facts` is the evidence the validation
 * verdict reads (table status and item sample, instance status checks, object sample…).
 */
export type RelatedKind = 'ec2-image' | 'ebs-snapshot' | 'ebs-volume' | 'rds-instance';

export interface RelatedResource {
  kind: RelatedKind;
  id: string;
  arn?: string | undefined;
  tags: Record<string, string>;
  createdAt?: Date | undefined;
  status?: string | undefined;
  /** EBS volumes attached to a restored instance: deleted with it unless false. */
  deleteOnTermination?: boolean | undefined;
  /** EBS volumes: size, and the device name they are attached as (an EC2 restore compares both with its backup). */
  sizeGiB?: number | undefined;
  deviceName?: string | undefined;
  /** EBS volumes: the instance it is attached to, and that instance's state (`shutting-down`…), if attached. */
  attachment?: { instanceId: string; instanceState?: string | undefined } | undefined;
}

export interface RestoredResource {
  type: RestorableType;
  arn: string;
  /** The service's identifier: table name, DB identifier, volume/instance/file-system ID, bucket name. */
  id: string;
  exists: boolean;
  /** The name the resource was created with, compared with the one dr-autopilot asked for. */
  name?: string | undefined;
  createdAt?: Date | undefined;
  status?: string | undefined;
  tags: Record<string, string>;
  facts: Record<string, string | number | boolean | null>;
  related: RelatedResource[];
}

export interface TagTarget {
  kind: 'main' | RelatedKind;
  id: string;
  arn?: string | undefined;
}

export interface CleanupStep extends TagTarget {
  type: RestorableType;
}

export interface PrepareContext {
  restoreJobId: string;
  /** dr-autopilot's tags for anything it creates. */
  tags: Record<string, string>;
  instanceClass?: string | undefined;
}

/** Per resource type: inspect, tag, prepare validation, delete. One implementation per service. */
export interface RestoredResourceHandler {
  inspect(arn: string): Promise<RestoredResource>;
  tag(resource: RestoredResource, targets: TagTarget[], tags: Record<string, string>): Promise<void>;
  /** Creates what validation needs and the restore does not (Aurora: a DB instance). Returns what it created. */
  prepare?(resource: RestoredResource, context: PrepareContext): Promise<string[]>;
  /** `done`: deleted (or already gone); `waiting`: cannot proceed yet (a dependency still being deleted). */
  delete(step: CleanupStep, resource: RestoredResource): Promise<'done' | 'waiting'>;
  /**
   * A fresh read of related resources a cleanup remembered from an earlier round (the restored resource may no
   * longer list them: a terminated EC2 instance lists no volumes). Those not returned no longer exist.
   */
  inspectRelated?(targets: TagTarget[]): Promise<RelatedResource[]>;
}

export type RestoredResourceHandlers = Partial<Record<RestorableType, RestoredResourceHandler>>;
