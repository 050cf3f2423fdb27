/**
 * CloudTrail, as far as EventBridge rules on management events need it: every mutating management
 * call the local cloud answers (Start/Stop encryption, tag and untag of both kinds of stream, KMS
 * `DisableKey` and `ScheduleKeyDeletion`) is recorded as a CloudTrail event with the caller's
 * identity, its `requestParameters` as CloudTrail writes them (the request's members with a
 * lower-case first letter) and, for KMS, the key in `resources`. A call that failed is recorded
 * too, with its `errorCode` and `errorMessage`, as CloudTrail does.
 *
 * The events are kept (CloudTrail's event history, which needs no trail) and, while a trail is
 * logging ({@link CloudTrail.setLogging}), queued for EventBridge as `AWS API Call via CloudTrail`
 * events: AWS delivers these to EventBridge only when a trail with logging enabled exists. The
 * queue is handed to EventBridge by {@link CloudTrail.takePending} (the control API's
 * `deliverTrailEvents`), or at once in automatic mode.
 *
 * @module
 */

import { randomUUID } from 'node:crypto';
import { sessionArnOf } from './iam';
import type { JsonObject, JsonValue } from './json';

/** The management calls recorded, by operation id, with the service's CloudTrail names. */
export const TRAILED_OPERATIONS: Readonly<Record<string, { readonly source: string; readonly eventSource: string }>> = {
  'firehose:StartDeliveryStreamEncryption': { source: 'aws.firehose', eventSource: 'firehose.amazonaws.com' },
  'firehose:StopDeliveryStreamEncryption': { source: 'aws.firehose', eventSource: 'firehose.amazonaws.com' },
  'firehose:TagDeliveryStream': { source: 'aws.firehose', eventSource: 'firehose.amazonaws.com' },
  'firehose:UntagDeliveryStream': { source: 'aws.firehose', eventSource: 'firehose.amazonaws.com' },
  'kinesis:StartStreamEncryption': { source: 'aws.kinesis', eventSource: 'kinesis.amazonaws.com' },
  'kinesis:StopStreamEncryption': { source: 'aws.kinesis', eventSource: 'kinesis.amazonaws.com' },
  'kinesis:AddTagsToStream': { source: 'aws.kinesis', eventSource: 'kinesis.amazonaws.com' },
  'kinesis:RemoveTagsFromStream': { source: 'aws.kinesis', eventSource: 'kinesis.amazonaws.com' },
  'kms:DisableKey': { source: 'aws.kms', eventSource: 'kms.amazonaws.com' },
  'kms:ScheduleKeyDeletion': { source: 'aws.kms', eventSource: 'kms.amazonaws.com' },
};

/** The user the local cloud's default credentials stand for. */
export const DEFAULT_CALLER_NAME = 'local-cloud';

/** An EventBridge event of a CloudTrail management event (`detail` is the CloudTrail record). */
export interface TrailEvent {
  readonly 'version': '0';
  readonly 'id': string;
  readonly 'detail-type': 'AWS API Call via CloudTrail';
  readonly 'source': string;
  readonly 'account': string;
  readonly 'time': string;
  readonly 'region': string;
  readonly 'resources': string[];
  readonly 'detail': JsonObject;
}

/** One call to record. */
export interface TrailedCall {
  /** `service:Operation`. */
  readonly operationId: string;
  /** The request as sent (valid or not). */
  readonly input: JsonObject;
  /** The role whose access key signed the request; none for the cloud's default credentials. */
  readonly roleArn?: string;
  /** When it was answered (local clock). */
  readonly at: number;
  readonly requestId: string;
  /** The error answered, if any. */
  readonly error?: { readonly name: string; readonly message: string };
}

/** The request members as CloudTrail writes them: each structure member with a lower-case first letter (a tag map's keys as they are). */
export function requestParametersOf(value: JsonValue, member?: string): JsonValue {
  if (Array.isArray(value)) return value.map((v) => requestParametersOf(v));
  if (value === null || typeof value !== 'object') return value;
  if (member === 'Tags') return value; // Kinesis AddTagsToStream: a map of the user's tag keys
  const out: Record<string, JsonValue> = {};
  for (const [k, v] of Object.entries(value)) out[k.charAt(0).toLowerCase() + k.slice(1)] = requestParametersOf(v as JsonValue, k);
  return out;
}

/** The `userIdentity` of a caller: an assumed-role session of `roleArn`, or the IAM user of the default credentials. */
export function userIdentityOf(roleArn: string | undefined, accountId: string, partition: string): JsonObject {
  if (roleArn === undefined) {
    return {
      type: 'IAMUser',
      principalId: 'AIDALOCALCLOUD000000',
      arn: `arn:${partition}:iam::${accountId}:user/${DEFAULT_CALLER_NAME}`,
      accountId,
      accessKeyId: 'AKIALOCALCLOUD000000',
      userName: DEFAULT_CALLER_NAME,
    };
  }
  const roleName = roleArn.slice(roleArn.lastIndexOf('/') + 1);
  const roleId = `AROA${roleName.replace(/[^A-Za-z0-9]/g, '').toUpperCase().padEnd(17, '0').slice(0, 17)}`;
  const sessionArn = sessionArnOf(roleArn);
  return {
    type: 'AssumedRole',
    principalId: `${roleId}:${sessionArn.slice(sessionArn.lastIndexOf('/') + 1)}`,
    arn: sessionArn,
    accountId,
    accessKeyId: 'ASIALOCALCLOUD000000',
    sessionContext: {
      sessionIssuer: { type: 'Role', principalId: roleId, arn: roleArn, accountId, userName: roleName },
      attributes: { creationDate: new Date(0).toISOString(), mfaAuthenticated: 'false' },
    },
  };
}

/** The local cloud's CloudTrail. */
export class CloudTrail {
  private readonly recorded: TrailEvent[] = [];
  private pending: TrailEvent[] = [];
  private logging = false;
  private automatic?: (event: TrailEvent) => void;

  /**
   * @param accountId - the account of every event
   * @param region - the region of every event
   * @param partition - the partition of the ARNs
   */
  constructor(private readonly accountId: string, private readonly region: string, private readonly partition: string) {}

  /** Starts or stops the trail. Calls made while it is off never reach EventBridge. */
  public setLogging(on: boolean): void {
    this.logging = on;
  }

  /**
   * Delivers each new event to `deliver` at once (automatic mode), or, with `undefined`, queues
   * them for {@link takePending} (the default).
   */
  public setAutomaticDelivery(deliver: ((event: TrailEvent) => void) | undefined): void {
    this.automatic = deliver;
  }

  /** Records a call, if it is one CloudTrail records here. */
  public record(call: TrailedCall): TrailEvent | undefined {
    const names = TRAILED_OPERATIONS[call.operationId];
    if (!names) return undefined;
    const eventName = call.operationId.slice(call.operationId.indexOf(':') + 1);
    const time = new Date(call.at).toISOString().replace(/\.\d{3}Z$/, 'Z');
    const resources: JsonObject[] = [];
    const keyId = call.input.KeyId;
    if (names.source === 'aws.kms' && typeof keyId === 'string') {
      const arn = keyId.startsWith('arn:') ? keyId : `arn:${this.partition}:kms:${this.region}:${this.accountId}:key/${keyId}`;
      resources.push({ accountId: this.accountId, type: 'AWS::KMS::Key', ARN: arn });
    }
    const detail: Record<string, JsonValue> = {
      eventVersion: '1.08',
      userIdentity: userIdentityOf(call.roleArn, this.accountId, this.partition),
      eventTime: time,
      eventSource: names.eventSource,
      eventName,
      awsRegion: this.region,
      sourceIPAddress: '127.0.0.1',
      userAgent: 'aws-sdk-js',
      requestParameters: requestParametersOf(call.input),
      responseElements: null,
      requestID: call.requestId,
      eventID: randomUUID(),
      readOnly: false,
      ...(resources.length > 0 ? { resources } : {}),
      eventType: 'AwsApiCall',
      managementEvent: true,
      recipientAccountId: this.accountId,
      eventCategory: 'Management',
    };
    if (call.error) {
      detail.errorCode = call.error.name;
      detail.errorMessage = call.error.message;
    }
    const event: TrailEvent = {
      'version': '0',
      'id': randomUUID(),
      'detail-type': 'AWS API Call via CloudTrail',
      'source': names.source,
      'account': this.accountId,
      'time': time,
      'region': this.region,
      'resources': [],
      'detail': detail,
    };
    this.recorded.push(event);
    if (this.logging) {
      if (this.automatic) this.automatic(event);
      else this.pending.push(event);
    }
    return event;
  }

  /** Every recorded event, oldest first (the event history). */
  public events(): readonly TrailEvent[] {
    return [...this.recorded];
  }

  /** The events waiting for EventBridge, removed from the queue. */
  public takePending(): TrailEvent[] {
    const taken = this.pending;
    this.pending = [];
    return taken;
  }

  /** Forgets every event. */
  public reset(): void {
    this.recorded.length = 0;
    this.pending = [];
  }
}
