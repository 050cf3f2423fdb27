/**
 * Amazon Data Firehose (`Firehose_20150804`): delivery streams and their server-side encryption.
 *
 * Operations: `DescribeDeliveryStream`, `StartDeliveryStreamEncryption`,
 * `StopDeliveryStreamEncryption`, `TagDeliveryStream`, `UntagDeliveryStream`,
 * `ListTagsForDeliveryStream` (what the handler calls) and `PutRecord`, with the behaviour the
 * Firehose API reference describes (streams are made by the control API or the template):
 *
 * - a stream made `CREATING` is `ACTIVE` after the create delay (or `CREATING_FAILED`); one made
 *   `DELETING` is gone after the delete delay;
 * - Start sets the encryption status to `ENABLING`, then `ENABLED`, or `ENABLING_FAILED` with a
 *   `FailureDescription` when the key is missing, disabled, pending deletion, or not a symmetric
 *   `ENCRYPT_DECRYPT` key; when a key *change* fails, the old key stays applied;
 * - Stop sets `DISABLING`, then `DISABLED`;
 * - only `DirectPut` streams can be encrypted; Start with the key type and key the stream already
 *   has `ENABLED` is refused; nothing can change while the stream is not `ACTIVE` or its encryption
 *   is `ENABLING`/`DISABLING`;
 * - Start and Stop together are limited to 25 accepted calls per stream in a rolling 24 hours;
 * - a stream has at most 50 tags (`LimitExceededException` beyond); tagging a key again overwrites
 *   its value; untagging a key the stream does not have is ignored; tags are listed in key order,
 *   by pages after `ExclusiveStartTagKey`. Tags cannot change while the stream is `CREATING` or
 *   `DELETING` (`ResourceInUseException`; the API reference leaves this open, the local cloud is
 *   strict).
 *
 * No timers run: every request first settles each stream against the clock (a transition whose
 * end time has passed is completed, with that end time as its `LastUpdateTimestamp`).
 * Invalid input is an `InvalidArgumentException`.
 *
 * Modules: `shapes` (wire types, input shapes, control-API types), `errors`, `backend` (the
 * streams and the logic of the operations, over a shared stream table) and `operations` (the
 * service module).
 *
 * @module
 */

export { DEFAULT_TRANSITION_DELAYS } from './shapes';
export type {
  TransitionDelays,
  EncryptionCallLimit,
  FailureDescription,
  DeliveryStreamSnapshot,
  EncryptionSpec,
  StreamSpec,
  FirehoseSnapshot,
} from './shapes';
export { FirehoseBackend } from './backend';
export { firehoseService } from './operations';
