/**
 * The loopback stand-in for CloudFormation's pre-signed response URLs: an HTTP server on 127.0.0.1
 * that issues one URL per request (`/cfn-response/<id>?X-Amz-…&X-Amz-Signature=…`), records every
 * PUT to it, and answers as told (200 by default; 500 a number of times; never; …). A URL may be
 * signed in the past (`signedAgoMs`: an event that reaches the handler late); as S3 does, a PUT
 * after its `X-Amz-Date` plus `X-Amz-Expires` is refused (403).
 *
 * @module
 */

import { createHmac, randomBytes } from 'node:crypto';
import * as http from 'node:http';
import * as net from 'node:net';

/** How the response URL of one request answers the handler's PUTs. */
export interface ResponseBehaviour {
  /** Answer the first `failFirst` PUTs with {@link ResponseBehaviour.failStatus}, then 200. @defaultValue 0 */
  readonly failFirst?: number;
  /** The status of the failed answers. @defaultValue 500 */
  readonly failStatus?: number;
  /** Never answer: hold every PUT open until the client gives up (or the server stops). */
  readonly neverAnswer?: boolean;
  /** Wait this long before answering each PUT, in milliseconds. @defaultValue 0 */
  readonly delayMs?: number;
  /**
   * Sign the URL this long before it is issued (its `X-Amz-Date`), in milliseconds: the event
   * reaches the handler that late, as when CloudFormation has already given up on it.
   * @defaultValue 0 (signed when issued)
   */
  readonly signedAgoMs?: number;
}

/** How long a response URL stays valid after it was signed (its `X-Amz-Expires`), in seconds. */
export const RESPONSE_URL_EXPIRES_SECONDS = 7200;

/** One PUT received at a response URL. */
export interface PutRecord {
  /** 1 for the first PUT to this URL. */
  readonly attempt: number;
  /** When it arrived, in epoch milliseconds. */
  readonly receivedAt: number;
  /** The body, as received. */
  readonly body: string;
  /** The body's size in bytes. */
  readonly bytes: number;
  /** The status answered; `undefined` while (or when) it was never answered. */
  answeredStatus?: number;
  /** Whether the URL was already closed (CloudFormation had stopped waiting) when it arrived. */
  readonly late: boolean;
}

/** A response URL and what arrived at it. */
export interface ResponseEndpoint {
  /** The id in the URL path. */
  readonly id: string;
  /** The full URL, to put in the event's `ResponseURL`. */
  readonly url: string;
  /** The `X-Amz-Signature` of the URL: a credential, to check that logs never show it. */
  readonly signature: string;
  /** Every PUT, in arrival order. */
  readonly puts: readonly PutRecord[];
  /** Resolves with the first PUT answered 2xx while the URL was open. */
  readonly accepted: Promise<PutRecord>;
  /** Stop waiting: later PUTs are recorded as late (and answered 200, as S3 would). */
  close(): void;
}

/** Bookkeeping of one issued URL. */
interface Slot {
  readonly endpoint: ResponseEndpoint;
  readonly puts: PutRecord[];
  readonly behaviour: ResponseBehaviour;
  readonly amzDate: string;
  /** When the URL stops being valid, in epoch milliseconds. */
  readonly expiresAt: number;
  open: boolean;
  resolve(put: PutRecord): void;
}

/** `YYYYMMDDTHHMMSSZ`, as SigV4 writes dates. */
function amzDateOf(ms: number): string {
  return new Date(ms).toISOString().replace(/[-:]/g, '').replace(/\.\d{3}/, '');
}

/** The loopback response server. Start with {@link ResponseServer.start}. */
export class ResponseServer {
  /** Starts a server on 127.0.0.1 at an ephemeral port. */
  public static async start(): Promise<ResponseServer> {
    const server = new ResponseServer();
    await new Promise<void>((resolve, reject) => {
      server.server.once('error', reject);
      server.server.listen(0, '127.0.0.1', () => {
        server.server.off('error', reject);
        resolve();
      });
    });
    return server;
  }

  private readonly server: http.Server;
  private readonly slots = new Map<string, Slot>();
  private readonly sockets = new Set<net.Socket>();
  private readonly secret = randomBytes(32);
  private seq = 0;

  private constructor() {
    this.server = http.createServer((request, response) => this.onRequest(request, response));
    this.server.on('connection', (socket) => {
      this.sockets.add(socket);
      socket.once('close', () => this.sockets.delete(socket));
    });
  }

  /** `http://127.0.0.1:<port>`. */
  public get origin(): string {
    const address = this.server.address() as net.AddressInfo | null;
    if (!address) throw new Error('The response server is not listening');
    return `http://127.0.0.1:${address.port}`;
  }

  /**
   * Issues a new pre-signed-style response URL.
   *
   * @param label - readable part of the id (e.g. the logical id)
   * @param behaviour - how PUTs to it are answered
   */
  public issue(label: string, behaviour: ResponseBehaviour = {}): ResponseEndpoint {
    const id = `${label.replace(/[^A-Za-z0-9-]/g, '')}-${(++this.seq).toString(36)}-${randomBytes(4).toString('hex')}`;
    const signedAgoMs = behaviour.signedAgoMs ?? 0;
    if (!Number.isFinite(signedAgoMs) || signedAgoMs < 0) {
      throw new RangeError(`signedAgoMs must be a number of milliseconds >= 0, got ${signedAgoMs}`);
    }
    // SigV4 dates have whole seconds: the URL is signed in the second signedAgoMs ago.
    const signedAt = Math.floor((Date.now() - signedAgoMs) / 1000) * 1000;
    const amzDate = amzDateOf(signedAt);
    const signature = this.sign(id, amzDate);
    const query = new URLSearchParams({
      'X-Amz-Algorithm': 'AWS4-HMAC-SHA256',
      'X-Amz-Credential': `AKIALOCALCFN00000000/${amzDate.slice(0, 8)}/us-east-1/s3/aws4_request`,
      'X-Amz-Date': amzDate,
      'X-Amz-Expires': String(RESPONSE_URL_EXPIRES_SECONDS),
      'X-Amz-SignedHeaders': 'host',
      'X-Amz-Signature': signature,
    });
    const puts: PutRecord[] = [];
    let resolve!: (put: PutRecord) => void;
    const accepted = new Promise<PutRecord>((r) => (resolve = r));
    const slot: Slot = {
      puts,
      behaviour,
      amzDate,
      expiresAt: signedAt + RESPONSE_URL_EXPIRES_SECONDS * 1000,
      open: true,
      resolve,
      endpoint: {
        id,
        url: `${this.origin}/cfn-response/${id}?${query.toString()}`,
        signature,
        puts,
        accepted,
        close: () => {
          slot.open = false;
        },
      },
    };
    this.slots.set(id, slot);
    return slot.endpoint;
  }

  /** Stops the server; PUTs held open are dropped. */
  public async stop(): Promise<void> {
    if (!this.server.listening) return;
    await new Promise<void>((resolve) => {
      this.server.close(() => resolve());
      for (const socket of this.sockets) socket.destroy();
    });
  }

  /** The signature of an id, as the URL carries it. */
  private sign(id: string, amzDate: string): string {
    return createHmac('sha256', this.secret).update(`${id}\n${amzDate}`).digest('hex');
  }

  /** Checks the method, path and signature, then records and answers one PUT. */
  private onRequest(request: http.IncomingMessage, response: http.ServerResponse): void {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('error', () => undefined);
    request.on('end', () => {
      const url = new URL(request.url ?? '/', 'http://127.0.0.1');
      const match = /^\/cfn-response\/([^/]+)$/.exec(url.pathname);
      const slot = match ? this.slots.get(match[1]) : undefined;
      if (!slot) {
        answer(response, 404, 'NoSuchKey', 'The specified key does not exist.');
        return;
      }
      if (request.method !== 'PUT') {
        answer(response, 405, 'MethodNotAllowed', 'The specified method is not allowed against this resource.');
        return;
      }
      if (url.searchParams.get('X-Amz-Signature') !== this.sign(match![1], slot.amzDate)) {
        answer(response, 403, 'SignatureDoesNotMatch', 'The request signature we calculated does not match the signature you provided.');
        return;
      }
      if (Date.now() > slot.expiresAt) {
        answer(response, 403, 'AccessDenied', 'Request has expired');
        return;
      }
      const body = Buffer.concat(chunks);
      const put: PutRecord = {
        attempt: slot.puts.length + 1,
        receivedAt: Date.now(),
        body: body.toString('utf8'),
        bytes: body.length,
        late: !slot.open,
      };
      slot.puts.push(put);
      const behaviour = slot.behaviour;
      if (behaviour.neverAnswer && slot.open) return; // held until the client gives up
      const status = put.attempt <= (behaviour.failFirst ?? 0) && slot.open ? behaviour.failStatus ?? 500 : 200;
      const respond = (): void => {
        put.answeredStatus = status;
        if (status >= 200 && status < 300) {
          answer(response, status);
          if (!put.late) slot.resolve(put);
        } else {
          answer(response, status, status >= 500 ? 'InternalError' : 'AccessDenied', 'Injected by the local CloudFormation driver.');
        }
      };
      if (behaviour.delayMs) setTimeout(respond, behaviour.delayMs);
      else respond();
    });
  }
}

/** Writes an S3-style answer (an XML error for statuses other than 2xx). */
function answer(response: http.ServerResponse, status: number, code?: string, message?: string): void {
  const body = code ? `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${code}</Code><Message>${message}</Message></Error>` : '';
  response.writeHead(status, { 'content-type': 'application/xml', 'content-length': String(Buffer.byteLength(body)) });
  response.end(body);
}
