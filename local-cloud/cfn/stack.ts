/**
 * The CloudFormation lifecycle of a stack's `Custom::DeliveryStreamEncryption` and
 * `Custom::DataStreamEncryption` resources against the local cloud: deploy (Create), update
 * (Update, replacement clean-up, rollback) and destroy (Delete), driving the real handler bundle as
 * CloudFormation drives a Lambda-backed custom resource.
 *
 * The template's other resources (keys, streams, the handler function) are modelled in
 * `resources.ts`; this module is the lifecycle: order, clean-up and rollback.
 *
 * @module
 */

import { randomUUID } from 'node:crypto';
import { managedStreamOf, RequestType, runStep, StepResult, StreamKindOfStep } from './custom-resource';
import { LocalLambda } from './lambda-runtime';
import { CUSTOM_RESOURCE_TYPES, isCustomResourceType, StackEnvironment, TemplateModel } from './model';
import { ModelledResources, retains, serviceFunctionOf } from './resources';
import { ResponseBehaviour, ResponseServer } from './response-server';
import { loadStackTemplate, LoadOptions, StackSource, StackTemplate } from './template';
import type { LocalCloud } from '../server';

/** The default function timeout when the service token names no function of the template (the handler's 900 s). */
export const DEFAULT_LAMBDA_TIMEOUT_MS = 900_000;

/** Property values to set (`undefined` removes the property). */
export type PropertyOverrides = Readonly<Record<string, string | undefined>>;

/** The states of a stack operation's outcome, as CloudFormation names them. */
export type StackStatus =
  | 'CREATE_COMPLETE'
  | 'CREATE_FAILED'
  | 'ROLLBACK_COMPLETE'
  | 'ROLLBACK_FAILED'
  | 'UPDATE_COMPLETE'
  | 'UPDATE_FAILED'
  | 'UPDATE_ROLLBACK_COMPLETE'
  | 'UPDATE_ROLLBACK_FAILED'
  | 'DELETE_COMPLETE'
  | 'DELETE_FAILED';

/** What the driver reports while it works (for progress output). */
export type DriverEvent =
  | { readonly kind: 'stack'; readonly stackName: string; readonly phase: string; readonly at: number }
  | {
    readonly kind: 'step-start';
    readonly stackName: string;
    readonly logicalId: string;
    readonly requestType: RequestType;
    readonly streamName?: string;
    /** Which kind of stream `streamName` names. */
    readonly streamKind?: StreamKindOfStep;
    readonly properties: Readonly<Record<string, unknown>>;
    readonly at: number;
  }
  | { readonly kind: 'step-end'; readonly stackName: string; readonly result: StepResult; readonly at: number }
  | {
    readonly kind: 'resource';
    readonly stackName: string;
    readonly logicalId: string;
    readonly resourceType: string;
    readonly action: 'created' | 'deleted' | 'retained';
    readonly physicalId: string;
    readonly at: number;
  };

/** Options of the stack operations `deploy`, `update` and `destroy`. */
export interface StackOperationOptions {
  /** Property overrides for every custom resource, or per logical id. */
  readonly properties?: PropertyOverrides | ((logicalId: string) => PropertyOverrides | undefined);
  /** The function timeout, in milliseconds. @defaultValue the template function's `Timeout` */
  readonly lambdaTimeoutMs?: number;
  /** How the response URLs answer, for every resource or per logical id. */
  readonly response?: ResponseBehaviour | ((logicalId: string) => ResponseBehaviour | undefined);
  /** Roll back when a resource fails (deploy and update). @defaultValue true */
  readonly rollback?: boolean;
}

/** The outcome of a stack operation. */
export interface StackOperationResult {
  readonly operation: 'deploy' | 'update' | 'destroy';
  readonly status: StackStatus;
  /** Every custom-resource operation, in the order they were sent (rollback and clean-up included). */
  readonly steps: readonly StepResult[];
  /** The operation's wall time, in milliseconds. */
  readonly elapsedMs: number;
}

/** Options of a single-resource operation. */
export interface ResourceOperationOptions {
  /**
   * Properties to set on top of the base: the template's (Create), or the deployed ones (Update,
   * Delete). `ServiceTimeout`, `TimeoutSeconds`, `SettleSeconds`… may be set to values the
   * construct would not allow.
   */
  readonly properties?: PropertyOverrides;
  /** Update: the complete `OldResourceProperties`. @defaultValue the deployed properties */
  readonly oldProperties?: Readonly<Record<string, unknown>>;
  /** Update and Delete. @defaultValue the deployed physical id */
  readonly physicalResourceId?: string;
  /** The function timeout, in milliseconds. @defaultValue the template function's `Timeout` */
  readonly lambdaTimeoutMs?: number;
  /** How the response URL answers. */
  readonly response?: ResponseBehaviour;
  /** Wait for the handler to return before resolving. @defaultValue true */
  readonly waitForHandler?: boolean;
}

/** How a {@link LocalCloudFormation} is set up. */
export interface LocalCloudFormationOptions {
  /** The handler bundle. @defaultValue `assets/stream-encryption-handler/index.js` */
  readonly bundle?: string;
  /** Told about every step and phase (for progress output). */
  readonly onEvent?: (event: DriverEvent) => void;
  /** The function timeout when the service token names no function of the template. @defaultValue 900 s */
  readonly defaultLambdaTimeoutMs?: number;
}

/** What CloudFormation holds for a custom resource. */
interface DeployedResource {
  physicalId?: string;
  properties: Record<string, unknown>;
  data?: Readonly<Record<string, unknown>>;
}

/** Applies overrides to properties (a copy). */
function withOverrides(properties: Readonly<Record<string, unknown>>, overrides: PropertyOverrides | undefined): Record<string, unknown> {
  const out: Record<string, unknown> = { ...properties };
  for (const [k, v] of Object.entries(overrides ?? {})) {
    if (v === undefined) delete out[k];
    else out[k] = v;
  }
  return out;
}

/** Whether two property bags differ. */
function differ(a: Readonly<Record<string, unknown>>, b: Readonly<Record<string, unknown>>): boolean {
  const canonical = (v: Readonly<Record<string, unknown>>) => JSON.stringify(Object.keys(v).sort().map((k) => [k, v[k]]));
  return canonical(a) !== canonical(b);
}

/**
 * A local CloudFormation for one local cloud: a response URL server and the handler bundle, and
 * any number of stacks.
 */
export class LocalCloudFormation {
  /**
   * Starts the response server and loads the handler bundle.
   *
   * @param cloud - the local cloud the handler talks to
   * @param options - bundle, progress callback, default function timeout
   */
  public static async start(cloud: LocalCloud, options: LocalCloudFormationOptions = {}): Promise<LocalCloudFormation> {
    const responses = await ResponseServer.start();
    return new LocalCloudFormation(cloud, responses, options);
  }

  private readonly lambdas = new Map<string, LocalLambda>();

  private constructor(
    public readonly cloud: LocalCloud,
    public readonly responses: ResponseServer,
    public readonly options: LocalCloudFormationOptions,
  ) {}

  /**
   * A stack to drive, not yet deployed.
   *
   * @param source - a cloud assembly directory, a template file or a template
   * @param options - which stack of an assembly (or the name of a bare template's stack)
   */
  public stack(source: StackSource, options: LoadOptions = {}): LocalStack {
    return new LocalStack(this, loadStackTemplate(source, options));
  }

  /** Stops the response server. */
  public async stop(): Promise<void> {
    await this.responses.stop();
  }

  /** @internal The function behind a service token. */
  public lambdaFor(serviceToken: string): LocalLambda {
    let lambda = this.lambdas.get(serviceToken);
    if (!lambda) {
      const name = /:function:([^:]+)/.exec(serviceToken)?.[1] ?? 'stream-encryption-handler';
      lambda = new LocalLambda({
        bundle: this.options.bundle,
        functionName: name,
        region: this.cloud.region,
        accountId: this.cloud.accountId,
        environment: { ...this.cloud.env(), STREAM_ENCRYPTION_ALLOW_LOOPBACK_HTTP: 'true' },
      });
      this.lambdas.set(serviceToken, lambda);
    }
    return lambda;
  }

  /** @internal */
  public emit(event: DriverEvent): void {
    this.options.onEvent?.(event);
  }
}

/** A stack in the local CloudFormation. */
export class LocalStack {
  public readonly stackName: string;
  public readonly stackId: string;
  private readonly env: StackEnvironment;
  private current: StackTemplate;
  private model: TemplateModel;
  private readonly deployed = new Map<string, DeployedResource>();
  private readonly modelled: ModelledResources;
  private prepared = false;

  /** @internal Use {@link LocalCloudFormation.stack}. */
  constructor(private readonly cfn: LocalCloudFormation, stack: StackTemplate) {
    const cloud = cfn.cloud;
    if ((stack.account && stack.account !== cloud.accountId) || (stack.region && stack.region !== cloud.region)) {
      throw new Error(
        `Stack ${stack.stackName} is for aws://${stack.account ?? '?'}/${stack.region ?? '?'}, but the local cloud is aws://${cloud.accountId}/${cloud.region}; start the local cloud with that account and region`,
      );
    }
    this.stackName = stack.stackName;
    this.stackId = `arn:aws:cloudformation:${cloud.region}:${cloud.accountId}:stack/${stack.stackName}/${randomUUID()}`;
    this.env = {
      stackName: stack.stackName,
      stackId: this.stackId,
      region: cloud.region,
      accountId: cloud.accountId,
      partition: cloud.region.startsWith('cn-') ? 'aws-cn' : cloud.region.startsWith('us-gov-') ? 'aws-us-gov' : 'aws',
      urlSuffix: cloud.region.startsWith('cn-') ? 'amazonaws.com.cn' : 'amazonaws.com',
    };
    this.current = stack;
    this.model = this.modelOf(stack);
    this.modelled = new ModelledResources(cloud.control, (logicalId, resourceType, action, physicalId) =>
      this.cfn.emit({ kind: 'resource', stackName: this.stackName, logicalId, resourceType, action, physicalId, at: Date.now() }));
  }

  /** The template now deployed (or to be deployed). */
  public get template(): StackTemplate {
    return this.current;
  }

  /** The logical ids of the stack's `Custom::DeliveryStreamEncryption` and `Custom::DataStreamEncryption` resources, in template order. */
  public customResourceIds(): string[] {
    return this.model.customResourceIds();
  }

  /** The custom resource that manages a stream (by its resolved `DeliveryStreamName`). */
  public resourceForStream(streamName: string): ResourceHandle {
    const ids = this.customResourceIds().filter((id) => this.model.streamOfCustomResource(id) === streamName);
    if (ids.length !== 1) throw new Error(`Stack ${this.stackName} has ${ids.length} custom resources for stream ${streamName}`);
    return this.resource(ids[0]);
  }

  /** The custom resource that manages a Kinesis data stream (by its resolved `StreamName`). */
  public resourceForDataStream(streamName: string): ResourceHandle {
    const ids = this.customResourceIds().filter((id) => this.model.dataStreamOfCustomResource(id) === streamName);
    if (ids.length !== 1) throw new Error(`Stack ${this.stackName} has ${ids.length} custom resources for data stream ${streamName}`);
    return this.resource(ids[0]);
  }

  /** A single custom resource, for Create/Update/Delete one at a time. */
  public resource(logicalId: string): ResourceHandle {
    if (!isCustomResourceType(this.model.resource(logicalId).Type)) {
      throw new Error(`${logicalId} is a ${this.model.resource(logicalId).Type}, not a ${CUSTOM_RESOURCE_TYPES.join(' or a ')}`);
    }
    return new ResourceHandle(this, logicalId);
  }

  /** A resource's properties as the template resolves them now (strings, `ServiceToken` included). */
  public templateProperties(logicalId: string): Record<string, unknown> {
    return this.model.properties(logicalId);
  }

  /** The properties CloudFormation holds for a custom resource (the last ones sent), if any. */
  public deployedProperties(logicalId: string): Readonly<Record<string, unknown>> | undefined {
    return this.deployed.get(logicalId)?.properties;
  }

  /** The physical id CloudFormation holds for a custom resource, if any. */
  public physicalId(logicalId: string): string | undefined {
    return this.deployed.get(logicalId)?.physicalId;
  }

  /** The ARN of the local-cloud key an `AWS::KMS::Key` resource stands for. */
  public keyArn(keyLogicalId: string): string {
    if (this.model.resource(keyLogicalId).Type !== 'AWS::KMS::Key') throw new Error(`${keyLogicalId} is not an AWS::KMS::Key`);
    return this.model.keyArn(keyLogicalId);
  }

  /** The name of the stream an `AWS::KinesisFirehose::DeliveryStream` resource stands for. */
  public streamName(streamLogicalId: string): string {
    return this.model.streamName(streamLogicalId);
  }

  /** The name of the data stream an `AWS::Kinesis::Stream` resource stands for. */
  public dataStreamName(streamLogicalId: string): string {
    if (this.model.resource(streamLogicalId).Type !== 'AWS::Kinesis::Stream') throw new Error(`${streamLogicalId} is not an AWS::Kinesis::Stream`);
    return this.model.dataStreamName(streamLogicalId);
  }

  /**
   * Creates the template's keys (with their aliases) and streams in the local cloud, as
   * CloudFormation would before it creates the custom resources that depend on them. Done once;
   * keys and streams that already exist are kept as they are (so a scenario can arrange them first).
   */
  public prepare(): void {
    if (this.prepared) return;
    this.modelled.materialize(this.model, undefined);
    this.prepared = true;
  }

  /** Creates every custom resource, concurrently; rolls back (Delete) when one fails. */
  public async deploy(options: StackOperationOptions = {}): Promise<StackOperationResult> {
    const began = Date.now();
    if (this.deployed.size > 0) throw new Error(`Stack ${this.stackName} is already deployed; use update() or destroy()`);
    this.phase('CREATE_IN_PROGRESS');
    this.prepare();
    const ids = this.customResourceIds();
    const steps = await Promise.all(ids.map((id) => this.resource(id).create(this.stepOptions(options, id))));
    if (steps.every((s) => s.status === 'SUCCESS') || options.rollback === false) {
      const status: StackStatus = steps.every((s) => s.status === 'SUCCESS') ? 'CREATE_COMPLETE' : 'CREATE_FAILED';
      this.phase(status);
      return { operation: 'deploy', status, steps, elapsedMs: Date.now() - began };
    }
    this.phase('ROLLBACK_IN_PROGRESS');
    const rollback = await Promise.all(ids.filter((id) => this.deployed.get(id)?.physicalId !== undefined).map((id) =>
      this.resource(id).delete(this.stepOptions(options, id, false))));
    const failed = rollback.some((s) => s.status !== 'SUCCESS');
    if (!failed) this.modelled.remove(this.model, new Set(Object.keys(this.model.resources)));
    const status: StackStatus = failed ? 'ROLLBACK_FAILED' : 'ROLLBACK_COMPLETE';
    this.phase(status);
    return { operation: 'deploy', status, steps: [...steps, ...rollback], elapsedMs: Date.now() - began };
  }

  /**
   * Updates the stack to a new template: creates the new keys and streams, sends Create for new
   * custom resources and Update (with `OldResourceProperties`) for changed ones, concurrently.
   * Then, as CloudFormation's clean-up does, sends Delete (with the old properties) for replaced
   * resources (a new physical id) and removed ones, and removes keys and streams the template no
   * longer has. When a resource fails, it rolls back instead: Update with the old properties for
   * the updated resources, Delete for the created ones.
   *
   * @param source - the new cloud assembly directory, template file or template
   * @param options - overrides, function timeout, response behaviour, rollback
   */
  public async update(source: StackSource, options: StackOperationOptions & LoadOptions = {}): Promise<StackOperationResult> {
    const began = Date.now();
    const next = loadStackTemplate(source, { stackName: options.stackName ?? this.stackName });
    const oldModel = this.model;
    const newModel = this.modelOf(next);
    this.phase('UPDATE_IN_PROGRESS');
    const created = this.modelled.materialize(newModel, oldModel);

    const before = new Map([...this.deployed].map(([id, d]) => [id, { ...d }]));
    const newIds = newModel.customResourceIds();
    const sent = new Map<string, { kind: 'create' | 'update'; properties: Record<string, unknown> }>();
    const work: Array<Promise<StepResult>> = [];
    for (const id of newIds) {
      const properties = withOverrides(newModel.properties(id), this.overridesFor(options, id));
      const old = before.get(id);
      const stepOptions = this.stepOptions(options, id, false);
      if (!old) {
        sent.set(id, { kind: 'create', properties });
        work.push(this.runAndRecord(newModel, id, 'Create', properties, undefined, undefined, stepOptions));
      } else if (differ(old.properties, properties)) {
        sent.set(id, { kind: 'update', properties });
        work.push(this.runAndRecord(newModel, id, 'Update', properties, old.properties, old.physicalId, stepOptions));
      }
    }
    const steps = await Promise.all(work);

    if (steps.some((s) => s.status !== 'SUCCESS') && options.rollback !== false) {
      this.phase('UPDATE_ROLLBACK_IN_PROGRESS');
      const rollback = await Promise.all([...sent].map(async ([id, { kind, properties }]) => {
        const was = before.get(id);
        const now = this.deployed.get(id);
        const stepOptions = this.stepOptions(options, id, false);
        if (kind === 'create' || !was) {
          // Created by this update: delete it (a failed Create too, with the id it answered).
          if (now?.physicalId === undefined) return undefined;
          return this.runAndRecord(newModel, id, 'Delete', now.properties, undefined, now.physicalId, stepOptions);
        }
        if (now?.physicalId !== undefined && was.physicalId !== now.physicalId) {
          // The update replaced the resource: delete the new one; the old one was never touched.
          const result = await this.runAndRecord(newModel, id, 'Delete', now.properties, undefined, now.physicalId, stepOptions, true);
          this.deployed.set(id, was);
          return result;
        }
        // Back to the old properties: the resource may have changed even if its update failed.
        return this.runAndRecord(oldModel, id, 'Update', was.properties, properties, now?.physicalId ?? was.physicalId, stepOptions);
      }));
      const done = rollback.filter((s): s is StepResult => s !== undefined);
      const failed = done.some((s) => s.status !== 'SUCCESS');
      this.modelled.remove(newModel, created);
      const status: StackStatus = failed ? 'UPDATE_ROLLBACK_FAILED' : 'UPDATE_ROLLBACK_COMPLETE';
      this.phase(status);
      return { operation: 'update', status, steps: [...steps, ...done], elapsedMs: Date.now() - began };
    }

    this.model = newModel;
    this.current = next;
    if (steps.some((s) => s.status !== 'SUCCESS')) {
      this.phase('UPDATE_FAILED');
      return { operation: 'update', status: 'UPDATE_FAILED', steps, elapsedMs: Date.now() - began };
    }

    // Clean-up: replaced and removed custom resources, then keys and streams no longer in the template.
    this.phase('UPDATE_COMPLETE_CLEANUP_IN_PROGRESS');
    const cleanup: Array<Promise<StepResult>> = [];
    for (const [id, was] of before) {
      const now = this.deployed.get(id);
      const removed = !newIds.includes(id);
      const replaced = !removed && now?.physicalId !== undefined && was.physicalId !== undefined && now.physicalId !== was.physicalId;
      if (!removed && !replaced) continue;
      const policy = removed ? oldModel.resource(id).DeletionPolicy : oldModel.resource(id).UpdateReplacePolicy;
      if (removed) this.deployed.delete(id);
      if (retains(policy) || was.physicalId === undefined) continue;
      cleanup.push(this.runAndRecord(oldModel, id, 'Delete', was.properties, undefined, was.physicalId, this.stepOptions(options, id, false), true));
    }
    const cleaned = await Promise.all(cleanup);
    const gone = new Set(Object.keys(oldModel.resources).filter((id) => !newModel.resources[id] || this.modelled.replaced(oldModel, newModel, id)));
    this.modelled.remove(oldModel, gone);
    this.phase('UPDATE_COMPLETE');
    return { operation: 'update', status: 'UPDATE_COMPLETE', steps: [...steps, ...cleaned], elapsedMs: Date.now() - began };
  }

  /**
   * Deletes the stack: Delete for every custom resource whose `DeletionPolicy` is not `Retain`,
   * concurrently; then, when all succeeded, schedules the template's keys for deletion and deletes
   * its streams (unless retained).
   */
  public async destroy(options: StackOperationOptions = {}): Promise<StackOperationResult> {
    const began = Date.now();
    this.phase('DELETE_IN_PROGRESS');
    const steps: StepResult[] = [];
    const work: Array<Promise<StepResult>> = [];
    for (const id of this.customResourceIds()) {
      const deployed = this.deployed.get(id);
      if (!deployed) continue;
      if (retains(this.model.resource(id).DeletionPolicy)) {
        this.deployed.delete(id);
        this.cfn.emit({ kind: 'resource', stackName: this.stackName, logicalId: id, resourceType: this.model.resource(id).Type, action: 'retained', physicalId: deployed.physicalId ?? '', at: Date.now() });
        continue;
      }
      work.push(this.resource(id).delete(this.stepOptions(options, id, false)));
    }
    steps.push(...(await Promise.all(work)));
    const failed = steps.some((s) => s.status !== 'SUCCESS');
    if (!failed) this.modelled.remove(this.model, new Set(Object.keys(this.model.resources)));
    const status: StackStatus = failed ? 'DELETE_FAILED' : 'DELETE_COMPLETE';
    this.phase(status);
    return { operation: 'destroy', status, steps, elapsedMs: Date.now() - began };
  }

  // ---- internals (used by ResourceHandle) ----------------------------------------------------

  /** @internal Runs one operation and records what CloudFormation would hold afterwards. */
  public async step(logicalId: string, requestType: RequestType, options: ResourceOperationOptions): Promise<StepResult> {
    this.prepare();
    const deployed = this.deployed.get(logicalId);
    const base = requestType === 'Create' || !deployed ? this.model.properties(logicalId) : deployed.properties;
    const properties = withOverrides(base, options.properties);
    const oldProperties = requestType === 'Update' ? options.oldProperties ?? deployed?.properties ?? this.model.properties(logicalId) : undefined;
    const physicalResourceId = requestType === 'Create' ? undefined : options.physicalResourceId ?? deployed?.physicalId;
    if (requestType !== 'Create' && physicalResourceId === undefined) {
      throw new Error(`${logicalId} has no physical id: create it first, or pass physicalResourceId`);
    }
    return this.runAndRecord(this.model, logicalId, requestType, properties, oldProperties, physicalResourceId, options);
  }

  private async runAndRecord(
    model: TemplateModel,
    logicalId: string,
    requestType: RequestType,
    properties: Record<string, unknown>,
    oldProperties: Readonly<Record<string, unknown>> | undefined,
    physicalResourceId: string | undefined,
    options: ResourceOperationOptions,
    detached = false,
  ): Promise<StepResult> {
    const fallbackTimeoutMs = this.cfn.options.defaultLambdaTimeoutMs ?? DEFAULT_LAMBDA_TIMEOUT_MS;
    const fn = serviceFunctionOf(model, properties, this.env, fallbackTimeoutMs, options.lambdaTimeoutMs);
    const lambda = this.cfn.lambdaFor(fn.serviceToken);
    const lambdaTimeoutMs = fn.timeoutMs;
    const resourceType = model.resource(logicalId).Type;
    const managed = managedStreamOf(resourceType, properties);
    const streamName = managed?.name;
    const control = this.cfn.cloud.control;
    const observe = !managed ? undefined
      : managed.kind === 'kinesis' ? () => control.dataStream(managed.name) ?? null
        : () => control.stream(managed.name) ?? null;
    this.cfn.emit({ kind: 'step-start', stackName: this.stackName, logicalId, requestType, streamName, streamKind: managed?.kind, properties, at: Date.now() });
    const result = await runStep(lambda, this.cfn.responses, {
      requestType,
      stackId: this.stackId,
      logicalId,
      resourceType,
      properties,
      oldProperties,
      physicalResourceId,
      lambdaTimeoutMs,
      response: options.response,
      waitForHandler: options.waitForHandler,
      observeAtAnswer: observe,
    });
    if (!detached) this.record(logicalId, requestType, result, properties);
    this.cfn.emit({ kind: 'step-end', stackName: this.stackName, result, at: Date.now() });
    return result;
  }

  /** What CloudFormation holds after an operation. */
  private record(logicalId: string, requestType: RequestType, result: StepResult, properties: Record<string, unknown>): void {
    const existing = this.deployed.get(logicalId);
    if (requestType === 'Delete') {
      if (result.status === 'SUCCESS') this.deployed.delete(logicalId);
      return;
    }
    if (requestType === 'Create') {
      // A failed Create keeps its answered physical id: the rollback Delete is sent with it.
      if (result.physicalResourceId !== undefined) {
        this.deployed.set(logicalId, { physicalId: result.physicalResourceId, properties, data: result.data });
      }
      return;
    }
    if (result.status === 'SUCCESS') {
      this.deployed.set(logicalId, { physicalId: result.physicalResourceId ?? existing?.physicalId, properties, data: result.data });
    }
  }

  private modelOf(stack: StackTemplate): TemplateModel {
    return new TemplateModel(stack, { ...this.env, stackName: stack.stackName }, (id) => this.deployed.get(id));
  }

  private overridesFor(options: StackOperationOptions, logicalId: string): PropertyOverrides | undefined {
    return typeof options.properties === 'function' ? options.properties(logicalId) : options.properties;
  }

  /** Per-resource options of a stack operation (overrides only where asked). */
  private stepOptions(options: StackOperationOptions, logicalId: string, withProperties = true): ResourceOperationOptions {
    return {
      properties: withProperties ? this.overridesFor(options, logicalId) : undefined,
      lambdaTimeoutMs: options.lambdaTimeoutMs,
      response: typeof options.response === 'function' ? options.response(logicalId) : options.response,
    };
  }

  private phase(phase: string): void {
    this.cfn.emit({ kind: 'stack', stackName: this.stackName, phase, at: Date.now() });
  }
}

/** One custom resource of a {@link LocalStack}: Create, Update and Delete one at a time. */
export class ResourceHandle {
  /** @internal */
  constructor(private readonly stack: LocalStack, public readonly logicalId: string) {}

  /** Sends Create with the template's properties (plus overrides). */
  public create(options: ResourceOperationOptions = {}): Promise<StepResult> {
    return this.stack.step(this.logicalId, 'Create', options);
  }

  /**
   * Sends Update with the deployed properties plus overrides (`OldResourceProperties`: the
   * deployed ones). Unlike a stack update, a new physical id does not trigger a Delete of the old
   * one: send it with {@link ResourceHandle.delete} and `physicalResourceId`.
   */
  public update(options: ResourceOperationOptions = {}): Promise<StepResult> {
    return this.stack.step(this.logicalId, 'Update', options);
  }

  /** Sends Delete with the deployed properties (plus overrides) and physical id. */
  public delete(options: ResourceOperationOptions = {}): Promise<StepResult> {
    return this.stack.step(this.logicalId, 'Delete', options);
  }
}
