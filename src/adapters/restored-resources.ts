import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { EC2Client } from '@aws-sdk/client-ec2';
import type { EFSClient } from '@aws-sdk/client-efs';
import type { RDSClient } from '@aws-sdk/client-rds';
import type { S3Client } from '@aws-sdk/client-s3';
import type { RestoredResourceHandlers } from '../ports/restored-resources.ts';
import { createRestoredDynamoDbHandler } from './restored-dynamodb.ts';
import { createRestoredEbsHandler, createRestoredEc2Handler } from './restored-ec2.ts';
import { createRestoredEfsHandler } from './restored-efs.ts';
import { createRestoredAuroraHandler, createRestoredRdsHandler } from './restored-rds.ts';
import { createRestoredS3Handler } from './restored-s3.ts';

/** One handler per restorable type, over the SDK clients of this Region, for this account. */
export function createRestoredResourceHandlers(
  clients: {
    dynamodb: DynamoDBClient;
    rds: RDSClient;
    ec2: EC2Client;
    efs: EFSClient;
    s3: S3Client;
  },
  options: { account: string },
): RestoredResourceHandlers {
  return {
    DynamoDB: createRestoredDynamoDbHandler(clients.dynamodb),
    RDS: createRestoredRdsHandler(clients.rds),
    Aurora: createRestoredAuroraHandler(clients.rds),
    EBS: createRestoredEbsHandler(clients.ec2),
    EC2: createRestoredEc2Handler(clients.ec2),
    EFS: createRestoredEfsHandler(clients.efs),
    S3: createRestoredS3Handler(clients.s3, { expectedBucketOwner: options.account }),
  };
}
