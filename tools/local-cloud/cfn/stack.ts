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
import * as fs from 'node:fs';
import { accessKeyIdForRole } from '../authorization';
import { managedStreamOf, RequestType, runStep, StepResult, StreamKindOfStep } from './custom-resource';
import { AsyncInvocation, isEventResourceType, StackEventResources } from './event-resources';
import { DEFAULT_FUNCTION_CODE, FunctionCode, functionCodeOf } from './function-code';
import { dependenciesOf, dependencyCycle, runInOrder, topologicalOrder } from './graph';
import { isIamType, StackIam } from './iam-resources';
import { DEFAULT_GUARD_BUNDLE, DEFAULT_HANDLER_BUNDLE, LocalLambda } from './lambda-runtime';
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
    readonly action: 'created' | 'updated' | 'deleted' | 'retained';
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
  /**
   * Variables of the handler's invocations only (`null` hides one), for every resource or per
   * logical id: e.g. `NO_CREDENTIALS_ENVIRONMENT`. @defaultValue the function's environment
   */
  readonly environment?: Readonly<Record<string, string | null>> | ((logicalId: string) => Readonly<Record<string, string | null>> | undefined);
  /** Roll back when a resource fails (deploy and update). @defaultValue true */
  readonly rollback?: boolean;
  /**
   * Deliver each custom resource's events again, this many milliseconds after the first delivery
   * (see `StepRequest.redeliverAfterMs`), for every resource or per logical id and request type.
   */
  readonly redeliverAfterMs?: readonly number[] | ((logicalId: string, requestType: RequestType) => readonly number[] | undefined);
}

/** One thing done to one resource during a stack operation, as CloudFormation's stack events tell it. */
export interface StackEvent {
  /** The stack's status when it happened (`UPDATE_COMPLETE_CLEANUP_IN_PROGRESS`, …). */
  readonly stackStatus: string;
  readonly logicalId: string;
  readonly resourceType: string;
  readonly action: 'create' | 'update' | 'delete' | 'retain';
  readonly outcome: 'COMPLETE' | 'FAILED';
  /** A custom resource's physical id as answered (or retained). */
  readonly physicalId?: string;
  /** A failed custom resource's reason id. */
  readonly reasonId?: string;
  readonly at: number;
}

/** The outcome of a stack operation. */
export interface StackOperationResult {
  readonly operation: 'deploy' | 'update' | 'destroy';
  readonly status: StackStatus;
  /** Every custom-resource operation, in the order they were sent (rollback and clean-up included). */
  readonly steps: readonly StepResult[];
  /** The operation's wall time, in milliseconds. */
  readonly elapsedMs: number;
  /** The stack statuses the operation went through, in order (`UPDATE_IN_PROGRESS`, …, `UPDATE_COMPLETE`). */
  readonly phases: readonly string[];
  /** What was done to each resource (custom, IAM, keys, streams, others), in order, with the stack status at the time. */
  readonly events: readonly StackEvent[];
  /** Custom resources whose clean-up Delete failed: CloudFormation leaves (orphans) them. */
  readonly orphaned: readonly string[];
}

/** A stack operation in progress. */
interface Operation {
  readonly operation: StackOperationResult['operation'];
  readonly began: number;
  status: string;
  readonly steps: StepResult[];
  readonly events: StackEvent[];
  readonly phases: string[];
  readonly orphaned: string[];
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
  /**
   * Variables of this invocation only, over the function's (`null` hides one): e.g.
   * `NO_CREDENTIALS_ENVIRONMENT`, or an `AWS_ENDPOINT_URL_FIREHOSE` that is not a URL.
   * @defaultValue the function's environment
   */
  readonly environment?: Readonly<Record<string, string | null>>;
  /** Deliver the event again, this many milliseconds after the first delivery (see `StepRequest.redeliverAfterMs`). */
  readonly redeliverAfterMs?: readonly number[] | ((requestType: RequestType) => readonly number[] | undefined);
  /**
   * Run the handler with its role's access key (its calls authorized against the role's policies
   * in force). @defaultValue true, unless `properties` overrides what the handler's permissions
   * name (the stream or the key: `DeliveryStreamName`, `KeyType`, `KeyArn`, `StreamName`,
   * `StreamArn`, `KeyId`): such a step stands for a template the role's policies were not written
   * for, so it runs with the cloud's default credentials
   */
  readonly iam?: boolean;
}

/** The properties the handler's permissions are written for (its stream and its key). */
const PERMISSION_PROPERTIES: readonly string[] = ['DeliveryStreamName', 'KeyType', 'KeyArn', 'StreamName', 'StreamArn', 'KeyId'];

/** Whether overrides change what the handler's permissions name, compared with `base`. */
function overridesPermissions(overrides: PropertyOverrides | undefined, base: Readonly<Record<string, unknown>>): boolean {
  return Object.entries(overrides ?? {}).some(([k, v]) => PERMISSION_PROPERTIES.includes(k) && v !== base[k]);
}

/** How a {@link LocalCloudFormation} is set up. */
export interface LocalCloudFormationOptions {
  /**
   * The custom-resource handler's bundle, run by every function whose code is the handler's asset
   * (and by a custom resource whose function the template does not hold).
   * @defaultValue `assets/stream-encryption-handler/index.js`
   */
  readonly bundle?: string;
  /**
   * The guard's bundle, run by every function whose code is the guard's asset.
   * @defaultValue `assets/stream-encryption-guard/index.js`
   */
  readonly guardBundle?: string;
  /** Told about every step and phase (for progress output). */
  readonly onEvent?: (event: DriverEvent) => void;
  /** The function timeout when the service token names no function of the template. @defaultValue 900 s */
  readonly defaultLambdaTimeoutMs?: number;
  /**
   * Run the handler with its role's access key, so that the local cloud authorizes its calls
   * against the role's policies as deployed at that moment (wherever the template has the
   * function and its role). @defaultValue true
   */
  readonly iam?: boolean;
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

  /** The bundle each staged asset file is run as, by path (a staged asset's folder is named by its content hash). */
  private readonly bundles = new Map<string, string>();

  /** The asynchronous invocations EventBridge made of the stacks' functions (the guard), oldest first. */
  public readonly asyncInvocations: AsyncInvocation[] = [];

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
  public stack(source: StackSource, options: LoadOptions = {}): LocalCloudStack {
    return new LocalCloudStack(this, loadStackTemplate(source, options));
  }

  /** Stops the response server. */
  public async stop(): Promise<void> {
    await this.responses.stop();
  }

  /**
   * @internal The function behind a service token (running as `roleArn`, when known; logging to
   * `logGroupName`, else to `/aws/lambda/<function name>`; running `code`).
   */
  public lambdaFor(serviceToken: string, roleArn?: string, logGroupName?: string, code: FunctionCode = DEFAULT_FUNCTION_CODE): LocalLambda {
    const role = this.options.iam === false ? undefined : roleArn;
    const bundle = this.bundleOf(code);
    const cacheKey = `${serviceToken} ${role ?? ''} ${logGroupName ?? ''} ${bundle} ${code.exportName}`;
    let lambda = this.lambdas.get(cacheKey);
    if (!lambda) {
      const name = /:function:([^:]+)/.exec(serviceToken)?.[1] ?? 'stream-encryption-handler';
      lambda = new LocalLambda({
        bundle,
        exportName: code.exportName,
        functionName: name,
        region: this.cloud.region,
        accountId: this.cloud.accountId,
        logGroupName,
        environment: { ...this.cloud.env(), STREAM_ENCRYPTION_ALLOW_LOOPBACK_HTTP: 'true' },
        invocationEnvironment: role === undefined ? undefined : {
          AWS_ACCESS_KEY_ID: accessKeyIdForRole(role),
          AWS_SECRET_ACCESS_KEY: 'local-cloud-role-secret',
          AWS_SESSION_TOKEN: 'local-cloud-role-session',
        },
      });
      this.lambdas.set(cacheKey, lambda);
    }
    return lambda;
  }

  /**
   * The bundle a function's code runs as. A staged copy of the handler's or the guard's asset
   * runs as that bundle ({@link LocalCloudFormationOptions.bundle},
   * {@link LocalCloudFormationOptions.guardBundle}), so that every stack shares one loaded module
   * per bundle; any other staged file runs as itself; a function of a bare template (no staged
   * asset) runs the handler's bundle.
   */
  private bundleOf(code: FunctionCode): string {
    const handlerBundle = this.options.bundle ?? DEFAULT_HANDLER_BUNDLE;
    const guardBundle = this.options.guardBundle ?? DEFAULT_GUARD_BUNDLE;
    if (code.file === undefined) return handlerBundle;
    let bundle = this.bundles.get(code.file);
    if (bundle === undefined) {
      const staged = fs.readFileSync(code.file);
      // A copy of the bundle given, or of the one built (each file read once, also when they are one).
      const copyOf = (...files: string[]) => [...new Set(files)].some((file) => fs.existsSync(file) && staged.equals(fs.readFileSync(file)));
      bundle = copyOf(handlerBundle, DEFAULT_HANDLER_BUNDLE) ? handlerBundle
        : copyOf(guardBundle, DEFAULT_GUARD_BUNDLE) ? guardBundle
          : code.file;
      this.bundles.set(code.file, bundle);
    }
    return bundle;
  }

  /** @internal */
  public emit(event: DriverEvent): void {
    this.options.onEvent?.(event);
  }
}

/**
 * CloudFormation validates a template before it creates or updates anything, and refuses one whose
 * resources depend on each other in a cycle (`Ref`, `Fn::GetAtt`, `Fn::Sub`, `DependsOn`) with
 * "Circular dependency between resources" (AWS CloudFormation User Guide, "Troubleshooting
 * CloudFormation", dependency errors:
 * https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/troubleshooting.html#troubleshooting-errors-dependency-error):
 * the stack is left as it was. So does the local one, before any event.
 */
function refuseCycle(stack: StackTemplate): void {
  const cycle = dependencyCycle(stack.template.Resources);
  if (cycle) {
    throw new Error(`ValidationError: stack ${stack.stackName}: Circular dependency between resources: [${[...new Set(cycle)].join(', ')}] (${cycle.join(' -> ')})`);
  }
}

/** A stack in the local CloudFormation. */
export class LocalCloudStack {
  public readonly stackName: string;
  public readonly stackId: string;
  private readonly env: StackEnvironment;
  private current: StackTemplate;
  private model: TemplateModel;
  private readonly deployed = new Map<string, DeployedResource>();
  private readonly modelled: ModelledResources;
  private readonly iam: StackIam;
  private readonly eventResources: StackEventResources;
  private readonly dependencyCache = new WeakMap<TemplateModel, Map<string, ReadonlySet<string>>>();
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
    this.iam = new StackIam(cloud.iam);
    const lambdaFor = (arn: string, role: string | undefined, model: TemplateModel, functionId: string) =>
      cfn.lambdaFor(arn, role, undefined, functionCodeOf(model, functionId));
    this.eventResources = new StackEventResources(cloud, lambdaFor, cfn.asyncInvocations, stack.stackName);
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

  /**
   * `Fn::GetAtt` of a resource as the stack resolves it now: a custom resource's attribute is in
   * the `Data` of the answer CloudFormation holds for it; `undefined` when the resource has no such
   * attribute (yet).
   */
  public attribute(logicalId: string, attribute: string): string | undefined {
    return this.model.getAtt(logicalId, attribute);
  }

  /** The properties CloudFormation holds for a custom resource (the last ones sent), if any. */
  public deployedProperties(logicalId: string): Readonly<Record<string, unknown>> | undefined {
    return this.deployed.get(logicalId)?.properties;
  }

  /** The physical id CloudFormation holds for a custom resource, if any. */
  public physicalId(logicalId: string): string | undefined {
    return this.deployed.get(logicalId)?.physicalId;
  }

  /** What `Ref` of a template resource resolves to (an SNS topic's ARN, an alarm's name, …). */
  public ref(logicalId: string): string | undefined {
    return this.model.ref(logicalId);
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
   * Creates the template's keys (with their aliases), streams and IAM resources in the local
   * cloud, in dependency order, as CloudFormation would before it creates the custom resources that
   * depend on them. Done once; keys and streams that already exist are kept as they are (so a
   * scenario can arrange them first).
   */
  public prepare(): void {
    if (this.prepared) return;
    refuseCycle(this.current);
    this.prepared = true;
    const ids = Object.keys(this.model.resources).filter((id) => !isCustomResourceType(this.model.resource(id).Type));
    for (const id of topologicalOrder(ids, (i) => this.dependencies(this.model, i))) this.createModelled(this.model, id);
  }

  /**
   * Creates the stack: every resource in dependency order (independent ones at once: every
   * custom resource at once once the keys, streams, role and policies are there). When one fails,
   * rolls back (`ROLLBACK_IN_PROGRESS`): Delete of what was created (a failed custom resource with
   * the physical id it answered), in reverse dependency order — unless `rollback: false`.
   */
  public async deploy(options: StackOperationOptions = {}): Promise<StackOperationResult> {
    if (this.deployed.size > 0) throw new Error(`Stack ${this.stackName} is already deployed; use update() or destroy()`);
    refuseCycle(this.current);
    const op = this.begin('deploy', 'CREATE_IN_PROGRESS');
    const model = this.model;
    const created: string[] = [];
    let ok = true;
    await runInOrder(Object.keys(model.resources), (id) => this.dependencies(model, id), async (id) => {
      created.push(id);
      const done = await this.createResource(op, model, id, options);
      ok &&= done;
      return done;
    }, { stopOnFailure: true });
    this.prepared = true;
    if (ok || options.rollback === false) return this.end(op, ok ? 'CREATE_COMPLETE' : 'CREATE_FAILED');

    this.phase(op, 'ROLLBACK_IN_PROGRESS');
    const rolledBack = await this.deleteInOrder(op, model, created, 'DeletionPolicy', options, { stopOnFailure: true, ignoreRetain: true });
    return this.end(op, rolledBack ? 'ROLLBACK_COMPLETE' : 'ROLLBACK_FAILED');
  }

  /**
   * Updates the stack to a new template, as CloudFormation does:
   *
   * - `UPDATE_IN_PROGRESS`: in the new template's dependency order, creates new resources (Create
   *   for a new custom resource), updates changed ones (Update with `OldResourceProperties`; IAM
   *   policies replaced in place);
   * - `UPDATE_COMPLETE_CLEANUP_IN_PROGRESS`: Delete (with the old properties) of removed custom
   *   resources and of the old physical ids of replaced ones, and removal of the other resources
   *   the template no longer has (policies detached, keys scheduled for deletion, streams deleted),
   *   in reverse dependency order of the OLD template; a clean-up failure does not fail the update
   *   (the resource is orphaned: `orphaned`).
   * - On a failure, instead: `UPDATE_ROLLBACK_IN_PROGRESS` (what was updated goes back to its old
   *   properties, in the old template's dependency order: a custom resource gets an Update with the
   *   failed new properties as `OldResourceProperties` and the physical id in force), then
   *   `UPDATE_ROLLBACK_COMPLETE_CLEANUP_IN_PROGRESS` (what the update created, and the new physical
   *   ids of replaced custom resources, deleted in reverse dependency order of the NEW template).
   *
   * @param source - the new cloud assembly directory, template file or template
   * @param options - overrides, function timeout, response behaviour, rollback
   */
  public async update(source: StackSource, options: StackOperationOptions & LoadOptions = {}): Promise<StackOperationResult> {
    const next = loadStackTemplate(source, { stackName: options.stackName ?? this.stackName });
    refuseCycle(next);
    const oldModel = this.model;
    const newModel = this.modelOf(next);
    const op = this.begin('update', 'UPDATE_IN_PROGRESS');
    this.prepare();
    const before = new Map([...this.deployed].map(([id, d]) => [id, { ...d }]));
    const newIds = Object.keys(newModel.resources);
    const created = new Set<string>();
    const updated = new Map<string, Record<string, unknown>>();
    let ok = true;
    await runInOrder(newIds, (id) => this.dependencies(newModel, id), async (id) => {
      const isNew = this.isNewIn(oldModel, newModel, id) || (isCustomResourceType(newModel.resource(id).Type) && !before.has(id));
      let done = true;
      if (isNew) {
        created.add(id);
        done = await this.createResource(op, newModel, id, options);
      } else if (isCustomResourceType(newModel.resource(id).Type)) {
        const properties = withOverrides(newModel.properties(id), this.overridesFor(options, id));
        const old = before.get(id)!;
        if (differ(old.properties, properties)) {
          updated.set(id, properties);
          const step = await this.runAndRecord(newModel, id, 'Update', properties, old.properties, old.physicalId, this.stepOptions(options, id, false));
          done = this.stepEvent(op, id, newModel, 'update', step);
        }
      } else if (this.modelledChanged(oldModel, newModel, id)) {
        updated.set(id, {});
        this.updateModelled(op, newModel, id);
      }
      ok &&= done;
      return done;
    }, { stopOnFailure: true });

    if (!ok && options.rollback !== false) {
      this.phase(op, 'UPDATE_ROLLBACK_IN_PROGRESS');
      let rollbackOk = true;
      const back = [...updated.keys()].filter((id) => oldModel.resources[id]);
      await runInOrder(back, (id) => this.dependencies(oldModel, id), async (id) => {
        if (!isCustomResourceType(oldModel.resource(id).Type)) {
          this.updateModelled(op, oldModel, id);
          return true;
        }
        const was = before.get(id)!;
        const now = this.deployed.get(id);
        if (now?.physicalId !== undefined && was.physicalId !== now.physicalId) {
          // Replaced: the old resource is in force again as it was; the new one goes in the clean-up.
          this.deployed.set(id, was);
          return true;
        }
        const step = await this.runAndRecord(oldModel, id, 'Update', was.properties, updated.get(id), now?.physicalId ?? was.physicalId, this.stepOptions(options, id, false));
        const done = this.stepEvent(op, id, oldModel, 'update', step);
        rollbackOk &&= done;
        return done;
      });
      this.phase(op, 'UPDATE_ROLLBACK_COMPLETE_CLEANUP_IN_PROGRESS');
      const replacedNow = [...updated.keys()].filter((id) => {
        const step = op.steps.find((st) => st.logicalId === id && st.requestType === 'Update' && st.status === 'SUCCESS' && st.physicalResourceId !== undefined);
        return step !== undefined && step.physicalResourceId !== before.get(id)?.physicalId;
      });
      const cleanup = [...created, ...replacedNow];
      await runInOrder(cleanup, (id) => this.dependencies(newModel, id), async (id) => {
        if (!isCustomResourceType(newModel.resource(id).Type)) {
          this.deleteModelled(op, newModel, id, 'DeletionPolicy');
          return true;
        }
        const physicalId = created.has(id) ? this.deployed.get(id)?.physicalId : op.steps.find((st) => st.logicalId === id && st.requestType === 'Update' && st.status === 'SUCCESS')?.physicalResourceId;
        if (physicalId === undefined) return true;
        const step = await this.runAndRecord(newModel, id, 'Delete', withOverrides(newModel.properties(id), this.overridesFor(options, id)), undefined, physicalId, this.stepOptions(options, id, false), !created.has(id));
        if (created.has(id) && step.status === 'SUCCESS') this.deployed.delete(id);
        return this.stepEvent(op, id, newModel, 'delete', step);
      }, { reverse: true });
      return this.end(op, rollbackOk ? 'UPDATE_ROLLBACK_COMPLETE' : 'UPDATE_ROLLBACK_FAILED');
    }

    this.model = newModel;
    this.current = next;
    if (!ok) return this.end(op, 'UPDATE_FAILED');

    this.phase(op, 'UPDATE_COMPLETE_CLEANUP_IN_PROGRESS');
    const gone = Object.keys(oldModel.resources).filter((id) => {
      if (!newModel.resources[id]) return true;
      if (isCustomResourceType(oldModel.resource(id).Type)) {
        const was = before.get(id);
        const now = this.deployed.get(id);
        return was?.physicalId !== undefined && now?.physicalId !== undefined && now.physicalId !== was.physicalId;
      }
      return this.isNewIn(oldModel, newModel, id);
    });
    await runInOrder(gone, (id) => this.dependencies(oldModel, id), async (id) => {
      const removed = !newModel.resources[id];
      const policy = removed ? 'DeletionPolicy' : 'UpdateReplacePolicy';
      if (!isCustomResourceType(oldModel.resource(id).Type)) {
        this.deleteModelled(op, oldModel, id, policy);
        return true;
      }
      const was = before.get(id)!;
      if (removed) this.deployed.delete(id);
      if (retains(oldModel.resource(id)[policy])) {
        this.event(op, id, oldModel.resource(id).Type, 'retain', 'COMPLETE', was.physicalId);
        return true;
      }
      const step = await this.runAndRecord(oldModel, id, 'Delete', was.properties, undefined, was.physicalId, this.stepOptions(options, id, false), true);
      if (!this.stepEvent(op, id, oldModel, 'delete', step)) op.orphaned.push(id);
      return true;
    }, { reverse: true });
    return this.end(op, 'UPDATE_COMPLETE');
  }

  /**
   * Deletes the stack: every resource in reverse dependency order (the custom resources first,
   * then the policies, role, streams and keys they depend on): Delete for every custom resource
   * whose `DeletionPolicy` is not `Retain`; keys scheduled for deletion, streams deleted, policies
   * detached (unless retained). A failed Delete keeps what it depends on.
   */
  public async destroy(options: StackOperationOptions = {}): Promise<StackOperationResult> {
    const op = this.begin('destroy', 'DELETE_IN_PROGRESS');
    const ok = await this.deleteInOrder(op, this.model, Object.keys(this.model.resources), 'DeletionPolicy', options, { stopOnFailure: false });
    return this.end(op, ok ? 'DELETE_COMPLETE' : 'DELETE_FAILED');
  }

  // ---- the operation's resources -------------------------------------------------------------

  /** What a resource depends on in a template (cached per template). */
  private dependencies(model: TemplateModel, id: string): ReadonlySet<string> {
    let cache = this.dependencyCache.get(model);
    if (!cache) {
      cache = new Map();
      this.dependencyCache.set(model, cache);
    }
    let found = cache.get(id);
    if (!found) {
      found = dependenciesOf(model.resources, id);
      cache.set(id, found);
    }
    return found;
  }

  /** Whether `id` of the new template is a new resource (absent before, another type, or a replaced key or stream). */
  private isNewIn(oldModel: TemplateModel, newModel: TemplateModel, id: string): boolean {
    const was = oldModel.resources[id];
    if (!was || was.Type !== newModel.resource(id).Type) return true;
    return ModelledResources.models(was.Type) && this.modelled.replaced(oldModel, newModel, id);
  }

  /** Whether an IAM resource's resolved properties changed (other modelled resources are not updated in place). */
  private modelledChanged(oldModel: TemplateModel, newModel: TemplateModel, id: string): boolean {
    const type = newModel.resource(id).Type;
    if (!isIamType(type) && !isEventResourceType(type)) return false;
    return differ(oldModel.properties(id), newModel.properties(id));
  }

  /** Creates a key, stream or IAM resource (nothing to do for other types). */
  private createModelled(model: TemplateModel, id: string): void {
    const type = model.resource(id).Type;
    if (isIamType(type)) this.iam.apply(model, id);
    else if (isEventResourceType(type)) this.eventResources.apply(model, id);
    else this.modelled.create(model, id);
  }

  /** Puts the version of an IAM resource in `model` in force. */
  private updateModelled(op: Operation, model: TemplateModel, id: string): void {
    const type = model.resource(id).Type;
    if (isEventResourceType(type)) {
      this.eventResources.apply(model, id);
      this.event(op, id, type, 'update', 'COMPLETE');
      return;
    }
    if (!isIamType(type)) return;
    this.iam.apply(model, id);
    this.event(op, id, type, 'update', 'COMPLETE');
    this.cfn.emit({ kind: 'resource', stackName: this.stackName, logicalId: id, resourceType: type, action: 'updated', physicalId: model.ref(id) ?? id, at: Date.now() });
  }

  /** Removes a key, stream or IAM resource (unless the policy retains it). */
  private deleteModelled(op: Operation, model: TemplateModel, id: string, policy: 'DeletionPolicy' | 'UpdateReplacePolicy'): void {
    const r = model.resource(id);
    if (retains(r[policy])) {
      if (ModelledResources.models(r.Type)) this.modelled.removeOne(model, id, policy);
      this.event(op, id, r.Type, 'retain', 'COMPLETE');
      return;
    }
    if (isEventResourceType(r.Type)) {
      this.eventResources.remove(model, id);
    } else if (isIamType(r.Type)) {
      this.iam.remove(id);
      this.cfn.emit({ kind: 'resource', stackName: this.stackName, logicalId: id, resourceType: r.Type, action: 'deleted', physicalId: model.ref(id) ?? id, at: Date.now() });
    } else if (ModelledResources.models(r.Type)) {
      this.modelled.removeOne(model, id, policy);
    }
    this.event(op, id, r.Type, 'delete', 'COMPLETE');
  }

  /** Creates one resource of `model`: a custom resource's Create, or a modelled resource. */
  private async createResource(op: Operation, model: TemplateModel, id: string, options: StackOperationOptions): Promise<boolean> {
    const type = model.resource(id).Type;
    if (!isCustomResourceType(type)) {
      this.createModelled(model, id);
      this.event(op, id, type, 'create', 'COMPLETE');
      return true;
    }
    const properties = withOverrides(model.properties(id), this.overridesFor(options, id));
    const step = await this.runAndRecord(model, id, 'Create', properties, undefined, undefined, this.stepOptions(options, id, false));
    return this.stepEvent(op, id, model, 'create', step);
  }

  /** Deletes resources of `model` in reverse dependency order; resolves to whether every Delete succeeded. */
  private async deleteInOrder(
    op: Operation,
    model: TemplateModel,
    ids: readonly string[],
    policy: 'DeletionPolicy' | 'UpdateReplacePolicy',
    options: StackOperationOptions,
    order: { readonly stopOnFailure: boolean; /** A rollback deletes custom resources whatever their policy. */ readonly ignoreRetain?: boolean },
  ): Promise<boolean> {
    let ok = true;
    await runInOrder(ids, (id) => this.dependencies(model, id), async (id) => {
      const r = model.resource(id);
      if (!isCustomResourceType(r.Type)) {
        this.deleteModelled(op, model, id, policy);
        return true;
      }
      const deployed = this.deployed.get(id);
      if (!deployed?.physicalId) return true;
      if (!order.ignoreRetain && retains(r[policy])) {
        this.deployed.delete(id);
        this.event(op, id, r.Type, 'retain', 'COMPLETE', deployed.physicalId);
        this.cfn.emit({ kind: 'resource', stackName: this.stackName, logicalId: id, resourceType: r.Type, action: 'retained', physicalId: deployed.physicalId, at: Date.now() });
        return true;
      }
      const step = await this.runAndRecord(model, id, 'Delete', deployed.properties, undefined, deployed.physicalId, this.stepOptions(options, id, false));
      const done = this.stepEvent(op, id, model, 'delete', step);
      ok &&= done;
      return done;
    }, { reverse: true, stopOnFailure: order.stopOnFailure });
    return ok;
  }

  /** Starts an operation's record. */
  private begin(operation: StackOperationResult['operation'], status: string): Operation {
    const op: Operation = { operation, began: Date.now(), status, steps: [], events: [], phases: [], orphaned: [] };
    this.phase(op, status);
    return op;
  }

  /** Ends an operation with its final status. */
  private end(op: Operation, status: StackStatus): StackOperationResult {
    this.phase(op, status);
    return {
      operation: op.operation,
      status,
      steps: op.steps,
      elapsedMs: Date.now() - op.began,
      phases: op.phases,
      events: op.events,
      orphaned: op.orphaned,
    };
  }

  /** Records a custom resource step as an event; returns whether it succeeded. */
  private stepEvent(op: Operation, id: string, model: TemplateModel, action: StackEvent['action'], step: StepResult): boolean {
    op.steps.push(step);
    const ok = step.status === 'SUCCESS';
    this.event(op, id, model.resource(id).Type, action, ok ? 'COMPLETE' : 'FAILED', step.physicalResourceId, step.reasonId);
    return ok;
  }

  private event(op: Operation, logicalId: string, resourceType: string, action: StackEvent['action'], outcome: StackEvent['outcome'], physicalId?: string, reasonId?: string): void {
    op.events.push({ stackStatus: op.status, logicalId, resourceType, action, outcome, physicalId, reasonId, at: Date.now() });
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
    const iam = options.iam ?? !overridesPermissions(options.properties, base);
    return this.runAndRecord(this.model, logicalId, requestType, properties, oldProperties, physicalResourceId, { ...options, iam });
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
    const lambda = this.cfn.lambdaFor(fn.serviceToken, options.iam === false ? undefined : fn.roleArn, fn.logGroupName, fn.code);
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
      environment: options.environment,
      observeAtAnswer: observe,
      redeliverAfterMs: typeof options.redeliverAfterMs === 'function' ? options.redeliverAfterMs(requestType) : options.redeliverAfterMs,
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
    const overrides = this.overridesFor(options, logicalId);
    return {
      iam: !overridesPermissions(overrides, {}),
      properties: withProperties ? this.overridesFor(options, logicalId) : undefined,
      lambdaTimeoutMs: options.lambdaTimeoutMs,
      response: typeof options.response === 'function' ? options.response(logicalId) : options.response,
      environment: typeof options.environment === 'function' ? options.environment(logicalId) : options.environment,
      redeliverAfterMs: (requestType) => {
        const redeliver = options.redeliverAfterMs;
        return typeof redeliver === 'function' ? redeliver(logicalId, requestType) : redeliver;
      },
    };
  }

  private phase(op: Operation, phase: string): void {
    op.status = phase;
    op.phases.push(phase);
    this.cfn.emit({ kind: 'stack', stackName: this.stackName, phase, at: Date.now() });
  }
}

/** One custom resource of a {@link LocalCloudStack}: Create, Update and Delete one at a time. */
export class ResourceHandle {
  /** @internal */
  constructor(private readonly stack: LocalCloudStack, public readonly logicalId: string) {}

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
