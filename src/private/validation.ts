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

/**
 * The resource timeout in seconds. An unresolved Duration is passed through
 * for the handler to check at deploy time.
 */
export function validateTimeout(timeout: Duration | undefined): number {
  if (timeout === undefined) {
    return DEFAULT_TIMEOUT_SECONDS;
  }
  const seconds = durationSeconds('timeout', timeout);
  if (timeout.isUnresolved()) {
    return seconds;
  }
  if (!Number.isInteger(seconds) || seconds < MIN_TIMEOUT_SECONDS || seconds > MAX_TIMEOUT_SECONDS) {
    throw new Error(
      `timeout must be a whole number of seconds from 1 to 14 minutes (the handler Lambda may run at most 15 minutes), got ${timeout.toHumanString()}; pass e.g. Duration.minutes(10).`,
    );
  }
  return seconds;
}

/**
 * The settle time in seconds. An unresolved Duration is passed through for
 * the handler to check at deploy time.
 */
export function validateSettleTime(settleTime: Duration | undefined): number {
  if (settleTime === undefined) {
    return DEFAULT_SETTLE_SECONDS;
  }
  const seconds = durationSeconds('settleTime', settleTime);
  if (settleTime.isUnresolved()) {
    return seconds;
  }
  if (!Number.isInteger(seconds) || seconds < 0 || seconds > MAX_SETTLE_SECONDS) {
    throw new Error(
      `settleTime must be a whole number of seconds from 0 to ${MAX_SETTLE_SECONDS} seconds, got ${settleTime.toHumanString()}; pass e.g. Duration.seconds(5).`,
    );
  }
  return seconds;
}

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

/** Only DESTROY and RETAIN mean something for a stream's encryption. */
export function validateRemovalPolicy(policy: RemovalPolicy): void {
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
