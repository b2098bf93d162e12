import { AsyncLocalStorage } from 'node:async_hooks';
import { subscribe } from 'node:diagnostics_channel';
import type { ClientRequest } from 'node:http';
import { pathToFileURL } from 'node:url';
import type { Context } from 'aws-lambda';
import { type NamespacedUnregister, register } from 'tsx/esm/api';
import { advanceClockTo } from './clock.ts';
import type { SimFunction } from './template.ts';
import type { SimWorld } from './world.ts';

/**
 * The Lambda runtime of one Region, simulated in this process: each function of that Region's packaged
 * template is imported from its `Handler` (`functions/<file>.handler`), with the environment Lambda would give
 * it (the template's variables, resolved for the Region, plus `AWS_REGION`, `AWS_LAMBDA_FUNCTION_NAME`,
 * credentials, and the simulator's `AWS_ENDPOINT_URL_<SERVICE>`), and invoked one invocation at a time.
 *
 * Every function module is imported once, after its environment is in place, because functions read their
 * configuration and make their clients at cold start. Node caches ES modules by URL, so the two Regions of the
 * pair must not import the same module URLs: each runtime imports through its own tsx namespace (`tsx/esm/api`
 * `register({ namespace })`), which marks the URL of the function module and of every project module it
 * imports (`?tsx-namespace=…`). Each Region thus has its own instances of `functions/` and `src/` (configuration,
 * clients, any module state), as separate Lambda containers would; dependencies in node_modules are shared
 * (they hold no deployment state). This works alike under tsx (`npm start`) and under vitest.
 *
 * During an invocation `process.env` is exactly that function's environment (invocations never overlap, in
 * either Region, so this is safe), and it is restored afterwards. Function logs (Powertools JSON lines on
 * stdout) are captured per invocation.
 */

export type LambdaHandler = (event: unknown, context: Context) => Promise<unknown>;

export interface InvocationResult {
  ok: boolean;
  /** The returned outcome (ok) or the error (not ok). */
  outcome?: unknown;
  error?: { errorType: string; errorMessage: string } | undefined;
  logs: Record<string, unknown>[];
}

/**
 * The invocation a piece of handler code runs for (it follows the handler's async continuations). Once Lambda has
 * timed an invocation out, its sandbox is gone: the abandoned handler code may still wake up here (a socket error
 * on the request it was left waiting on), but every request it then makes fails at once, so nothing it does
 * reaches a service and the requests other invocations make are not held up behind it.
 */
const invocationScope = new AsyncLocalStorage<{ timedOut: boolean }>();
subscribe('http.client.request.start', (message) => {
  if (!invocationScope.getStore()?.timedOut) return;
  (message as { request: ClientRequest }).request.destroy(
    new Error('this invocation timed out: its execution environment is gone'),
  );
});

/** Invocations of every Region's runtime: one at a time in the whole process (they share `process.env`). */
let busy = false;
let runtimes = 0;

export class LambdaSim {
  readonly region: string;
  private readonly handlers = new Map<string, LambdaHandler>();
  private readonly initErrors = new Map<string, Error>();
  private namespace: NamespacedUnregister | undefined;
  private readonly namespaceName: string;
  /** Variables a scenario sets on a function beyond its template's (`environment`), by logical id. */
  private readonly overrides = new Map<string, Record<string, string>>();
  /** Namespaces of functions loaded again under other variables (see {@link configure}). */
  private readonly reloads: NamespacedUnregister[] = [];

  constructor(
    private readonly world: SimWorld,
    readonly functions: SimFunction[],
    /** What every function's environment adds to the template's variables (endpoints, credentials). */
    private readonly runtimeEnv: Record<string, string>,
    options: { region?: string } = {},
  ) {
    this.region = options.region ?? world.region;
    runtimes += 1;
    // Unique per runtime: a second simulator in the same process must not reuse the first one's modules.
    this.namespaceName = `dr-autopilot-sim-${this.region}-${process.pid}-${runtimes}`;
  }

  /** The full environment of a function, as Lambda would set it. */
  environmentOf(fn: SimFunction): Record<string, string> {
    return {
      ...baseProcessEnv(),
      ...this.runtimeEnv,
      AWS_REGION: this.region,
      AWS_DEFAULT_REGION: this.region,
      AWS_LAMBDA_FUNCTION_NAME: fn.functionName,
      AWS_LAMBDA_FUNCTION_VERSION: '$LATEST',
      AWS_LAMBDA_FUNCTION_MEMORY_SIZE: String(fn.memoryMb),
      AWS_LAMBDA_LOG_GROUP_NAME: `/aws/lambda/${fn.functionName}`,
      AWS_EXECUTION_ENV: 'AWS_Lambda_nodejs22.x',
      ...fn.environment,
      ...this.overrides.get(fn.logicalId),
    };
  }

  /**
   * Sets the variables a function gets beyond its template's (none: `{}`), as a deployment with other parameters
   * would: when they change, the function is loaded again (a cold start, its own module instances, through a
   * namespace of its own), since functions read their configuration at cold start. Only the variables change:
   * the simulator checks no IAM, so a parameter that also grants permissions is modelled as granted.
   */
  async configure(logicalId: string, variables: Readonly<Record<string, string>>): Promise<void> {
    const fn = this.find(logicalId);
    if (!fn) throw new Error(`no function ${logicalId} in the simulated deployment`);
    const current = this.overrides.get(logicalId) ?? {};
    if (JSON.stringify(current) === JSON.stringify(variables)) return;
    if (Object.keys(variables).length === 0) this.overrides.delete(logicalId);
    else this.overrides.set(logicalId, { ...variables });
    const namespace = register({
      namespace: `${this.namespaceName}-${logicalId}-${this.reloads.length + 1}`,
    });
    this.reloads.push(namespace);
    this.handlers.delete(logicalId);
    this.initErrors.delete(logicalId);
    await this.loadOne(fn, namespace);
  }

  /** The functions a scenario has set variables on. */
  configured(): string[] {
    return [...this.overrides.keys()];
  }

  /** Cold starts: imports every function module under its own environment. An init error is kept, like Lambda's. */
  async load(): Promise<void> {
    this.namespace ??= register({ namespace: this.namespaceName });
    const scoped = this.namespace;
    for (const fn of this.functions) {
      if (this.handlers.has(fn.logicalId) || this.initErrors.has(fn.logicalId)) continue;
      await this.loadOne(fn, scoped);
    }
  }

  private async loadOne(fn: SimFunction, scoped: NamespacedUnregister): Promise<void> {
    try {
      const loaded = await this.withEnvironment(
        fn,
        () => scoped.import(pathToFileURL(fn.modulePath).href, import.meta.url) as Promise<unknown>,
      );
      if (loaded.error !== undefined) throw loaded.error;
      const module = loaded.value as Record<string, unknown>;
      const handler = module[fn.exportName];
      if (typeof handler !== 'function')
        throw new Error(`${fn.handler}: no exported function "${fn.exportName}"`);
      this.handlers.set(fn.logicalId, handler as LambdaHandler);
    } catch (error) {
      this.initErrors.set(fn.logicalId, error as Error);
    }
  }

  /** Stops resolving this runtime's namespaces (the modules they loaded stay in Node's cache, unused). */
  async unload(): Promise<void> {
    const namespaces = [this.namespace, ...this.reloads.splice(0)];
    this.namespace = undefined;
    for (const namespace of namespaces) await namespace?.unregister();
  }

  find(logicalId: string): SimFunction | undefined {
    return this.functions.find((fn) => fn.logicalId === logicalId);
  }

  /** One synchronous attempt of one invocation. */
  async invoke(logicalId: string, event: unknown): Promise<InvocationResult> {
    const fn = this.find(logicalId);
    if (!fn) throw new Error(`no function ${logicalId} in the simulated deployment`);
    if (busy) throw new Error('the simulated Lambda runs one invocation at a time');
    const initError = this.initErrors.get(logicalId);
    if (initError) {
      return { ok: false, error: toError(initError, 'Runtime.ImportModuleError'), logs: [] };
    }
    const handler = this.handlers.get(logicalId);
    if (!handler) throw new Error(`function ${logicalId} was not loaded`);
    busy = true;
    const deadline = Date.now() + fn.timeoutSeconds * 1000;
    let cut: (() => void) | undefined;
    // A call whose answer never comes (an injected hang) holds the function until its timeout: the simulated clock
    // moves on to it and the invocation ends as Lambda ends it (the handler's promise is abandoned, as its
    // sandbox would be; the request it waits on is never answered).
    const scope = { timedOut: false };
    this.world.timeOutInvocation = () => {
      scope.timedOut = true;
      advanceClockTo(deadline + 1);
      cut?.();
    };
    try {
      const context = contextFor(fn, this.world, this.region);
      const { value, error, logs } = await this.withEnvironment(fn, () =>
        withTimeout(
          invocationScope.run(scope, () => handler(structuredClone(event), context)),
          fn.timeoutSeconds,
          (timeOut) => {
            cut = timeOut;
          },
        ),
      );
      if (error) return { ok: false, error: toError(error), logs };
      return { ok: true, outcome: value, logs };
    } finally {
      this.world.timeOutInvocation = undefined;
      busy = false;
    }
  }

  private async withEnvironment<T>(
    fn: SimFunction,
    body: () => Promise<T>,
  ): Promise<{ value?: T; error?: unknown; logs: Record<string, unknown>[] }> {
    const saved = { ...process.env };
    const target = this.environmentOf(fn);
    for (const key of Object.keys(process.env)) if (!(key in target)) delete process.env[key];
    Object.assign(process.env, target);
    const logs: Record<string, unknown>[] = [];
    const restore = [captureLines(process.stdout, logs), captureLines(process.stderr, logs)];
    try {
      return { value: await body(), logs };
    } catch (error) {
      return { error, logs };
    } finally {
      for (const undo of restore) undo();
      for (const key of Object.keys(process.env)) if (!(key in saved)) delete process.env[key];
      Object.assign(process.env, saved);
    }
  }
}

/** Diverts a stream's writes into `logs` (one entry per line) until the returned function is called. */
function captureLines(stream: NodeJS.WriteStream, logs: Record<string, unknown>[]): () => void {
  const write = stream.write;
  let pending = '';
  stream.write = ((chunk: string | Uint8Array, ...rest: unknown[]) => {
    pending += typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8');
    let newline = pending.indexOf('\n');
    while (newline >= 0) {
      const line = pending.slice(0, newline).trim();
      pending = pending.slice(newline + 1);
      if (line) logs.push(parseLogLine(line));
      newline = pending.indexOf('\n');
    }
    const callback = rest.find((arg) => typeof arg === 'function') as (() => void) | undefined;
    callback?.();
    return true;
  }) as typeof stream.write;
  return () => {
    stream.write = write;
    if (pending.trim()) logs.push(parseLogLine(pending.trim()));
  };
}

/** The process environment a function inherits: only what Node itself needs, never the user's AWS settings. */
function baseProcessEnv(): Record<string, string> {
  const keep = [
    'PATH',
    'HOME',
    'TMPDIR',
    'TZ',
    'LANG',
    'NODE_OPTIONS',
    'NODE_PATH',
    'VITEST',
    'VITEST_POOL_ID',
    'VITEST_WORKER_ID',
    'TSX_TSCONFIG_PATH',
  ];
  return Object.fromEntries(
    keep.flatMap((key) => (process.env[key] === undefined ? [] : [[key, process.env[key] as string]])),
  );
}

function parseLogLine(line: string): Record<string, unknown> {
  try {
    const parsed = JSON.parse(line) as unknown;
    return typeof parsed === 'object' && parsed !== null
      ? (parsed as Record<string, unknown>)
      : { message: line };
  } catch {
    return { message: line };
  }
}

function contextFor(fn: SimFunction, world: SimWorld, region: string): Context {
  const started = Date.now();
  return {
    callbackWaitsForEmptyEventLoop: false,
    functionName: fn.functionName,
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:${region}:${world.account}:function:${fn.functionName}`,
    memoryLimitInMB: String(fn.memoryMb),
    awsRequestId: crypto.randomUUID(),
    logGroupName: `/aws/lambda/${fn.functionName}`,
    logStreamName: `sim/[$LATEST]${crypto.randomUUID().replace(/-/g, '')}`,
    getRemainingTimeInMillis: () => Math.max(0, fn.timeoutSeconds * 1000 - (Date.now() - started)),
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  };
}

/** Races `promise` against the function's timeout; `expose` gets a way to time it out now (a hung call). */
async function withTimeout<T>(
  promise: Promise<T>,
  seconds: number,
  expose?: (timeOut: () => void) => void,
): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    const timedOut = () =>
      reject(
        Object.assign(new Error(`Task timed out after ${seconds}.00 seconds`), {
          name: 'Sandbox.Timedout',
        }),
      );
    timer = setTimeout(timedOut, seconds * 1000);
    expose?.(timedOut);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

function toError(error: unknown, type?: string): { errorType: string; errorMessage: string } {
  if (error instanceof Error) return { errorType: type ?? error.name, errorMessage: error.message };
  return { errorType: type ?? 'Error', errorMessage: String(error) };
}
