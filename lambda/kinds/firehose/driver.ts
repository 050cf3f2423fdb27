/**
 * The Firehose side of a delivery stream's reconcile: its reads, its Start
 * and Stop calls, its owner tag and its error mapping, through the SDK's
 * Firehose client. Loaded only when an event for a delivery stream arrives.
 */
import type * as Firehose from '@aws-sdk/client-firehose';
import type { KMSClient } from '@aws-sdk/client-kms';
import type { DeliveryStreamProperties } from './properties';
import {
  decideDeliveryStream,
  DeliveryStreamGoal,
  DeliveryStreamMemory,
  DeliveryStreamObservation,
  observeDeliveryStream,
  rememberDeliveryStream,
  SERVICE,
  STALE_READ_GRACE_MS,
} from './truth-table';
import { OWNER_TAG_KEY } from '../../../src/private/contract';
import type { ClientProvider } from '../../core/clients';
import { errorInfo, Operation, wrappedKmsError } from '../../core/errors';
import { findOwnerTag, TAG_PAGE_SIZE } from '../../core/ownership';
import type { HandlerFailure } from '../../core/reasons';
import { ChangeOutcome, DriverSession, NO_DENIED_RETRY, readDescription, ServiceTypes, Step } from '../../core/session';
import { KindFailures, streamFailure } from '../failures';
import { kmsClient, resolveAlias, verifyKey } from '../kms';

/** The SDK clients a delivery stream's reconcile calls. */
export interface DeliveryStreamClients {
  /** Firehose (retries disabled: the loop does its own). */
  readonly firehose: Firehose.FirehoseClient;
  /** KMS, for the key pre-flight. */
  readonly kms: KMSClient;
}

/** The types of the delivery stream kind. */
export interface DeliveryStreamTypes extends ServiceTypes {
  readonly properties: DeliveryStreamProperties;
  readonly goal: DeliveryStreamGoal;
  readonly observation: DeliveryStreamObservation;
  readonly memory: DeliveryStreamMemory;
  readonly clients: DeliveryStreamClients;
}

/** What a delivery stream's driver sees of the reconcile. */
type Session = DriverSession<DeliveryStreamTypes>;

/** The SDK's Firehose module, required where it is used (see `kmsSdk`). */
export function firehoseSdk(): typeof Firehose {
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- loaded with the kind's first event
  return require('@aws-sdk/client-firehose') as typeof Firehose;
}

/** The Firehose and KMS clients of the request. */
export function deliveryStreamClients(provide: ClientProvider): DeliveryStreamClients {
  return { firehose: provide('firehose', (settings) => new (firehoseSdk().FirehoseClient)(settings)), kms: kmsClient(provide) };
}

/** `DescribeDeliveryStream`; a missing stream is an observation, not an error. */
export async function describeDeliveryStream(session: Session): Promise<DeliveryStreamObservation> {
  const input = { DeliveryStreamName: session.goal.streamName };
  const description = await readDescription(session, 'DescribeDeliveryStream', 'DeliveryStreamDescription', () =>
    session.clients.firehose.send(new (firehoseSdk().DescribeDeliveryStreamCommand)(input), { abortSignal: session.abortSignal() }));
  return description === undefined ? { found: false } : observeDeliveryStream(description);
}

/** Most key checks one reading may need: resolving the current alias, and the pre-flight. */
const MAX_KEY_CHECKS = 2;

/**
 * The truth table's next step, after the key checks it asks for (the
 * pre-flight, resolving the alias ARN the stream reports); remembers the reading.
 */
export async function decideNext(seen: DeliveryStreamObservation, session: Session): Promise<Step> {
  const goal = session.goal;
  const changedAt = session.memory.changedAt_;
  session.memory = { ...session.memory, graceOver_: changedAt !== undefined && session.now() - changedAt >= STALE_READ_GRACE_MS };
  let action = decideDeliveryStream(goal, seen, session.memory);
  for (let checks = 0; checks < MAX_KEY_CHECKS && (action.kind === 'verify-key' || action.kind === 'resolve-key'); checks++) {
    if (action.kind === 'verify-key' && goal.kind === 'encrypt' && goal.keyArn) {
      // Remember the key ARN that the given ARN (perhaps an alias ARN) resolves to.
      const metadata = await verifyKey(session, session.clients.kms, goal.keyArn);
      session.memory = { ...session.memory, keyVerified_: true, resolvedKeyArn_: metadata.Arn ?? goal.keyArn };
    } else if (action.kind === 'resolve-key') {
      const resolved = await resolveAlias(session, session.clients.kms, action.keyArn);
      session.memory = { ...session.memory, resolvedKeys_: { ...session.memory.resolvedKeys_, [action.keyArn]: resolved } };
    }
    action = decideDeliveryStream(goal, seen, session.memory);
  }
  session.memory = rememberDeliveryStream(session.memory, seen);
  return action.kind === 'verify-key' || action.kind === 'resolve-key' ? { kind: 'wait' } : action;
}

/** `StartDeliveryStreamEncryption` with the wanted key (as resolved), or `StopDeliveryStreamEncryption`. */
export async function changeDeliveryStream(kind: 'start' | 'stop', session: Session): Promise<ChangeOutcome> {
  const { goal, memory, clients } = session;
  const sdk = firehoseSdk();
  const stream = goal.streamName;
  const keyType = goal.kind === 'encrypt' ? goal.keyType : undefined;
  const keyArn = goal.kind === 'encrypt' && keyType === 'CUSTOMER_MANAGED_CMK' ? memory.resolvedKeyArn_ ?? goal.keyArn : undefined;
  const outcome = kind === 'start'
    ? await session.change('StartDeliveryStreamEncryption', () => clients.firehose.send(new sdk.StartDeliveryStreamEncryptionCommand({
      DeliveryStreamName: stream,
      DeliveryStreamEncryptionConfigurationInput: { KeyType: keyType, KeyARN: keyArn },
    }), { abortSignal: session.abortSignal() }), { keyType, key: keyArn })
    : await session.change('StopDeliveryStreamEncryption', () => clients.firehose.send(
      new sdk.StopDeliveryStreamEncryptionCommand({ DeliveryStreamName: stream }), { abortSignal: session.abortSignal() }), { keyType, key: keyArn });
  if (outcome === 'accepted') {
    const changed = { ...session.memory, transitionSinceChange_: false, changedAt_: session.now() };
    session.memory = kind === 'start' ? { ...changed, started_: true } : { ...changed, stopped_: true };
  } else if (outcome === 'uncertain' && kind === 'start') {
    session.memory = { ...session.memory, startUncertain_: true };
  }
  return outcome;
}

/** `ListTagsForDeliveryStream`, page by page until the tag `key` (by default the owner tag) or the last page. */
export async function readDeliveryStreamOwner(
  session: Session,
  key: string = OWNER_TAG_KEY,
  seen?: (key: string) => void,
): Promise<string | undefined> {
  const DeliveryStreamName = session.goal.streamName;
  return findOwnerTag(async (ExclusiveStartTagKey) => {
    const input = { DeliveryStreamName, ExclusiveStartTagKey, Limit: TAG_PAGE_SIZE };
    const output = await session.read('ListTagsForDeliveryStream', () =>
      session.clients.firehose.send(new (firehoseSdk().ListTagsForDeliveryStreamCommand)(input), { abortSignal: session.abortSignal() }));
    return { tags: output?.Tags ?? [], more: output?.HasMoreTags === true };
  }, key, seen);
}

/**
 * `TagDeliveryStream`, or `UntagDeliveryStream` for `undefined`, of the tag
 * `key` (by default the owner tag). Access denied is not retried: the tag
 * permissions come in the same policy as the calls that went through.
 */
export async function writeDeliveryStreamOwner(value: string | undefined, session: Session, key: string | string[] = OWNER_TAG_KEY): Promise<void> {
  const DeliveryStreamName = session.goal.streamName;
  const TagKeys = [key].flat();
  const firehose = session.clients.firehose;
  const sdk = firehoseSdk();
  await (value === undefined
    ? session.read('UntagDeliveryStream', () => firehose.send(
      new sdk.UntagDeliveryStreamCommand({ DeliveryStreamName, TagKeys }), { abortSignal: session.abortSignal() }), NO_DENIED_RETRY)
    : session.read('TagDeliveryStream', () => firehose.send(
      new sdk.TagDeliveryStreamCommand({ DeliveryStreamName, Tags: TagKeys.map((Key) => ({ Key, Value: value })) }),
      { abortSignal: session.abortSignal() }), NO_DENIED_RETRY));
}

/** How Firehose's errors map to reasons: an `InvalidKMSResourceException` wraps the KMS error Firehose met. */
const FAILURES: KindFailures<DeliveryStreamTypes> = {
  service: SERVICE,
  kmsAction: 'kms:CreateGrant',
  key: (goal) => goal.kind === 'encrypt' ? goal.keyArn : undefined,
  kmsError: (err) => errorInfo(err).name === 'InvalidKMSResourceException' ? wrappedKmsError(err) ?? null : undefined,
};

/** Map a non-retryable error of `operation` to its catalogue reason. */
export function deliveryStreamFailure(err: unknown, operation: Operation, session: Session): HandlerFailure {
  return streamFailure(FAILURES, err, operation, session);
}
