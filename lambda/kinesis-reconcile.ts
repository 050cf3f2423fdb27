/**
 * The reconcile loop of a Kinesis data stream: the generic loop of
 * `reconcile.ts` with Kinesis's reads, calls, truth table and errors.
 */
import {
  AddTagsToStreamCommand,
  DescribeStreamSummaryCommand,
  KinesisClient,
  ListTagsForStreamCommand,
  RemoveTagsFromStreamCommand,
  StartStreamEncryptionCommand,
  StopStreamEncryptionCommand,
} from '@aws-sdk/client-kinesis';
import { DescribeKeyCommand } from '@aws-sdk/client-kms';
import { describeError, errorInfo, Operation } from './errors';
import {
  DataStreamGoal,
  DataStreamMemory,
  DataStreamObservation,
  decideDataStream,
  INITIAL_DATA_STREAM_MEMORY,
  observeDataStream,
  rememberDataStream,
  summarizeDataStream,
} from './kinesis-decide';
import { findOwnerTag, TAG_PAGE_SIZE } from './ownership';
import { HandlerFailure, ReasonId } from './reasons';
import { ChangeOutcome, ReconcileResult, ReconcileSession, runReconcile, SessionEnvironment, Step, StreamDriver } from './reconcile';
import { OWNER_TAG_KEY } from '../src/private/contract';

/** What the Kinesis reconcile loop needs from the outside world. */
export interface DataStreamReconcileEnvironment extends SessionEnvironment {
  /** Kinesis client (retries disabled: the loop does its own). */
  readonly kinesis: KinesisClient;
}

/** Errors of `kms:DescribeKey` on an alias that mean "not a key the handler may use". */
const NOT_OUR_KEY: ReadonlySet<string> = new Set(['NotFoundException', 'AccessDeniedException', 'InvalidArnException']);

/**
 * The errors Kinesis answers when KMS refuses the key on the caller's behalf
 * (`KMSThrottlingException` aside, which is retried), and their reasons.
 */
const KMS_REASONS: Readonly<Record<string, ReasonId>> = {
  KMSDisabledException: 'KINESIS_KMS_DISABLED',
  KMSInvalidStateException: 'KINESIS_KMS_INVALID_STATE',
  KMSAccessDeniedException: 'KINESIS_KMS_ACCESS_DENIED',
  KMSNotFoundException: 'KINESIS_KMS_NOT_FOUND',
  KMSOptInRequired: 'KINESIS_KMS_OPT_IN_REQUIRED',
};

/** Most key checks one reading may need: the pre-flight, and resolving the current alias. */
const MAX_KEY_CHECKS = 2;

/** A data stream, through Kinesis Data Streams. */
class DataStreamDriver implements StreamDriver<DataStreamObservation> {
  readonly label = 'Data stream';
  readonly timedOut = 'DATA_STREAM_TIMED_OUT';
  readonly decrypting: boolean;
  private memory: DataStreamMemory = INITIAL_DATA_STREAM_MEMORY;

  constructor(private readonly goal: DataStreamGoal, private readonly kinesis: KinesisClient) {
    this.decrypting = goal.kind === 'decrypt';
  }

  /** The stream, named as the Kinesis API takes it (by name and ARN). */
  private get streamId(): { StreamName: string; StreamARN: string } {
    return { StreamName: this.goal.streamName, StreamARN: this.goal.streamArn };
  }

  /** `DescribeStreamSummary`; a missing stream is an observation, not an error. */
  async describe(session: ReconcileSession<DataStreamObservation>): Promise<DataStreamObservation> {
    let output;
    try {
      output = await session.read('DescribeStreamSummary', () =>
        this.kinesis.send(new DescribeStreamSummaryCommand(this.streamId), { abortSignal: session.abortSignal() }));
    } catch (err) {
      if (errorInfo(err).name !== 'ResourceNotFoundException') {
        throw this.failureFor(err, 'DescribeStreamSummary');
      }
      return { found: false };
    }
    if (!output?.StreamDescriptionSummary) {
      throw new HandlerFailure('UNEXPECTED_ERROR', { operation: 'DescribeStreamSummary', error: 'no StreamDescriptionSummary' });
    }
    return observeDataStream(output.StreamDescriptionSummary);
  }

  async decide(seen: DataStreamObservation, session: ReconcileSession<DataStreamObservation>): Promise<Step> {
    let action = decideDataStream(this.goal, seen, this.memory);
    for (let checks = 0; checks < MAX_KEY_CHECKS && (action.kind === 'verify-key' || action.kind === 'resolve-key'); checks++) {
      if (action.kind === 'verify-key' && this.goal.kind === 'encrypt') {
        await session.verifyKey(this.goal.keyId);
        this.memory = { ...this.memory, keyVerified: true };
      } else if (action.kind === 'resolve-key') {
        const resolved = await this.resolveKey(action.keyId, session);
        this.memory = { ...this.memory, resolvedKeys: { ...this.memory.resolvedKeys, [action.keyId]: resolved } };
      }
      action = decideDataStream(this.goal, seen, this.memory);
    }
    this.memory = rememberDataStream(this.memory, seen);
    return action.kind === 'verify-key' || action.kind === 'resolve-key' ? { kind: 'wait' } : action;
  }

  /**
   * The key ARN an alias the stream reports points to, by `kms:DescribeKey`;
   * `null` when it points to no key the handler may describe, which is never
   * the wanted key (the handler may describe that one).
   */
  private async resolveKey(alias: string, session: ReconcileSession<DataStreamObservation>): Promise<string | null> {
    let resolved: string | null;
    try {
      const output = await session.read('DescribeKey', () => session.env.kms.send(new DescribeKeyCommand({ KeyId: alias }), { abortSignal: session.abortSignal() }));
      resolved = output?.KeyMetadata?.Arn ?? null;
    } catch (err) {
      if (!NOT_OUR_KEY.has(errorInfo(err).name)) {
        throw this.failureFor(err, 'DescribeKey');
      }
      session.log.info('resolve-key', { key: alias, error: describeError(err) });
      return null;
    }
    session.log.info('resolve-key', { key: alias, resolvedKey: resolved });
    return resolved;
  }

  async change(kind: 'start' | 'stop', session: ReconcileSession<DataStreamObservation>): Promise<ChangeOutcome> {
    let outcome: ChangeOutcome;
    if (kind === 'start' && this.goal.kind === 'encrypt') {
      const input = { ...this.streamId, EncryptionType: 'KMS' as const, KeyId: this.goal.keyId };
      outcome = await session.change('StartStreamEncryption', () =>
        this.kinesis.send(new StartStreamEncryptionCommand(input), { abortSignal: session.abortSignal() }), { key: input.KeyId });
    } else {
      // Stop names the key the stream has now.
      const seen = session.observation;
      const input = { ...this.streamId, EncryptionType: 'KMS' as const, KeyId: seen?.found ? seen.keyId : undefined };
      outcome = await session.change('StopStreamEncryption', () =>
        this.kinesis.send(new StopStreamEncryptionCommand(input), { abortSignal: session.abortSignal() }), { key: input.KeyId });
    }
    if (outcome === 'accepted') {
      this.memory = { ...this.memory, updatingSinceChange: false, ...(kind === 'start' ? { started: true } : { stopped: true }) };
    }
    return outcome;
  }

  summarize(observation: DataStreamObservation | undefined): string {
    return summarizeDataStream(observation);
  }

  taggable(observation: DataStreamObservation): boolean {
    return observation.found && observation.streamStatus === 'ACTIVE';
  }

  /** `ListTagsForStream`, page by page until the owner tag or the last page. */
  async readOwner(session: ReconcileSession<DataStreamObservation>): Promise<string | undefined> {
    return findOwnerTag(async (ExclusiveStartTagKey) => {
      const output = await session.read('ListTagsForStream', () => this.kinesis.send(
        new ListTagsForStreamCommand({ ...this.streamId, ExclusiveStartTagKey, Limit: TAG_PAGE_SIZE }), { abortSignal: session.abortSignal() }));
      return { tags: output?.Tags ?? [], more: output?.HasMoreTags === true };
    });
  }

  /** `AddTagsToStream`, or `RemoveTagsFromStream` for `undefined`. */
  async writeOwner(value: string | undefined, session: ReconcileSession<DataStreamObservation>): Promise<void> {
    await (value === undefined
      ? session.read('RemoveTagsFromStream', () => this.kinesis.send(
        new RemoveTagsFromStreamCommand({ ...this.streamId, TagKeys: [OWNER_TAG_KEY] }), { abortSignal: session.abortSignal() }))
      : session.read('AddTagsToStream', () => this.kinesis.send(
        new AddTagsToStreamCommand({ ...this.streamId, Tags: { [OWNER_TAG_KEY]: value } }), { abortSignal: session.abortSignal() })));
  }

  state(observation: DataStreamObservation): string | undefined {
    if (!observation.found) {
      return undefined;
    }
    if (observation.streamStatus !== 'ACTIVE') {
      return observation.streamStatus;
    }
    return observation.encryptionType === 'KMS' ? `ACTIVE with KMS key ${observation.keyId ?? '?'}` : 'ACTIVE without encryption';
  }

  /** Map a non-retryable error of `operation` to its catalogue reason. */
  failureFor(err: unknown, operation: Operation): HandlerFailure {
    if (err instanceof HandlerFailure) {
      return err;
    }
    const stream = this.goal.streamName;
    const key = this.goal.kind === 'encrypt' ? this.goal.keyId : '?';
    const error = describeError(err);
    const name = errorInfo(err).name;
    const kmsReason = KMS_REASONS[name];
    if (kmsReason) {
      return new HandlerFailure(kmsReason, { key, stream, error });
    }
    switch (name) {
      case 'LimitExceededException':
        return new HandlerFailure('DATA_STREAM_CALL_LIMIT_EXCEEDED', { operation, stream, error });
      case 'InvalidArgumentException':
      case 'ValidationException':
        return new HandlerFailure('DATA_STREAM_INVALID_ARGUMENT', { operation, stream, error });
      case 'ResourceNotFoundException':
        return new HandlerFailure(this.memory.streamSeen ? 'DATA_STREAM_DELETED' : 'DATA_STREAM_NOT_FOUND', { stream });
      case 'NotFoundException':
      case 'InvalidArnException':
        if (operation === 'DescribeKey') {
          return new HandlerFailure('KEY_NOT_FOUND', { key, error });
        }
        break;
      case 'AccessDeniedException':
        return operation === 'DescribeKey'
          ? new HandlerFailure('KINESIS_KEY_ACCESS_DENIED', { key, error })
          : new HandlerFailure('ACCESS_DENIED', { operation, stream, error });
    }
    return new HandlerFailure('UNEXPECTED_ERROR', { operation, error });
  }
}

/**
 * Drive a data stream's encryption towards `goal`.
 *
 * @param goal - what the encryption should be.
 * @param settleSeconds - how long to wait after the stream is ACTIVE with the key before SUCCESS.
 * @param env - clients, clock, deadline and logger.
 * @returns the answer; never rejects.
 */
export async function reconcileDataStream(
  goal: DataStreamGoal,
  settleSeconds: number,
  env: DataStreamReconcileEnvironment,
): Promise<ReconcileResult<DataStreamObservation>> {
  return runReconcile(new DataStreamDriver(goal, env.kinesis), goal.streamName, settleSeconds, env);
}
