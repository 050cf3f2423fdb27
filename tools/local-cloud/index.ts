/**
 * The local cloud: a wire-level stand-in for Amazon Data Firehose, Amazon Kinesis Data Streams and
 * AWS KMS that the unmodified AWS SDK for JavaScript v3 talks to over HTTP, with a control API for
 * tests and the demo.
 * Not part of the published package.
 *
 * @module
 */

export { startLocalCloud, LocalCloud, DEFAULT_THROTTLE, LOCAL_CLOUD_CREDENTIALS } from './server';
export type { LocalCloudOptions, LocalCloudEnv, LocalCloudClientConfig } from './server';
export { LocalClock } from './clock';
export { Authorizer, accessDenied, accessKeyIdOf, accessKeyIdForRole } from './authorization';
export type { AuthorizationCheck } from './authorization';
export { IamModel, evaluate, accessDeniedMessage, sessionArnOf } from './iam';
export type { PolicyDocument, PolicyStatement, AuthorizationRequest, AuthorizationDecision, RoleView, IamModelOptions } from './iam';
export type { LocalClockOptions } from './clock';
export { ControlPlane } from './control';
export type { LocalCloudControl, LocalCloudState } from './control';
export { ControlError, ServiceError, ProtocolErrors, SERVER_FAULT_ERROR_NAMES, defaultHttpStatus } from './errors';
export type { ServiceErrorOptions } from './errors';
export { FaultInjector } from './faults';
export type { FaultOptions, PendingFault } from './faults';
export { CallRecorder, emptyTally } from './calls';
export type { CallTally, CallCounts, CallRecord, CallOutcome } from './calls';
export { Throttler, TokenBucket, normalizeRate } from './throttle';
export type { ThrottleRate, ThrottleSetting } from './throttle';
export { Router, defineOperation } from './router';
export type { AuthorizationOf, ServiceModule, OperationDefinition, TypedOperation, RequestContext, ResolvedOperation } from './router';
export { Gateway, AMZ_JSON_1_1 } from './gateway';
export type { WireResponse, GatewayOptions } from './gateway';
export { shapes, validate, formatViolations, SerializationFault } from './validation';
export type { Shape, StructureShape, StringShape, IntegerShape, BooleanShape, ListShape, DocumentShape } from './validation';
export * from './services/firehose';
export * from './services/kinesis';
export { KmsBackend, kmsService, KEY_SPEC_VALUES, KEY_USAGE_VALUES, KEY_STATE_VALUES } from './services/kms';
export type { KeyMetadataJson, KeySnapshot, AliasSnapshot, RegisterKeySpec, SettableKeyState, KeyLookup } from './services/kms';
export type { JsonValue, JsonObject, JsonPrimitive } from './json';
export type { DeliveryReport, UnreadableRecord, StoredRecord, RecordKey } from './services/records';
export { CloudTrail, TRAILED_OPERATIONS, requestParametersOf, userIdentityOf } from './trail';
export type { TrailEvent, TrailedCall } from './trail';
export { EventBridgeModel, matchesPattern, targetInput, valueAtPath } from './services/events';
export type { EventRule, RuleTarget, LambdaPermission, Delivery, AsyncInvoker, TopicPublisher } from './services/events';
export { SnsModel } from './services/sns';
export type { SnsMessage, SnsTopic, SnsModelOptions } from './services/sns';
