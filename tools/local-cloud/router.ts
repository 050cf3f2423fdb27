/**
 * Services, their operations, and how a request's `X-Amz-Target` finds them.
 *
 * A service is one {@link ServiceModule}: its JSON 1.1 target prefix (`Firehose_20150804`,
 * `TrentService`, later `Kinesis_20131202`), the error it answers for invalid input, and a table of
 * {@link OperationDefinition}s. The {@link Router} holds the registered modules and resolves both
 * wire targets and the operation names used by the control API.
 *
 * @module
 */

import type { AuthorizationCheck } from './authorization';
import { ControlError, ServiceError } from './errors';
import { JsonObject } from './json';
import { ThrottleSetting } from './throttle';
import { StructureShape } from './validation';

/** What an operation handler knows about the call besides its input. */
export interface RequestContext {
  /** Local-cloud time of the call, in epoch milliseconds. */
  readonly now: number;
  /** The account that owns every resource of the local cloud. */
  readonly accountId: string;
  /** The region of the local cloud. */
  readonly region: string;
  /** The partition of that region, for ARNs. */
  readonly partition: string;
  /** The id answered in `x-amzn-RequestId`. */
  readonly requestId: string;
}

/** What a service's request needs to be allowed (valid input only). */
export type AuthorizationOf = (operation: string, input: JsonObject, context: RequestContext) => ReadonlyArray<AuthorizationCheck>;

/** One operation of a service, type-erased for the router. */
export interface OperationDefinition {
  /** The input shape; the body is validated against it before {@link OperationDefinition.handle}. */
  readonly input: StructureShape;
  /** The built-in rate limit; absent means the local cloud's generous default. */
  readonly throttle?: ThrottleSetting;
  /**
   * The input member that names the resource the call acts on (e.g. `DeliveryStreamName`), for
   * per-resource call counts and resource-scoped faults.
   */
  readonly resourceMember?: string;
  /**
   * Names the resource of a call when no single member does (a stream named by `StreamName` or
   * `StreamARN`); it receives the parsed body, which may still be invalid. Wins over
   * {@link OperationDefinition.resourceMember}.
   */
  readonly resourceOf?: (body: JsonObject) => string | undefined;
  /**
   * Runs the operation on valid input.
   *
   * @returns the output structure
   * @throws ServiceError for an error answer
   */
  handle(input: JsonObject, context: RequestContext): JsonObject;
}

/** A typed operation, as a service module writes it. */
export interface TypedOperation<I> {
  readonly input: StructureShape;
  readonly throttle?: ThrottleSetting;
  readonly resourceMember?: keyof I & string;
  readonly resourceOf?: (body: JsonObject) => string | undefined;
  handle(input: I, context: RequestContext): JsonObject;
}

/**
 * Declares an operation whose handler receives its input as the type `I`. The cast is sound
 * because the router validates the body against `input` first: the interface `I` must describe
 * that shape.
 */
export function defineOperation<I>(operation: TypedOperation<I>): OperationDefinition {
  return {
    input: operation.input,
    throttle: operation.throttle,
    resourceMember: operation.resourceMember,
    resourceOf: operation.resourceOf,
    handle: (input, context) => operation.handle(input as unknown as I, context),
  };
}

/** A service the local cloud serves. */
export interface ServiceModule {
  /**
   * Short lower-case id, the service's IAM prefix (`firehose`, `kms`, `kinesis`). Operations are
   * identified across services as `<id>:<Operation>`.
   */
  readonly id: string;
  /** The `X-Amz-Target` prefix, e.g. `Firehose_20150804` or `TrentService`. */
  readonly targetPrefix: string;
  /** The error answered for constraint violations: `InvalidArgumentException`, `ValidationException`, … */
  readonly validationErrorName: string;
  /**
   * The error answered when an operation's rate limit is exceeded, for services that do not answer
   * `ThrottlingException` (Kinesis answers `LimitExceededException`). Calls answered with it count
   * as throttled. @defaultValue `ThrottlingException: Rate exceeded for operation <Operation>.`
   */
  readonly throttlingError?: (operation: string, resource: string | undefined, context: { readonly accountId: string }) => ServiceError;
  /** Operations by their wire name. */
  readonly operations: Readonly<Record<string, OperationDefinition>>;
  /**
   * What a request of a role's session needs to be allowed (see `authorization.ts`).
   * @defaultValue the action `<id>:<Operation>` on resource `*`
   */
  readonly authorization?: AuthorizationOf;
}

/** An operation found by the router. */
export interface ResolvedOperation {
  readonly service: ServiceModule;
  /** The wire name, e.g. `StartDeliveryStreamEncryption`. */
  readonly name: string;
  /** The canonical id, e.g. `firehose:StartDeliveryStreamEncryption`. */
  readonly id: string;
  readonly definition: OperationDefinition;
}

/** Registered services, and resolution of targets and operation references. */
export class Router {
  private readonly byPrefix = new Map<string, ServiceModule>();
  private readonly byId = new Map<string, ServiceModule>();

  /**
   * Adds a service.
   *
   * @throws Error when its id or target prefix is taken
   */
  public register(service: ServiceModule): this {
    if (this.byId.has(service.id)) throw new Error(`A service with id '${service.id}' is already registered`);
    if (this.byPrefix.has(service.targetPrefix)) throw new Error(`A service with target prefix '${service.targetPrefix}' is already registered`);
    this.byId.set(service.id, service);
    this.byPrefix.set(service.targetPrefix, service);
    return this;
  }

  /** The registered services. */
  public services(): ServiceModule[] {
    return [...this.byId.values()];
  }

  /**
   * Finds the operation of a wire target such as `Firehose_20150804.DescribeDeliveryStream`.
   *
   * @returns the operation, or `undefined` for an unknown target
   */
  public resolveTarget(target: string | undefined): ResolvedOperation | undefined {
    if (!target) return undefined;
    const dot = target.lastIndexOf('.');
    if (dot <= 0) return undefined;
    const service = this.byPrefix.get(target.slice(0, dot));
    return service ? this.lookup(service, target.slice(dot + 1)) : undefined;
  }

  /**
   * Resolves an operation reference of the control API: a canonical id
   * (`firehose:StartDeliveryStreamEncryption`), a wire target
   * (`Firehose_20150804.StartDeliveryStreamEncryption`), or a bare name
   * (`StartDeliveryStreamEncryption`) that only one service has.
   *
   * @throws ControlError for an unknown or ambiguous reference
   */
  public resolveReference(reference: string): ResolvedOperation {
    if (typeof reference !== 'string' || reference === '') {
      throw new ControlError(`An operation must be named by a non-empty string, got ${JSON.stringify(reference)}`);
    }
    let found: ResolvedOperation | undefined;
    const colon = reference.indexOf(':');
    if (colon > 0) {
      const service = this.byId.get(reference.slice(0, colon));
      found = service && this.lookup(service, reference.slice(colon + 1));
    } else if (reference.includes('.')) {
      found = this.resolveTarget(reference);
    } else {
      const matches = this.services()
        .map((service) => this.lookup(service, reference))
        .filter((m): m is ResolvedOperation => m !== undefined);
      if (matches.length > 1) {
        throw new ControlError(`Operation '${reference}' is ambiguous: use one of ${matches.map((m) => m.id).join(', ')}`);
      }
      found = matches[0];
    }
    if (!found) {
      throw new ControlError(`Unknown operation '${reference}'. Known operations: ${this.operationIds().join(', ')}`);
    }
    return found;
  }

  /** The canonical id of every operation, sorted. */
  public operationIds(): string[] {
    return this.services()
      .flatMap((service) => Object.keys(service.operations).map((name) => `${service.id}:${name}`))
      .sort();
  }

  /**
   * The built-in rate limit of an operation, by canonical id.
   *
   * @returns the rate (`null`: unlimited), or `undefined` when the operation declares none
   */
  public builtInThrottle(operationId: string): ThrottleSetting | undefined {
    const colon = operationId.indexOf(':');
    const service = colon > 0 ? this.byId.get(operationId.slice(0, colon)) : undefined;
    return service && this.lookup(service, operationId.slice(colon + 1))?.definition.throttle;
  }

  /** An operation of one service by wire name (own properties only). */
  private lookup(service: ServiceModule, name: string): ResolvedOperation | undefined {
    if (!Object.prototype.hasOwnProperty.call(service.operations, name)) return undefined;
    return { service, name, id: `${service.id}:${name}`, definition: service.operations[name] };
  }
}
