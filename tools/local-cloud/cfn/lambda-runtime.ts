/**
 * A Lambda-like runtime for the handler bundle, in this process: the module is loaded once with
 * `require` (as the Node.js runtime loads `index.handler`), each invocation gets a Lambda-like
 * `context` and its own deadline, the function's environment (the local cloud's endpoints) is set
 * while invocations run, and whatever the handler writes with `console.log` is captured per
 * invocation instead of being printed.
 *
 * Many invocations may run at once. They share the process environment, so two runtimes with
 * different environments cannot run at the same time in one process (an error says so). What
 * differs between functions (the access key of each function's role) is their *invocation
 * environment*: `process.env` shows it only to code running on behalf of that invocation (through
 * `AsyncLocalStorage`), so functions of different roles can run at the same time. One invocation
 * may also get variables of its own, or have some hidden ({@link InvokeOptions.environment}): a
 * function run without credentials ({@link NO_CREDENTIALS_ENVIRONMENT}), or with an endpoint that
 * is not a URL.
 *
 * @module
 */

import { AsyncLocalStorage } from 'node:async_hooks';
import { randomBytes, randomUUID } from 'node:crypto';
import * as fs from 'node:fs';
import { createRequire } from 'node:module';
import * as path from 'node:path';
import { format } from 'node:util';

/**
 * The repository's root: the nearest folder above this module with the library's package.json
 * (this module also runs bundled elsewhere in the repository, as the bench's worker).
 */
function repositoryRoot(): string {
  for (let dir = __dirname; ; dir = path.dirname(dir)) {
    const manifest = path.join(dir, 'package.json');
    if (fs.existsSync(manifest) && (JSON.parse(fs.readFileSync(manifest, 'utf8')) as { name?: unknown }).name === 'cdk-stream-encryption') return dir;
    if (path.dirname(dir) === dir) return path.join(__dirname, '..', '..', '..');
  }
}

/** The folder `npx projen bundle:handler` builds the bundles into. */
const ASSETS_DIR = path.join(repositoryRoot(), 'assets');

/** The custom-resource handler's bundle built by `npx projen bundle:handler`. */
export const DEFAULT_HANDLER_BUNDLE = path.join(ASSETS_DIR, 'stream-encryption-handler', 'index.js');

/** The guard's bundle (its repair function), built beside the handler's by `npx projen bundle:handler`. */
export const DEFAULT_GUARD_BUNDLE = path.join(ASSETS_DIR, 'stream-encryption-guard', 'index.js');

/** One line the handler wrote. */
export interface HandlerLogLine {
  /** When it was written, in epoch milliseconds. */
  readonly at: number;
  /** The line as written. */
  readonly line: string;
  /** The line parsed, when it is a JSON object. */
  readonly json?: Readonly<Record<string, unknown>>;
}

/** How an invocation ended. */
export interface InvocationOutcome {
  /** When the handler's promise settled, in epoch milliseconds; `undefined` if it had not by its timeout. */
  readonly returnedAt?: number;
  /** What the handler threw or rejected with. */
  readonly error?: string;
  /** The function timeout passed before the handler returned (Lambda would have stopped it). */
  readonly timedOut: boolean;
}

/** A running (or finished) invocation. */
export interface Invocation {
  readonly awsRequestId: string;
  readonly logStreamName: string;
  /** When it started, in epoch milliseconds. */
  readonly startedAt: number;
  /** When Lambda would stop it, in epoch milliseconds. */
  readonly deadline: number;
  /** Lines written so far (Lambda's START/END/REPORT lines included). */
  readonly logs: readonly HandlerLogLine[];
  /** Settles when the handler returns or its timeout passes, whichever comes first. */
  readonly done: Promise<InvocationOutcome>;
  /** Settles when the handler returns, even after its timeout. */
  readonly settled: Promise<void>;
}

/** The Lambda `context` the handler gets. */
export interface LambdaContext {
  readonly functionName: string;
  readonly functionVersion: string;
  readonly invokedFunctionArn: string;
  readonly memoryLimitInMB: string;
  readonly awsRequestId: string;
  readonly logGroupName: string;
  readonly logStreamName: string;
  callbackWaitsForEmptyEventLoop: boolean;
  getRemainingTimeInMillis(): number;
  done(): void;
  fail(): void;
  succeed(): void;
}

/** How a {@link LocalLambda} is set up. */
export interface LocalLambdaOptions {
  /** The bundle to load. @defaultValue {@link DEFAULT_HANDLER_BUNDLE} */
  readonly bundle?: string;
  /** The exported function. @defaultValue `handler` */
  readonly exportName?: string;
  /**
   * The function's environment variables (the local cloud's endpoints, …). Functions that run at
   * the same time in one process must agree on them.
   */
  readonly environment: Readonly<Record<string, string>>;
  /**
   * Variables seen only by this function's invocations (the access key of its role), which may
   * differ between functions that run at the same time.
   */
  readonly invocationEnvironment?: Readonly<Record<string, string>>;
  /** @defaultValue `stream-encryption-handler` */
  readonly functionName?: string;
  /**
   * The function's log group, as its `LoggingConfig.LogGroup` names it: Lambda gives it to each
   * invocation as `AWS_LAMBDA_LOG_GROUP_NAME` and as the context's `logGroupName`.
   * @defaultValue `/aws/lambda/<functionName>`, Lambda's own default
   */
  readonly logGroupName?: string;
  readonly region: string;
  readonly accountId: string;
  /** @defaultValue 256 */
  readonly memoryMb?: number;
}

/**
 * An invocation environment in which the SDK finds no credentials, and fails at once: the
 * variables of the cloud's (and the role's) access key hidden, shared config and credential files
 * that do not exist, no container credentials, no web identity token, and the instance metadata
 * service disabled (so that nothing is asked of an address off this machine).
 */
export const NO_CREDENTIALS_ENVIRONMENT: Readonly<Record<string, string | null>> = {
  AWS_ACCESS_KEY_ID: null,
  AWS_SECRET_ACCESS_KEY: null,
  AWS_SESSION_TOKEN: null,
  AWS_PROFILE: null,
  AWS_SHARED_CREDENTIALS_FILE: path.join(path.sep, 'nonexistent', 'local-cloud', 'credentials'),
  AWS_CONFIG_FILE: path.join(path.sep, 'nonexistent', 'local-cloud', 'config'),
  AWS_CONTAINER_CREDENTIALS_RELATIVE_URI: null,
  AWS_CONTAINER_CREDENTIALS_FULL_URI: null,
  AWS_WEB_IDENTITY_TOKEN_FILE: null,
  AWS_EC2_METADATA_DISABLED: 'true',
};

/** What an invocation needs besides the event. */
export interface InvokeOptions {
  /** The function timeout, in milliseconds. */
  readonly timeoutMs: number;
  /**
   * Variables seen only by this invocation, over the function's (its role's access key
   * included); `null` hides a variable, as if it were not set. @defaultValue none
   */
  readonly environment?: Readonly<Record<string, string | null>>;
  /**
   * The value of `requestId` in the handler's JSON log lines that marks them as this invocation's
   * (the CloudFormation `RequestId`); by default the invocation's own `awsRequestId`. Lines without
   * it go to the only running invocation, if there is just one, else they are printed.
   */
  readonly logKey?: string;
}

type Handler = (event: unknown, context: LambdaContext) => Promise<unknown>;

// ---- the process environment ------------------------------------------------------------------

/** The environment set for running invocations, and what it replaced. */
let activeEnvironment: { values: Readonly<Record<string, string>>; saved: Record<string, string | undefined>; users: number } | undefined;

/** Sets the function's environment for one more invocation; refuses a conflicting one. */
function acquireEnvironment(values: Readonly<Record<string, string>>): void {
  if (activeEnvironment) {
    const conflict = Object.keys(values).find((k) => activeEnvironment!.values[k] !== undefined && activeEnvironment!.values[k] !== values[k]);
    if (conflict) {
      throw new Error(
        `Cannot run the handler with ${conflict}=${values[conflict]}: invocations with ${conflict}=${activeEnvironment.values[conflict]} are running in this process, and the environment is shared. Use one local cloud per process (per jest test file).`,
      );
    }
    for (const [k, v] of Object.entries(values)) {
      if (!(k in activeEnvironment.saved)) activeEnvironment.saved[k] = process.env[k];
      process.env[k] = v;
    }
    activeEnvironment = { ...activeEnvironment, values: { ...activeEnvironment.values, ...values }, users: activeEnvironment.users + 1 };
    return;
  }
  const saved: Record<string, string | undefined> = {};
  for (const [k, v] of Object.entries(values)) {
    saved[k] = process.env[k];
    process.env[k] = v;
  }
  activeEnvironment = { values, saved, users: 1 };
}

/** Releases one invocation's hold on the environment; the last one restores what was there. */
function releaseEnvironment(): void {
  if (!activeEnvironment) return;
  activeEnvironment.users -= 1;
  if (activeEnvironment.users > 0) return;
  for (const [k, v] of Object.entries(activeEnvironment.saved)) {
    if (v === undefined) delete process.env[k];
    else process.env[k] = v;
  }
  activeEnvironment = undefined;
}

/** The invocation environment of the code running now, if it runs for an invocation (`null`: hidden). */
const invocationEnvironment = new AsyncLocalStorage<Readonly<Record<string, string | null>>>();

/** The invocation's own value of a variable: `undefined` when it has none, `null` when it hides it. */
function ownValue(property: string | symbol): string | null | undefined {
  const store = typeof property === 'string' ? invocationEnvironment.getStore() : undefined;
  return store && Object.prototype.hasOwnProperty.call(store, property) ? store[property as string] : undefined;
}

/** Marks a `process.env` that shows invocation environments. */
const SHOWS_INVOCATION_ENVIRONMENT = Symbol.for('local-cloud.invocation-environment');

/** Makes `process.env` show each invocation its own invocation environment over the shared one (once). */
function showInvocationEnvironments(): void {
  const env = process.env as NodeJS.ProcessEnv & { [SHOWS_INVOCATION_ENVIRONMENT]?: boolean };
  if (env[SHOWS_INVOCATION_ENVIRONMENT]) return;
  process.env = new Proxy(env, {
    get(target, property) {
      if (property === SHOWS_INVOCATION_ENVIRONMENT) return true;
      const own = ownValue(property);
      if (own === null) return undefined;
      return own ?? Reflect.get(target, property);
    },
    has(target, property) {
      const own = ownValue(property);
      return own === null ? false : own !== undefined || Reflect.has(target, property);
    },
    // Node's process.env takes plain assignments only (not property definitions on a proxy).
    set(target, property, value) {
      return Reflect.set(target, property, value);
    },
  });
}

// ---- console capture --------------------------------------------------------------------------

/** A running invocation's log sink. */
interface Sink {
  readonly key?: string;
  readonly lines: HandlerLogLine[];
}

const sinks = new Set<Sink>();
let originalLog: ((...args: unknown[]) => void) | undefined;

/** Parses a line as a JSON object, if it is one. */
function parseLine(line: string): Record<string, unknown> | undefined {
  if (!line.startsWith('{')) return undefined;
  try {
    const value: unknown = JSON.parse(line);
    return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

/** The files of the loaded bundles: lines logged from their code are the handler's. */
const bundleFiles = new Set<string>();

/** Whether the current call comes from a loaded bundle's code. */
function calledFromBundle(): boolean {
  const stack = new Error().stack ?? '';
  for (const file of bundleFiles) {
    if (stack.includes(file)) return true;
  }
  return false;
}

/**
 * The replacement of `console.log` while invocations run: routes each line the handler writes to
 * its invocation (by the `requestId` of its JSON lines, or to the only running invocation); lines
 * from anywhere else are printed as usual.
 */
function capturingLog(...args: unknown[]): void {
  if (!calledFromBundle()) {
    originalLog?.apply(console, args);
    return;
  }
  const line = format(...args);
  const json = parseLine(line);
  const key = typeof json?.requestId === 'string' ? json.requestId : undefined;
  let sink: Sink | undefined;
  if (key !== undefined) {
    for (const s of sinks) {
      if (s.key === key) {
        sink = s;
        break;
      }
    }
  }
  if (!sink && sinks.size === 1) sink = [...sinks][0];
  if (sink) sink.lines.push({ at: Date.now(), line, json });
  else originalLog?.apply(console, args);
}

function addSink(sink: Sink): void {
  if (sinks.size === 0) {
    originalLog = console.log;
    console.log = capturingLog;
  }
  sinks.add(sink);
}

function removeSink(sink: Sink): void {
  sinks.delete(sink);
  if (sinks.size === 0 && originalLog) {
    console.log = originalLog;
    originalLog = undefined;
  }
}

// ---- the runtime ------------------------------------------------------------------------------

/** Loaded handler modules, by bundle path and export. */
const handlers = new Map<string, Handler>();

/** Loads a bundle the way the Node.js Lambda runtime does: `require`, then the named export. */
function loadHandler(bundle: string, exportName: string): Handler {
  const cacheKey = `${bundle}#${exportName}`;
  const cached = handlers.get(cacheKey);
  if (cached) return cached;
  let loaded: Record<string, unknown>;
  try {
    loaded = createRequire(__filename)(bundle) as Record<string, unknown>;
  } catch (e) {
    throw new Error(`Cannot load the handler bundle ${bundle} (build it with \`npx projen bundle:handler\`): ${(e as Error).message}`);
  }
  const fn = loaded[exportName];
  if (typeof fn !== 'function') throw new Error(`${bundle} does not export a function ${exportName}`);
  bundleFiles.add(bundle);
  handlers.set(cacheKey, fn as Handler);
  return fn as Handler;
}

/** A function in this process that runs the handler bundle like Lambda. */
export class LocalLambda {
  public readonly functionName: string;
  public readonly functionArn: string;
  public readonly logGroupName: string;
  /** The bundle it runs (an absolute path). */
  public readonly bundle: string;
  private readonly handler: Handler;
  private readonly environment: Readonly<Record<string, string>>;
  private readonly invocationEnvironment: Readonly<Record<string, string>>;

  /**
   * Loads the bundle (once per process) and prepares the function's environment.
   *
   * @throws Error when the bundle cannot be loaded or has no such export
   */
  constructor(private readonly options: LocalLambdaOptions) {
    this.functionName = options.functionName ?? 'stream-encryption-handler';
    this.functionArn = `arn:aws:lambda:${options.region}:${options.accountId}:function:${this.functionName}`;
    this.logGroupName = options.logGroupName ?? `/aws/lambda/${this.functionName}`;
    this.bundle = path.resolve(options.bundle ?? DEFAULT_HANDLER_BUNDLE);
    this.handler = loadHandler(this.bundle, options.exportName ?? 'handler');
    // Only what every function of a local cloud shares: functions run side by side in this process.
    this.environment = {
      AWS_EXECUTION_ENV: 'AWS_Lambda_nodejs22.x',
      AWS_REGION: options.region,
      AWS_DEFAULT_REGION: options.region,
      // The function runs on nodejs22.x in Lambda, where the SDK's warning about older Node.js versions cannot appear.
      AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
      ...options.environment,
    };
    // Lambda's own variables of this function: functions of one process may differ in them.
    this.invocationEnvironment = {
      AWS_LAMBDA_FUNCTION_NAME: this.functionName,
      AWS_LAMBDA_LOG_GROUP_NAME: this.logGroupName,
      ...options.invocationEnvironment,
    };
  }

  /**
   * Invokes the handler with `event`. Returns at once; {@link Invocation.done} settles when the
   * handler returns or its timeout passes. The handler is not stopped at its timeout (nothing can
   * stop a promise), but the invocation counts as timed out, as Lambda would report it.
   */
  public invoke(event: unknown, options: InvokeOptions): Invocation {
    const awsRequestId = randomUUID();
    const startedAt = Date.now();
    const deadline = startedAt + options.timeoutMs;
    const day = new Date(startedAt).toISOString().slice(0, 10).replace(/-/g, '/');
    const logStreamName = `${day}/[$LATEST]${randomBytes(16).toString('hex')}`;
    const sink: Sink = { key: options.logKey ?? awsRequestId, lines: [] };
    const context: LambdaContext = {
      functionName: this.functionName,
      functionVersion: '$LATEST',
      invokedFunctionArn: this.functionArn,
      memoryLimitInMB: String(this.options.memoryMb ?? 256),
      awsRequestId,
      logGroupName: this.logGroupName,
      logStreamName,
      callbackWaitsForEmptyEventLoop: true,
      getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
      done: () => undefined,
      fail: () => undefined,
      succeed: () => undefined,
    };

    const own = { ...this.invocationEnvironment, ...options.environment };
    acquireEnvironment(this.environment);
    showInvocationEnvironments();
    addSink(sink);
    sink.lines.push({ at: startedAt, line: `START RequestId: ${awsRequestId} Version: $LATEST` });

    let finish!: (outcome: InvocationOutcome) => void;
    const done = new Promise<InvocationOutcome>((resolve) => (finish = resolve));
    let finished = false;
    const timer = setTimeout(() => {
      finished = true;
      sink.lines.push({ at: Date.now(), line: `${new Date().toISOString()} ${awsRequestId} Task timed out after ${(options.timeoutMs / 1000).toFixed(2)} seconds` });
      finish({ timedOut: true });
    }, options.timeoutMs);

    const settled = (async () => {
      let error: string | undefined;
      try {
        await invocationEnvironment.run(own, () => this.handler(event, context));
      } catch (e) {
        error = e instanceof Error ? `${e.name}: ${e.message}` : String(e);
      }
      const returnedAt = Date.now();
      clearTimeout(timer);
      sink.lines.push({ at: returnedAt, line: `END RequestId: ${awsRequestId}` });
      sink.lines.push({
        at: returnedAt,
        line: `REPORT RequestId: ${awsRequestId}\tDuration: ${(returnedAt - startedAt).toFixed(2)} ms\tMemory Size: ${this.options.memoryMb ?? 256} MB`,
      });
      removeSink(sink);
      releaseEnvironment();
      if (!finished) {
        finished = true;
        finish({ returnedAt, error, timedOut: false });
      }
    })();

    return { awsRequestId, logStreamName, startedAt, deadline, logs: sink.lines, done, settled };
  }
}
