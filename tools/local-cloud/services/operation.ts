/**
 * A compact way for a service module to declare its operations, one line each: the input shape,
 * how the call names its resource and its built-in rate, and the backend method that handles it.
 *
 * @module
 */

import { JsonObject } from '../json';
import { defineOperation, OperationDefinition, RequestContext } from '../router';
import { StructureShape } from '../validation';

/** How an operation's call names its resource, and its built-in rate limit. */
export interface OperationTraits {
  /** The input member that names the resource. */
  readonly resourceMember?: string;
  /** Names the resource when no single member does; wins over `resourceMember`. */
  readonly resourceOf?: (body: JsonObject) => string | undefined;
  /** The built-in rate limit per second; absent means the local cloud's generous default. */
  readonly ratePerSecond?: number;
}

/**
 * An operation whose handler receives its input as the type `I` (see {@link defineOperation}).
 *
 * @param input - the input shape the body is validated against
 * @param traits - how the call names its resource, and its rate
 * @param handle - runs the operation on valid input
 */
export function wireOperation<I>(
  input: StructureShape,
  traits: OperationTraits,
  handle: (input: I, context: RequestContext) => JsonObject,
): OperationDefinition {
  return defineOperation<I>({
    input,
    throttle: traits.ratePerSecond === undefined ? undefined : { ratePerSecond: traits.ratePerSecond },
    resourceMember: traits.resourceMember as (keyof I & string) | undefined,
    resourceOf: traits.resourceOf,
    handle,
  });
}
