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

export { LocalCloudFormation, LocalCloudStack } from './stack';
export type { DriverEvent, StackOperationResult } from './stack';
export { retains } from './resources';
export { dependenciesOf, dependencyCycle, runInOrder, topologicalOrder } from './graph';
export type { AsyncInvocation } from './event-resources';
export { runStep, MAX_RESPONSE_BODY_BYTES } from './custom-resource';
export type { CustomResourceEvent, RequestType, StepRequest, StepResult } from './custom-resource';
export { LocalLambda, DEFAULT_HANDLER_BUNDLE, DEFAULT_GUARD_BUNDLE, NO_CREDENTIALS_ENVIRONMENT } from './lambda-runtime';
export { functionCodeOf } from './function-code';
export type { FunctionCode } from './function-code';
export { ResponseServer, RESPONSE_URL_EXPIRES_SECONDS } from './response-server';
export type { PutRecord } from './response-server';
export { TemplateModel } from './model';
export { resolveValue, stringifyScalars, ResolveError } from './intrinsics';
export { loadStackTemplate } from './template';
export type { CfnTemplate, StackTemplate, StackSource } from './template';
