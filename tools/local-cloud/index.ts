/**
 * The local cloud: a wire-level stand-in for Amazon Data Firehose, Amazon Kinesis Data Streams and
 * AWS KMS that the unmodified AWS SDK for JavaScript v3 talks to over HTTP, with a control API for
 * tests and the demo.
 * Not part of the published package.
 *
 * @module
 */

export { startLocalCloud, LocalCloud } from './server';
export type { LocalCloudOptions } from './server';
export { LocalClock } from './clock';
export { accessKeyIdOf, accessKeyIdForRole } from './authorization';
export { IamModel, evaluate, accessDeniedMessage, sessionArnOf } from './iam';
export type { PolicyDocument, PolicyStatement } from './iam';
export type { LocalCloudControl } from './control';
export { ControlError } from './errors';
export { FaultInjector } from './faults';
export { CallRecorder } from './calls';
export type { CallRecord } from './calls';
export { Throttler, TokenBucket } from './throttle';
export { Router, defineOperation } from './router';
export type { ServiceModule } from './router';
export { shapes, validate, formatViolations, SerializationFault } from './validation';
export * from './services/firehose';
export * from './services/kinesis';
export type { RegisterKeySpec } from './services/kms';
export type { JsonObject } from './json';
export { CloudTrail } from './trail';
export { EventBridgeModel, matchesPattern, targetInput } from './services/events';
export type { Delivery } from './services/events';
export type { SnsTopic } from './services/sns';
