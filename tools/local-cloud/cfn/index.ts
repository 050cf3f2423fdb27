/**
 * A local CloudFormation lifecycle driver for `Custom::DeliveryStreamEncryption` and
 * `Custom::DataStreamEncryption`: it reads a synthesized cloud assembly (or a template), resolves
 * the custom resources' properties against the local cloud, and drives the real handler bundle
 * through Create, Update and Delete events, catching its answers at pre-signed-style loopback
 * response URLs. Not published.
 *
 * @example
 * ```ts
 * const cloud = await startLocalCloud();
 * const cfn = await LocalCloudFormation.start(cloud);
 * const stack = cfn.stack('example/cdk.out');
 * cloud.control.createStream({ name: 'orders' });
 * const deployed = await stack.deploy();        // Create, every custom resource at once
 * const updated = await stack.update('other/cdk.out');
 * const destroyed = await stack.destroy();
 * await cfn.stop();
 * await cloud.stop();
 * ```
 *
 * @module
 */

export { LocalCloudFormation, LocalCloudStack, ResourceHandle, DEFAULT_LAMBDA_TIMEOUT_MS } from './stack';
export type {
  StackEvent,
  DriverEvent,
  LocalCloudFormationOptions,
  PropertyOverrides,
  ResourceOperationOptions,
  StackOperationOptions,
  StackOperationResult,
  StackStatus,
} from './stack';
export { ModelledResources, retains, serviceFunctionOf } from './resources';
export { dependenciesOf, dependencyCycle, runInOrder, topologicalOrder } from './graph';
export type { OrderOptions } from './graph';
export { StackIam, isIamType, IAM_RESOURCE_TYPES } from './iam-resources';
export { StackEventResources, isEventResourceType, EVENT_RESOURCE_TYPES, ASYNC_RETRIES } from './event-resources';
export type { AsyncInvocation, LambdaFactory } from './event-resources';
export type { ModelledAction, ServiceFunction } from './resources';
export { runStep, reasonIdOf, serviceTimeoutMsOf, managedStreamOf, DEFAULT_SERVICE_TIMEOUT_SECONDS, MAX_RESPONSE_BODY_BYTES } from './custom-resource';
export type { CustomResourceEvent, RequestType, StepRequest, StepResult, StepStatus, StreamKindOfStep } from './custom-resource';
export { LocalLambda, DEFAULT_HANDLER_BUNDLE, NO_CREDENTIALS_ENVIRONMENT } from './lambda-runtime';
export type { HandlerLogLine, Invocation, InvocationOutcome, InvokeOptions, LambdaContext, LocalLambdaOptions } from './lambda-runtime';
export { ResponseServer, RESPONSE_URL_EXPIRES_SECONDS } from './response-server';
export type { PutRecord, ResponseBehaviour, ResponseEndpoint } from './response-server';
export {
  TemplateModel,
  DELIVERY_STREAM_ENCRYPTION_TYPE,
  DATA_STREAM_ENCRYPTION_TYPE,
  CUSTOM_RESOURCE_TYPES,
  isCustomResourceType,
  keyArnFor,
  uuidFrom,
  hashHex,
} from './model';
export type { StackEnvironment, CustomResourceValues } from './model';
export { resolveValue, stringifyScalars, ResolveError } from './intrinsics';
export type { ResolveScope } from './intrinsics';
export { loadStackTemplate, dependsOn } from './template';
export type { CfnTemplate, CfnResourceDefinition, StackTemplate, StackSource, LoadOptions } from './template';
export { watchStreams, viewOf, watchDataStreams, dataStreamViewOf } from './watch';
export type { StreamTransition, StreamView, StreamWatch, DataStreamTransition, DataStreamView } from './watch';
