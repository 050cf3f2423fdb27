/**
 * The Kinesis side of a data stream's reconcile: its reads, its Start and
 * Stop calls, resolving the alias a stream reports its key by, its owner tag
 * and its error mapping, through the SDK's Kinesis client. Loaded only when an
 * event for a data stream arrives.
 */
import type * as Kinesis from '@aws-sdk/client-kinesis';
import type { KMSClient } from '@aws-sdk/client-kms';
import type { DataStreamProperties } from './properties';
import {
  DataStreamGoal,
  DataStreamMemory,
  DataStreamObservation,
  decideDataStream,
  observeDataStream,
  rememberDataStream,
  SERVICE,
} from './truth-table';
import { OWNER_TAG_KEY } from '../../../src/private/contract';
import type { ClientProvider } from '../../core/clients';
import { errorInfo, Operation, WrappedKmsError } from '../../core/errors';
import { findOwnerTag, TAG_PAGE_SIZE } from '../../core/ownership';
import type { HandlerFailure } from '../../core/reasons';
import { ChangeOutcome, DriverSession, NO_DENIED_RETRY, readDescription, ServiceTypes, Step } from '../../core/session';
import { KindFailures, streamFailure } from '../failures';
import { kmsClient, resolveAlias, verifyKey } from '../kms';

/** The SDK clients a data stream's reconcile calls. */
export interface DataStreamClients {
  /** Kinesis (retries disabled: the loop does its own). */
  readonly kinesis: Kinesis.KinesisClient;
  /** KMS, for the key pre-flight and resolving aliases. */
  readonly kms: KMSClient;
}

/** The types of the data stream kind. */
export interface DataStreamTypes extends ServiceTypes {
  readonly properties: DataStreamProperties;
  readonly goal: DataStreamGoal;
  readonly observation: DataStreamObservation;
  readonly memory: DataStreamMemory;
  readonly clients: DataStreamClients;
}

/** What a data stream's driver sees of the reconcile. */
type Session = DriverSession<DataStreamTypes>;

/**
 * The errors Kinesis answers when KMS refuses the key on the caller's behalf
 * (`KMSThrottlingException` aside, which is retried), as the KMS error each is.
 */
const KMS_ERRORS: Readonly<Record<string, WrappedKmsError>> = {
  KMSDisabledException: 'DisabledException',
  KMSInvalidStateException: 'InvalidStateException',
  KMSAccessDeniedException: 'AccessDeniedException',
  KMSNotFoundException: 'NotFoundException',
  KMSOptInRequired: 'OptInRequired',
};

/** Most key checks one reading may need: the pre-flight, and resolving the current alias. */
const MAX_KEY_CHECKS = 2;

/** The SDK's Kinesis module, required where it is used (see `kmsSdk`). */
export function kinesisSdk(): typeof Kinesis {
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- loaded with the kind's first event
  return require('@aws-sdk/client-kinesis') as typeof Kinesis;
}

/** The Kinesis and KMS clients of the request. */
export function dataStreamClients(provide: ClientProvider): DataStreamClients {
  return { kinesis: provide('kinesis', (settings) => new (kinesisSdk().KinesisClient)(settings)), kms: kmsClient(provide) };
}

/** The stream, named as the Kinesis API takes it (by name and ARN). */
function streamId(goal: DataStreamGoal): { StreamName: string; StreamARN: string } {
  return { StreamName: goal.streamName, StreamARN: goal.streamArn };
}

/** `DescribeStreamSummary`; a missing stream is an observation, not an error. */
export async function describeDataStream(session: Session): Promise<DataStreamObservation> {
  const summary = await readDescription(session, 'DescribeStreamSummary', 'StreamDescriptionSummary', () =>
    session.clients.kinesis.send(new (kinesisSdk().DescribeStreamSummaryCommand)(streamId(session.goal)), { abortSignal: session.abortSignal() }));
  return summary === undefined ? { found: false } : observeDataStream(summary);
}

/** The truth table's next step, after the key checks it asks for; remembers the reading. */
export async function decideNext(seen: DataStreamObservation, session: Session): Promise<Step> {
  const goal = session.goal;
  let action = decideDataStream(goal, seen, session.memory);
  for (let checks = 0; checks < MAX_KEY_CHECKS && (action.kind === 'verify-key' || action.kind === 'resolve-key'); checks++) {
    if (action.kind === 'verify-key' && goal.kind === 'encrypt') {
      await verifyKey(session, session.clients.kms, goal.keyId);
      session.memory = { ...session.memory, keyVerified_: true };
    } else if (action.kind === 'resolve-key') {
      const resolved = await resolveAlias(session, session.clients.kms, action.keyId);
      session.memory = { ...session.memory, resolvedKeys_: { ...session.memory.resolvedKeys_, [action.keyId]: resolved } };
    }
    action = decideDataStream(goal, seen, session.memory);
  }
  session.memory = rememberDataStream(session.memory, seen);
  return action.kind === 'verify-key' || action.kind === 'resolve-key' ? { kind: 'wait' } : action;
}

/** `StartStreamEncryption` with the wanted key, or `StopStreamEncryption` with the key the stream has now. */
export async function changeDataStream(kind: 'start' | 'stop', session: Session): Promise<ChangeOutcome> {
  const { goal, clients } = session;
  const sdk = kinesisSdk();
  let outcome: ChangeOutcome;
  if (kind === 'start' && goal.kind === 'encrypt') {
    const input = { ...streamId(goal), EncryptionType: 'KMS' as const, KeyId: goal.keyId };
    outcome = await session.change('StartStreamEncryption', () =>
      clients.kinesis.send(new sdk.StartStreamEncryptionCommand(input), { abortSignal: session.abortSignal() }), { key: input.KeyId });
  } else {
    const seen = session.observation;
    const input = { ...streamId(goal), EncryptionType: 'KMS' as const, KeyId: seen?.found ? seen.keyId_ : undefined };
    outcome = await session.change('StopStreamEncryption', () =>
      clients.kinesis.send(new sdk.StopStreamEncryptionCommand(input), { abortSignal: session.abortSignal() }), { key: input.KeyId });
  }
  if (outcome === 'accepted') {
    session.memory = { ...session.memory, updatingSinceChange_: false, ...(kind === 'start' ? { started_: true } : { stopped_: true }) };
  } else if (outcome === 'uncertain' && kind === 'start') {
    session.memory = { ...session.memory, startUncertain_: true };
  }
  return outcome;
}

/** `ListTagsForStream`, page by page until the tag `key` (by default the owner tag) or the last page. */
export async function readDataStreamOwner(session: Session, key: string = OWNER_TAG_KEY, seen?: (key: string) => void): Promise<string | undefined> {
  return findOwnerTag(async (ExclusiveStartTagKey) => {
    const input = { ...streamId(session.goal), ExclusiveStartTagKey, Limit: TAG_PAGE_SIZE };
    const output = await session.read('ListTagsForStream', () =>
      session.clients.kinesis.send(new (kinesisSdk().ListTagsForStreamCommand)(input), { abortSignal: session.abortSignal() }));
    return { tags: output?.Tags ?? [], more: output?.HasMoreTags === true };
  }, key, seen);
}

/**
 * `AddTagsToStream`, or `RemoveTagsFromStream` for `undefined`, of the tag
 * `key` (by default the owner tag). Access denied is not retried: the tag
 * permissions come in the same policy as the calls that went through.
 */
export async function writeDataStreamOwner(value: string | undefined, session: Session, key: string | string[] = OWNER_TAG_KEY): Promise<void> {
  const stream = streamId(session.goal);
  const TagKeys = [key].flat();
  const kinesis = session.clients.kinesis;
  const sdk = kinesisSdk();
  await (value === undefined
    ? session.read('RemoveTagsFromStream', () => kinesis.send(
      new sdk.RemoveTagsFromStreamCommand({ ...stream, TagKeys }), { abortSignal: session.abortSignal() }), NO_DENIED_RETRY)
    : session.read('AddTagsToStream', () => kinesis.send(
      new sdk.AddTagsToStreamCommand({ ...stream, Tags: Object.fromEntries(TagKeys.map((k) => [k, value])) }),
      { abortSignal: session.abortSignal() }), NO_DENIED_RETRY));
}

/** How Kinesis's errors map to reasons: a `KMS…` error is the KMS error Kinesis met. */
const FAILURES: KindFailures<DataStreamTypes> = {
  service: SERVICE,
  kmsAction: 'kms:GenerateDataKey',
  key: (goal) => goal.kind === 'encrypt' ? goal.keyId : undefined,
  kmsError: (err) => KMS_ERRORS[errorInfo(err).name],
};

/** Map a non-retryable error of `operation` to its catalogue reason. */
export function dataStreamFailure(err: unknown, operation: Operation, session: Session): HandlerFailure {
  return streamFailure(FAILURES, err, operation, session);
}
