import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface DoubleRequest {
  /** The operation: the REST-JSON path's first segment (`ReverseReplication`) or the `X-Amz-Target` action. */
  operation: string;
  body: Record<string, unknown>;
}
export interface DoubleResponse {
  status?: number;
  headers?: Record<string, string>;
  body?: unknown;
  /** Answer after this many milliseconds (to make concurrent invocations overlap). */
  delayMs?: number;
}
export type DoubleHandler = (request: DoubleRequest) => DoubleResponse | Promise<DoubleResponse>;

/**
 * A minimal AWS endpoint on loopback for tests: real SDK clients talk to it through the standard endpoint
 * settings (`AWS_ENDPOINT_URL_<SERVICE>`). Records every request; unknown operations answer 400.
 */
export async function startAwsDouble(handlers: Record<string, DoubleHandler>) {
  const requests: DoubleRequest[] = [];
  const server: Server = createServer(async (req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const text = Buffer.concat(chunks).toString('utf8');
    const target = req.headers['x-amz-target'];
    const operation =
      typeof target === 'string'
        ? (target.split('.').pop() ?? '')
        : ((req.url ?? '/').split('?')[0]?.split('/')[1] ?? '');
    const request = { operation, body: text ? (JSON.parse(text) as Record<string, unknown>) : {} };
    requests.push(request);
    const handler = handlers[operation];
    const response: DoubleResponse = handler
      ? await handler(request)
      : {
          status: 400,
          headers: { 'x-amzn-errortype': 'UnknownOperationException' },
          body: { message: `no double for ${operation}` },
        };
    if (response.delayMs) await new Promise((resolve) => setTimeout(resolve, response.delayMs));
    res.writeHead(response.status ?? 200, { 'content-type': 'application/json', ...response.headers });
    res.end(JSON.stringify(response.body ?? {}));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    requests,
    count: (operation: string) => requests.filter((request) => request.operation === operation).length,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** An AWS error as REST-JSON and JSON-1.1 services send it. */
export function awsError(
  status: number,
  type: string,
  message: string,
  headers: Record<string, string> = {},
): DoubleResponse {
  return { status, headers: { 'x-amzn-errortype': type, ...headers }, body: { message } };
}
