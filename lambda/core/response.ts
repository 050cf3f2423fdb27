/**
 * The answer to CloudFormation: building the response body (at most 4 KiB)
 * and PUTting it to the pre-signed `ResponseURL`, with retries that always
 * finish before the Lambda's own deadline.
 *
 * The URL is a credential: it is never logged, not even in part.
 */
import { Backoff, Clock, RESPONSE_BACKOFF } from './backoff';
import type { Logger } from './log';

/**
 * The attributes of an answer (readable with `Fn::GetAtt`): string values,
 * named by the kind of stream (its contract's response data interface).
 */
export type ResponseData = object;

/** The body CloudFormation expects at the `ResponseURL`. */
export interface CloudFormationResponse {
  /** SUCCESS or FAILED. */
  readonly Status: 'SUCCESS' | 'FAILED';
  /** Why; shown in the stack events. */
  readonly Reason: string;
  /** The resource's physical id. */
  readonly PhysicalResourceId: string;
  /** Copied from the request. */
  readonly StackId: string;
  /** Copied from the request. */
  readonly RequestId: string;
  /** Copied from the request. */
  readonly LogicalResourceId: string;
  /** Never mask the attributes: they are not secret. */
  readonly NoEcho: false;
  /** The attributes readable with `Fn::GetAtt`. */
  readonly Data: ResponseData;
}

/** CloudFormation's limit on the response body, in bytes. */
export const MAX_RESPONSE_BYTES = 4096;

/** The environment variable that allows plain HTTP to a loopback address (local test clouds). */
export const ALLOW_LOOPBACK_HTTP_ENV = 'STREAM_ENCRYPTION_ALLOW_LOOPBACK_HTTP';

/** Longest time one PUT attempt may take, in milliseconds. */
export const ATTEMPT_TIMEOUT_MS = 5_000;

/** Marks a shortened reason. */
const ELLIPSIS = '…';

/** The body's size in bytes. */
function bodyBytes(response: CloudFormationResponse): number {
  return Buffer.byteLength(JSON.stringify(response), 'utf8');
}

/** Where the handler's log lines are, pointed to from every answer's reason. */
export interface HandlerLogLocation {
  /** The function's log group (`AWS_LAMBDA_LOG_GROUP_NAME`). */
  readonly logGroupName?: string;
  /** This invocation's log stream in that group. */
  readonly logStreamName?: string;
}

/**
 * The hints that point from a reason to the handler's log, longest first:
 * ` See CloudWatch log group <group>, log stream <stream>`, then the log
 * group alone (the part a reader needs to find the log; the stream is long
 * and changes with every invocation), then the log stream alone when the
 * group is not known.
 */
export function logHints(where: HandlerLogLocation): string[] {
  const { logGroupName: group, logStreamName: stream } = where;
  if (group && stream) {
    return [` See CloudWatch log group ${group}, log stream ${stream}`, ` See CloudWatch log group ${group}`];
  }
  if (group) {
    return [` See CloudWatch log group ${group}`];
  }
  return stream ? [` See CloudWatch log stream ${stream}`] : [];
}

/**
 * Serialize a response, keeping it within {@link MAX_RESPONSE_BYTES}, the
 * limit CloudFormation sets on the whole response body: the `Reason` is
 * followed by the handler's log group and log stream (see {@link logHints})
 * when that fits, and shortened with an ellipsis when the whole does not fit,
 * keeping the longest hint that still fits after the ellipsis (the log group
 * before the log stream); no hint only when not even the log group fits.
 *
 * @param response - the response, with the full reason.
 * @param where - the handler's log group and log stream (a bare string: the log stream).
 */
export function buildResponseBody(response: CloudFormationResponse, where: HandlerLogLocation | string = {}): string {
  const hints = logHints(typeof where === 'string' ? { logStreamName: where } : where);
  const hint = hints[0] ?? '';
  const withHint = { ...response, Reason: response.Reason + hint };
  if (bodyBytes(withHint) <= MAX_RESPONSE_BYTES) {
    return JSON.stringify(withHint);
  }
  // Too long: shorten the reason, keeping the longest hint that fits at all.
  for (const suffix of [...hints.map((h) => ELLIPSIS + h), ELLIPSIS]) {
    const fitted = fitReason(response, suffix);
    if (fitted) {
      return JSON.stringify(fitted);
    }
  }
  // Even an empty reason does not fit: the attributes are too long; empty them.
  const empty = Object.fromEntries(Object.keys(response.Data).map((name) => [name, ''])) as unknown as ResponseData;
  const bare = fitReason({ ...response, Data: empty }, ELLIPSIS);
  return JSON.stringify(bare ?? { ...response, Reason: ELLIPSIS, Data: {} });
}

/**
 * The response with the longest prefix of its reason (whole code points) plus
 * `suffix` that fits, or `undefined` when not even the suffix alone fits.
 */
function fitReason(response: CloudFormationResponse, suffix: string): CloudFormationResponse | undefined {
  const chars = Array.from(response.Reason);
  const withPrefix = (n: number): CloudFormationResponse => ({ ...response, Reason: chars.slice(0, n).join('') + suffix });
  if (bodyBytes(withPrefix(0)) > MAX_RESPONSE_BYTES) {
    return undefined;
  }
  let low = 0;
  let high = chars.length;
  while (low < high) {
    const mid = Math.ceil((low + high) / 2);
    if (bodyBytes(withPrefix(mid)) <= MAX_RESPONSE_BYTES) {
      low = mid;
    } else {
      high = mid - 1;
    }
  }
  return withPrefix(low);
}

/**
 * Whether a URL host name is a loopback address: `localhost`, `127.0.0.0/8`
 * or `::1` (bracketed, as `URL.hostname` gives it, or bare).
 */
export function isLoopbackHost(hostname: string): boolean {
  const host = hostname.toLowerCase();
  if (host === 'localhost' || host === '[::1]' || host === '::1') {
    return true;
  }
  const octets = host.split('.');
  return octets.length === 4 && octets[0] === '127' && octets.every((o) => /^\d{1,3}$/.test(o) && Number(o) <= 255);
}

/** What a sender needs besides the URL and body. */
export interface SendOptions {
  /** Give up by this time, in epoch milliseconds. */
  readonly deadline: number;
  /** The request's logger. */
  readonly log: Logger;
}

/** Delivers a response body; resolves `true` once CloudFormation has it. Never rejects. */
export type ResponseSender = (url: string, body: string, options: SendOptions) => Promise<boolean>;

/** What the real sender needs from the outside world. */
export interface ResponseSenderConfig {
  /** Time, sleep and jitter (between attempts). */
  readonly clock: Clock;
  /** Environment variables, read when sending (default `process.env`). */
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** Longest time one attempt may take, in milliseconds (default {@link ATTEMPT_TIMEOUT_MS}). */
  readonly attemptTimeoutMs?: number;
}

/** The outcome of one PUT attempt. */
interface AttemptResult {
  /** HTTP status, when a response came back. */
  readonly statusCode?: number;
  /** Error code or name, when none did. */
  readonly error?: string;
}

/**
 * The real sender: PUT over HTTPS (plain HTTP only to a loopback host, and
 * only when {@link ALLOW_LOOPBACK_HTTP_ENV} is `true`), retried on network
 * errors, timeouts and 5xx with backoff until the deadline; a 4xx is final.
 */
export function createResponseSender(config: ResponseSenderConfig): ResponseSender {
  return (url, body, options) => putResponse(url, body, options, config);
}

/**
 * Deliver `body` to `url`; see {@link createResponseSender}. Never rejects.
 *
 * @returns whether CloudFormation accepted the response (2xx).
 */
export async function putResponse(url: string, body: string, options: SendOptions, config: ResponseSenderConfig): Promise<boolean> {
  const { log, deadline } = options;
  const { clock } = config;
  const target = allowedTarget(url, config.env ?? process.env);
  if (!target) {
    log.error('respond', { status: 'refused', error: 'ResponseURL neither https nor allowed loopback' });
    return false;
  }
  const backoff = new Backoff(RESPONSE_BACKOFF, () => clock.random());
  const attemptTimeoutMs = config.attemptTimeoutMs ?? ATTEMPT_TIMEOUT_MS;
  for (let attempt = 1; ; attempt++) {
    const remaining = deadline - clock.now();
    if (remaining <= 0) {
      log.error('respond', { status: 'gave up', attempts: attempt - 1, error: 'Lambda deadline' });
      return false;
    }
    const result = await putOnce(target, body, Math.min(attemptTimeoutMs, remaining));
    const code = result.statusCode;
    if (code !== undefined && code >= 200 && code < 300) {
      log.info('respond', { status: 'delivered', attempts: attempt, statusCode: code });
      return true;
    }
    if (code !== undefined && code < 500) {
      log.error('respond', { status: 'rejected', attempts: attempt, statusCode: code });
      return false;
    }
    const delayMs = backoff.next();
    const left = deadline - clock.now();
    log.warn('respond', { status: 'retry', attempts: attempt, statusCode: code, error: result.error, delayMs });
    if (delayMs >= left) {
      log.error('respond', { status: 'gave up', attempts: attempt, error: 'Lambda deadline' });
      return false;
    }
    await clock.sleep(delayMs);
  }
}

/** The parsed URL if it may be used, else `undefined`. */
function allowedTarget(url: string, env: Readonly<Record<string, string | undefined>>): URL | undefined {
  let target: URL;
  try {
    target = new URL(url);
  } catch {
    return undefined;
  }
  if (target.protocol === 'https:') {
    return target;
  }
  if (target.protocol === 'http:' && env[ALLOW_LOOPBACK_HTTP_ENV] === 'true' && isLoopbackHost(target.hostname)) {
    return target;
  }
  return undefined;
}

/**
 * One PUT (Node.js's `fetch`), bounded by `timeoutMs` from start to
 * response; resolves with the status code or an error code, never rejects.
 * A redirect is not followed (a 3xx is final, as any 4xx); error details that
 * could carry the URL are not kept.
 */
async function putOnce(target: URL, body: string, timeoutMs: number): Promise<AttemptResult> {
  try {
    const response = await fetch(target, {
      method: 'PUT',
      // An empty Content-Type, as the pre-signed URL was signed for (fetch adds Content-Length); no
      // connection kept open in a function that may be frozen.
      headers: { 'content-type': '', 'connection': 'close' },
      body,
      redirect: 'manual',
      signal: AbortSignal.timeout(timeoutMs),
    });
    // The status is the answer; the body is dropped (the connection closes after it).
    void response.body?.cancel().catch(() => undefined);
    return { statusCode: response.status };
  } catch (err) {
    const { name, cause } = err as { name?: string; cause?: { code?: string } };
    return { error: cause?.code ?? (name === 'TimeoutError' ? 'ETIMEDOUT' : name ?? 'RequestError') };
  }
}
