/**
 * The service of one kind of stream (Firehose for delivery streams, Kinesis
 * for data streams): what it brings to the handler, in three parts by who
 * uses them: {@link ServiceResource} (its properties, physical ids and
 * attributes, for the event handling), {@link ServiceLoop} (its reads, calls,
 * truth table and error mapping, for the reconcile loop) and
 * {@link ServiceTags} (its tags, for the owner-tag protocol). Each kind is a
 * folder of `lambda/kinds/`, registered by resource type in
 * `lambda/kinds/index.ts`.
 */
import type { ClientProvider } from './clients';
import type { Operation } from './errors';
import type { RequestType } from './properties';
import type { HandlerFailure, HandlerReasonId } from './reasons';
import type { ResponseData } from './response';
import type { ChangeOutcome, DriverSession, ServiceTypes, Step } from './session';
import type { StreamKindValue } from '../../src/private/contract';

/** The custom resource side of a stream service, as the event handling uses it. */
export interface ServiceResource<T extends ServiceTypes = ServiceTypes> {
  /** Attributes when nothing is known. */
  readonly noData: ResponseData;
  /** The properties whose change makes an Update touch the stream. */
  readonly functionalProperties: ReadonlyArray<string>;

  /** The stream name in a property bag, if usable (even when other properties are invalid). */
  usableStreamName(bag: unknown): string | undefined;
  /** The physical id of the encryption of a stream. */
  physicalId(streamName: string): string;
  /**
   * Validate the properties.
   *
   * @throws HandlerFailure naming the first invalid property.
   */
  parseProperties(bag: unknown): T['properties'];
  /**
   * The goal of a request: encrypt as the properties say, or (Delete) decrypt.
   * `keptStream`: an Update of the stream the resource already encrypted
   * (not a move to another stream).
   */
  goal(properties: T['properties'], requestType: RequestType, keptStream?: boolean): T['goal'];
  /** The attributes once the stream is encrypted as wanted. */
  wanted(properties: T['properties']): ResponseData;
  /** The attributes of the last reading of the stream. */
  dataOf(observation: T['observation'] | undefined): ResponseData;
  /** The attributes of a SUCCESS Delete, from the last reading of the stream. */
  decryptedData(observation: T['observation'] | undefined): ResponseData;
  /** The SDK clients of a request, made (or reused) through `provide`. */
  clients(provide: ClientProvider): T['clients'];
}

/** The reconcile side of a stream service: its reads, calls, truth table and error mapping. */
export interface ServiceLoop<T extends ServiceTypes = ServiceTypes> {
  /** Words for the stream in SUCCESS reasons, e.g. `Delivery stream`. */
  readonly label: string;
  /** The catalogue entry of a deadline reached while the stream had not changed as wanted. */
  readonly timedOut: HandlerReasonId;
  /** The memory at the start of a request. */
  readonly initialMemory: T['memory'];

  /**
   * The goal that puts a stream back to a recorded prior state
   * (`PRIOR_NONE`: decrypt; otherwise encrypt with that key, without the key
   * pre-flight), from any goal for the same stream.
   */
  restoreGoal(goal: T['goal'], prior: string): T['goal'];
  /**
   * The prior state a reading records (`PRIOR_NONE`, `PRIOR_AWS_OWNED` or a
   * key), or `undefined` when the reading is in a transition or shows no
   * stream.
   */
  priorOf(observation: T['observation']): string | undefined;
  /** Read the stream once (through `session.read`); a missing stream is `{ found: false }`. */
  describe(session: DriverSession<T>): Promise<T['observation']>;
  /** The next step after a reading; may check keys through the session first, and remembers the reading. */
  decide(observation: T['observation'], session: DriverSession<T>): Promise<Step>;
  /** Call Start or Stop through `session.change`. */
  change(kind: 'start' | 'stop', session: DriverSession<T>): Promise<ChangeOutcome>;
  /** A one-line description of a reading, for reasons and logs. */
  summarize(observation: T['observation'] | undefined): string;
  /** The state a reading of an existing stream is in, for a deadline reason. */
  state(observation: T['observation']): string | undefined;
  /** The catalogue reason of a non-retryable error of `operation`. */
  failureFor(err: unknown, operation: Operation, session: DriverSession<T>): HandlerFailure;
}

/** The tag side of a stream service: the owner tag (and the guard's repair count) on the stream. */
export interface ServiceTags<T extends ServiceTypes = ServiceTypes> {
  /** Whether a reading shows a stream whose tags can change: it exists and is ACTIVE. */
  taggable(observation: T['observation']): boolean;
  /**
   * The value of the stream's owner tag, or of the tag `key` (`undefined`:
   * no such tag, or an empty value), read through `session.read`; `seen`
   * is told the key of every tag of the stream.
   */
  readOwner(session: DriverSession<T>, key?: string, seen?: (key: string) => void): Promise<string | undefined>;
  /**
   * Write the owner tag, or the tag `key` (or the tags `key`, in one call),
   * with `value`, or remove it (`undefined`), through `session.read`.
   */
  writeOwner(value: string | undefined, session: DriverSession<T>, key?: string | string[]): Promise<void>;
}

/** The service of one kind of stream: all three sides. */
export interface StreamService<T extends ServiceTypes = ServiceTypes> extends ServiceResource<T>, ServiceLoop<T>, ServiceTags<T> {}

/** A kind of stream, registered by the resource type it handles; its SDK clients are loaded on first use. */
export interface StreamServiceRegistration {
  /** The custom resource type, e.g. `Custom::DeliveryStreamEncryption`. */
  readonly resourceType: string;
  /** The `StreamKind` property value of its resources. */
  readonly streamKind: StreamKindValue;
  /** Load the kind's SDK clients and return it. */
  load(): StreamService;
}

/**
 * The kinds of stream the handler knows. The first one also handles events
 * that name neither a known resource type nor a known `StreamKind`.
 */
export type StreamServiceRegistry = readonly [StreamServiceRegistration, ...StreamServiceRegistration[]];

/**
 * The kind of stream of a request: by its resource type, else by its
 * `StreamKind` property, else the registry's first. A request of a
 * registered resource type is validated as that type, so a `StreamKind` that
 * does not match it is refused.
 */
export function registrationOf(registry: StreamServiceRegistry, event: Readonly<Record<string, unknown>>): StreamServiceRegistration {
  const bag = event.ResourceProperties;
  const streamKind = typeof bag === 'object' && bag !== null ? (bag as Record<string, unknown>).StreamKind : undefined;
  return registry.find((entry) => entry.resourceType === event.ResourceType)
    ?? registry.find((entry) => entry.streamKind === streamKind)
    ?? registry[0];
}
