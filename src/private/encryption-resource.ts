/**
 * The parts every stream encryption construct adds to its scope: the key it
 * uses (given, created, or none with the service's own key), the handler's
 * permissions, the custom resource that holds the stream's encryption with
 * its dependencies, and the key's share of a user's grant.
 *
 * Not part of the public jsii API.
 */
import { Annotations, CustomResource, Duration, IResource, RemovalPolicy, Stack, Tokenization } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import { Construct } from 'constructs';
import { StreamEncryptionGuard } from '../guard';
import type { StreamKindValue } from './contract';
import { accountKeyPolicy } from './key-policy';
import { HandlerPermission, PolicyConditions } from './policy-budget';
import { StreamEncryptionProvider } from './provider';
import { cfnResourcesOf } from './stream-definition';
import {
  KeyRemoval,
  NoCreatedKey,
  serviceTimeoutFor,
  SharedSettings,
  validateKey,
  validateKeyRegion,
  warnIfRetainedWithDestroyedCreatedKey,
  warnIfRetainedWithDestroyedKey,
} from './validation';

/** The CloudFormation type of a KMS key. */
const KMS_KEY_TYPE = 'AWS::KMS::Key';

/**
 * A key for one stream: symmetric, rotation on, the account-only key policy,
 * and the removal the construct was given for it.
 *
 * RETAIN (the default): the key outlives the records it encrypts, also when
 * the construct goes or changes its key (DeletionPolicy and
 * UpdateReplacePolicy Retain). DESTROY: the custom resource depends on the
 * key, so the stream's encryption is off before the key is scheduled for
 * deletion, after its pending window.
 */
function newStreamKey(scope: Construct, description: string, alias: string, removal: KeyRemoval): kms.Key {
  return new kms.Key(scope, 'Key', {
    description,
    enableKeyRotation: true,
    alias,
    policy: accountKeyPolicy(),
    removalPolicy: removal.policy,
    pendingWindow: removal.pendingWindowDays === undefined ? undefined : Duration.days(removal.pendingWindowDays),
  });
}

/** How a construct chooses the key of its stream. */
export interface StreamKeyOptions {
  /**
   * Why the stream uses no customer managed key, when it uses the service's
   * own (e.g. `encryption is StreamEncryption.awsOwnedKey(), which uses a key
   * owned by AWS`).
   */
  readonly serviceKey?: string;
  /** The key the user gave, if any. */
  readonly givenKey?: kms.IKey;
  /** The service that encrypts with the key, for the key's checks (`Firehose`, `Kinesis`). */
  readonly service: string;
  /** The stream, whose region a given key must be in. */
  readonly stream: IResource;
  /** The prop that holds the stream, for the messages. */
  readonly streamProp: string;
  /** The construct's shared settings: its removal policy and the created key's removal. */
  readonly settings: SharedSettings;
  /** The description of a key created for the stream. */
  readonly description: string;
  /** The alias of a key created for the stream. */
  readonly alias: string;
}

/**
 * Why a construct creates no key, if it does not: it was given one (in
 * `givenKeyProp`), or it uses the service's own key (see
 * `StreamKeyOptions.serviceKey`).
 */
export function noCreatedKey(serviceKey: string | undefined, givenKey: kms.IKey | undefined, givenKeyProp: string): NoCreatedKey | undefined {
  if (serviceKey !== undefined) {
    return { why: serviceKey, fix: 'remove keyRemovalPolicy and keyPendingWindow' };
  }
  if (givenKey) {
    return { why: `${givenKeyProp} was given`, fix: 'remove keyRemovalPolicy and keyPendingWindow, and set the removal policy on your key itself' };
  }
  return undefined;
}

/**
 * The customer managed key the stream is encrypted with: the given one,
 * checked, or a new one (construct id `Key`); none with the service's own
 * key. Only a created key follows `keyRemovalPolicy` and `keyPendingWindow`.
 */
export function streamKey(scope: Construct, options: StreamKeyOptions): kms.IKey | undefined {
  const { removalPolicy, keyRemoval } = options.settings;
  if (options.serviceKey !== undefined) {
    return undefined;
  }
  if (options.givenKey) {
    validateKey(scope, options.givenKey, options.service);
    validateKeyRegion(scope, options.givenKey, options.stream, options.streamProp, options.service);
    warnIfRetainedWithDestroyedKey(scope, options.givenKey, removalPolicy);
    return options.givenKey;
  }
  warnIfRetainedWithDestroyedCreatedKey(scope, removalPolicy, keyRemoval);
  return newStreamKey(scope, options.description, options.alias, keyRemoval);
}

/**
 * The contract properties every kind of stream encryption shares, encoded as
 * CloudFormation delivers them (strings; tokens when only known at deploy time).
 */
export function sharedProperties(settings: SharedSettings) {
  return {
    TimeoutSeconds: Tokenization.stringifyNumber(settings.timeoutSeconds),
    SettleSeconds: Tokenization.stringifyNumber(settings.settleSeconds),
    RemovalPolicy: settings.removalPolicy === RemovalPolicy.RETAIN ? 'retain' as const : 'destroy' as const,
  };
}

/** What a stream encryption's custom resource is made of. */
export interface EncryptionResourceOptions {
  /** What the handler needs on the stream and the key. */
  readonly permissions: HandlerPermission[];
  /** The custom resource type. */
  readonly resourceType: string;
  /** The resource's properties, encoded for the contract. */
  readonly properties: Record<string, string>;
  /** The resource timeout, in seconds (a token when only known at deploy time). */
  readonly timeoutSeconds: number;
  /** The encrypted stream. */
  readonly stream: IResource;
  /** The CloudFormation type of a stream of its kind, defined in an app. */
  readonly streamType: string;
  /** The stream as its ARN resolves in this stack (see `streamIdentity`): one construct per stream. */
  readonly streamIdentity: string;
  /** The prop that holds the stream, for the message when two constructs claim it. */
  readonly streamProp: string;
  /** How the stream's own definition would encrypt it, as code, for the warning on a stream of the same stack. */
  readonly ownEncryption: string;
  /** The key in use, if a customer managed one. */
  readonly key?: kms.IKey;
  /** What the stack's guard needs to repair the stream. */
  readonly guard: EncryptionGuardOptions;
}

/** How a stream encryption is put under the stack's guard. */
export interface EncryptionGuardOptions {
  /** The construct's `repair` prop. */
  readonly repair?: boolean;
  /** The kind of stream. */
  readonly kind: StreamKindValue;
  /** The stream's name. */
  readonly streamName: string;
  /** The stream's ARN. */
  readonly streamArn: string;
  /** What the guard needs on the stream and its key. */
  readonly permissions: HandlerPermission[];
}

/**
 * The custom resource `Resource` of a stream encryption, served by the
 * stack's provider once the stream is claimed and the handler allowed
 * `permissions`: its service timeout, and dependencies on the provider (the
 * handler and every policy chunk, also those made for later constructs,
 * exist before the first event and outlive the last), the stream and the key.
 *
 * The resource depends on what it needs of the stream and the key: their
 * CloudFormation resources, when the app defines them (which carry their own
 * dependencies), not on the constructs' whole subtrees. A subtree may hold
 * the encryption itself and what depends on it (the construct placed under
 * an imported stream, as `StreamEncryptionFixes` places it, and the guard's
 * rule under the construct), which would be a dependency cycle.
 */
export function addEncryptionResource(scope: Construct, options: EncryptionResourceOptions): CustomResource {
  const provider = StreamEncryptionProvider.of(scope);
  provider.claim(options.streamIdentity, scope, options.streamProp, options.stream);
  warnIfDefinedInSameStack(scope, options);
  provider.allow(...options.permissions);
  const resource = new CustomResource(scope, 'Resource', {
    serviceToken: provider.serviceToken,
    resourceType: options.resourceType,
    serviceTimeout: Duration.seconds(serviceTimeoutFor(options.timeoutSeconds)),
    properties: options.properties,
  });
  resource.node.addDependency(provider);
  resource.node.addDependency(...cfnResourcesOf(options.stream, options.streamType));
  if (options.key) {
    resource.node.addDependency(...cfnResourcesOf(options.key, KMS_KEY_TYPE));
  }
  StreamEncryptionGuard._register({
    ...options.guard,
    scope,
    resource,
    resourceType: options.resourceType,
    properties: options.properties,
  });
  return resource;
}

/** Id of the warning on a stream the construct's own stack defines. */
export const SAME_STACK_STREAM = 'cdk-stream-encryption:streamDefinedInSameStack';

/**
 * Warn when the stream is defined in the construct's own stack: its own
 * `encryption` prop encrypts it in CloudFormation, with no custom resource,
 * handler or Start call, and no drift between the template and the stream.
 */
function warnIfDefinedInSameStack(scope: Construct, options: EncryptionResourceOptions): void {
  const defined = cfnResourcesOf(options.stream, options.streamType);
  if (defined.length === 0 || Stack.of(options.stream) !== Stack.of(scope)) {
    return;
  }
  Annotations.of(scope).addWarningV2(
    SAME_STACK_STREAM,
    `${options.streamProp} ${options.stream.node.path} is defined in this construct's own stack, where its own \`encryption\` prop encrypts it in CloudFormation, with no custom resource, handler function or Start call: ${options.ownEncryption}. This construct is for streams CloudFormation cannot encrypt (imported, or of another stack or tool). To keep it, acknowledge this warning: Annotations.of(scope).acknowledgeWarning('${SAME_STACK_STREAM}', reason).`,
  );
}

/**
 * `grant` and, with a customer managed key, the key `actions` for `grantee`
 * on that key, under `conditions` (that it is used only through the stream's
 * service).
 */
export function withKeyGrant(
  grant: iam.Grant,
  grantee: iam.IGrantable,
  key: kms.IKey | undefined,
  actions: string[],
  conditions: PolicyConditions,
): iam.Grant {
  if (!key) {
    return grant;
  }
  return grant.combine(iam.Grant.addToPrincipal({ grantee, actions, resourceArns: [key.keyArn], conditions }));
}
