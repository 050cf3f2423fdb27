/**
 * The aws-cdk-lib APIs the library uses only where the app's aws-cdk-lib
 * has them (the peer floor may not): looked up on the module's exports at
 * each use, and replaced by what the floor offers otherwise.
 *
 * Not part of the public jsii API.
 */
import * as cdk from 'aws-cdk-lib';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { IConstruct } from 'constructs';

/** aws-cdk-lib's `ValidationError`: an error of a construct, reported with its path. */
type ValidationErrorClass = new (message: string, scope: IConstruct) => Error;
/** aws-cdk-lib's `UnscopedValidationError`: an error where no construct is at hand. */
type UnscopedValidationErrorClass = new (message: string) => Error;
/** aws-cdk-lib's `lambda.determineLatestNodeRuntime`. */
type DetermineLatestNodeRuntime = (scope: IConstruct) => lambda.Runtime;

/** A function exported by `module` under `name`, if the installed version has it. */
function optionalExport<T>(module: object, name: string): T | undefined {
  try {
    const value = (module as Record<string, unknown>)[name];
    return typeof value === 'function' ? (value as T) : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Where the optional APIs are found. One object, read at each use, so that
 * a test can stand in for an aws-cdk-lib that has (or lacks) one of them.
 */
export const CDK_FEATURES = {
  /** `ValidationError` of `aws-cdk-lib`, if it has one. */
  validationError: (): ValidationErrorClass | undefined => optionalExport(cdk, 'ValidationError'),
  /** `UnscopedValidationError` of `aws-cdk-lib`, if it has one. */
  unscopedValidationError: (): UnscopedValidationErrorClass | undefined => optionalExport(cdk, 'UnscopedValidationError'),
  /** `determineLatestNodeRuntime` of `aws-cdk-lib/aws-lambda`, if it has one. */
  determineLatestNodeRuntime: (): DetermineLatestNodeRuntime | undefined => optionalExport(lambda, 'determineLatestNodeRuntime'),
};

/**
 * The error of a synth refusal: aws-cdk-lib's `ValidationError` of `scope`
 * (or its `UnscopedValidationError` without a scope) where the app's
 * aws-cdk-lib has them, a plain `Error` otherwise. The message names the
 * construct itself.
 */
export function validationError(scope: IConstruct | undefined, message: string): Error {
  if (scope) {
    const ValidationError = CDK_FEATURES.validationError();
    if (ValidationError) {
      return new ValidationError(message, scope);
    }
  } else {
    const UnscopedValidationError = CDK_FEATURES.unscopedValidationError();
    if (UnscopedValidationError) {
      return new UnscopedValidationError(message);
    }
  }
  return new Error(message);
}
