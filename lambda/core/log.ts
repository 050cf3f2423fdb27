/**
 * Structured logging: one JSON object per line, with the request's context on
 * every line, and redaction of secrets (the pre-signed `ResponseURL`) as a
 * last line of defence.
 */

/** Severity of a log line. */
export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

/** Where finished log lines go (stdout in Lambda). */
export type LogSink = (line: string) => void;

/** Extra fields of one log line; values must be JSON-serializable. */
export type LogFields = Readonly<Record<string, unknown>>;

/** What replaces a secret found in a log line. */
export const REDACTED = '[redacted]';

/** Secrets shorter than this are not searched for (they would match too much). */
const MIN_SECRET_LENGTH = 8;

/**
 * The strings to keep out of logs and reasons for a pre-signed URL: the URL
 * itself, its path with query, its path and its query. Returns an empty list
 * for something that is not a URL (then only the exact text is searched for).
 */
export function urlSecrets(url: unknown): string[] {
  if (typeof url !== 'string' || url === '') {
    return [];
  }
  const secrets = [url];
  try {
    const parsed = new URL(url);
    secrets.push(parsed.pathname + parsed.search, parsed.search, parsed.search.slice(1), parsed.pathname);
  } catch {
    // Not a URL: only the exact text is a secret.
  }
  return secrets
    .filter((s) => s.length >= MIN_SECRET_LENGTH && s !== '/')
    .sort((a, b) => b.length - a.length);
}

/** Replace every occurrence of each secret in `text` with {@link REDACTED}. */
export function redact(text: string, secrets: ReadonlyArray<string>): string {
  let out = text;
  for (const secret of secrets) {
    if (out.includes(secret)) {
      out = out.split(secret).join(REDACTED);
    }
  }
  return out;
}

/** Serialize a log record; never throws (a failing value is replaced). */
function serialize(record: Record<string, unknown>): string {
  try {
    return JSON.stringify(record, (_key, value: unknown) => {
      if (value instanceof Error) {
        return { name: value.name, message: value.message };
      }
      return typeof value === 'bigint' ? value.toString() : value;
    });
  } catch {
    return JSON.stringify({ level: record.level, action: record.action, error: 'log record could not be serialized' });
  }
}

/**
 * A JSON line logger bound to one request: every line carries `level`,
 * `action`, the base fields (request id, request type, stream) and `elapsedMs`
 * since the request started.
 */
export class Logger {
  /**
   * @param sink - where lines go.
   * @param now - the clock, in epoch milliseconds.
   * @param startedAt - when the request started, in epoch milliseconds.
   * @param base - fields on every line.
   * @param secrets - strings that must never appear in a line.
   */
  constructor(
    private readonly sink: LogSink,
    private readonly now: () => number,
    private readonly startedAt: number,
    private readonly base: LogFields = {},
    private readonly secrets: ReadonlyArray<string> = [],
  ) {}

  /** Log a routine step. */
  info(action: string, fields: LogFields = {}): void {
    this.write('info', action, fields);
  }

  /** Log something unusual that the handler copes with. */
  warn(action: string, fields: LogFields = {}): void {
    this.write('warn', action, fields);
  }

  /** Log a failure. */
  error(action: string, fields: LogFields = {}): void {
    this.write('error', action, fields);
  }

  /** Format, redact and emit one line; never throws. */
  private write(level: LogLevel, action: string, fields: LogFields): void {
    try {
      const line = serialize({
        level,
        ...this.base,
        action,
        ...fields,
        elapsedMs: Math.max(0, this.now() - this.startedAt),
      });
      this.sink(redact(line, this.secrets));
    } catch {
      // Logging must never break the handler.
    }
  }
}
