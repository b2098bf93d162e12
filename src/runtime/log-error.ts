/**
 * What a log line keeps of an error: its name, message, stack and cause, and of an AWS SDK service exception
 * only its fault (`client`/`server`) and request id, never its `$metadata` or `$response`. Those are whole-response
 * dumps (status, headers, attempts) that CloudWatch Logs would keep for the log group's retention; the request id
 * is what AWS Support asks for. Returns a new error; the one thrown is untouched (retries and the SDK's own
 * retry decisions still read it).
 */
export function loggableError(error: unknown, depth = 0): unknown {
  if (!(error instanceof Error)) return error;
  const copy = new Error(error.message);
  copy.name = error.name;
  copy.stack = error.stack;
  const fields = copy as unknown as Record<string, unknown>;
  for (const [key, value] of Object.entries(error)) {
    if (key.startsWith('$') || key === 'cause') continue;
    fields[key] = value;
  }
  const sdk = error as { $fault?: unknown; $metadata?: { requestId?: unknown } };
  if (typeof sdk.$fault === 'string') fields.fault = sdk.$fault;
  if (typeof sdk.$metadata?.requestId === 'string') fields.requestId = sdk.$metadata.requestId;
  if (error.cause !== undefined)
    copy.cause = depth < 5 ? loggableError(error.cause, depth + 1) : String(error.cause);
  return copy;
}
