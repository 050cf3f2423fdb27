/**
 * The SDK clients of the handler: each kind of stream makes its own, through
 * a provider that creates a client on first use and reuses it while the
 * provider lives (production: one event).
 */

/** What every SDK client is made with. */
export interface ClientSettings {
  /** One attempt per call: the handler paces its own retries. */
  readonly maxAttempts: number;
  /** The region (default: the SDK's, from the Lambda environment). */
  readonly region?: string;
  /** The endpoint (default: the SDK's, including the standard `AWS_ENDPOINT_URL_*` variables). */
  readonly endpoint?: string;
  /** Credentials (default: the SDK's, from the Lambda environment). */
  readonly credentials?: { readonly accessKeyId: string; readonly secretAccessKey: string };
}

/**
 * The client of `service`, made with `create` on first use.
 *
 * @param service - a name that tells one service's client from another's, e.g. `firehose`.
 * @param create - makes the client with the provider's settings.
 */
export type ClientProvider = <C>(service: string, create: (settings: ClientSettings) => C) => C;

/**
 * A provider that makes each service's client once, with `settings`, and
 * reuses it. A client whose creation throws is not kept: the next call
 * tries again.
 */
export function clientCache(settings: ClientSettings): ClientProvider {
  const clients = new Map<string, unknown>();
  return <C>(service: string, create: (s: ClientSettings) => C): C => {
    if (!clients.has(service)) {
      clients.set(service, create(settings));
    }
    return clients.get(service) as C;
  };
}
