/**
 * Amazon SNS, as far as the library's alerts need it: topics (from the stack's `AWS::SNS::Topic`
 * resources, or the control API), the `Publish` action over the AWS Query protocol the SDK's SNS
 * client speaks (a form-encoded `POST`, an XML answer), and the messages each topic received.
 *
 * A request signed with a role's access key is authorized like every other call: `sns:Publish` on
 * the topic and, for a topic encrypted with a KMS key, `kms:GenerateDataKey` and `kms:Decrypt` on
 * that key (what AWS asks of a publisher to an encrypted topic). A topic whose key is not enabled
 * refuses messages (`KMSDisabled`, `KMSNotFound`, `KMSInvalidState`). Services (EventBridge,
 * Lambda's dead-letter delivery) publish through {@link SnsModel.publishFromService}; EventBridge
 * only when the topic policy (from the stack's `AWS::SNS::TopicPolicy`) and, for an encrypted
 * topic, the key policy let it.
 *
 * @module
 */

import { randomUUID } from 'node:crypto';
import { parseArn } from '../arn';
import type { AuthorizationCheck, Authorizer } from '../authorization';
import { ServiceError } from '../errors';
import { evaluateForService, PolicyDocument, RequestContext as ConditionContext } from '../iam';

/** One message a topic received. */
export interface SnsMessage {
  readonly topicArn: string;
  readonly messageId: string;
  readonly subject?: string;
  readonly message: string;
  /** The role that published it, or the service (`events.amazonaws.com`, `lambda.amazonaws.com`). */
  readonly publishedBy: string;
  /** When (local clock, epoch milliseconds). */
  readonly at: number;
}

/** A topic. */
export interface SnsTopic {
  readonly arn: string;
  /** The key that encrypts its messages, if any (key id, key ARN or alias). */
  readonly kmsMasterKeyId?: string;
}

/** What became of a message a service published: taken by the topic, or why not. */
export type ServicePublishOutcome = 'published' | 'no-topic' | 'topic-policy-denied' | 'key-policy-denied' | 'key-unusable';

/** The service that publishes, and the resource of the customer's that makes it publish (`aws:SourceArn`). */
export interface ServiceSource {
  /** `events.amazonaws.com`, `lambda.amazonaws.com`. */
  readonly service: string;
  /** The rule ARN. */
  readonly sourceArn?: string;
}

/**
 * The services whose messages the model authorizes by the topic policy and the key policy, and
 * whether their use of the topic's key carries the source condition keys (`aws:SourceArn`,
 * `aws:SourceAccount`). EventBridge carries them to the topic policy (EventBridge User Guide,
 * "Using resource-based policies for Amazon EventBridge", the rule ARN as `aws:SourceArn`,
 * https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-use-resource-based.html). To the key policy,
 * the SNS Developer Guide ("Key management", "Enable compatibility between event sources from AWS
 * services and encrypted topics",
 * https://docs.aws.amazon.com/sns/latest/dg/sns-key-management.html#compatibility-with-aws-services)
 * recommends them for event sources but says that they are "not supported for
 * EventBridge-to-encrypted topics": EventBridge's key use carries none of them, so that a key
 * policy statement conditioned on one denies it.
 */
const KEY_USE_CARRIES_SOURCE: Readonly<Record<string, boolean>> = {
  'events.amazonaws.com': false,
};

/** The actions a publisher needs on the key of an encrypted topic (same SNS page). */
const PUBLISHER_KEY_ACTIONS = ['kms:GenerateDataKey', 'kms:Decrypt'];

/** An answer ready for the transport. */
export interface QueryResponse {
  readonly status: number;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string;
}

/** How {@link SnsModel} reads the rest of the cloud. */
export interface SnsModelOptions {
  readonly now: () => number;
  readonly authorizer?: Authorizer;
  /** The role an access key stands for, if any. */
  readonly roleOfAccessKey: (accessKeyId: string) => string | undefined;
  /** The state of a key (by id, ARN or alias), `undefined` when there is none. */
  readonly keyState: (keyId: string) => { readonly arn: string; readonly state: string } | undefined;
  /** Whether a key's key policy lets a service principal call an action with these condition keys. */
  readonly serviceMayUseKey?: (keyArn: string, service: string, action: string, context: ConditionContext) => boolean;
}

const XMLNS = 'http://sns.amazonaws.com/doc/2010-03-31/';

function xmlEscape(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

/** The local cloud's SNS. */
export class SnsModel {
  private readonly topicTable = new Map<string, SnsTopic>();
  private readonly received: SnsMessage[] = [];
  private readonly topicPolicies = new Map<string, PolicyDocument>();

  constructor(private readonly options: SnsModelOptions) {}

  /** Creates (or replaces) a topic. */
  public createTopic(topic: SnsTopic): void {
    this.topicTable.set(topic.arn, topic);
  }

  /** Deletes a topic and its policy (its messages stay in the record). */
  public deleteTopic(arn: string): void {
    this.topicTable.delete(arn);
    this.topicPolicies.delete(arn);
  }

  /** Sets a topic's policy (`AWS::SNS::TopicPolicy`); `undefined` restores the default, which lets no service publish. */
  public setTopicPolicy(arn: string, policy: PolicyDocument | undefined): void {
    if (policy === undefined) this.topicPolicies.delete(arn);
    else this.topicPolicies.set(arn, policy);
  }

  /** The topic, if it exists. */
  public topic(arn: string): SnsTopic | undefined {
    return this.topicTable.get(arn);
  }

  /** The ARNs of the topics. */
  public topicArns(): string[] {
    return [...this.topicTable.keys()];
  }

  /** The messages a topic received, oldest first. */
  public messages(topicArn: string): SnsMessage[] {
    return this.received.filter((m) => m.topicArn === topicArn);
  }

  /**
   * Publishes on behalf of a service. EventBridge needs the topic policy's
   * `sns:Publish` and, for an encrypted topic, the key policy's `kms:GenerateDataKey` and
   * `kms:Decrypt` ({@link KEY_USE_CARRIES_SOURCE}); Lambda's dead-letter delivery publishes as the
   * function's role, which the model does not check here.
   */
  public publishFromService(topicArn: string, message: string, source: ServiceSource, subject?: string): ServicePublishOutcome {
    const topic = this.topicTable.get(topicArn);
    if (!topic) return 'no-topic';
    const carriesSource = KEY_USE_CARRIES_SOURCE[source.service];
    if (carriesSource !== undefined) {
      const account = source.sourceArn === undefined ? undefined : parseArn(source.sourceArn)?.account;
      const context: ConditionContext = {
        ...(source.sourceArn === undefined ? {} : { 'aws:SourceArn': source.sourceArn }),
        ...(account === undefined ? {} : { 'aws:SourceAccount': account }),
      };
      const request = { action: 'sns:Publish', resource: topicArn, context };
      if (!evaluateForService(this.topicPolicies.get(topicArn), source.service, request).allowed) return 'topic-policy-denied';
      const key = topic.kmsMasterKeyId === undefined ? undefined : this.options.keyState(topic.kmsMasterKeyId);
      const mayUse = this.options.serviceMayUseKey;
      if (key && mayUse && !PUBLISHER_KEY_ACTIONS.every((action) => mayUse(key.arn, source.service, action, carriesSource ? context : {}))) {
        return 'key-policy-denied';
      }
    }
    if (this.keyProblem(topic)) return 'key-unusable';
    this.received.push({ topicArn, messageId: randomUUID(), subject, message, publishedBy: source.service, at: this.options.now() });
    return 'published';
  }

  /** Answers one Query-protocol request (`Action=Publish`). */
  public handleQuery(body: string, accessKeyId: string | undefined): QueryResponse {
    const requestId = randomUUID();
    const form = new URLSearchParams(body);
    try {
      const action = form.get('Action');
      if (action !== 'Publish') throw new ServiceError('InvalidAction', `The action ${action ?? '(none)'} is not valid for this endpoint.`, { httpStatus: 400 });
      const topicArn = form.get('TopicArn') ?? form.get('TargetArn');
      const message = form.get('Message');
      if (!topicArn) throw new ServiceError('InvalidParameter', 'Invalid parameter: TopicArn or TargetArn Reason: no value for required parameter', { httpStatus: 400 });
      if (message === null) throw new ServiceError('ValidationError', '1 validation error detected: Value null at \'message\' failed to satisfy constraint: Member must not be null', { httpStatus: 400 });
      const subject = form.get('Subject') ?? undefined;
      if (subject !== undefined && (subject.length > 100 || subject.trim() === '')) {
        throw new ServiceError('InvalidParameter', 'Invalid parameter: Subject', { httpStatus: 400 });
      }
      const topic = this.topicTable.get(topicArn);
      if (!topic) throw new ServiceError('NotFound', 'Topic does not exist', { httpStatus: 404 });
      const denied = this.options.authorizer?.check(accessKeyId, () => this.checksOf(topic));
      if (denied) throw denied;
      const problem = this.keyProblem(topic);
      if (problem) throw problem;
      const messageId = randomUUID();
      const role = accessKeyId === undefined ? undefined : this.options.roleOfAccessKey(accessKeyId);
      this.received.push({ topicArn, messageId, subject, message, publishedBy: role ?? 'local-cloud', at: this.options.now() });
      return {
        status: 200,
        headers: { 'content-type': 'text/xml', 'x-amzn-requestid': requestId },
        body: `<PublishResponse xmlns="${XMLNS}"><PublishResult><MessageId>${messageId}</MessageId></PublishResult><ResponseMetadata><RequestId>${requestId}</RequestId></ResponseMetadata></PublishResponse>`,
      };
    } catch (e) {
      const error = e instanceof ServiceError ? e : new ServiceError('InternalError', e instanceof Error ? e.message : String(e), { httpStatus: 500 });
      return {
        status: error.httpStatus,
        headers: { 'content-type': 'text/xml', 'x-amzn-requestid': requestId },
        body: `<ErrorResponse xmlns="${XMLNS}"><Error><Type>${error.httpStatus >= 500 ? 'Receiver' : 'Sender'}</Type><Code>${xmlEscape(error.errorName)}</Code><Message>${xmlEscape(error.message)}</Message></Error><RequestId>${requestId}</RequestId></ErrorResponse>`,
      };
    }
  }

  /** What a publisher needs: `sns:Publish` on the topic, and the key's use for an encrypted topic. */
  private checksOf(topic: SnsTopic): AuthorizationCheck[] {
    const denied = (message: string) => new ServiceError('AuthorizationError', message, { httpStatus: 403 });
    const checks: AuthorizationCheck[] = [{ request: { action: 'sns:Publish', resource: topic.arn }, denied }];
    if (topic.kmsMasterKeyId !== undefined) {
      const keyArn = this.options.keyState(topic.kmsMasterKeyId)?.arn ?? topic.kmsMasterKeyId;
      const kmsDenied = (message: string) => new ServiceError('KMSAccessDenied', message, { httpStatus: 400 });
      checks.push({ request: { action: 'kms:GenerateDataKey', resource: keyArn }, denied: kmsDenied });
      checks.push({ request: { action: 'kms:Decrypt', resource: keyArn }, denied: kmsDenied });
    }
    return checks;
  }

  /** Why an encrypted topic cannot take a message now, if it cannot. */
  private keyProblem(topic: SnsTopic): ServiceError | undefined {
    if (topic.kmsMasterKeyId === undefined) return undefined;
    const key = this.options.keyState(topic.kmsMasterKeyId);
    if (!key) return new ServiceError('KMSNotFound', `The KMS key ${topic.kmsMasterKeyId} of the topic does not exist.`, { httpStatus: 400 });
    if (key.state === 'Disabled') return new ServiceError('KMSDisabled', `The KMS key ${key.arn} of the topic is disabled.`, { httpStatus: 400 });
    if (key.state !== 'Enabled') return new ServiceError('KMSInvalidState', `The KMS key ${key.arn} of the topic is ${key.state}.`, { httpStatus: 400 });
    return undefined;
  }
}
