import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ListTablesCommand } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDynamoDbClient, DYNAMODB_REQUEST_TIMEOUT_MS } from '../../../src/runtime/dynamodb-client.ts';

/**
 * The functions' DynamoDB client gives up a request whose answer never comes and retries it, instead of waiting
 * until Lambda times the function out (the SDK's default has no request timeout). Real time, a real socket.
 */
let held: ServerResponse[] = [];
let requests = 0;
const server = createServer((request: IncomingMessage, response: ServerResponse) => {
  request.resume();
  request.on('end', () => {
    requests += 1;
    if (requests === 1) {
      held.push(response); // never answered
      return;
    }
    response.writeHead(200, { 'content-type': 'application/x-amz-json-1.0' });
    response.end(JSON.stringify({ TableNames: ['readiness'] }));
  });
});

beforeAll(async () => {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const { port } = server.address() as AddressInfo;
  Object.assign(process.env, {
    AWS_ENDPOINT_URL_DYNAMODB: `http://127.0.0.1:${port}`,
    AWS_REGION: 'us-west-2',
    AWS_ACCESS_KEY_ID: 'test',
    AWS_SECRET_ACCESS_KEY: 'test',
  });
});

afterAll(async () => {
  for (const response of held) response.destroy();
  held = [];
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

describe("the functions' DynamoDB client", () => {
  it('gives up a request that gets no answer after its request timeout, and the retry answers', async () => {
    // Prepare
    const client = createDynamoDbClient();
    const started = Date.now();

    // Act
    const output = await client.send(new ListTablesCommand({}));

    // Assess
    expect(output.TableNames).toEqual(['readiness']);
    expect(output.$metadata.attempts).toBe(2);
    expect(Date.now() - started).toBeGreaterThanOrEqual(DYNAMODB_REQUEST_TIMEOUT_MS - 50);
  }, 20_000);
});
