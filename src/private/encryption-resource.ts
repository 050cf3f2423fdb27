/**
 * The parts every stream encryption construct adds to its scope: the key it
 * uses (given, created, or none with the service's own key), the handler's
 * permissions, the custom resource that holds the stream's encryption with
 * its dependencies, and the key's share of a user's grant.
 *
 * Not part of the public jsii API.
 */
import { CustomResource, Duration, IResource, RemovalPolicy, Tokenization } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import { Construct } from 'constructs';
import { accountKeyPolicy } from './key-policy';
import { HandlerPermission, PolicyConditions } from './policy-budget';
import { StreamEncryptionProvider } from './provider';
import { serviceTimeoutFor, SharedSettings, validateKey, warnIfRetainedWithDestroyedKey } from './validation';

/**
 * A key for one stream: symmetric, rotation on, the account-only key policy,
 * and the construct's removal policy.
 *
 * DESTROY: the custom resource depends on the key, so the stream's
 * encryption is off before the key is scheduled for deletion. RETAIN: the
 * stream stays encrypted, so its key stays too.
 */
function newStreamKey(scope: Construct, description: string, alias: string, removalPolicy: RemovalPolicy): kms.Key {
  return new kms.Key(scope, 'Key', {
    description,
    enableKeyRotation: true,
    alias,
    policy: accountKeyPolicy(),
    removalPolicy,
  });
}

/** How a construct chooses the key of its stream. */
export interface StreamKeyOptions {
  /**
   * The key type the construct was given, when it is the service's own key
   * (no customer managed key), with what it means, for the error when a key
   * is given too (e.g. `AWS_OWNED_CMK, which uses a key owned by AWS`).
   */
  readonly serviceKeyType?: string;
  /** The key type to set to use a key of one's own, for that error. */
  readonly customerKeyType: string;
  /** The `encryptionKey` prop. */
  readonly givenKey?: kms.IKey;
  /** The service that encrypts with the key, for the key's checks (`Firehose`, `Kinesis`). */
  readonly service: string;
  /** The construct's removal policy. */
  readonly removalPolicy: RemovalPolicy;
  /** The description of a key created for the stream. */
  readonly description: string;
  /** The alias of a key created for the stream. */
  readonly alias: string;
}

/**
 * The customer managed key the stream is encrypted with: the given one,
 * checked, or a new one (construct id `Key`); none with the service's own
 * key, which refuses a given key.
 */
export function streamKey(scope: Construct, options: StreamKeyOptions): kms.IKey | undefined {
  if (options.serviceKeyType !== undefined) {
    if (options.givenKey) {
      throw new Error(
        `encryptionKey was given with keyType ${options.serviceKeyType}; remove encryptionKey, or set keyType to ${options.customerKeyType} to use your key.`,
      );
    }
    return undefined;
  }
  if (options.givenKey) {
    validateKey(options.givenKey, options.service);
    warnIfRetainedWithDestroyedKey(scope, options.givenKey, options.removalPolicy);
    return options.givenKey;
  }
  return newStreamKey(scope, options.description, options.alias, options.removalPolicy);
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
  /** The key in use, if a customer managed one. */
  readonly key?: kms.IKey;
}

/**
 * The custom resource `Resource` of a stream encryption, served by the
 * stack's provider once it allows the handler `permissions`: its service
 * timeout, and dependencies on the provider (the handler and its permissions
 * exist before the first event and outlive the last), the stream and the key.
 */
export function addEncryptionResource(scope: Construct, options: EncryptionResourceOptions): CustomResource {
  const provider = StreamEncryptionProvider.of(scope);
  provider.allow(...options.permissions);
  const resource = new CustomResource(scope, 'Resource', {
    serviceToken: provider.serviceToken,
    resourceType: options.resourceType,
    serviceTimeout: Duration.seconds(serviceTimeoutFor(options.timeoutSeconds)),
    properties: options.properties,
  });
  resource.node.addDependency(provider);
  resource.node.addDependency(options.stream);
  if (options.key) {
    resource.node.addDependency(options.key);
  }
  return resource;
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
