/**
 * The local cloud: a wire-level stand-in for Amazon Data Firehose, Amazon Kinesis Data Streams and
 * AWS KMS that the unmodified AWS SDK for JavaScript v3 talks to over HTTP, with a control API for
 * tests and the demo.
 * Not part of the published package.
 *
 * @module
 */

export { startLocalCloud, LocalCloud, DEFAULT_THROTTLE, LOCAL_CLOUD_CREDENTIALS, CONTROL_PATH_PREFIX } from './server';
export type { LocalCloudOptions, LocalCloudEnv, LocalCloudClientConfig } from './server';
export { LocalClock } from './clock';
export type { LocalClockOptions } from './clock';
export { CONTROL_METHODS, ControlPlane, dispatchControl } from './control';
export type { LocalCloudControl, LocalCloudState, ControlMethod, ControlHttpAnswer } from './control';
export { connectControl, callControl } from './control-client';
export type { RemoteControl } from './control-client';
export { ControlError, ServiceError, ProtocolErrors, SERVER_FAULT_ERROR_NAMES, defaultHttpStatus } from './errors';
export type { ServiceErrorOptions } from './errors';
export { FaultInjector } from './faults';
export type { FaultOptions, PendingFault } from './faults';
export { CallRecorder, emptyTally } from './calls';
export type { CallTally, CallCounts, CallRecord, CallOutcome } from './calls';
export { Throttler, TokenBucket, normalizeRate } from './throttle';
export type { ThrottleRate, ThrottleSetting } from './throttle';
export { Router, defineOperation } from './router';
export type { ServiceModule, OperationDefinition, TypedOperation, RequestContext, ResolvedOperation } from './router';
export { Gateway, AMZ_JSON_1_1 } from './gateway';
export type { WireResponse, GatewayOptions } from './gateway';
export { shapes, validate, formatViolations, SerializationFault } from './validation';
export type { Shape, StructureShape, StringShape, IntegerShape, BooleanShape, ListShape, DocumentShape } from './validation';
export {
  DEFAULT_TRANSITION_DELAYS,
  DEFAULT_ENCRYPTION_CALL_LIMIT,
  FAILURE_TYPE_VALUES,
  FirehoseBackend,
  firehoseService,
} from './services/firehose';
export type {
  TransitionDelays,
  EncryptionCallLimit,
  FailureDescription,
  KeySelection,
  EncryptionConfigurationJson,
  DeliveryStreamDescriptionJson,
  DeliveryStreamSnapshot,
  EncryptionSpec,
  StreamSpec,
  FirehoseSnapshot,
  KeyDirectory,
  FirehoseBackendOptions,
} from './services/firehose';
export {
  DEFAULT_DATA_STREAM_DELAYS,
  DEFAULT_KEY_APPLICATION_LIMIT,
  KINESIS_MANAGED_KEY,
  KinesisBackend,
  kinesisService,
  streamNameOf,
} from './services/kinesis';
export type {
  DataStreamDelays,
  DataStreamEncryption,
  DataStreamSnapshot,
  DataStreamSpec,
  KinesisBackendOptions,
  KinesisKeyDirectory,
  KinesisSnapshot,
  StreamDescriptionSummaryJson,
} from './services/kinesis';
export { KmsBackend, kmsService, KEY_SPEC_VALUES, KEY_USAGE_VALUES, KEY_STATE_VALUES } from './services/kms';
export type { KeyMetadataJson, KeySnapshot, AliasSnapshot, RegisterKeySpec, SettableKeyState, KeyLookup } from './services/kms';
export type { JsonValue, JsonObject, JsonPrimitive } from './json';
