/**
 * The template resources the local CloudFormation models besides the custom resources, as far as
 * those need them: each `AWS::KMS::Key` (with its `AWS::KMS::Alias`es) becomes a key in the local
 * cloud with a deterministic ARN, each `AWS::KinesisFirehose::DeliveryStream` and
 * `AWS::Kinesis::Stream` an ACTIVE stream; keys are scheduled for deletion and streams deleted when
 * the stack no longer has them (unless their `DeletionPolicy` retains them). An
 * `AWS::Lambda::Function` named by a service token gives the handler its timeout.
 *
 * @module
 */

import { FunctionCode, functionCodeOf } from './function-code';
import { TemplateModel } from './model';
import type { LocalCloudControl } from '../control';
import type { JsonObject } from '../json';

/** Whether a deletion policy keeps the resource. */
export function retains(policy: string | undefined): boolean {
  return policy === 'Retain' || policy === 'RetainExceptOnCreate' || policy === 'Snapshot';
}

/** What happened to a modelled resource, for progress output. */
export type ModelledAction = 'created' | 'updated' | 'deleted' | 'retained';

/** The function that handles a custom resource, and its timeout. */
export interface ServiceFunction {
  /** The service token to invoke (the default handler's ARN when the properties name none). */
  readonly serviceToken: string;
  /** The function timeout, in milliseconds. */
  readonly timeoutMs: number;
  /** The function's execution role, when the template has the function. */
  readonly roleArn?: string;
  /** The function's own log group (`LoggingConfig.LogGroup`), when the template gives it one. */
  readonly logGroupName?: string;
  /** What the function runs (the default handler's, when the template has no such function). */
  readonly code: FunctionCode;
}

/**
 * The function behind a custom resource's `ServiceToken`: the template's `AWS::Lambda::Function`
 * gives its `Timeout`; `fallbackTimeoutMs` applies when the token names no function of the template.
 *
 * @param env - region and account of the default handler's ARN
 * @param overrideMs - a timeout that wins over the template's
 */
export function serviceFunctionOf(
  model: TemplateModel,
  properties: Readonly<Record<string, unknown>>,
  env: { readonly region: string; readonly accountId: string },
  fallbackTimeoutMs: number,
  overrideMs?: number,
): ServiceFunction {
  const serviceToken = String(properties.ServiceToken ?? '');
  const fn = model.idsOfType('AWS::Lambda::Function').find((id) => model.getAtt(id, 'Arn') === serviceToken);
  const role = fn === undefined ? undefined : model.property(fn, 'Role');
  const logging = fn === undefined ? undefined : model.property(fn, 'LoggingConfig') as { LogGroup?: unknown } | undefined;
  return {
    serviceToken: serviceToken || `arn:aws:lambda:${env.region}:${env.accountId}:function:stream-encryption-handler`,
    timeoutMs: overrideMs ?? model.lambdaTimeoutMs(serviceToken, fallbackTimeoutMs),
    roleArn: typeof role === 'string' ? role : undefined,
    logGroupName: typeof logging?.LogGroup === 'string' ? logging.LogGroup : undefined,
    code: functionCodeOf(model, fn),
  };
}

/** The keys and streams of a stack's templates in the local cloud. */
export class ModelledResources {
  /** Whether the driver models resources of this type in the local cloud (keys, streams). */
  public static models(type: string): boolean {
    return type === 'AWS::KMS::Key' || type === 'AWS::KinesisFirehose::DeliveryStream' || type === 'AWS::Kinesis::Stream';
  }

  /**
   * @param control - the local cloud the keys and streams live in
   * @param report - told about every modelled resource created, deleted or retained
   */
  constructor(
    private readonly control: LocalCloudControl,
    private readonly report: (logicalId: string, resourceType: string, action: ModelledAction, physicalId: string) => void,
  ) {}

  /** Whether a modelled resource of the old template is replaced by the new one (another name). */
  public replaced(oldModel: TemplateModel, newModel: TemplateModel, id: string): boolean {
    const type = oldModel.resource(id).Type;
    if (newModel.resources[id]?.Type !== type) return true;
    if (type === 'AWS::KinesisFirehose::DeliveryStream') return oldModel.streamName(id) !== newModel.streamName(id);
    if (type === 'AWS::Kinesis::Stream') return oldModel.dataStreamName(id) !== newModel.dataStreamName(id);
    return false;
  }

  /**
   * Creates one key (with the template's aliases of it) or stream of `model` in the local cloud.
   * One that exists already is kept as it is. Returns whether it was created.
   */
  public create(model: TemplateModel, id: string): boolean {
    const type = model.resource(id).Type;
    if (type === 'AWS::KMS::Key') return this.createKey(model, id);
    if (type === 'AWS::KinesisFirehose::DeliveryStream') return this.createDeliveryStream(model, id);
    if (type === 'AWS::Kinesis::Stream') return this.createDataStream(model, id);
    return false;
  }

  /** The alias names the template gives a key. */
  private aliasesOf(model: TemplateModel, keyId: string): string[] {
    const aliases: string[] = [];
    for (const id of model.idsOfType('AWS::KMS::Alias')) {
      const target = String(model.property(id, 'TargetKeyId') ?? '');
      const name = model.property(id, 'AliasName');
      if ((model.keyArn(keyId) === target || model.ref(keyId) === target) && typeof name === 'string') aliases.push(name);
    }
    return aliases;
  }

  private createKey(model: TemplateModel, id: string): boolean {
    const control = this.control;
    const arn = model.keyArn(id);
    const aliases = this.aliasesOf(model, id);
    const existing = control.key(arn);
    const keyPolicy = (model.property(id, 'KeyPolicy') ?? null) as JsonObject | null;
    if (existing) {
      control.putKeyPolicy(arn, keyPolicy);
      const known = new Set(control.state().kms.keys.find((k) => k.KeyMetadata.Arn === arn)?.Aliases ?? []);
      if (aliases.every((a) => known.has(a))) return false;
      control.registerKey({
        arn,
        keySpec: existing.KeySpec,
        keyUsage: existing.KeyUsage,
        keyState: existing.KeyState as 'Enabled',
        description: existing.Description,
        aliases,
        deletionDate: existing.DeletionDate !== undefined ? existing.DeletionDate * 1000 : undefined,
      });
      return false;
    }
    let description = '';
    try {
      description = String(model.property(id, 'Description') ?? '');
    } catch {
      // a description that refers to something unresolvable is only cosmetic
    }
    const enabled = model.property(id, 'Enabled');
    control.registerKey({
      arn,
      keySpec: (model.property(id, 'KeySpec') as 'SYMMETRIC_DEFAULT' | undefined) ?? 'SYMMETRIC_DEFAULT',
      keyUsage: (model.property(id, 'KeyUsage') as 'ENCRYPT_DECRYPT' | undefined) ?? 'ENCRYPT_DECRYPT',
      keyState: enabled === false || enabled === 'false' ? 'Disabled' : 'Enabled',
      description,
      aliases,
    });
    control.putKeyPolicy(arn, keyPolicy);
    this.report(id, 'AWS::KMS::Key', 'created', arn);
    return true;
  }

  private createDeliveryStream(model: TemplateModel, id: string): boolean {
    const name = model.streamName(id);
    if (this.control.stream(name)) return false;
    const kinesisSource = model.resource(id).Properties?.KinesisStreamSourceConfiguration !== undefined;
    const type = String(model.property(id, 'DeliveryStreamType') ?? (kinesisSource ? 'KinesisStreamAsSource' : 'DirectPut'));
    const sse = model.property(id, 'DeliveryStreamEncryptionConfigurationInput') as { KeyType?: string; KeyARN?: string } | undefined;
    this.control.createStream({
      name,
      type: type as 'DirectPut',
      encryption: sse
        ? { status: 'ENABLED', keyType: (sse.KeyType ?? 'AWS_OWNED_CMK') as 'AWS_OWNED_CMK', keyArn: sse.KeyARN }
        : undefined,
    });
    this.report(id, 'AWS::KinesisFirehose::DeliveryStream', 'created', name);
    return true;
  }

  private createDataStream(model: TemplateModel, id: string): boolean {
    const name = model.dataStreamName(id);
    if (this.control.dataStream(name)) return false;
    const mode = (model.property(id, 'StreamModeDetails') as { StreamMode?: string } | undefined)?.StreamMode ?? 'PROVISIONED';
    const shards = model.property(id, 'ShardCount');
    const sse = model.property(id, 'StreamEncryption') as { EncryptionType?: string; KeyId?: string } | undefined;
    this.control.createDataStream({
      name,
      streamMode: mode as 'PROVISIONED',
      shardCount: mode === 'ON_DEMAND' ? undefined : Number(shards ?? 1),
      encryption: sse?.EncryptionType === 'KMS' && sse.KeyId ? { keyId: sse.KeyId } : undefined,
    });
    this.report(id, 'AWS::Kinesis::Stream', 'created', name);
    return true;
  }

  /**
   * Removes modelled resources of `model` (keys are scheduled for deletion, delivery and data
   * streams deleted), streams before keys, unless their `DeletionPolicy` retains them.
   */
  public remove(model: TemplateModel, ids: ReadonlySet<string>): void {
    const rank = (id: string) => (model.resource(id).Type === 'AWS::KMS::Key' ? 1 : 0);
    const ordered = [...ids].filter((id) => model.resources[id]).sort((a, b) => rank(a) - rank(b));
    for (const id of ordered) this.removeOne(model, id, 'DeletionPolicy');
  }

  /**
   * Removes one key or stream of `model`, unless the policy that applies retains it: a key is
   * scheduled for deletion after its `PendingWindowInDays` (30 when absent), a stream deleted.
   *
   * @param policy - `DeletionPolicy` for a removed resource, `UpdateReplacePolicy` for a replaced one
   */
  public removeOne(model: TemplateModel, id: string, policy: 'DeletionPolicy' | 'UpdateReplacePolicy'): void {
    const control = this.control;
    const r = model.resource(id);
    if (!ModelledResources.models(r.Type)) return;
    const physicalId =
      r.Type === 'AWS::KMS::Key' ? model.keyArn(id)
        : r.Type === 'AWS::Kinesis::Stream' ? model.dataStreamName(id)
          : model.streamName(id);
    if (retains(r[policy])) {
      this.report(id, r.Type, 'retained', physicalId);
      return;
    }
    if (r.Type === 'AWS::KMS::Key') {
      const key = control.key(physicalId);
      const window = model.property(id, 'PendingWindowInDays');
      if (key && key.KeyState !== 'PendingDeletion') control.setKeyState(physicalId, 'PendingDeletion', window === undefined ? 30 : Number(window));
    } else if (r.Type === 'AWS::Kinesis::Stream') {
      control.deleteDataStream(physicalId);
    } else {
      control.deleteStream(physicalId);
    }
    this.report(id, r.Type, 'deleted', physicalId);
  }
}
