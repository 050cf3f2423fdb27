/**
 * Synth-time validation shared by the stream encryption constructs. Every
 * message names the prop and the fix; values known only at deploy time
 * (tokens) pass through for the handler to check.
 *
 * Not part of the public jsii API.
 */
import { Annotations, CfnResource, Duration, IResource, RemovalPolicy, Stack, Token } from 'aws-cdk-lib';
import * as kms from 'aws-cdk-lib/aws-kms';
import { Construct, IConstruct } from 'constructs';
import { validationError } from './cdk-compat';
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

/** A Duration prop in (possibly fractional) seconds, with an error naming the construct and the prop. */
function durationSeconds(scope: IConstruct, prop: string, duration: Duration): number {
  try {
    return duration.toSeconds({ integral: false });
  } catch (e) {
    throw validationError(scope, `${scope.node.path}: ${prop} cannot be read in seconds: ${(e as Error).message}. Give it in seconds, minutes or days, e.g. Duration.seconds(30).`);
  }
}

/**
 * A number of seconds as a user would write it, exactly: in days, hours (past
 * a day) or minutes when it is a whole number of them, else in seconds (`90.5 seconds`, not
 * `Duration.toHumanString`'s rounded `1 minute 30 seconds`).
 */
export function exactDuration(seconds: number): string {
  const unit = (n: number, name: string) => `${n} ${name}${n === 1 ? '' : 's'}`;
  if (seconds !== 0 && seconds % 86_400 === 0) {
    return unit(seconds / 86_400, 'day');
  }
  if (seconds !== 0 && seconds % 3_600 === 0 && seconds > 3_600 * 24) {
    return unit(seconds / 3_600, 'hour');
  }
  if (seconds !== 0 && seconds % 60 === 0) {
    return unit(seconds / 60, 'minute');
  }
  return unit(seconds, 'second');
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
function validateSeconds(scope: IConstruct, duration: Duration | undefined, rule: SecondsRule): number {
  if (duration === undefined) {
    return rule.defaultSeconds;
  }
  const seconds = durationSeconds(scope, rule.prop, duration);
  if (duration.isUnresolved()) {
    return seconds;
  }
  if (!Number.isInteger(seconds) || seconds < rule.min || seconds > rule.max) {
    throw validationError(
      scope,
      `${scope.node.path}: ${rule.prop} must be a whole number of seconds from ${rule.range}, got ${exactDuration(seconds)}; pass e.g. ${rule.example}.`,
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

/** The pending window of a created key scheduled for deletion. */
const KEY_PENDING_WINDOW_RULE: SecondsRule = {
  prop: 'keyPendingWindow',
  defaultSeconds: 30 * 86_400,
  min: 7 * 86_400,
  max: 30 * 86_400,
  range: '7 to 30 days (the window KMS allows)',
  example: 'Duration.days(30)',
};

/** The props every stream encryption construct shares. */
export interface SharedProps {
  /** See `timeout` of the constructs' props. */
  readonly timeout?: Duration;
  /** See `settleTime` of the constructs' props. */
  readonly settleTime?: Duration;
  /** See `removalPolicy` of the constructs' props. */
  readonly removalPolicy?: RemovalPolicy;
  /** See `keyRemovalPolicy` of the constructs' props. */
  readonly keyRemovalPolicy?: RemovalPolicy;
  /** See `keyPendingWindow` of the constructs' props. */
  readonly keyPendingWindow?: Duration;
}

/** What becomes of a key the construct creates. */
export interface KeyRemoval {
  /** DESTROY or RETAIN. */
  readonly policy: RemovalPolicy;
  /** With DESTROY, the days KMS waits before it deletes the key. */
  readonly pendingWindowDays?: number;
  /** Whether the user set `keyRemovalPolicy` or `keyPendingWindow`, which only a created key can follow. */
  readonly given: boolean;
}

/** The shared props, checked, with their defaults. */
export interface SharedSettings {
  /** The resource timeout, in seconds. */
  readonly timeoutSeconds: number;
  /** The settle time, in seconds. */
  readonly settleSeconds: number;
  /** DESTROY or RETAIN: the stream's encryption. */
  readonly removalPolicy: RemovalPolicy;
  /** What becomes of a key the construct creates. */
  readonly keyRemoval: KeyRemoval;
}

/**
 * Why the construct creates no key, when it does not: the key the user gave
 * (`encryptionKey`), or the service's own key type. `keyRemovalPolicy` and
 * `keyPendingWindow` then have no key to apply to.
 */
export interface NoCreatedKey {
  /** Why, in words (`encryptionKey was given`, `encryption is StreamEncryption.MANAGED, which …`). */
  readonly why: string;
  /** What to do instead. */
  readonly fix: string;
}

/**
 * Check the shared props (timeout, then settle time, then removal policy,
 * then the created key's removal) and apply their defaults.
 *
 * @param scope - the construct, named by every message.
 * @param props - its props.
 * @param noCreatedKey - why the construct creates no key, if it does not.
 */
export function validateSharedProps(scope: IConstruct, props: SharedProps, noCreatedKey?: NoCreatedKey): SharedSettings {
  const removalPolicy = props.removalPolicy ?? RemovalPolicy.DESTROY;
  const timeoutSeconds = validateSeconds(scope, props.timeout, TIMEOUT_RULE);
  const settleSeconds = validateSeconds(scope, props.settleTime, SETTLE_TIME_RULE);
  validateRemovalPolicy(scope, removalPolicy);
  return { timeoutSeconds, settleSeconds, removalPolicy, keyRemoval: validateKeyRemoval(scope, props, noCreatedKey) };
}

/**
 * `keyRemovalPolicy` and `keyPendingWindow` apply to a key the construct
 * creates only; `keyRemovalPolicy` is DESTROY or RETAIN (the default);
 * `keyPendingWindow` goes with DESTROY only, and is a whole number of days
 * from 7 to 30.
 */
function validateKeyRemoval(scope: IConstruct, props: SharedProps, noCreatedKey: NoCreatedKey | undefined): KeyRemoval {
  const policy = props.keyRemovalPolicy ?? RemovalPolicy.RETAIN;
  const given = props.keyRemovalPolicy !== undefined || props.keyPendingWindow !== undefined;
  if (given && noCreatedKey) {
    throw validationError(
      scope,
      `${scope.node.path}: keyRemovalPolicy and keyPendingWindow apply only to a key the construct creates, and ${noCreatedKey.why}, so it creates none; ${noCreatedKey.fix}.`,
    );
  }
  if (policy !== RemovalPolicy.DESTROY && policy !== RemovalPolicy.RETAIN) {
    throw validationError(
      scope,
      `${scope.node.path}: keyRemovalPolicy must be RemovalPolicy.RETAIN (keep the created key; the default) or RemovalPolicy.DESTROY (schedule its deletion after keyPendingWindow), got ${policy}.`,
    );
  }
  if (policy === RemovalPolicy.RETAIN) {
    if (props.keyPendingWindow !== undefined) {
      throw validationError(
        scope,
        `${scope.node.path}: keyPendingWindow was given, but keyRemovalPolicy is RETAIN (the default), so the created key is never scheduled for deletion; remove keyPendingWindow, or set keyRemovalPolicy to RemovalPolicy.DESTROY.`,
      );
    }
    return { policy, given };
  }
  const seconds = validateSeconds(scope, props.keyPendingWindow, KEY_PENDING_WINDOW_RULE);
  if (!Token.isUnresolved(seconds) && seconds % 86_400 !== 0) {
    throw validationError(
      scope,
      `${scope.node.path}: keyPendingWindow must be a whole number of days from ${KEY_PENDING_WINDOW_RULE.range}, got ${exactDuration(seconds)}; pass e.g. ${KEY_PENDING_WINDOW_RULE.example}.`,
    );
  }
  return { policy, pendingWindowDays: seconds / 86_400, given };
}

/**
 * A stream name known at synth time must match its service's rule.
 *
 * @param scope - the construct given the stream.
 * @param prop - the prop that holds the stream (`deliveryStream`, `stream`).
 * @param name - the name as written in the app (a token passes).
 * @param pattern - the service's rule.
 * @param rule - the rule in words, for the message.
 * @param fix - how to import the stream instead, for the message.
 */
export function validateStreamName(scope: IConstruct, prop: string, name: string, pattern: RegExp, rule: string, fix: string): void {
  if (!Token.isUnresolved(name) && !pattern.test(name)) {
    throw validationError(scope, `${scope.node.path}: ${prop} has an invalid name '${name}': ${rule}. ${fix}`);
  }
}

/** Only DESTROY and RETAIN mean something for a stream's encryption. */
function validateRemovalPolicy(scope: IConstruct, policy: RemovalPolicy): void {
  if (policy !== RemovalPolicy.DESTROY && policy !== RemovalPolicy.RETAIN) {
    throw validationError(
      scope,
      `${scope.node.path}: removalPolicy must be RemovalPolicy.DESTROY (turn encryption off on delete) or RemovalPolicy.RETAIN (leave it on), got ${policy}.`,
    );
  }
}

/**
 * A `kms.Alias` (one of this app, or one imported with
 * `Alias.fromAliasName` or `Alias.fromAliasAttributes`) passed as the key:
 * the handler's permissions are scoped to the key ARN, which an alias is not.
 */
function refuseAlias(scope: Construct, key: kms.IKey, service: string): void {
  if (!('aliasName' in key)) {
    return;
  }
  const child = key.node.defaultChild;
  const ofThisApp = CfnResource.isCfnResource(child) && child.cfnResourceType === 'AWS::KMS::Alias';
  const fix = ofThisApp
    ? 'Pass the key it targets instead: encryptionKey: alias.aliasTargetKey'
    : 'Pass the key it targets instead, imported by its key ARN: encryptionKey: kms.Key.fromKeyArn(this, \'Key\', \'arn:aws:kms:<region>:<account>:key/<key id>\')';
  throw validationError(
    scope,
    `${scope.node.path}: encryptionKey is the KMS alias ${key.node.path}, not a key; the deploy would fail with a misleading KEY_ACCESS_DENIED, because ${service} checks the handler's permissions, which name the key ARN, not the alias. ${fix}.`,
  );
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
 * @param scope - the construct given the key, for the message.
 * @param key - the given key.
 * @param service - the service that encrypts with it, for the message (`Firehose`, `Kinesis`).
 */
export function validateKey(scope: Construct, key: kms.IKey, service: string): void {
  refuseAlias(scope, key, service);
  const child = key.node.defaultChild;
  if (CfnResource.isCfnResource(child) && child.cfnResourceType === 'AWS::KMS::Key') {
    const cfnKey = child as kms.CfnKey;
    const spec = cfnKey.keySpec;
    const usage = cfnKey.keyUsage;
    if (spec !== undefined && !Token.isUnresolved(spec) && spec !== 'SYMMETRIC_DEFAULT') {
      throw validationError(
        scope,
        `${scope.node.path}: encryptionKey ${key.node.path} has key spec ${spec}, but ${service} encrypts only with symmetric keys; use a key with keySpec KeySpec.SYMMETRIC_DEFAULT (the default).`,
      );
    }
    if (usage !== undefined && !Token.isUnresolved(usage) && usage !== 'ENCRYPT_DECRYPT') {
      throw validationError(
        scope,
        `${scope.node.path}: encryptionKey ${key.node.path} has key usage ${usage}, but ${service} needs ENCRYPT_DECRYPT; use a key with keyUsage KeyUsage.ENCRYPT_DECRYPT (the default).`,
      );
    }
  }
  if (isAliasArn(key.keyArn)) {
    throw validationError(
      scope,
      `${scope.node.path}: encryptionKey has the alias ARN ${key.keyArn}; pass the key itself (e.g. kms.Key.fromKeyArn with the key ARN), because the handler's permissions are scoped to the key ARN.`,
    );
  }
}

/** Whether a key defined in this app is deleted with its stack. */
function keyIsDestroyedWithStack(key: kms.IKey): boolean {
  const child = key.node.defaultChild;
  return CfnResource.isCfnResource(child) && child.cfnOptions.deletionPolicy === 'Delete';
}

/** Id of the warning that a retained encryption's key is deleted with the stack. */
const RETAINED_WITH_DESTROYED_KEY = 'cdk-stream-encryption:retainedEncryptionWithDestroyedKey';

/**
 * Warn when a retained encryption uses a given key that the stack deletes:
 * the stream would stay encrypted with a key scheduled for deletion.
 */
export function warnIfRetainedWithDestroyedKey(scope: Construct, key: kms.IKey, removalPolicy: RemovalPolicy): void {
  if (removalPolicy === RemovalPolicy.RETAIN && keyIsDestroyedWithStack(key)) {
    Annotations.of(scope).addWarningV2(
      RETAINED_WITH_DESTROYED_KEY,
      'removalPolicy is RETAIN, so the stream stays encrypted after the stack is deleted, but encryptionKey has removal policy DESTROY: the key would be scheduled for deletion while the stream still uses it. Give the key RemovalPolicy.RETAIN as well.',
    );
  }
}

/**
 * Warn when a retained encryption's created key is to be deleted
 * (`keyRemovalPolicy` DESTROY): the stream would stay encrypted with a key
 * scheduled for deletion.
 */
export function warnIfRetainedWithDestroyedCreatedKey(scope: Construct, removalPolicy: RemovalPolicy, keyRemoval: KeyRemoval): void {
  if (removalPolicy === RemovalPolicy.RETAIN && keyRemoval.policy === RemovalPolicy.DESTROY) {
    Annotations.of(scope).addWarningV2(
      RETAINED_WITH_DESTROYED_KEY,
      'removalPolicy is RETAIN, so the stream stays encrypted after the construct or the stack is deleted, but keyRemovalPolicy is DESTROY: the created key would be scheduled for deletion while the stream still uses it. Keep keyRemovalPolicy RemovalPolicy.RETAIN (the default).',
    );
  }
}

/**
 * A stream ARN known at synth time names the account and region of its
 * stream; the handler calls the stream's API in its own stack's account and
 * region, so either of them, when known for both, must match the stack's.
 * Env-agnostic stacks, and ARNs known only at deploy time, are not checked.
 *
 * @param scope - the construct given the stream.
 * @param prop - the prop that holds the stream (`deliveryStream`, `stream`).
 * @param arn - the stream's ARN.
 */
export function validateStreamEnvironment(scope: Construct, prop: string, arn: string): void {
  if (Token.isUnresolved(arn)) {
    return;
  }
  const [, , , region, account] = arn.split(':');
  const stack = Stack.of(scope);
  const differs = (ofStream: string | undefined, ofStack: string) => !!ofStream && !Token.isUnresolved(ofStack) && ofStream !== ofStack;
  if (differs(account, stack.account) || differs(region, stack.region)) {
    throw validationError(
      scope,
      `${scope.node.path}: ${prop} ${arn} is in account ${account}, region ${region}, but stack ${stack.stackName} deploys to account ${stack.account}, region ${stack.region}; the handler can only encrypt a stream of its own stack's account and region. Add this construct to a stack with env { account: '${account}', region: '${region}' }, or import the stream that stack really holds.`,
    );
  }
}

/**
 * A given key must be in the stream's region: KMS keys are regional, and a
 * stream's service encrypts it only with a key of its own region. Known at
 * synth time when both regions are: the key's from its ARN or its stack, the
 * stream's from its ARN or its stack (a stream imported by name is in the
 * stack's region).
 *
 * @param scope - the construct given the key.
 * @param key - the given key.
 * @param stream - the stream.
 * @param streamProp - the prop that holds the stream (`deliveryStream`, `stream`).
 * @param service - the service that encrypts with the key (`Firehose`, `Kinesis`).
 */
export function validateKeyRegion(scope: IConstruct, key: kms.IKey, stream: IResource, streamProp: string, service: string): void {
  const keyRegion = key.env.region;
  const streamRegion = stream.env.region;
  if (Token.isUnresolved(keyRegion) || Token.isUnresolved(streamRegion) || !keyRegion || !streamRegion || keyRegion === streamRegion) {
    return;
  }
  const keyName = Token.isUnresolved(key.keyArn) ? key.node.path : key.keyArn;
  throw validationError(
    scope,
    `${scope.node.path}: encryptionKey ${keyName} is in region ${keyRegion}, but ${streamProp} is in region ${streamRegion}; KMS keys are regional, and ${service} encrypts a stream only with a key of the stream's region. Pass a key in ${streamRegion}: one defined in a stack with env { region: '${streamRegion}' }, a replica of a multi-Region key there, or leave encryptionKey out for a key the construct creates.`,
  );
}
