import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface DoubleRequest {
  /**
   * The operation: the REST-JSON path's first segment (`ReverseReplication`), the `X-Amz-Target` action, the
   * query protocol's `Action`, or what `operationOf` names.
   */
  operation: string;
  /** The JSON body, or the query protocol's form fields. */
  body: Record<string, unknown>;
  method: string;
  /** The request path, without the query string. */
  path: string;
  /** The request's headers, names in lower case (e.g. Lambda's `x-amz-invocation-type`; `authorization` carries the SigV4 signature). */
  headers: Record<string, string | string[] | undefined>;
}
export interface DoubleResponse {
  status?: number;
  headers?: Record<string, string>;
  body?: unknown;
  /** An XML answer (query protocol: CloudFormation, SNS), sent as is instead of `body`. */
  xml?: string;
  /** Answer after this many milliseconds (to make concurrent invocations overlap). */
  delayMs?: number;
}
export type DoubleHandler = (request: DoubleRequest) => DoubleResponse | Promise<DoubleResponse>;

/**
 * A minimal AWS endpoint on loopback for tests: real SDK clients talk to it through the standard endpoint
 * settings (`AWS_ENDPOINT_URL_<SERVICE>`). JSON, REST-JSON and query (form-encoded, XML answers) protocols; one
 * double may serve several services. Records every request; unknown operations answer 400.
 * `operationOf` names REST operations whose path does not start with the operation (`/2015-03-31/functions/…`).
 */
export async function startAwsDouble(
  handlers: Record<string, DoubleHandler>,
  options: { operationOf?: (request: { method: string; path: string }) => string | undefined } = {},
) {
  const requests: DoubleRequest[] = [];
  const server: Server = createServer(async (req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const text = Buffer.concat(chunks).toString('utf8');
    const target = req.headers['x-amz-target'];
    const method = req.method ?? 'GET';
    const path = (req.url ?? '/').split('?')[0] ?? '/';
    const form = String(req.headers['content-type'] ?? '').startsWith('application/x-www-form-urlencoded')
      ? new URLSearchParams(text)
      : undefined;
    const operation =
      options.operationOf?.({ method, path }) ??
      (typeof target === 'string'
        ? (target.split('.').pop() ?? '')
        : (form?.get('Action') ?? path.split('/')[1] ?? ''));
    const body = form ? Object.fromEntries(form) : text ? (JSON.parse(text) as Record<string, unknown>) : {};
    const request = { operation, body, method, path, headers: req.headers };
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
    if (response.xml !== undefined) {
      res.writeHead(response.status ?? 200, { 'content-type': 'text/xml', ...response.headers });
      res.end(response.xml);
      return;
    }
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
