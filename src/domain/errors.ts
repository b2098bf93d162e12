/**
 * The error hierarchy. Every error keeps its `cause`. Handlers never swallow these: Lambda's retries,
 * the on-failure destination and the DLQ depend on them propagating. A refusal by policy (a drill, a
 * failback launch…) is an outcome, not an error.
 */
export class DrAutopilotError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** Input that can never succeed however often it is retried: a malformed event, a bad configuration. */
export class InvalidInputError extends DrAutopilotError {}

/** An event that does not match its schema; `issues` name each failing field. */
export class InvalidEventError extends InvalidInputError {
  constructor(
    message: string,
    readonly issues: readonly string[] = [],
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** An event from another account or Region (safety rule 5): rejected, never acted on. */
export class ForeignEventError extends InvalidInputError {}

/** A missing or malformed environment variable, detected at cold start. */
export class ConfigError extends InvalidInputError {}

/** A dependency failed in a way a retry may fix (throttling, 5xx, a partial PutEvents failure). */
export class RetryableDependencyError extends DrAutopilotError {}

/**
 * The service refused a change because of the resource's current state (DRS `ConflictException`): e.g.
 * ReverseReplication while the recovery instance's agent is still starting, or on an instance that already
 * replicates. The caller re-reads the state to tell which.
 */
export class ConflictError extends DrAutopilotError {}
