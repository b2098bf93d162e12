import {
  AddTagsToResourceCommand,
  CreateDBInstanceCommand,
  type DBInstance,
  DeleteDBClusterCommand,
  DeleteDBInstanceCommand,
  DescribeDBClustersCommand,
  DescribeDBInstancesCommand,
  ModifyDBClusterCommand,
  ModifyDBInstanceCommand,
  type RDSClient,
} from '@aws-sdk/client-rds';
import type { RelatedResource, RestoredResourceHandler } from '../ports/restored-resources.ts';
import {
  absentResource,
  deleteStep,
  idFromResourceArn,
  tagList,
  tagMap,
  unlessNotFound,
} from './restored-common.ts';

const INSTANCE_NOT_FOUND = ['DBInstanceNotFoundFault', 'DBInstanceNotFound'];
const CLUSTER_NOT_FOUND = ['DBClusterNotFoundFault', 'DBClusterNotFound'];
/** The default class of the DB instance created to validate an Aurora cluster (`validationInstanceClass`). */
export const DEFAULT_VALIDATION_INSTANCE_CLASS = 'db.t4g.medium';

function describeInstance(client: RDSClient, id: string): Promise<DBInstance | undefined> {
  return unlessNotFound(
    async () =>
      (await client.send(new DescribeDBInstancesCommand({ DBInstanceIdentifier: id }))).DBInstances?.[0],
    INSTANCE_NOT_FOUND,
  );
}

async function deleteInstance(client: RDSClient, id: string): Promise<'done' | 'waiting'> {
  const instance = await describeInstance(client, id);
  if (!instance || instance.DBInstanceStatus === 'deleting') return 'done';
  if (instance.DeletionProtection) {
    await client.send(
      new ModifyDBInstanceCommand({
        DBInstanceIdentifier: id,
        DeletionProtection: false,
        ApplyImmediately: true,
      }),
    );
  }
  return deleteStep(
    async () => {
      await client.send(
        new DeleteDBInstanceCommand({
          DBInstanceIdentifier: id,
          SkipFinalSnapshot: true,
          DeleteAutomatedBackups: true,
        }),
      );
      return 'done';
    },
    { notFound: INSTANCE_NOT_FOUND, busy: ['InvalidDBInstanceStateFault'] },
  );
}

/** A restored RDS DB instance: available. */
export function createRestoredRdsHandler(client: RDSClient): RestoredResourceHandler {
  return {
    async inspect(arn) {
      const id = idFromResourceArn(arn);
      const instance = await describeInstance(client, id);
      const base = absentResource('RDS', arn, id);
      if (!instance) return base;
      return {
        ...base,
        arn: instance.DBInstanceArn ?? arn,
        exists: true,
        name: instance.DBInstanceIdentifier,
        createdAt: instance.InstanceCreateTime,
        status: instance.DBInstanceStatus,
        tags: tagMap(instance.TagList),
        facts: {
          engine: instance.Engine ?? null,
          engineVersion: instance.EngineVersion ?? null,
          instanceClass: instance.DBInstanceClass ?? null,
          endpoint: endpointOf(instance.Endpoint?.Address, instance.Endpoint?.Port),
        },
      };
    },
    async tag(resource, _targets, tags) {
      await client.send(new AddTagsToResourceCommand({ ResourceName: resource.arn, Tags: tagList(tags) }));
    },
    delete: (step) => deleteInstance(client, step.id),
  };
}

/**
 * A restored Aurora cluster. AWS Backup restores the cluster without a DB instance, so validation creates one
 * (tagged as ours, deleted after) and the cluster passes once that instance is available.
 */
export function createRestoredAuroraHandler(client: RDSClient): RestoredResourceHandler {
  return {
    async inspect(arn) {
      const id = idFromResourceArn(arn);
      const base = absentResource('Aurora', arn, id);
      const cluster = await unlessNotFound(
        async () =>
          (await client.send(new DescribeDBClustersCommand({ DBClusterIdentifier: id }))).DBClusters?.[0],
        CLUSTER_NOT_FOUND,
      );
      if (!cluster) return base;
      const { DBInstances = [] } = await client.send(
        new DescribeDBInstancesCommand({
          Filters: [{ Name: 'db-cluster-id', Values: [cluster.DBClusterArn ?? id] }],
        }),
      );
      const related: RelatedResource[] = DBInstances.map((instance) => ({
        kind: 'rds-instance',
        id: instance.DBInstanceIdentifier ?? '',
        arn: instance.DBInstanceArn,
        tags: tagMap(instance.TagList),
        createdAt: instance.InstanceCreateTime,
        status: instance.DBInstanceStatus,
      }));
      return {
        ...base,
        arn: cluster.DBClusterArn ?? arn,
        exists: true,
        name: cluster.DBClusterIdentifier,
        createdAt: cluster.ClusterCreateTime,
        status: cluster.Status,
        tags: tagMap(cluster.TagList),
        facts: {
          engine: cluster.Engine ?? null,
          engineVersion: cluster.EngineVersion ?? null,
          endpoint: endpointOf(cluster.Endpoint, cluster.Port),
          serverlessV2: cluster.ServerlessV2ScalingConfiguration !== undefined,
          deletionProtection: cluster.DeletionProtection ?? false,
          members: cluster.DBClusterMembers?.length ?? 0,
        },
        related,
      };
    },
    async tag(resource, _targets, tags) {
      await client.send(new AddTagsToResourceCommand({ ResourceName: resource.arn, Tags: tagList(tags) }));
    },
    async prepare(resource, context) {
      const identifier = validationInstanceId(resource.id);
      const serverless = resource.facts.serverlessV2 === true;
      await client.send(
        new CreateDBInstanceCommand({
          DBInstanceIdentifier: identifier,
          DBClusterIdentifier: resource.id,
          Engine: String(resource.facts.engine ?? ''),
          DBInstanceClass: serverless
            ? 'db.serverless'
            : (context.instanceClass ?? DEFAULT_VALIDATION_INSTANCE_CLASS),
          PubliclyAccessible: false,
          Tags: tagList(context.tags),
        }),
      );
      return [identifier];
    },
    async delete(step, resource) {
      if (step.kind === 'rds-instance') return deleteInstance(client, step.id);
      // The cluster goes once its instances are gone (RDS refuses to delete a cluster that still has members).
      if (resource.related.length > 0 || Number(resource.facts.members ?? 0) > 0) return 'waiting';
      if (resource.status === 'deleting') return 'done';
      if (resource.facts.deletionProtection === true) {
        await client.send(
          new ModifyDBClusterCommand({
            DBClusterIdentifier: step.id,
            DeletionProtection: false,
            ApplyImmediately: true,
          }),
        );
      }
      return deleteStep(
        async () => {
          await client.send(
            new DeleteDBClusterCommand({ DBClusterIdentifier: step.id, SkipFinalSnapshot: true }),
          );
          return 'done';
        },
        { notFound: CLUSTER_NOT_FOUND, busy: ['InvalidDBClusterStateFault'] },
      );
    },
  };
}

/** `host:port`, or null while RDS has not published the endpoint. */
function endpointOf(address: string | undefined, port: number | undefined): string | null {
  return address ? `${address}:${port ?? ''}` : null;
}

const VALIDATION_SUFFIX = '-validate';

/**
 * The validation instance's identifier: `<cluster>-validate`, within RDS's rules (1 to 63 letters, digits and
 * hyphens, never ending in a hyphen nor holding two in a row). A long cluster identifier is cut *before* the
 * suffix, and any hyphen the cut leaves at its end is dropped, so the suffix always stays whole.
 */
export function validationInstanceId(clusterId: string): string {
  const base = clusterId.slice(0, 63 - VALIDATION_SUFFIX.length).replace(/-+$/, '');
  return `${base}${VALIDATION_SUFFIX}`;
}
