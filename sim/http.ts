import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/** One HTTP request as a simulated service sees it. */
export interface SimRequest {
  method: string;
  path: string;
  query: URLSearchParams;
  headers: IncomingHttpHeaders;
  body: string;
}

export interface SimResponse {
  status: number;
  headers?: Record<string, string>;
  body?: string;
  /** Answer nothing: the connection is dropped (the SDK sees a network error, as from an unreachable Region). */
  dropConnection?: boolean | undefined;
  /**
   * Answer nothing and keep the connection open (an injected hang): the client waits until its own or its
   * function's time runs out. `status` and the error type header are what the call record shows.
   */
  hang?: boolean | undefined;
}

/**
 * A request whose answer never arrives (`code`, e.g. `RequestTimeout`, is only what the call log records): see
 * {@link SimResponse.hang}.
 */
export function hungResponse(code = 'RequestTimeout'): SimResponse {
  return { status: 504, headers: { 'x-amzn-ErrorType': code }, hang: true };
}

export type SimHandler = (request: SimRequest) => Promise<SimResponse> | SimResponse;

export interface SimServer {
  /** `http://127.0.0.1:<port>`: what `AWS_ENDPOINT_URL_<SERVICE>` points at. */
  url: string;
  close: () => Promise<void>;
}

/**
 * A tiny HTTP server on the loopback interface (port 0: the OS picks a free one), for one simulated service.
 * A handler that throws answers 500 with the message, so a simulator bug surfaces in the SDK as an error
 * instead of a hang.
 */
export async function startHttpServer(
  handler: SimHandler,
  /** Told when a request is left unanswered (a hung response), once the service has done its part. */
  options: { onHang?: (() => 'hold' | 'drop') | undefined } = {},
): Promise<SimServer> {
  const server: Server = createServer((incoming, outgoing) => {
    const chunks: Buffer[] = [];
    incoming.on('data', (chunk: Buffer) => chunks.push(chunk));
    incoming.on('end', () => {
      const url = new URL(incoming.url ?? '/', 'http://127.0.0.1');
      const request: SimRequest = {
        method: incoming.method ?? 'GET',
        path: url.pathname,
        query: url.searchParams,
        headers: incoming.headers,
        body: Buffer.concat(chunks).toString('utf8'),
      };
      Promise.resolve()
        .then(() => handler(request))
        .then(
          (response) => {
            if (response.dropConnection) {
              incoming.socket.destroy();
              return;
            }
            if (response.hang) {
              // Never answered. Dropped at once: the client gave up first (its own request timeout, which the
              // simulated clock has already passed). Held: the function that waits for it has timed out meanwhile
              // (see LambdaSim), and its execution environment is gone with its connections: closed next.
              if (options.onHang?.() === 'drop') incoming.socket.destroy();
              else setImmediate(() => incoming.socket.destroy());
              return;
            }
            // The simulated clock's time: Node's own Date header is real time, and the SDK corrects its clock
            // (and retries an error once) when the server's time differs from its own by minutes.
            outgoing.writeHead(response.status, {
              date: new Date().toUTCString(),
              ...(response.headers ?? {}),
            });
            outgoing.end(response.body ?? '');
          },
          (error: unknown) => {
            outgoing.writeHead(500, {
              date: new Date().toUTCString(),
              'content-type': 'application/json',
              'x-amzn-errortype': 'InternalServerException',
            });
            outgoing.end(JSON.stringify({ message: `simulator error: ${(error as Error).message}` }));
          },
        );
    });
  });
  server.keepAliveTimeout = 1000;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((error) => (error ? reject(error) : resolve()));
      }),
  };
}

/** A JSON response (REST-JSON and awsJson protocols). */
export function json(status: number, body: unknown, headers: Record<string, string> = {}): SimResponse {
  return {
    status,
    headers: { 'content-type': 'application/json', 'x-amzn-requestid': crypto.randomUUID(), ...headers },
    body: body === undefined ? '' : JSON.stringify(body),
  };
}

/** An AWS REST-JSON error: the type travels in the `x-amzn-ErrorType` header, the members in the body. */
export function jsonError(
  status: number,
  type: string,
  members: Record<string, unknown>,
  headers: Record<string, string> = {},
): SimResponse {
  return json(status, members, { 'x-amzn-ErrorType': type, ...headers });
}

/** An awsJson (1.0 / 1.1) error: the type travels in the body's `__type`. */
export function awsJsonError(status: number, type: string, message: string): SimResponse {
  return {
    status,
    headers: { 'content-type': 'application/x-amz-json-1.1', 'x-amzn-requestid': crypto.randomUUID() },
    body: JSON.stringify({ __type: type, message }),
  };
}

export function xmlEscape(text: string): string {
  return text
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&apos;');
}

/** An AWS query-protocol error document (SNS, STS). */
export function queryError(status: number, code: string, message: string, type = 'Sender'): SimResponse {
  return {
    status,
    headers: { 'content-type': 'text/xml' },
    body: `<ErrorResponse><Error><Type>${type}</Type><Code>${xmlEscape(code)}</Code><Message>${xmlEscape(message)}</Message></Error><RequestId>${crypto.randomUUID()}</RequestId></ErrorResponse>`,
  };
}

/**
 * A REST-XML error document (Amazon S3): `<Error><Code>…</Code><Message>…</Message>…</Error>`, with any extra
 * members (`BucketName`, `Endpoint`…) the error carries.
 */
export function restXmlError(
  status: number,
  code: string,
  message: string,
  members: Record<string, string> = {},
): SimResponse {
  const requestId = crypto.randomUUID().replace(/-/g, '').slice(0, 16).toUpperCase();
  const extra = Object.entries(members)
    .map(([name, value]) => `<${name}>${xmlEscape(value)}</${name}>`)
    .join('');
  return {
    status,
    headers: { 'content-type': 'application/xml', 'x-amz-request-id': requestId },
    body: `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${xmlEscape(code)}</Code><Message>${xmlEscape(message)}</Message>${extra}<RequestId>${requestId}</RequestId></Error>`,
  };
}
