/**
 * The reconcile loop: read the stream, ask {@link decide} what to do, do it,
 * and repeat until the truth table says SUCCESS or FAILED or the deadline is
 * reached. All waiting goes through the injected clock; an AWS call is
 * retried only when its error is throttling or transient.
 */
import {
  DescribeDeliveryStreamCommand,
  FirehoseClient,
  StartDeliveryStreamEncryptionCommand,
  StopDeliveryStreamEncryptionCommand,
} from '@aws-sdk/client-firehose';
import { DescribeKeyCommand, KMSClient } from '@aws-sdk/client-kms';
import { Backoff, Clock, ERROR_BACKOFF, POLL_BACKOFF } from './backoff';
import { decide, encryptionStatus, Goal, INITIAL_MEMORY, Memory, Observation, observe, remember, summarize } from './decide';
import { classifyError, describeError, ErrorClass, errorInfo, Operation } from './errors';
import { Logger } from './log';
import { HandlerFailure, ReasonId } from './reasons';

/** What the reconcile loop needs from the outside world. */
export interface ReconcileEnvironment {
  /** Firehose client (retries disabled: the loop does its own). */
  readonly firehose: FirehoseClient;
  /** KMS client (retries disabled: the loop does its own). */
  readonly kms: KMSClient;
  /** Time, sleep and jitter. */
  readonly clock: Clock;
  /** When the request started, in epoch milliseconds. */
  readonly startedAt: number;
  /** When to give up and answer FAILED, in epoch milliseconds. */
  readonly deadline: number;
  /** Longest time one AWS call may take before it is aborted, in milliseconds. */
  readonly callTimeoutMs: number;
  /** The request's logger. */
  readonly log: Logger;
}

/** How a reconcile ended. */
export interface ReconcileResult {
  /** The answer to give CloudFormation. */
  readonly status: 'SUCCESS' | 'FAILED';
  /** The reason: a catalogue reason for FAILED, the stream's state for SUCCESS. */
  readonly reason: string;
  /** The catalogue entry, for FAILED. */
  readonly reasonId?: ReasonId;
  /** Whether Start was sent and may have taken effect (accepted, or lost to a transient error). */
  readonly startIssued: boolean;
  /** The last reading of the stream, if any. */
  readonly observation?: Observation;
}

/** The calls that change a stream's encryption. */
type Change = 'StartDeliveryStreamEncryption' | 'StopDeliveryStreamEncryption';

/**
 * Drive the stream's encryption towards `goal`.
 *
 * @param goal - what the encryption should be.
 * @param settleSeconds - how long to wait after ENABLED before SUCCESS.
 * @param env - clients, clock, deadline and logger.
 * @returns the answer; never rejects.
 */
export async function reconcile(goal: Goal, settleSeconds: number, env: ReconcileEnvironment): Promise<ReconcileResult> {
  const { clock, log, deadline } = env;
  const stream = goal.streamName;
  const poll = new Backoff(POLL_BACKOFF, () => clock.random());
  const errors = new Backoff(ERROR_BACKOFF, () => clock.random());
  let memory: Memory = INITIAL_MEMORY;
  let observation: Observation | undefined;
  let startIssued = false;
  let lastError: { readonly operation: Operation; readonly error: string; readonly kind: ErrorClass } | undefined;

  /** Bound one AWS call in time. */
  const abortSignal = (): AbortSignal => AbortSignal.timeout(env.callTimeoutMs);

  /** The result, with what is known about the stream. */
  const result = (status: 'SUCCESS' | 'FAILED', reason: string, reasonId?: ReasonId): ReconcileResult =>
    ({ status, reason, reasonId, startIssued, observation });

  /**
   * Sleep for `ms`, but never past the deadline.
   *
   * @throws HandlerFailure THROTTLED or TIMED_OUT once the deadline has passed.
   */
  async function pause(ms: number): Promise<void> {
    const now = clock.now();
    if (now >= deadline) {
      const seconds = Math.round((now - env.startedAt) / 1000);
      if (lastError?.kind === 'throttled') {
        throw new HandlerFailure('THROTTLED', { operation: lastError.operation, stream, seconds, error: lastError.error });
      }
      const state = !observation ? 'unreadable'
        : !observation.found ? 'missing'
          : observation.streamStatus !== 'ACTIVE' ? observation.streamStatus : encryptionStatus(observation);
      const lastStatus = summarize(observation) + (lastError ? `; last error ${lastError.error} from ${lastError.operation}` : '');
      throw new HandlerFailure('TIMED_OUT', { stream, state: state ?? '?', seconds, lastStatus });
    }
    await clock.sleep(Math.min(ms, deadline - now));
  }

  /** Record a retryable error and wait before the next attempt. */
  async function backOff(operation: Operation, err: unknown, kind: ErrorClass): Promise<void> {
    lastError = { operation, error: describeError(err), kind };
    const delayMs = errors.next();
    log.warn('retry', { operation, error: lastError.error, errorClass: kind, delayMs });
    await pause(delayMs);
  }

  /** A call went through: forget the last error and ease the error backoff. */
  function accepted(): void {
    lastError = undefined;
    errors.relax();
  }

  /**
   * One idempotent read, retried with backoff while its error is throttling
   * or transient; any other error is thrown as it is.
   */
  async function read<T>(operation: Operation, send: () => Promise<T>): Promise<T> {
    for (;;) {
      try {
        const output = await send();
        accepted();
        return output;
      } catch (err) {
        const kind = classifyError(err, operation);
        if (kind === 'fatal') {
          throw err;
        }
        await backOff(operation, err, kind);
      }
    }
  }

  /** Map a non-retryable error of `operation` to its catalogue reason. */
  function failureFor(err: unknown, operation: Operation): HandlerFailure {
    if (err instanceof HandlerFailure) {
      return err;
    }
    const key = goal.kind === 'encrypt' ? goal.keyArn : undefined;
    const error = describeError(err);
    switch (errorInfo(err).name) {
      case 'LimitExceededException':
        return new HandlerFailure('CALL_LIMIT_EXCEEDED', { operation, stream, error });
      case 'InvalidArgumentException':
        return new HandlerFailure('INVALID_ARGUMENT', { operation, stream, error });
      case 'InvalidKMSResourceException':
        return new HandlerFailure('INVALID_KMS_RESOURCE', { stream, error });
      case 'ResourceNotFoundException':
        return new HandlerFailure(memory.streamSeen || observation?.found ? 'STREAM_DELETED' : 'STREAM_NOT_FOUND', { stream });
      case 'NotFoundException':
      case 'InvalidArnException':
        if (operation === 'DescribeKey') {
          return new HandlerFailure('KEY_NOT_FOUND', { key: key ?? '?', error });
        }
        break;
      case 'AccessDeniedException':
        return operation === 'DescribeKey'
          ? new HandlerFailure('KEY_ACCESS_DENIED', { key: key ?? '?', error })
          : new HandlerFailure('ACCESS_DENIED', { operation, stream, error });
    }
    return new HandlerFailure('UNEXPECTED_ERROR', { operation, error });
  }

  /** `DescribeDeliveryStream`; a missing stream is an observation, not an error. */
  async function describe(): Promise<Observation> {
    let output;
    try {
      output = await read('DescribeDeliveryStream', () =>
        env.firehose.send(new DescribeDeliveryStreamCommand({ DeliveryStreamName: stream }), { abortSignal: abortSignal() }));
    } catch (err) {
      if (errorInfo(err).name !== 'ResourceNotFoundException') {
        throw failureFor(err, 'DescribeDeliveryStream');
      }
      return observation = { found: false };
    }
    if (!output?.DeliveryStreamDescription) {
      throw new HandlerFailure('UNEXPECTED_ERROR', { operation: 'DescribeDeliveryStream', error: 'no DeliveryStreamDescription' });
    }
    return observation = observe(output.DeliveryStreamDescription);
  }

  /**
   * The `kms:DescribeKey` pre-flight of a customer managed key: it must be
   * Enabled, for ENCRYPT_DECRYPT, and symmetric. Remembers the key ARN that
   * the given ARN (perhaps an alias ARN) resolves to.
   *
   * @throws HandlerFailure when the key cannot be used.
   */
  async function verifyKey(key: string): Promise<void> {
    let metadata;
    try {
      const output = await read('DescribeKey', () => env.kms.send(new DescribeKeyCommand({ KeyId: key }), { abortSignal: abortSignal() }));
      metadata = output?.KeyMetadata;
    } catch (err) {
      throw failureFor(err, 'DescribeKey');
    }
    if (!metadata) {
      throw new HandlerFailure('UNEXPECTED_ERROR', { operation: 'DescribeKey', error: 'no KeyMetadata' });
    }
    const state = metadata.KeyState ?? '?';
    const usage = metadata.KeyUsage ?? '?';
    const spec = metadata.KeySpec ?? metadata.CustomerMasterKeySpec ?? '?';
    log.info('verify-key', { key, resolvedKey: metadata.Arn, keyState: state, keyUsage: usage, keySpec: spec });
    if (state !== 'Enabled') {
      throw new HandlerFailure('KEY_NOT_ENABLED', { key, state });
    }
    if (usage !== 'ENCRYPT_DECRYPT') {
      throw new HandlerFailure('KEY_WRONG_USAGE', { key, usage });
    }
    if (spec !== 'SYMMETRIC_DEFAULT') {
      throw new HandlerFailure('KEY_NOT_SYMMETRIC', { key, spec });
    }
    memory = { ...memory, keyVerified: true, resolvedKeyArn: metadata.Arn ?? key };
  }

  /**
   * Start or Stop. Never retried by itself: after a transient error the loop
   * reads the stream again, because the call may have taken effect.
   *
   * @returns `gone` when Stop finds no stream.
   * @throws HandlerFailure when Firehose refuses the call.
   */
  async function change(operation: Change): Promise<'accepted' | 'uncertain' | 'gone'> {
    const keyType = goal.kind === 'encrypt' ? goal.keyType : undefined;
    const keyArn = goal.kind === 'encrypt' && keyType === 'CUSTOMER_MANAGED_CMK' ? memory.resolvedKeyArn ?? goal.keyArn : undefined;
    try {
      await env.firehose.send(operation === 'StartDeliveryStreamEncryption'
        ? new StartDeliveryStreamEncryptionCommand({
          DeliveryStreamName: stream,
          DeliveryStreamEncryptionConfigurationInput: { KeyType: keyType, KeyARN: keyArn },
        })
        : new StopDeliveryStreamEncryptionCommand({ DeliveryStreamName: stream }), { abortSignal: abortSignal() });
    } catch (err) {
      const kind = classifyError(err, operation);
      if (kind === 'fatal') {
        if (operation === 'StopDeliveryStreamEncryption' && errorInfo(err).name === 'ResourceNotFoundException') {
          return 'gone';
        }
        throw failureFor(err, operation);
      }
      startIssued ||= operation === 'StartDeliveryStreamEncryption';
      await backOff(operation, err, kind);
      return 'uncertain';
    }
    startIssued ||= operation === 'StartDeliveryStreamEncryption';
    accepted();
    memory = operation === 'StartDeliveryStreamEncryption' ? { ...memory, started: true } : { ...memory, stopped: true };
    log.info(operation === 'StartDeliveryStreamEncryption' ? 'start' : 'stop', { keyType, key: keyArn, status: 'accepted' });
    poll.reset();
    await pause(poll.next());
    return 'accepted';
  }

  try {
    for (;;) {
      const seen = await describe();
      let action = decide(goal, seen, memory);
      if (action.kind === 'verify-key' && goal.kind === 'encrypt' && goal.keyArn) {
        await verifyKey(goal.keyArn);
        action = decide(goal, seen, memory);
      }
      memory = remember(memory, seen);
      log.info('decide', { status: summarize(seen), decision: action.kind, ...(action.kind === 'fail' ? { reasonId: action.reasonId } : {}) });
      switch (action.kind) {
        case 'succeed': {
          const settleMs = action.settle ? Math.min(settleSeconds * 1000, Math.max(0, deadline - clock.now())) : 0;
          if (settleMs > 0) {
            log.info('settle', { settleMs });
            await clock.sleep(settleMs);
          }
          return result('SUCCESS', `Delivery stream ${stream}: ${summarize(seen)}.`);
        }
        case 'fail':
          throw new HandlerFailure(action.reasonId, action.params);
        case 'start':
          await change('StartDeliveryStreamEncryption');
          break;
        case 'stop':
          if (await change('StopDeliveryStreamEncryption') === 'gone') {
            observation = { found: false };
            return result('SUCCESS', `Delivery stream ${stream}: stream not found.`);
          }
          break;
        default:
          await pause(poll.next());
      }
    }
  } catch (err) {
    const failure = err instanceof HandlerFailure ? err : new HandlerFailure('UNEXPECTED_ERROR', { operation: 'reconcile', error: describeError(err) });
    return result('FAILED', failure.message, failure.reasonId);
  }
}
