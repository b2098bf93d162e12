import { createServer, request as httpRequest, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * An HTTP proxy on loopback in front of a local AWS endpoint (dynalite) that can lose an answer: a request
 * `loseAnswer` picks is forwarded and applied upstream, and the caller gets a 500 instead of the answer, as when
 * a service applied a change and its response was lost on the way back. Everything else passes through as is.
 */
export async function startLossyProxy(
  upstream: string,
  loseAnswer: (request: { target: string; body: string }) => boolean,
  /**
   * Consulted before forwarding: may hold a request (a run in progress) and answer it instead of DynamoDB
   * (`{ status: 500 }`: the run dies there). `undefined` forwards it.
   */
  intercept?: (request: { target: string; body: string }) => Promise<{ status: number } | undefined>,
) {
  const target = new URL(upstream);
  const lost: { target: string; body: string }[] = [];
  const server = createServer(async (req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const body = Buffer.concat(chunks);
    const seen = { target: String(req.headers['x-amz-target'] ?? ''), body: body.toString('utf8') };
    const answered = await intercept?.(seen);
    if (answered) {
      res.writeHead(answered.status, {
        'content-type': 'application/x-amz-json-1.0',
        'x-amzn-errortype': 'InternalServerError',
      });
      res.end(
        JSON.stringify({ __type: 'com.amazonaws.dynamodb.v20120810#InternalServerError', message: 'held' }),
      );
      return;
    }
    const forwarded = await new Promise<{
      status: number;
      headers: IncomingMessage['headers'];
      body: Buffer;
    }>((resolve, reject) => {
      const upstreamRequest = httpRequest(
        {
          hostname: target.hostname,
          port: target.port,
          path: req.url,
          method: req.method,
          headers: { ...req.headers, host: target.host },
        },
        async (answer) => {
          const parts: Buffer[] = [];
          for await (const part of answer) parts.push(part as Buffer);
          resolve({ status: answer.statusCode ?? 500, headers: answer.headers, body: Buffer.concat(parts) });
        },
      );
      upstreamRequest.on('error', reject);
      upstreamRequest.end(body);
    });
    if (loseAnswer(seen)) {
      lost.push(seen);
      res.writeHead(500, {
        'content-type': 'application/x-amz-json-1.0',
        'x-amzn-errortype': 'InternalServerError',
      });
      res.end(
        JSON.stringify({ __type: 'com.amazonaws.dynamodb.v20120810#InternalServerError', message: 'lost' }),
      );
      return;
    }
    res.writeHead(forwarded.status, forwarded.headers);
    res.end(forwarded.body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    /** The requests whose answer was lost (applied upstream all the same). */
    lost,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
