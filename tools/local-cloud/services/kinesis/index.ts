/**
 * Amazon Kinesis Data Streams (`Kinesis_20131202`): data streams and their server-side encryption.
 *
 * Operations: `DescribeStreamSummary`, `StartStreamEncryption`, `StopStreamEncryption`,
 * `AddTagsToStream`, `RemoveTagsFromStream`, `ListTagsForStream` (what the handler calls) and the
 * data plane (`PutRecord`, `GetShardIterator`, `GetRecords`), with the behaviour the Kinesis API
 * reference describes (streams are made by the control API or the template):
 *
 * - a stream made `CREATING` is `ACTIVE` after the create delay; one made `DELETING` is gone after
 *   the delete delay;
 * - Start and Stop make the stream `UPDATING` at once, showing the new `EncryptionType` and
 *   `KeyId`, and `ACTIVE` with them after the update delay; nothing can change while the stream is
 *   not `ACTIVE` (`ResourceInUseException`);
 * - Start checks the key when it is called, answering the KMS error Kinesis answers:
 *   `KMSNotFoundException` (no such key or alias), `KMSDisabledException`,
 *   `KMSInvalidStateException` (pending deletion, or any other state but Enabled), and
 *   `InvalidArgumentException` for a key that is not a symmetric encryption key; the Kinesis
 *   managed key `alias/aws/kinesis` always works;
 * - a stream accepts 25 key applications (accepted Starts) in a rolling 24 hours, then
 *   `LimitExceededException`;
 * - rate limits answer `LimitExceededException` (`Rate exceeded for stream …`), as Kinesis does;
 * - a stream has at most 50 tags; adding a key again overwrites its value; removing a key the
 *   stream does not have is ignored; tags are listed in key order, by pages after
 *   `ExclusiveStartTagKey`.
 *
 * Streams are named by `StreamName`, `StreamARN` or both (which must agree). No timers run: every
 * request first settles each stream against the clock. Invalid input is a `ValidationException`.
 *
 * Where the API reference leaves the behaviour open, the local cloud is strict, so that a client
 * that passes here does what Kinesis documents: Stop must name the key the stream has
 * (`InvalidArgumentException` otherwise, and for a stream that is not encrypted); tag keys and
 * values may hold only the characters Kinesis documents (letters, digits, white space and
 * `_ . / = + - % @`), more than 50 tags is an `InvalidArgumentException`, tags change only while
 * the stream is `ACTIVE` (`ResourceInUseException`), and `ListTagsForStream` answers 10 tags when
 * no `Limit` is given.
 *
 * Modules: `shapes` (wire types, input shapes, control-API types), `errors`, `backend` (the
 * streams and the logic of the operations, over a shared stream table) and `operations` (the
 * service module).
 *
 * @module
 */

export { DEFAULT_DATA_STREAM_DELAYS } from './shapes';
export type { DataStreamDelays, DataStreamEncryption, DataStreamSnapshot, DataStreamSpec, KinesisSnapshot } from './shapes';
export { KinesisBackend } from './backend';
export { kinesisService } from './operations';
