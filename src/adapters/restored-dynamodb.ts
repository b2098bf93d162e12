import {
  DeleteTableCommand,
  DescribeTableCommand,
  type DynamoDBClient,
  ListTagsOfResourceCommand,
  ScanCommand,
  TagResourceCommand,
  UpdateTableCommand,
} from '@aws-sdk/client-dynamodb';
import type { RestoredResourceHandler } from '../ports/restored-resources.ts';
import {
  absentResource,
  deleteStep,
  idFromResourceArn,
  tagList,
  tagMap,
  unlessNotFound,
} from './restored-common.ts';

const NOT_FOUND = ['ResourceNotFoundException'];
/** Items read back to prove the restored table holds readable data (a COUNT scan of at most this many). */
const SAMPLE = 10;

/** A restored DynamoDB table: ACTIVE, its item count, and items actually read back. */
export function createRestoredDynamoDbHandler(client: DynamoDBClient): RestoredResourceHandler {
  return {
    async inspect(arn) {
      const name = idFromResourceArn(arn);
      const base = absentResource('DynamoDB', arn, name);
      const table = await unlessNotFound(
        async () => (await client.send(new DescribeTableCommand({ TableName: name }))).Table,
        NOT_FOUND,
      );
      if (!table) return base;
      const { Tags } = await client.send(
        new ListTagsOfResourceCommand({ ResourceArn: table.TableArn ?? arn }),
      );
      let sampledItems = 0;
      if (table.TableStatus === 'ACTIVE') {
        const { Count } = await client.send(
          new ScanCommand({ TableName: name, Select: 'COUNT', Limit: SAMPLE }),
        );
        sampledItems = Count ?? 0;
      }
      return {
        ...base,
        arn: table.TableArn ?? arn,
        exists: true,
        name: table.TableName,
        createdAt: table.CreationDateTime,
        status: table.TableStatus,
        tags: tagMap(Tags),
        facts: {
          itemCount: table.ItemCount ?? null,
          sampledItems,
          deletionProtection: table.DeletionProtectionEnabled ?? false,
        },
      };
    },
    async tag(resource, _targets, tags) {
      await client.send(new TagResourceCommand({ ResourceArn: resource.arn, Tags: tagList(tags) }));
    },
    delete: (step, resource) =>
      deleteStep(
        async () => {
          if (resource.facts.deletionProtection === true) {
            await client.send(
              new UpdateTableCommand({ TableName: step.id, DeletionProtectionEnabled: false }),
            );
          }
          await client.send(new DeleteTableCommand({ TableName: step.id }));
          return 'done';
        },
        { notFound: NOT_FOUND, busy: ['ResourceInUseException'] },
      ),
  };
}
