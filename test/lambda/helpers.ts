/**
 * Fixtures for the handler tests of every kind of stream: keys, events, SDK
 * errors, a fake clock and a harness that runs `handleEvent` with mocked
 * clients and an in-memory response sender. Each kind's own fixtures are in
 * `firehose-helpers.ts` and `kinesis-helpers.ts`.
 */
import type { KeyMetadata } from '@aws-sdk/client-kms';
import type { CloudFormationCustomResourceEvent } from 'aws-lambda';
import { clientCache } from '../../lambda/core/clients';
import { handleEvent, HandlerDependencies, InvocationContext } from '../../lambda/core/handle-event';
import { ownerTagValue } from '../../lambda/core/ownership';
import { HandlerFailure, ReasonId } from '../../lambda/core/reasons';
import type { CloudFormationResponse } from '../../lambda/core/response';
import { STREAM_SERVICES } from '../../lambda/kinds';
import { COPY_TAG_PREFIX } from '../../src/private/contract';

/** A customer managed key's ARN. */
export const KEY_ARN = 'arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab';
/** Another key's ARN. */
export const OTHER_KEY_ARN = 'arn:aws:kms:eu-west-1:123456789012:key/ffffffff-12ab-34cd-56ef-1234567890ab';
/** An alias ARN naming {@link KEY_ARN}. */
export const ALIAS_ARN = 'arn:aws:kms:eu-west-1:123456789012:alias/orders-sse';
/** The pre-signed response URL of the test events: a credential that must never be logged. */
export const RESPONSE_URL =
  'https://cloudformation-custom-resource-response-euwest1.s3.eu-west-1.amazonaws.com/arn%3Aaws%3Acloudformation%3Aeu-west-1%3A123456789012%3Astack/app/1%7COrdersSse%7Creq?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIAEXAMPLE%2F20250101&X-Amz-Signature=deadbeefcafe0123456789';
/** The stack of the test events. */
export const STACK_ID = 'arn:aws:cloudformation:eu-west-1:123456789012:stack/app/11111111-2222-3333-4444-555555555555';
/** The owner tag value of the fixtures' delivery stream resource (`OrdersSse`). */
export const ORDERS_SSE_OWNER = ownerTagValue(STACK_ID, 'OrdersSse');
/** The owner tag value of the same stream's resource after the construct was renamed (`OrdersEncryption`). */
export const ORDERS_ENCRYPTION_OWNER = ownerTagValue(STACK_ID, 'OrdersEncryption');
/** The owner tag value of the fixtures' data stream resource (`EventsSse`). */
export const EVENTS_SSE_OWNER = ownerTagValue(STACK_ID, 'EventsSse');
/** The `$metadata` of an HTTP 400 answer, for SDK exceptions made by hand. */
export const CLIENT_ERROR_METADATA = { $metadata: { httpStatusCode: 400 } };
/** The log stream of the test context. */
export const LOG_STREAM = '2025/01/01/[$LATEST]0123456789abcdef';
/** Start of the fake clock. */
export const T0 = Date.UTC(2025, 0, 1);

/** The same event sent for another logical id (a renamed construct). */
export function withLogicalId(event: CloudFormationCustomResourceEvent, logicalId: string): CloudFormationCustomResourceEvent {
  return { ...event, LogicalResourceId: logicalId };
}

/** The service token of the test events. */
const SERVICE_TOKEN = 'arn:aws:lambda:eu-west-1:123456789012:function:handler';

/** What tells the events of one custom resource apart from another's. */
export interface EventIdentity {
  /** The resource's logical id. */
  readonly logicalId: string;
  /** The custom resource type. */
  readonly resourceType: string;
  /** The request id of its events. */
  readonly requestId: string;
  /** The physical id of Update and Delete events unless one is given. */
  readonly physicalId: string;
  /** The resource properties of Create and Delete events unless some are given. */
  readonly properties: () => Record<string, unknown>;
}

/** Create, Update and Delete events of one custom resource. */
export interface EventBuilders {
  /** A Create event. */
  create(props?: Record<string, unknown>): CloudFormationCustomResourceEvent;
  /** An Update event. */
  update(props: Record<string, unknown>, oldProps: Record<string, unknown>, physicalResourceId?: string): CloudFormationCustomResourceEvent;
  /** A Delete event. */
  delete(props?: Record<string, unknown>, physicalResourceId?: string): CloudFormationCustomResourceEvent;
}

/** The events of the custom resource `identity`, with the fields every event has. */
export function eventBuilders(identity: EventIdentity): EventBuilders {
  const common = (props: Record<string, unknown>) => ({
    ServiceToken: SERVICE_TOKEN,
    ResponseURL: RESPONSE_URL,
    StackId: STACK_ID,
    RequestId: identity.requestId,
    LogicalResourceId: identity.logicalId,
    ResourceType: identity.resourceType,
    ResourceProperties: { ServiceToken: SERVICE_TOKEN, ...props },
  });
  return {
    create: (props = identity.properties()) => ({ ...common(props), RequestType: 'Create' }) as CloudFormationCustomResourceEvent,
    update: (props, oldProps, physicalResourceId = identity.physicalId) => ({
      ...common(props),
      RequestType: 'Update',
      PhysicalResourceId: physicalResourceId,
      OldResourceProperties: { ServiceToken: SERVICE_TOKEN, ...oldProps },
    }) as CloudFormationCustomResourceEvent,
    delete: (props = identity.properties(), physicalResourceId = identity.physicalId) =>
      ({ ...common(props), RequestType: 'Delete', PhysicalResourceId: physicalResourceId }) as CloudFormationCustomResourceEvent,
  };
}

/** KMS key metadata: an enabled symmetric encryption key, {@link KEY_ARN}. */
export function keyMetadata(overrides: Partial<KeyMetadata> = {}): { KeyMetadata: KeyMetadata } {
  return {
    KeyMetadata: {
      KeyId: '1234abcd-12ab-34cd-56ef-1234567890ab',
      Arn: KEY_ARN,
      KeyState: 'Enabled',
      KeyUsage: 'ENCRYPT_DECRYPT',
      KeySpec: 'SYMMETRIC_DEFAULT',
      ...overrides,
    },
  };
}

/** An SDK-style service error with an HTTP status (and `$metadata` that must never reach a reason). */
export function awsError(name: string, message: string, httpStatusCode = 400): Error {
  return Object.assign(new Error(message), {
    name,
    $fault: httpStatusCode >= 500 ? 'server' : 'client',
    $metadata: { httpStatusCode, requestId: 'REQUEST-ID-SECRET-0000', attempts: 1 },
    $response: { body: 'RAW-RESPONSE-BODY' },
  });
}

/** A network error as Node reports it (no HTTP status). */
export function networkError(code = 'ECONNRESET'): Error {
  return Object.assign(new Error(`read ${code}`), { code });
}

/** A clock whose sleep advances time at once. */
export class FakeClock {
  /** Current time, epoch milliseconds. */
  time = T0;
  /** Every sleep requested, in milliseconds. */
  readonly sleeps: number[] = [];
  /** The value `random` returns. */
  randomValue = 0.5;

  /** Current time. */
  readonly now = (): number => this.time;

  /** Record the sleep and advance the clock. */
  readonly sleep = async (ms: number): Promise<void> => {
    this.sleeps.push(ms);
    this.time += ms;
  };

  /** Deterministic jitter. */
  readonly random = (): number => this.randomValue;
}

/**
 * The nonce of the claim a copy of a request writes in the owner tag before
 * its Start, made as the handler makes it from the clock's `random()` (by
 * default the {@link FakeClock}'s fixed value).
 */
export function claimNonce(random = new FakeClock().randomValue): string {
  return Math.floor(random * 2 ** 32).toString(16).padStart(8, '0');
}

/** The claim tag key of the copy whose clock's random() gives `random` (by default the fixtures' copy): see {@link claimNonce}. */
export function claimTagKey(random?: number): string {
  return `${COPY_TAG_PREFIX}${claimNonce(random)}`;
}

/** An answer caught by the in-memory sender. */
export interface CaughtAnswer {
  /** Where it was sent. */
  readonly url: string;
  /** The raw body. */
  readonly raw: string;
  /** The parsed body. */
  readonly body: CloudFormationResponse;
  /** The sender's deadline. */
  readonly deadline: number;
  /** When it was sent (fake clock). */
  readonly sentAt: number;
  /** The sleeps of the request before it was sent (those after clean up once CloudFormation has its answer). */
  readonly sleeps: number[];
}

/** A test context: 15 minutes left. */
export function lambdaContext(remainingMs = 900_000): InvocationContext {
  return { getRemainingTimeInMillis: () => remainingMs, logStreamName: LOG_STREAM };
}

/**
 * `handleEvent` with every kind of stream, a fake clock, the SDK clients of
 * each kind (mocked by the tests with aws-sdk-client-mock), captured logs and
 * answers.
 */
export class Harness {
  /** The fake clock. */
  readonly clock = new FakeClock();
  /** Every answer sent. */
  readonly answers: CaughtAnswer[] = [];
  /** Every log line written. */
  readonly lines: string[] = [];
  /** The dependencies given to the handler. */
  readonly deps: HandlerDependencies;

  constructor() {
    this.deps = {
      services: STREAM_SERVICES,
      clients: clientCache({ maxAttempts: 1, region: 'eu-west-1' }),
      sleep: this.clock.sleep,
      now: this.clock.now,
      random: this.clock.random,
      sendResponse: async (url, raw, options) => {
        const body = JSON.parse(raw) as CloudFormationResponse;
        this.answers.push({ url, raw, body, deadline: options.deadline, sentAt: this.clock.now(), sleeps: [...this.clock.sleeps] });
        return true;
      },
      log: (line) => this.lines.push(line),
    };
  }

  /** Handle one event and return its (single) answer. */
  async run(event: CloudFormationCustomResourceEvent, context: InvocationContext = lambdaContext()): Promise<CloudFormationResponse> {
    const before = this.answers.length;
    await handleEvent(event, context, this.deps);
    if (this.answers.length !== before + 1) {
      throw new Error(`expected exactly one answer, got ${this.answers.length - before}`);
    }
    return this.answers[this.answers.length - 1].body;
  }

  /** Time spent since the clock started, in milliseconds. */
  elapsed(): number {
    return this.clock.time - T0;
  }

  /** Time from the clock's start to the last answer, in milliseconds. */
  answeredAfter(): number {
    return this.answers[this.answers.length - 1].sentAt - T0;
  }

  /** The sleeps before the last answer. */
  sleepsToAnswer(): number[] {
    return this.answers[this.answers.length - 1].sleeps;
  }

  /** The parsed log lines. */
  records(): Array<Record<string, unknown>> {
    return this.lines.map((line) => JSON.parse(line) as Record<string, unknown>);
  }
}

/**
 * A fake SDK call answering `results` one after the other (an Error is
 * thrown); the last one repeats forever.
 */
export function successive<T>(results: ReadonlyArray<T | Error>): () => Promise<T> {
  let i = 0;
  return async () => {
    const result = results[Math.min(i++, results.length - 1)];
    if (result instanceof Error) {
      throw result;
    }
    return result;
  };
}

/** The reason id `parse` fails with on `bag` (or `ok`). */
export function parseOutcome(parse: (bag: unknown) => unknown, bag: unknown): ReasonId | 'ok' {
  try {
    parse(bag);
    return 'ok';
  } catch (err) {
    if (err instanceof HandlerFailure) {
      return err.reasonId;
    }
    throw err;
  }
}
