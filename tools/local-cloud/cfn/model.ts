/**
 * What the resources of a template are in the local cloud: deterministic physical ids, ARNs and
 * attributes for `Ref` and `Fn::GetAtt`, computed from the stack name and logical ids (so that a
 * template synthesized twice resolves to the same values), plus the values the custom resources
 * answered.
 *
 * @module
 */

import { createHash } from 'node:crypto';
import { resolveValue, ResolveScope, stringifyScalars } from './intrinsics';
import { CfnResourceDefinition, StackTemplate } from './template';

/** The resource type of this library's custom resource for a Firehose delivery stream. */
export const DELIVERY_STREAM_ENCRYPTION_TYPE = 'Custom::DeliveryStreamEncryption';

/** The resource type of this library's custom resource for a Kinesis data stream. */
export const DATA_STREAM_ENCRYPTION_TYPE = 'Custom::DataStreamEncryption';

/** The resource types of this library's custom resources, which the driver sends events to. */
export const CUSTOM_RESOURCE_TYPES: readonly string[] = [DELIVERY_STREAM_ENCRYPTION_TYPE, DATA_STREAM_ENCRYPTION_TYPE];

/** Whether a resource type is one of this library's custom resources. */
export function isCustomResourceType(type: string): boolean {
  return CUSTOM_RESOURCE_TYPES.includes(type);
}

/** Where the stack is deployed. */
export interface StackEnvironment {
  readonly stackName: string;
  readonly stackId: string;
  readonly region: string;
  readonly accountId: string;
  readonly partition: string;
  readonly urlSuffix: string;
}

/** What a custom resource answered last: its physical id and attributes. */
export interface CustomResourceValues {
  readonly physicalId?: string;
  readonly data?: Readonly<Record<string, unknown>>;
}

/** The first `length` hex digits of the SHA-256 of `text`. */
export function hashHex(text: string, length: number): string {
  return createHash('sha256').update(text).digest('hex').slice(0, length);
}

/** A UUID (version 4 layout) derived from `text`: the same text always gives the same id. */
export function uuidFrom(text: string): string {
  const h = hashHex(text, 32);
  const variant = '89ab'[parseInt(h[16], 16) % 4];
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-${variant}${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

/**
 * The ARN of the KMS key that an `AWS::KMS::Key` resource stands for in the local cloud: a key id
 * derived from the stack name and logical id.
 */
export function keyArnFor(env: Pick<StackEnvironment, 'stackName' | 'region' | 'accountId' | 'partition'>, logicalId: string): string {
  return `arn:${env.partition}:kms:${env.region}:${env.accountId}:key/${uuidFrom(`${env.stackName}/${logicalId}`)}`;
}

/** A name CloudFormation would generate for a resource: `<stack>-<logical id>-<suffix>`, cut to `max`. */
function generatedName(env: StackEnvironment, logicalId: string, max: number): string {
  const suffix = hashHex(`${env.stackName}/${logicalId}`, 12).toUpperCase();
  const head = `${env.stackName}-${logicalId}`.slice(0, Math.max(1, max - suffix.length - 1));
  return `${head}-${suffix}`;
}

/** The AWS service of a resource type (`AWS::KMS::Key` → `kms`). */
function serviceOf(type: string): string {
  return (type.split('::')[1] ?? 'unknown').toLowerCase();
}

/**
 * The values of a template's resources. `Ref` and `Fn::GetAtt` resolve lazily, so that only what
 * a custom resource's properties need is computed; a reference cycle is reported as an error.
 */
export class TemplateModel implements ResolveScope {
  public readonly pseudo: Readonly<Record<string, string>>;
  public readonly parameters: Readonly<Record<string, string>>;
  private readonly resolving = new Set<string>();

  /**
   * @param stack - the template
   * @param env - where it is deployed
   * @param custom - what each custom resource answered last
   */
  constructor(
    public readonly stack: StackTemplate,
    public readonly env: StackEnvironment,
    private readonly custom: (logicalId: string) => CustomResourceValues | undefined,
  ) {
    this.pseudo = {
      'AWS::Region': env.region,
      'AWS::AccountId': env.accountId,
      'AWS::Partition': env.partition,
      'AWS::URLSuffix': env.urlSuffix,
      'AWS::StackName': env.stackName,
      'AWS::StackId': env.stackId,
    };
    const parameters: Record<string, string> = {};
    for (const [name, p] of Object.entries(stack.template.Parameters ?? {})) {
      if (p.Default !== undefined) parameters[name] = String(p.Default);
    }
    this.parameters = parameters;
  }

  /** The resources of the template. */
  public get resources(): Readonly<Record<string, CfnResourceDefinition>> {
    return this.stack.template.Resources;
  }

  /** The logical ids of the resources of a type, in template order. */
  public idsOfType(type: string): string[] {
    return Object.entries(this.resources).filter(([, r]) => r.Type === type).map(([id]) => id);
  }

  /** The logical ids of this library's custom resources (both types), in template order. */
  public customResourceIds(): string[] {
    return Object.entries(this.resources).filter(([, r]) => isCustomResourceType(r.Type)).map(([id]) => id);
  }

  /** A resource, or an error naming the template. */
  public resource(logicalId: string): CfnResourceDefinition {
    const r = this.resources[logicalId];
    if (!r) throw new Error(`${this.stack.source} has no resource ${logicalId}`);
    return r;
  }

  /** One property of a resource, resolved (`undefined` when absent). */
  public property(logicalId: string, name: string): unknown {
    const value = this.resource(logicalId).Properties?.[name];
    return value === undefined ? undefined : this.guard(`${logicalId}.${name}`, () => resolveValue(value, this, `${logicalId}.Properties.${name}`));
  }

  /** Every property of a resource, resolved and with scalars as strings (as a custom resource gets them). */
  public properties(logicalId: string): Record<string, unknown> {
    const props = this.resource(logicalId).Properties ?? {};
    return stringifyScalars(resolveValue(props, this, `${logicalId}.Properties`)) as Record<string, unknown>;
  }

  /** {@inheritDoc ResolveScope.ref} */
  public ref(logicalId: string): string | undefined {
    const r = this.resources[logicalId];
    if (!r) return undefined;
    const env = this.env;
    const optional = (name: string): string | undefined => {
      const v = this.property(logicalId, name);
      return v === undefined ? undefined : String(v);
    };
    switch (r.Type) {
      case DELIVERY_STREAM_ENCRYPTION_TYPE:
      case DATA_STREAM_ENCRYPTION_TYPE:
        return this.custom(logicalId)?.physicalId;
      case 'AWS::KMS::Key':
        return this.keyArn(logicalId).split('/').pop();
      case 'AWS::KMS::Alias':
        return optional('AliasName');
      case 'AWS::KinesisFirehose::DeliveryStream':
        return this.streamName(logicalId);
      case 'AWS::Kinesis::Stream':
        return this.dataStreamName(logicalId);
      case 'AWS::Lambda::Function':
        return optional('FunctionName') ?? generatedName(env, logicalId, 64);
      case 'AWS::S3::Bucket':
        return optional('BucketName') ?? generatedName(env, logicalId, 63).toLowerCase();
      case 'AWS::Logs::LogGroup':
        return optional('LogGroupName') ?? generatedName(env, logicalId, 512);
      case 'AWS::IAM::Role':
        return optional('RoleName') ?? generatedName(env, logicalId, 64);
      case 'AWS::SNS::Topic':
        return `arn:${env.partition}:sns:${env.region}:${env.accountId}:${optional('TopicName') ?? generatedName(env, logicalId, 256)}`;
      case 'AWS::IAM::ManagedPolicy':
        return `arn:${env.partition}:iam::${env.accountId}:policy/${optional('ManagedPolicyName') ?? generatedName(env, logicalId, 128)}`;
      case 'AWS::CloudWatch::Alarm':
        return optional('AlarmName') ?? generatedName(env, logicalId, 255);
      default:
        return generatedName(env, logicalId, 128);
    }
  }

  /** {@inheritDoc ResolveScope.getAtt} */
  public getAtt(logicalId: string, attribute: string): string | undefined {
    const r = this.resources[logicalId];
    if (!r) return undefined;
    const env = this.env;
    switch (r.Type) {
      case DELIVERY_STREAM_ENCRYPTION_TYPE:
      case DATA_STREAM_ENCRYPTION_TYPE: {
        const value = this.custom(logicalId)?.data?.[attribute];
        return value === undefined ? undefined : String(value);
      }
      case 'AWS::KMS::Key':
        if (attribute === 'Arn') return this.keyArn(logicalId);
        if (attribute === 'KeyId') return this.ref(logicalId);
        return undefined;
      case 'AWS::KinesisFirehose::DeliveryStream':
        return attribute === 'Arn' ? `arn:${env.partition}:firehose:${env.region}:${env.accountId}:deliverystream/${this.streamName(logicalId)}` : undefined;
      case 'AWS::Kinesis::Stream':
        return attribute === 'Arn' ? this.dataStreamArn(logicalId) : undefined;
      case 'AWS::Lambda::Function':
        return attribute === 'Arn' ? `arn:${env.partition}:lambda:${env.region}:${env.accountId}:function:${this.ref(logicalId)}` : undefined;
      case 'AWS::S3::Bucket':
        return attribute === 'Arn' ? `arn:${env.partition}:s3:::${this.ref(logicalId)}` : undefined;
      case 'AWS::Logs::LogGroup':
        return attribute === 'Arn' ? `arn:${env.partition}:logs:${env.region}:${env.accountId}:log-group:${this.ref(logicalId)}:*` : undefined;
      case 'AWS::Events::Rule':
        return attribute === 'Arn' ? `arn:${env.partition}:events:${env.region}:${env.accountId}:rule/${this.property(logicalId, 'Name') ?? generatedName(env, logicalId, 64)}` : undefined;
      case 'AWS::SNS::Topic':
        if (attribute === 'TopicArn') return this.ref(logicalId);
        if (attribute === 'TopicName') return this.ref(logicalId)?.split(':').pop();
        return undefined;
      case 'AWS::CloudWatch::Alarm':
        return attribute === 'Arn' ? `arn:${env.partition}:cloudwatch:${env.region}:${env.accountId}:alarm:${this.ref(logicalId)}` : undefined;
      case 'AWS::IAM::Role':
        if (attribute === 'Arn') return `arn:${env.partition}:iam::${env.accountId}:role/${this.ref(logicalId)}`;
        if (attribute === 'RoleId') return `AROA${hashHex(`${env.stackName}/${logicalId}`, 17).toUpperCase()}`;
        return undefined;
      default:
        return attribute === 'Arn' ? `arn:${env.partition}:${serviceOf(r.Type)}:${env.region}:${env.accountId}:${logicalId}` : undefined;
    }
  }

  /** The ARN of the key an `AWS::KMS::Key` resource stands for. */
  public keyArn(logicalId: string): string {
    return keyArnFor(this.env, logicalId);
  }

  /** The name of the delivery stream an `AWS::KinesisFirehose::DeliveryStream` resource stands for. */
  public streamName(logicalId: string): string {
    const name = this.property(logicalId, 'DeliveryStreamName');
    return name !== undefined ? String(name) : generatedName(this.env, logicalId, 64);
  }

  /** The name of the data stream an `AWS::Kinesis::Stream` resource stands for: its `Name`, or a generated one. */
  public dataStreamName(logicalId: string): string {
    const name = this.property(logicalId, 'Name');
    return name !== undefined ? String(name) : generatedName(this.env, logicalId, 128);
  }

  /** The ARN of the data stream an `AWS::Kinesis::Stream` resource stands for. */
  public dataStreamArn(logicalId: string): string {
    return `arn:${this.env.partition}:kinesis:${this.env.region}:${this.env.accountId}:stream/${this.dataStreamName(logicalId)}`;
  }

  /** The `StreamName` a `Custom::DataStreamEncryption` of this library manages, if it can be resolved. */
  public dataStreamOfCustomResource(logicalId: string): string | undefined {
    if (this.resources[logicalId]?.Type !== DATA_STREAM_ENCRYPTION_TYPE) return undefined;
    try {
      const name = this.property(logicalId, 'StreamName');
      return name === undefined ? undefined : String(name);
    } catch {
      return undefined;
    }
  }

  /** The `DeliveryStreamName` a custom resource of this library manages, if it can be resolved. */
  public streamOfCustomResource(logicalId: string): string | undefined {
    try {
      const name = this.property(logicalId, 'DeliveryStreamName');
      return name === undefined ? undefined : String(name);
    } catch {
      return undefined;
    }
  }

  /**
   * The function timeout of the Lambda function a service token names, in milliseconds: its
   * `Timeout` (Lambda's default of 3 s when absent) when the function is in this template, else
   * `fallbackMs`.
   */
  public lambdaTimeoutMs(serviceToken: unknown, fallbackMs: number): number {
    for (const id of this.idsOfType('AWS::Lambda::Function')) {
      if (this.getAtt(id, 'Arn') === serviceToken) {
        const timeout = this.property(id, 'Timeout');
        return (timeout === undefined ? 3 : Number(timeout)) * 1000;
      }
    }
    return fallbackMs;
  }

  /** Runs `fn`, reporting a resolution cycle through `key`. */
  private guard<T>(key: string, fn: () => T): T {
    if (this.resolving.has(key)) throw new Error(`${this.stack.source}: ${key} refers to itself`);
    this.resolving.add(key);
    try {
      return fn();
    } finally {
      this.resolving.delete(key);
    }
  }
}
