/**
 * Synth-time validation shared by the stream encryption constructs. Every
 * message names the prop and the fix; values known only at deploy time
 * (tokens) pass through for the handler to check.
 *
 * Not part of the public jsii API.
 */
import { Annotations, CfnResource, Duration, RemovalPolicy, Token } from 'aws-cdk-lib';
import * as kms from 'aws-cdk-lib/aws-kms';
import { Construct } from 'constructs';
import {
  DEFAULT_SETTLE_SECONDS,
  DEFAULT_TIMEOUT_SECONDS,
  HANDLER_TIMEOUT_SECONDS,
  MAX_SETTLE_SECONDS,
  MAX_TIMEOUT_SECONDS,
  MIN_TIMEOUT_SECONDS,
} from './contract';

/**
 * Extra time CloudFormation waits beyond the resource timeout for the
 * handler's answer, which it sends (with retries) after its own deadline.
 */
export const ANSWER_GRACE_SECONDS = 60;

/** A Duration prop in (possibly fractional) seconds, with an error naming the prop. */
function durationSeconds(prop: string, duration: Duration): number {
  try {
    return duration.toSeconds({ integral: false });
  } catch (e) {
    throw new Error(`${prop} cannot be read in seconds: ${(e as Error).message}`);
  }
}

/** The bounds of a Duration prop in whole seconds, and how its message words them. */
interface SecondsRule {
  readonly prop: string;
  readonly defaultSeconds: number;
  readonly min: number;
  readonly max: number;
  /** The range in words (`1 to 14 minutes (…)`). */
  readonly range: string;
  /** A valid value, as code. */
  readonly example: string;
}

/**
 * A Duration prop in whole seconds within its rule's bounds, or the rule's
 * default. An unresolved Duration is passed through for the handler to
 * check at deploy time.
 */
function validateSeconds(duration: Duration | undefined, rule: SecondsRule): number {
  if (duration === undefined) {
    return rule.defaultSeconds;
  }
  const seconds = durationSeconds(rule.prop, duration);
  if (duration.isUnresolved()) {
    return seconds;
  }
  if (!Number.isInteger(seconds) || seconds < rule.min || seconds > rule.max) {
    throw new Error(
      `${rule.prop} must be a whole number of seconds from ${rule.range}, got ${duration.toHumanString()}; pass e.g. ${rule.example}.`,
    );
  }
  return seconds;
}

/** The resource timeout. */
const TIMEOUT_RULE: SecondsRule = {
  prop: 'timeout',
  defaultSeconds: DEFAULT_TIMEOUT_SECONDS,
  min: MIN_TIMEOUT_SECONDS,
  max: MAX_TIMEOUT_SECONDS,
  range: '1 to 14 minutes (the handler Lambda may run at most 15 minutes)',
  example: 'Duration.minutes(10)',
};

/** The settle time. */
const SETTLE_TIME_RULE: SecondsRule = {
  prop: 'settleTime',
  defaultSeconds: DEFAULT_SETTLE_SECONDS,
  min: 0,
  max: MAX_SETTLE_SECONDS,
  range: `0 to ${MAX_SETTLE_SECONDS} seconds`,
  example: 'Duration.seconds(5)',
};

/**
 * How long CloudFormation waits for the handler's answer: the resource
 * timeout plus time for the answer itself, never past the handler Lambda's
 * own timeout (the bound used when the timeout is only known at deploy time).
 */
export function serviceTimeoutFor(timeoutSeconds: number): number {
  if (Token.isUnresolved(timeoutSeconds)) {
    return HANDLER_TIMEOUT_SECONDS;
  }
  return Math.min(timeoutSeconds + ANSWER_GRACE_SECONDS, HANDLER_TIMEOUT_SECONDS);
}

/** The props every stream encryption construct shares. */
export interface SharedProps {
  /** See `timeout` of the constructs' props. */
  readonly timeout?: Duration;
  /** See `settleTime` of the constructs' props. */
  readonly settleTime?: Duration;
  /** See `removalPolicy` of the constructs' props. */
  readonly removalPolicy?: RemovalPolicy;
}

/** The shared props, checked, with their defaults. */
export interface SharedSettings {
  /** The resource timeout, in seconds. */
  readonly timeoutSeconds: number;
  /** The settle time, in seconds. */
  readonly settleSeconds: number;
  /** DESTROY or RETAIN. */
  readonly removalPolicy: RemovalPolicy;
}

/** Check the shared props (timeout, then settle time, then removal policy) and apply their defaults. */
export function validateSharedProps(props: SharedProps): SharedSettings {
  const removalPolicy = props.removalPolicy ?? RemovalPolicy.DESTROY;
  const timeoutSeconds = validateSeconds(props.timeout, TIMEOUT_RULE);
  const settleSeconds = validateSeconds(props.settleTime, SETTLE_TIME_RULE);
  validateRemovalPolicy(removalPolicy);
  return { timeoutSeconds, settleSeconds, removalPolicy };
}

/**
 * A stream name known at synth time must match its service's rule.
 *
 * @param prop - the prop that holds the stream (`deliveryStream`, `stream`).
 * @param name - the name as written in the app (a token passes).
 * @param pattern - the service's rule.
 * @param rule - the rule in words, for the message.
 * @param fix - how to import the stream instead, for the message.
 */
export function validateStreamName(prop: string, name: string, pattern: RegExp, rule: string, fix: string): void {
  if (!Token.isUnresolved(name) && !pattern.test(name)) {
    throw new Error(`${prop} has an invalid name '${name}': ${rule}. ${fix}`);
  }
}

/** Only DESTROY and RETAIN mean something for a stream's encryption. */
function validateRemovalPolicy(policy: RemovalPolicy): void {
  if (policy !== RemovalPolicy.DESTROY && policy !== RemovalPolicy.RETAIN) {
    throw new Error(
      `removalPolicy must be RemovalPolicy.DESTROY (turn encryption off on delete) or RemovalPolicy.RETAIN (leave it on), got ${policy}.`,
    );
  }
}

/** Whether a resolved ARN names a KMS alias rather than a key. */
function isAliasArn(arn: string): boolean {
  return !Token.isUnresolved(arn) && /^arn:[^:]+:kms:[^:]*:[^:]*:alias\//.test(arn);
}

/**
 * A key given as `encryptionKey` must be a symmetric encryption key (when
 * defined in this app), and a key rather than an alias (the handler's
 * permissions are scoped to the key ARN).
 *
 * @param key - the given key.
 * @param service - the service that encrypts with it, for the message (`Firehose`, `Kinesis`).
 */
export function validateKey(key: kms.IKey, service: string): void {
  const child = key.node.defaultChild;
  if (CfnResource.isCfnResource(child) && child.cfnResourceType === 'AWS::KMS::Key') {
    const cfnKey = child as kms.CfnKey;
    const spec = cfnKey.keySpec;
    const usage = cfnKey.keyUsage;
    if (spec !== undefined && !Token.isUnresolved(spec) && spec !== 'SYMMETRIC_DEFAULT') {
      throw new Error(
        `encryptionKey ${key.node.path} has key spec ${spec}, but ${service} encrypts only with symmetric keys; use a key with keySpec KeySpec.SYMMETRIC_DEFAULT (the default).`,
      );
    }
    if (usage !== undefined && !Token.isUnresolved(usage) && usage !== 'ENCRYPT_DECRYPT') {
      throw new Error(
        `encryptionKey ${key.node.path} has key usage ${usage}, but ${service} needs ENCRYPT_DECRYPT; use a key with keyUsage KeyUsage.ENCRYPT_DECRYPT (the default).`,
      );
    }
  }
  if (isAliasArn(key.keyArn)) {
    throw new Error(
      `encryptionKey has the alias ARN ${key.keyArn}; pass the key itself (e.g. kms.Key.fromKeyArn with the key ARN), because the handler's permissions are scoped to the key ARN.`,
    );
  }
}

/** Whether a key defined in this app is deleted with its stack. */
function keyIsDestroyedWithStack(key: kms.IKey): boolean {
  const child = key.node.defaultChild;
  return CfnResource.isCfnResource(child) && child.cfnOptions.deletionPolicy === 'Delete';
}

/**
 * Warn when a retained encryption uses a given key that the stack deletes:
 * the stream would stay encrypted with a key scheduled for deletion.
 */
export function warnIfRetainedWithDestroyedKey(scope: Construct, key: kms.IKey, removalPolicy: RemovalPolicy): void {
  if (removalPolicy === RemovalPolicy.RETAIN && keyIsDestroyedWithStack(key)) {
    Annotations.of(scope).addWarningV2(
      'cdk-stream-encryption:retainedEncryptionWithDestroyedKey',
      'removalPolicy is RETAIN, so the stream stays encrypted after the stack is deleted, but encryptionKey has removal policy DESTROY: the key would be scheduled for deletion while the stream still uses it. Give the key RemovalPolicy.RETAIN as well.',
    );
  }
}
