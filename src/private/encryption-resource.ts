/**
 * The parts every stream encryption construct adds to its scope: the key it
 * creates when none is given, and the custom resource that holds the
 * stream's encryption, with its dependencies.
 */
import { CustomResource, Duration, IResource, RemovalPolicy, Tokenization } from 'aws-cdk-lib';
import * as kms from 'aws-cdk-lib/aws-kms';
import { Construct } from 'constructs';
import { accountKeyPolicy } from './key-policy';
import { StreamEncryptionProvider } from './provider';
import { serviceTimeoutFor } from './validation';

/**
 * A key for one stream: symmetric, rotation on, the account-only key policy,
 * and the construct's removal policy.
 *
 * DESTROY: the custom resource depends on the key, so the stream's
 * encryption is off before the key is scheduled for deletion. RETAIN: the
 * stream stays encrypted, so its key stays too.
 */
export function newStreamKey(scope: Construct, description: string, alias: string, removalPolicy: RemovalPolicy): kms.Key {
  return new kms.Key(scope, 'Key', {
    description,
    enableKeyRotation: true,
    alias,
    policy: accountKeyPolicy(),
    removalPolicy,
  });
}

/**
 * The contract properties every kind of stream encryption shares, encoded as
 * CloudFormation delivers them (strings; tokens when only known at deploy time).
 */
export function sharedProperties(timeoutSeconds: number, settleSeconds: number, removalPolicy: RemovalPolicy) {
  return {
    TimeoutSeconds: Tokenization.stringifyNumber(timeoutSeconds),
    SettleSeconds: Tokenization.stringifyNumber(settleSeconds),
    RemovalPolicy: removalPolicy === RemovalPolicy.RETAIN ? 'retain' as const : 'destroy' as const,
  };
}

/** What a stream encryption's custom resource is made of. */
export interface EncryptionResourceOptions {
  /** The provider whose handler serves the resource. */
  readonly provider: StreamEncryptionProvider;
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
 * The custom resource `Resource` of a stream encryption: its service timeout,
 * and dependencies on
 * the provider (the handler and its permissions exist before the first event
 * and outlive the last), the stream and the key.
 */
export function addEncryptionResource(scope: Construct, options: EncryptionResourceOptions): CustomResource {
  const resource = new CustomResource(scope, 'Resource', {
    serviceToken: options.provider.serviceToken,
    resourceType: options.resourceType,
    serviceTimeout: Duration.seconds(serviceTimeoutFor(options.timeoutSeconds)),
    properties: options.properties,
  });
  resource.node.addDependency(options.provider);
  resource.node.addDependency(options.stream);
  if (options.key) {
    resource.node.addDependency(options.key);
  }
  return resource;
}
