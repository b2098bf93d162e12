import {
  DeleteTableCommand,
  DescribeTableCommand,
  DynamoDBClient,
  ListTagsOfResourceCommand,
  ResourceNotFoundException,
  ScanCommand,
  TagResourceCommand,
  UpdateTableCommand,
} from '@aws-sdk/client-dynamodb';
import {
  AddTagsToResourceCommand,
  CreateDBInstanceCommand,
  DeleteDBClusterCommand,
  DeleteDBInstanceCommand,
  DescribeDBClustersCommand,
  DescribeDBInstancesCommand,
  RDSClient,
} from '@aws-sdk/client-rds';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-vitest/extend';
import { beforeEach, describe, expect, it } from 'vitest';
import { createRestoredDynamoDbHandler } from '../../../../src/adapters/restored-dynamodb.ts';
import {
  createRestoredAuroraHandler,
  createRestoredRdsHandler,
  validationInstanceId,
} from '../../../../src/adapters/restored-rds.ts';

const dynamoMock = mockClient(DynamoDBClient);
const rdsMock = mockClient(RDSClient);
const dynamo = createRestoredDynamoDbHandler(new DynamoDBClient({ region: 'us-west-2' }));
const rds = createRestoredRdsHandler(new RDSClient({ region: 'us-west-2' }));
const aurora = createRestoredAuroraHandler(new RDSClient({ region: 'us-west-2' }));
const TABLE_ARN = 'arn:aws:dynamodb:us-west-2:111122223333:table/dr-autopilot-0123456789ab';
const CREATED = new Date('2026-11-22T10:05:00Z');

function notFound(name: string): Error {
  return Object.assign(new Error(`${name}: not found`), { name });
}

describe('restored DynamoDB table', () => {
  beforeEach(() => dynamoMock.reset());

  it('reports status, item count, items read back and tags', async () => {
    // Prepare
    dynamoMock.on(DescribeTableCommand).resolves({
      Table: {
        TableName: 'dr-autopilot-0123456789ab',
        TableArn: TABLE_ARN,
        TableStatus: 'ACTIVE',
        ItemCount: 120,
        CreationDateTime: CREATED,
        DeletionProtectionEnabled: false,
      },
    });
    dynamoMock
      .on(ListTagsOfResourceCommand)
      .resolves({ Tags: [{ Key: 'dr-autopilot:managed-by', Value: 'dr-autopilot' }] });
    dynamoMock.on(ScanCommand).resolves({ Count: 10 });
    // Act
    const table = await dynamo.inspect(TABLE_ARN);
    // Assess
    expect(dynamoMock).toHaveReceivedCommandWith(ScanCommand, {
      TableName: 'dr-autopilot-0123456789ab',
      Select: 'COUNT',
      Limit: 10,
    });
    expect(table).toMatchObject({
      exists: true,
      name: 'dr-autopilot-0123456789ab',
      status: 'ACTIVE',
      createdAt: CREATED,
      tags: { 'dr-autopilot:managed-by': 'dr-autopilot' },
      facts: { itemCount: 120, sampledItems: 10 },
    });
  });

  it('reports a missing table as not existing', async () => {
    dynamoMock
      .on(DescribeTableCommand)
      .rejects(new ResourceNotFoundException({ message: 'no', $metadata: {} }));
    expect((await dynamo.inspect(TABLE_ARN)).exists).toBe(false);
    expect(dynamoMock).not.toHaveReceivedCommand(ScanCommand);
  });

  it('tags the table and deletes it, lifting deletion protection first', async () => {
    // Prepare
    dynamoMock.on(TagResourceCommand).resolves({});
    dynamoMock.on(UpdateTableCommand).resolves({});
    dynamoMock.on(DeleteTableCommand).resolves({});
    const table = {
      type: 'DynamoDB' as const,
      arn: TABLE_ARN,
      id: 'dr-autopilot-0123456789ab',
      exists: true,
      tags: {},
      facts: { deletionProtection: true },
      related: [],
    };
    // Act
    await dynamo.tag(table, [], { 'dr-autopilot:managed-by': 'dr-autopilot' });
    const result = await dynamo.delete({ type: 'DynamoDB', kind: 'main', id: table.id }, table);
    // Assess
    expect(dynamoMock).toHaveReceivedCommandWith(TagResourceCommand, {
      ResourceArn: TABLE_ARN,
      Tags: [{ Key: 'dr-autopilot:managed-by', Value: 'dr-autopilot' }],
    });
    expect(dynamoMock).toHaveReceivedCommandWith(UpdateTableCommand, {
      TableName: table.id,
      DeletionProtectionEnabled: false,
    });
    expect(dynamoMock).toHaveReceivedCommandWith(DeleteTableCommand, { TableName: table.id });
    expect(result).toBe('done');
  });
});

describe('restored RDS instance', () => {
  beforeEach(() => rdsMock.reset());

  it('reports status and tags, and deletes without a final snapshot', async () => {
    // Prepare
    rdsMock.on(DescribeDBInstancesCommand).resolves({
      DBInstances: [
        {
          DBInstanceIdentifier: 'dr-autopilot-0123456789ab',
          DBInstanceArn: 'arn:aws:rds:us-west-2:111122223333:db:dr-autopilot-0123456789ab',
          DBInstanceStatus: 'available',
          InstanceCreateTime: CREATED,
          TagList: [{ Key: 'k', Value: 'v' }],
          Engine: 'postgres',
          EngineVersion: '16.4',
          Endpoint: { Address: 'dr-autopilot-0123456789ab.abc.us-west-2.rds.amazonaws.com', Port: 5432 },
        },
      ],
    });
    rdsMock.on(DeleteDBInstanceCommand).resolves({});
    // Act
    const instance = await rds.inspect('arn:aws:rds:us-west-2:111122223333:db:dr-autopilot-0123456789ab');
    const result = await rds.delete({ type: 'RDS', kind: 'main', id: instance.id }, instance);
    // Assess
    expect(instance).toMatchObject({
      exists: true,
      status: 'available',
      name: 'dr-autopilot-0123456789ab',
      tags: { k: 'v' },
      facts: {
        engine: 'postgres',
        engineVersion: '16.4',
        endpoint: 'dr-autopilot-0123456789ab.abc.us-west-2.rds.amazonaws.com:5432',
      },
    });
    expect(rdsMock).toHaveReceivedCommandWith(DeleteDBInstanceCommand, {
      DBInstanceIdentifier: 'dr-autopilot-0123456789ab',
      SkipFinalSnapshot: true,
      DeleteAutomatedBackups: true,
    });
    expect(result).toBe('done');
  });

  it('reports a missing instance as not existing', async () => {
    rdsMock.on(DescribeDBInstancesCommand).rejects(notFound('DBInstanceNotFoundFault'));
    expect((await rds.inspect('arn:aws:rds:us-west-2:111122223333:db:gone')).exists).toBe(false);
  });
});

describe('restored Aurora cluster', () => {
  beforeEach(() => rdsMock.reset());

  const clusterArn = 'arn:aws:rds:us-west-2:111122223333:cluster:dr-autopilot-0123456789ab';

  it('lists the cluster’s DB instances as related resources', async () => {
    // Prepare
    rdsMock.on(DescribeDBClustersCommand).resolves({
      DBClusters: [
        {
          DBClusterIdentifier: 'dr-autopilot-0123456789ab',
          DBClusterArn: clusterArn,
          Status: 'available',
          Engine: 'aurora-postgresql',
          DBClusterMembers: [{}],
        },
      ],
    });
    rdsMock.on(DescribeDBInstancesCommand).resolves({
      DBInstances: [
        {
          DBInstanceIdentifier: 'dr-autopilot-0123456789ab-validate',
          DBInstanceStatus: 'creating',
          TagList: [],
        },
      ],
    });
    // Act
    const cluster = await aurora.inspect(clusterArn);
    // Assess
    expect(rdsMock).toHaveReceivedCommandWith(DescribeDBInstancesCommand, {
      Filters: [{ Name: 'db-cluster-id', Values: [clusterArn] }],
    });
    expect(cluster.related).toEqual([
      expect.objectContaining({
        kind: 'rds-instance',
        id: 'dr-autopilot-0123456789ab-validate',
        status: 'creating',
      }),
    ]);
  });

  it('creates a tagged validation instance of the configured class in the cluster', async () => {
    // Prepare
    rdsMock.on(CreateDBInstanceCommand).resolves({});
    const cluster = {
      type: 'Aurora' as const,
      arn: clusterArn,
      id: 'dr-autopilot-0123456789ab',
      exists: true,
      tags: {},
      facts: { engine: 'aurora-mysql', serverlessV2: false },
      related: [],
    };
    // Act
    const created = await aurora.prepare?.(cluster, {
      restoreJobId: 'job-1',
      tags: { 'dr-autopilot:managed-by': 'dr-autopilot' },
      instanceClass: 'db.r6g.large',
    });
    // Assess
    expect(created).toEqual(['dr-autopilot-0123456789ab-validate']);
    expect(rdsMock).toHaveReceivedCommandWith(CreateDBInstanceCommand, {
      DBInstanceIdentifier: 'dr-autopilot-0123456789ab-validate',
      DBClusterIdentifier: 'dr-autopilot-0123456789ab',
      Engine: 'aurora-mysql',
      DBInstanceClass: 'db.r6g.large',
      Tags: [{ Key: 'dr-autopilot:managed-by', Value: 'dr-autopilot' }],
    });
  });

  it('waits for the instances to go before deleting the cluster, then deletes it without a final snapshot', async () => {
    // Prepare
    rdsMock.on(DeleteDBClusterCommand).resolves({});
    const base = {
      type: 'Aurora' as const,
      arn: clusterArn,
      id: 'dr-autopilot-0123456789ab',
      exists: true,
      tags: {},
      status: 'available',
    };
    const withInstance = {
      ...base,
      facts: { members: 1 },
      related: [{ kind: 'rds-instance' as const, id: 'v', tags: {} }],
    };
    const empty = { ...base, facts: { members: 0 }, related: [] };
    // Act
    const first = await aurora.delete({ type: 'Aurora', kind: 'main', id: base.id }, withInstance);
    const callsAfterFirst = rdsMock.commandCalls(DeleteDBClusterCommand).length;
    const second = await aurora.delete({ type: 'Aurora', kind: 'main', id: base.id }, empty);
    // Assess
    expect([first, callsAfterFirst, second]).toEqual(['waiting', 0, 'done']);
    expect(rdsMock).toHaveReceivedCommandWith(DeleteDBClusterCommand, {
      DBClusterIdentifier: base.id,
      SkipFinalSnapshot: true,
    });
  });

  it('tags the cluster', async () => {
    rdsMock.on(AddTagsToResourceCommand).resolves({});
    const cluster = {
      type: 'Aurora' as const,
      arn: clusterArn,
      id: 'x',
      exists: true,
      tags: {},
      facts: {},
      related: [],
    };
    await aurora.tag(cluster, [], { a: 'b' });
    expect(rdsMock).toHaveReceivedCommandWith(AddTagsToResourceCommand, {
      ResourceName: clusterArn,
      Tags: [{ Key: 'a', Value: 'b' }],
    });
  });
});

describe('validationInstanceId (RDS identifier rules)', () => {
  const valid = /^[a-zA-Z](?!.*--)[a-zA-Z0-9-]{0,61}[a-zA-Z0-9]$/;

  it.each([
    ['dr-autopilot-0123456789ab', 'dr-autopilot-0123456789ab-validate'],
    // 62 characters, the cut lands right after a hyphen: the old `.slice(0, 63)` ended the name in "-"
    [`${'a'.repeat(53)}-bbbbbbbb`, `${'a'.repeat(53)}-validate`],
    [`${'c'.repeat(63)}`, `${'c'.repeat(54)}-validate`],
  ])('%s -> %s', (cluster, expected) => {
    const id = validationInstanceId(cluster);
    expect(id).toBe(expected);
    expect(id).toMatch(valid);
    expect(id.length).toBeLessThanOrEqual(63);
  });
});
