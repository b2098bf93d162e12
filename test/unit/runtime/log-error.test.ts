import { Logger } from '@aws-lambda-powertools/logger';
import { ProvisionedThroughputExceededException } from '@aws-sdk/client-dynamodb';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { loggableError } from '../../../src/runtime/log-error.ts';

/** What a real Powertools Logger writes for `logger.error('invocation failed', { error })`. */
function logged(error: unknown): Record<string, unknown> {
  const lines: string[] = [];
  // Powertools writes ERROR lines to stderr, the others to stdout.
  const spies = [process.stdout, process.stderr].map((stream) =>
    vi.spyOn(stream, 'write').mockImplementation((chunk) => {
      lines.push(String(chunk));
      return true;
    }),
  );
  const logger = new Logger({ serviceName: 'test', logLevel: 'DEBUG' });
  try {
    logger.error('invocation failed', { error: error as Error });
  } finally {
    for (const spy of spies) spy.mockRestore();
  }
  return JSON.parse(lines.join('')) as Record<string, unknown>;
}

const throttled = () =>
  new ProvisionedThroughputExceededException({
    message: 'Rate exceeded',
    $metadata: { httpStatusCode: 400, requestId: 'REQ-123', attempts: 3, totalRetryDelay: 900 },
  });

describe('loggableError', () => {
  afterEach(() => vi.restoreAllMocks());

  it('the SDK exception itself would log its response metadata', () => {
    // Why the wrapper exists: Powertools logs every enumerable field of an error.
    expect(JSON.stringify(logged(throttled()))).toContain('"$metadata"');
  });

  it('keeps name, message, stack, fault and request id, and drops $metadata', () => {
    const line = logged(loggableError(throttled()));
    const text = JSON.stringify(line);
    expect(text).not.toContain('$metadata');
    expect(text).not.toContain('httpStatusCode');
    expect(line.error).toMatchObject({
      name: 'ProvisionedThroughputExceededException',
      message: 'Rate exceeded',
      fault: 'client',
      requestId: 'REQ-123',
    });
    expect(String((line.error as { stack?: unknown }).stack)).toContain('log-error.test.ts');
  });

  it('cleans a cause too, and leaves the thrown error untouched', () => {
    const cause = throttled();
    const error = new Error('could not save', { cause });
    const text = JSON.stringify(logged(loggableError(error)));
    expect(text).not.toContain('$metadata');
    expect(text).toContain('REQ-123');
    expect(cause.$metadata.httpStatusCode).toBe(400);
    expect(loggableError('not an error')).toBe('not an error');
  });
});
