import { Duration, RemovalPolicy } from 'aws-cdk-lib';

/**
 * The properties `DeliveryStreamEncryption` and `DataStreamEncryption` share:
 * how long a deploy waits, what becomes of the stream's encryption and of a
 * key the construct creates, and whether the stack's guard repairs the
 * stream.
 *
 * What every construct of a stack shares (the handler's log group, the
 * guard) is set once per stack: `StreamEncryptionHandler.configure` and
 * `StreamEncryptionGuard.configure`.
 */
export interface StreamEncryptionOptions {
  /**
   * How long the deployment waits for the stream to be encrypted with the
   * key (or, on delete, no longer encrypted) before it fails with the last
   * status seen.
   *
   * Between 1 and 14 minutes.
   *
   * @default Duration.minutes(10)
   */
  readonly timeout?: Duration;

  /**
   * How long to wait after the stream reports its encryption on before the
   * deployment goes on: the service may leave records written in the first
   * seconds after that unencrypted.
   *
   * Between 0 and 60 seconds.
   *
   * @default Duration.seconds(5)
   */
  readonly settleTime?: Duration;

  /**
   * What happens to the stream's encryption when this construct is removed
   * from the stack or the stack is deleted.
   *
   * `DESTROY` turns server-side encryption off; `RETAIN` leaves it on. This
   * is how a stream's encryption is turned off: remove the construct while
   * its removal policy is `DESTROY`. It is only the stream's encryption:
   * what becomes of a key this construct creates is `keyRemovalPolicy`.
   *
   * @default RemovalPolicy.DESTROY
   */
  readonly removalPolicy?: RemovalPolicy;

  /**
   * What happens to a key this construct creates when the construct is
   * removed, the stack is deleted, or the construct's key changes.
   *
   * `RETAIN` keeps the key (DeletionPolicy and UpdateReplacePolicy
   * `Retain`): records written under it need it to be read (Firehose buffers
   * records and retries their delivery for up to 24 hours; a data stream
   * keeps them for its retention period, 24 hours to 365 days). A retained
   * key costs its monthly KMS fee until you schedule its deletion yourself,
   * once nothing encrypted with it is left.
   *
   * `DESTROY` schedules the key for deletion after `keyPendingWindow` (for a
   * data stream, with a warning at synth: records still in the stream then
   * become unreadable).
   *
   * Only for a key the construct creates: not with a key you give (give
   * your key its own removal policy), nor with a key AWS owns or manages.
   *
   * @default RemovalPolicy.RETAIN
   */
  readonly keyRemovalPolicy?: RemovalPolicy;

  /**
   * How long KMS waits before it deletes a created key that
   * `keyRemovalPolicy` `DESTROY` schedules for deletion; the deletion can be
   * cancelled in that window.
   *
   * Between 7 and 30 days, in whole days. Only with `keyRemovalPolicy`
   * `DESTROY`.
   *
   * @default Duration.days(30)
   */
  readonly keyPendingWindow?: Duration;

  /**
   * Whether the stack's `StreamEncryptionGuard` repairs the stream's
   * encryption when it is turned off or changed outside the stack. `true`
   * puts the stream under the stack's guard, made with the defaults if the
   * stack has none; `false` keeps it out of a guard configured for the whole
   * stack (`StreamEncryptionGuard.configure`).
   *
   * The guard reacts to CloudTrail management events, which EventBridge
   * receives only while a CloudTrail trail with logging enabled records
   * them.
   *
   * @default false - no repair, unless the stack's guard was configured with
   * `StreamEncryptionGuard.configure`, which guards every stream encryption
   * whose `repair` is not `false`
   */
  readonly repair?: boolean;
}
