/**
 * CloudFormation's custom-resource lifecycle for the two alternatives, on top of the local
 * CloudFormation driver's exported parts (`TemplateModel`, `ResponseServer`, `loadStackTemplate`):
 * the driver itself runs only `Custom::DeliveryStreamEncryption` through this library's bundle.
 *
 * - {@link AltStack}: a stack's custom resources of one type, sent Create, Update and Delete
 *   events with pre-signed-style response URLs, their answers caught as CloudFormation would.
 * - {@link providerRuntime}: the `custom_resources.Provider` framework of the synthesized asset
 *   (its real `framework.js`: onEvent, isComplete, onTimeout, the response PUT), with Lambda
 *   Invoke and the Step Functions waiter played in this process: the user handlers run from the
 *   template's inline code, and the waiter retries isComplete as the synthesized state machine
 *   says (`IntervalSeconds`, `BackoffRate`, `MaxAttempts`). Lambda and Step Functions overheads
 *   are not added.
 * - {@link awsCustomResourceRuntime}: AwsCustomResource's real handler asset, its `https` answer
 *   sent to the loopback response server.
 *
 * Each runs in a process of its own (they set process-wide environment variables).
 *
 * @module
 */
import { randomUUID } from 'node:crypto';
import * as fs from 'node:fs';
import * as http from 'node:http';
import type * as httpsTypes from 'node:https';
import { createRequire, Module } from 'node:module';
import * as path from 'node:path';
import type { LocalCloud } from '../local-cloud';
import { ENV } from './apps';
import { CustomResourceEvent, loadStackTemplate, RequestType, ResponseServer, StackSource, TemplateModel } from '../local-cloud/cfn';

const localRequire = createRequire(__filename);

/** Invokes a custom resource's handler with an event (the answer goes to its ResponseURL). */
export type Invoke = (event: CustomResourceEvent) => Promise<unknown>;

/** How one custom-resource operation ended. */
export interface AltStepResult {
  readonly requestType: RequestType;
  readonly logicalId: string;
  readonly status: 'SUCCESS' | 'FAILED' | 'TIMED_OUT';
  readonly reason: string;
  readonly physicalResourceId?: string;
  /** When the event was sent, in epoch milliseconds. */
  readonly startedAt: number;
  /** When the answer arrived, in epoch milliseconds. */
  readonly answeredAt?: number;
  /** What the invocation threw, if anything. */
  readonly invokeError?: string;
  /** What `observe` returned when the answer arrived. */
  readonly observedAtAnswer?: string;
}

/** What a stack operation of an {@link AltStack} did. */
export interface AltOperationResult {
  readonly steps: readonly AltStepResult[];
}

/** The environment of every stack the benchmark drives. */
export function stackEnvironment(stackName: string): ConstructorParameters<typeof TemplateModel>[1] {
  return {
    stackName,
    stackId: `arn:aws:cloudformation:${ENV.region}:${ENV.account}:stack/${stackName}/${randomUUID()}`,
    region: ENV.region,
    accountId: ENV.account,
    partition: 'aws',
    urlSuffix: 'amazonaws.com',
  };
}

/** The model of a synthesized stack. */
export function modelOf(source: StackSource, env?: ConstructorParameters<typeof TemplateModel>[1]): TemplateModel {
  const stack = loadStackTemplate(source);
  return new TemplateModel(stack, env ?? stackEnvironment(stack.stackName), () => undefined);
}

/** The stream a custom resource manages, from its properties (or AwsCustomResource's Create call). */
export function streamOf(properties: Readonly<Record<string, unknown>>): string | undefined {
  if (typeof properties.DeliveryStreamName === 'string') return properties.DeliveryStreamName;
  if (typeof properties.Create === 'string') {
    const call = JSON.parse(properties.Create) as { parameters?: { DeliveryStreamName?: string } };
    return call.parameters?.DeliveryStreamName;
  }
  return undefined;
}

/** The key a custom resource asks for, from its properties. */
export function keyOf(properties: Readonly<Record<string, unknown>>): string | undefined {
  if (typeof properties.KeyArn === 'string') return properties.KeyArn;
  if (typeof properties.Create === 'string') {
    const call = JSON.parse(properties.Create) as { parameters?: { DeliveryStreamEncryptionConfigurationInput?: { KeyARN?: string } } };
    return call.parameters?.DeliveryStreamEncryptionConfigurationInput?.KeyARN;
  }
  return undefined;
}

/** Registers the template's keys in the local cloud (the ARNs the driver's model gives them). */
export function materializeKeys(cloud: LocalCloud, model: TemplateModel): void {
  for (const id of model.idsOfType('AWS::KMS::Key')) {
    const arn = model.keyArn(id);
    if (!cloud.control.key(arn)) cloud.control.registerKey({ arn });
  }
}

/** A stack's custom resources of one type, driven through their lifecycle. */
export class AltStack {
  private model: TemplateModel;
  private readonly env: ConstructorParameters<typeof TemplateModel>[1];
  private readonly deployed = new Map<string, { physicalId?: string; properties: Record<string, unknown> }>();

  constructor(
    private readonly cloud: LocalCloud,
    private readonly responses: ResponseServer,
    source: StackSource,
    private readonly resourceType: string,
    private readonly invoke: Invoke,
    private readonly maxWaitMs = 180_000,
    private readonly observe?: (properties: Readonly<Record<string, unknown>>) => string | undefined,
  ) {
    const stack = loadStackTemplate(source);
    this.env = stackEnvironment(stack.stackName);
    this.model = new TemplateModel(stack, this.env, () => undefined);
    materializeKeys(cloud, this.model);
  }

  /** The logical ids of the custom resources. */
  public customResourceIds(): string[] {
    return this.model.idsOfType(this.resourceType);
  }

  /** The custom resource that manages a stream. */
  public resourceForStream(name: string): string {
    const id = this.customResourceIds().find((r) => streamOf(this.model.properties(r)) === name);
    if (!id) throw new Error(`no custom resource for stream ${name}`);
    return id;
  }

  /** The properties the template gives a custom resource now. */
  public properties(logicalId: string): Record<string, unknown> {
    return this.model.properties(logicalId);
  }

  /** Sends Create to one custom resource. */
  public async create(logicalId: string): Promise<AltStepResult> {
    const properties = this.model.properties(logicalId);
    const result = await this.step('Create', logicalId, properties);
    if (result.physicalResourceId !== undefined) this.deployed.set(logicalId, { physicalId: result.physicalResourceId, properties });
    return result;
  }

  /** Creates every custom resource, concurrently. */
  public async deploy(): Promise<AltOperationResult> {
    return { steps: await Promise.all(this.customResourceIds().map((id) => this.create(id))) };
  }

  /** Moves to a new template: Update for every custom resource whose properties changed. */
  public async update(source: StackSource): Promise<AltOperationResult> {
    this.model = new TemplateModel(loadStackTemplate(source), this.env, () => undefined);
    materializeKeys(this.cloud, this.model);
    const steps = await Promise.all(this.customResourceIds().map(async (id) => {
      const was = this.deployed.get(id);
      const properties = this.model.properties(id);
      if (!was || JSON.stringify(was.properties) === JSON.stringify(properties)) return undefined;
      const result = await this.step('Update', id, properties, was.properties, was.physicalId);
      if (result.status === 'SUCCESS') this.deployed.set(id, { physicalId: result.physicalResourceId ?? was.physicalId, properties });
      return result;
    }));
    return { steps: steps.filter((s): s is AltStepResult => s !== undefined) };
  }

  /** Deletes every deployed custom resource, concurrently. */
  public async destroy(): Promise<AltOperationResult> {
    const steps = await Promise.all([...this.deployed].map(([id, was]) => this.step('Delete', id, was.properties, undefined, was.physicalId)));
    this.deployed.clear();
    return { steps };
  }

  /** One operation: the event, its response URL, and the answer (or none within the wait). */
  private async step(
    requestType: RequestType,
    logicalId: string,
    properties: Record<string, unknown>,
    oldProperties?: Record<string, unknown>,
    physicalResourceId?: string,
  ): Promise<AltStepResult> {
    const endpoint = this.responses.issue(logicalId);
    const event: CustomResourceEvent = {
      RequestType: requestType,
      ServiceToken: String(properties.ServiceToken ?? ''),
      ResponseURL: endpoint.url,
      StackId: this.env.stackId,
      RequestId: randomUUID(),
      LogicalResourceId: logicalId,
      ResourceType: this.resourceType,
      ResourceProperties: properties,
      ...(requestType === 'Update' ? { OldResourceProperties: oldProperties ?? {} } : {}),
      ...(requestType !== 'Create' ? { PhysicalResourceId: physicalResourceId } : {}),
    };
    const startedAt = Date.now();
    let invokeError: string | undefined;
    // CloudFormation sends each event as JSON: the handler gets its own copy (it may change it).
    void this.invoke(JSON.parse(JSON.stringify(event)) as CustomResourceEvent).catch((e: unknown) => {
      invokeError = e instanceof Error ? `${e.name}: ${e.message}` : String(e);
    });
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<undefined>((resolve) => (timer = setTimeout(() => resolve(undefined), this.maxWaitMs)));
    const put = await Promise.race([endpoint.accepted, timedOut]);
    clearTimeout(timer);
    endpoint.close();
    const common = { requestType, logicalId, startedAt, observedAtAnswer: this.observe?.(properties) };
    if (!put) return { ...common, status: 'TIMED_OUT', reason: 'no answer', invokeError };
    const body = JSON.parse(put.body) as { Status?: string; Reason?: string; PhysicalResourceId?: string };
    return {
      ...common,
      status: body.Status === 'SUCCESS' ? 'SUCCESS' : 'FAILED',
      reason: body.Reason ?? '',
      physicalResourceId: body.PhysicalResourceId,
      answeredAt: put.receivedAt,
      invokeError,
    };
  }
}

// ---- the Provider framework ------------------------------------------------------------------

/** The Retry of the waiter state machine's isComplete task, as synthesized. */
export interface WaiterRetry {
  readonly IntervalSeconds: number;
  readonly MaxAttempts: number;
  readonly BackoffRate: number;
}

/** The waiter's retry settings from a synthesized Provider stack. */
export function waiterRetryOf(model: TemplateModel): WaiterRetry {
  const [machine] = model.idsOfType('AWS::StepFunctions::StateMachine');
  if (!machine) throw new Error('the Provider stack has no waiter state machine');
  const definition = JSON.parse(String(model.property(machine, 'DefinitionString'))) as {
    States: Record<string, { Retry?: WaiterRetry[] }>;
  };
  const retry = definition.States['framework-isComplete-task']?.Retry?.[0];
  if (!retry) throw new Error('the waiter state machine has no Retry on framework-isComplete-task');
  return retry;
}

/** The folder of a function's code asset in a cloud assembly. */
function assetDirOf(assemblyDir: string, model: TemplateModel, functionId: string): string {
  const code = model.resource(functionId).Properties?.Code as { S3Key?: unknown } | undefined;
  const key = typeof code?.S3Key === 'string' ? code.S3Key : undefined;
  if (!key) throw new Error(`${functionId} has no asset`);
  return path.join(assemblyDir, `asset.${key.replace(/\.zip$/, '')}`);
}

/** The resolved environment variables of a function. */
function environmentOf(model: TemplateModel, functionId: string): Record<string, string> {
  const env = model.property(functionId, 'Environment') as { Variables?: Record<string, string> } | undefined;
  return { ...(env?.Variables ?? {}) };
}

/** What the Provider runtime needs. */
export interface ProviderRuntimeOptions {
  /** The synthesized cloud assembly. */
  readonly assemblyDir: string;
  readonly model: TemplateModel;
  /** Where to write the inline handlers (under the repository, so `@aws-sdk/*` resolves). */
  readonly workDir: string;
  /** The loopback response server (the framework PUTs its answers there). */
  readonly responses: ResponseServer;
}

/** The Provider framework, ready to be invoked. */
export interface ProviderRuntime {
  /** Invokes the framework's onEvent function. */
  readonly invoke: Invoke;
  /** The waiter's retry settings. */
  readonly retry: WaiterRetry;
}

/** Loads the Provider framework of a synthesized stack with Lambda Invoke and the waiter played here. */
export function providerRuntime(options: ProviderRuntimeOptions): ProviderRuntime {
  const { model, assemblyDir } = options;
  const retry = waiterRetryOf(model);
  const functions = model.idsOfType('AWS::Lambda::Function');
  const frameworkOf = (entry: string) => {
    const id = functions.find((f) => model.property(f, 'Handler') === `framework.${entry}`);
    if (!id) throw new Error(`no framework.${entry} function`);
    return id;
  };
  const onEventFn = frameworkOf('onEvent');
  Object.assign(process.env, environmentOf(model, onEventFn), environmentOf(model, frameworkOf('isComplete')));

  // The user functions: their inline code, written out and loaded as Lambda would.
  const userHandlers = new Map<string, (event: unknown) => Promise<unknown>>();
  for (const id of functions) {
    const code = model.resource(id).Properties?.Code as { ZipFile?: unknown } | undefined;
    if (typeof code?.ZipFile !== 'string') continue;
    const dir = path.join(options.workDir, id);
    fs.mkdirSync(dir, { recursive: true });
    fs.writeFileSync(path.join(dir, 'index.js'), code.ZipFile);
    const loaded = localRequire(path.join(dir, 'index.js')) as { handler: (event: unknown) => Promise<unknown> };
    userHandlers.set(String(model.getAtt(id, 'Arn')), loaded.handler);
  }

  // Lambda Invoke, Step Functions and the response PUT, as the framework's outbound module offers them.
  const runtimeDir = assetDirOf(assemblyDir, model, onEventFn);
  const responseUrl = new URL(options.responses.origin);
  let framework: Record<string, (event: unknown) => Promise<void>>;
  const outbound = {
    invokeFunction: async (req: { FunctionName: string; Payload: string }) => {
      const fn = userHandlers.get(req.FunctionName);
      if (!fn) throw new Error(`no user function ${req.FunctionName}`);
      try {
        const result = await fn(JSON.parse(req.Payload));
        return { StatusCode: 200, Payload: Buffer.from(JSON.stringify(result ?? null)) };
      } catch (e) {
        const err = e as Error;
        return {
          StatusCode: 200,
          FunctionError: 'Unhandled',
          Payload: Buffer.from(JSON.stringify({ errorType: err.name, errorMessage: err.message, trace: (err.stack ?? '').split('\n') })),
        };
      }
    },
    startExecution: async (req: { stateMachineArn: string; name: string; input: string }) => {
      void runWaiter(req.input);
      return { executionArn: `${req.stateMachineArn}:${req.name}`, startDate: new Date() };
    },
    httpRequest: (opts: http.RequestOptions, body: string) => new Promise<void>((resolve, reject) => {
      const request = http.request({ ...opts, hostname: responseUrl.hostname, port: responseUrl.port }, (response) => {
        response.resume();
        if (!response.statusCode || response.statusCode >= 400) reject(new Error(`Unsuccessful HTTP response: ${response.statusCode}`));
        else resolve();
      });
      request.on('error', reject);
      request.write(body);
      request.end();
    }),
  };
  const outboundFile = path.join(runtimeDir, 'outbound.js');
  const stub = new Module(outboundFile);
  stub.filename = outboundFile;
  stub.loaded = true;
  stub.exports = outbound;
  localRequire.cache[outboundFile] = stub;
  framework = localRequire(path.join(runtimeDir, 'framework.js')) as typeof framework;

  /** The waiter: isComplete at once, then again after IntervalSeconds (× BackoffRate each time) until it stops throwing. */
  async function runWaiter(input: string): Promise<void> {
    let delayMs = retry.IntervalSeconds * 1000;
    for (let attempt = 0; ; attempt++) {
      try {
        await framework.isComplete(JSON.parse(input));
        return;
      } catch (e) {
        if (attempt >= retry.MaxAttempts) {
          await framework.onTimeout({ Cause: JSON.stringify({ errorMessage: (e as Error).message }) });
          return;
        }
        await new Promise((resolve) => setTimeout(resolve, delayMs));
        delayMs *= retry.BackoffRate;
      }
    }
  }

  return { invoke: (event) => framework.onEvent(event), retry };
}

// ---- AwsCustomResource -------------------------------------------------------------------------

/**
 * Loads AwsCustomResource's handler asset from a synthesized stack. It answers with
 * `https.request({ hostname, path })` (port 443); in this process, requests to 127.0.0.1 go to the
 * loopback response server over HTTP instead.
 */
export function awsCustomResourceRuntime(assemblyDir: string, model: TemplateModel, responses: ResponseServer): Invoke {
  const [fn] = model.idsOfType('AWS::Lambda::Function');
  if (!fn) throw new Error('the AwsCustomResource stack has no function');
  const realHttps = localRequire('node:https') as typeof httpsTypes;
  const original = realHttps.request.bind(realHttps);
  const origin = new URL(responses.origin);
  realHttps.request = ((options: http.RequestOptions, callback?: (res: http.IncomingMessage) => void) => {
    if (typeof options === 'object' && options.hostname === origin.hostname && options.port === undefined) {
      return http.request({ ...options, port: origin.port }, callback);
    }
    return (original as (o: unknown, c: unknown) => http.ClientRequest)(options, callback);
  }) as typeof realHttps.request;
  const handlerFile = String(model.property(fn, 'Handler')).split('.')[0];
  const loaded = localRequire(path.join(assetDirOf(assemblyDir, model, fn), `${handlerFile}.js`)) as {
    handler: (event: unknown, context: unknown) => Promise<unknown>;
  };
  return (event) => loaded.handler(event, { getRemainingTimeInMillis: () => 120_000, functionName: fn, awsRequestId: randomUUID() });
}
