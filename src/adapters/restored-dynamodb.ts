import {
  DeleteTableCommand,
  DescribeTableCommand,
  type DynamoDBClient,
  ListTagsOfResourceCommand,
  ScanCommand,
  type TableDescription,
  TagResourceCommand,
  UpdateTableCommand,
} from '@aws-sdk/client-dynamodb';
import type { RestoredResource, RestoredResourceHandler } from '../ports/restored-resources.ts';
import { idFromResourceArn, isNotFound, tagList, tagMap } from './restored-common.ts';

const NOT_FOUND = ['ResourceNotFoundException'];
/** Items read back to prove the restored table holds readable data (a COUNT scan of at most this many). */
const SAMPLE = 10;

/** A restored DynamoDB table: ACTIVE, its item count, and items actually read back. */
export function createRestoredDynamoDbHandler(client: DynamoDBClient): RestoredResourceHandler {
  return {
    async inspect(arn) {
      const name = idFromResourceArn(arn);
      const base: RestoredResource = {
        type: 'DynamoDB',
        arn,
        id: name,
        exists: false,
        tags: {},
        facts: {},
        related: [],
      };
      let table: TableDescription | undefined;
      try {
        ({ Table: table } = await client.send(new DescribeTableCommand({ TableName: name })));
      } catch (error) {
        if (isNotFound(error, NOT_FOUND)) return base;
        throw error;
      }
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
    async delete(step, resource) {
      try {
        if (resource.facts.deletionProtection === true) {
          await client.send(new UpdateTableCommand({ TableName: step.id, DeletionProtectionEnabled: false }));
        }
        await client.send(new DeleteTableCommand({ TableName: step.id }));
      } catch (error) {
        if (isNotFound(error, NOT_FOUND)) return 'done';
        if (error instanceof Error && error.name === 'ResourceInUseException') return 'waiting';
        throw error;
      }
      return 'done';
    },
  };
}
