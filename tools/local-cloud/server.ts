/**
 * The local cloud: an HTTP server on 127.0.0.1 that speaks the AWS JSON 1.1 protocol of Amazon
 * Data Firehose, Amazon Kinesis Data Streams and AWS KMS (and SNS's Query protocol for `Publish`)
 * to the unmodified AWS SDK.
 *
 * One port serves HTTP/1.1 and cleartext HTTP/2 with prior knowledge (h2c): the Firehose and KMS
 * clients of the SDK use HTTP/1.1, but its Kinesis client always uses HTTP/2, even for an
 * `http://` endpoint. Each connection is routed by its first bytes (the HTTP/2 preface starts with
 * `PRI`).
 *
 * @example
 * ```ts
 * const cloud = await startLocalCloud();
 * Object.assign(process.env, cloud.env()); // or: new FirehoseClient(cloud.clientConfig())
 * // … run the code under test …
 * await cloud.stop();
 * ```
 *
 * @module
 */

import * as http from 'node:http';
import * as http2 from 'node:http2';
import * as net from 'node:net';
import { Readable } from 'node:stream';
import { accessKeyIdOf, Authorizer } from './authorization';
import { CallRecorder } from './calls';
import { LocalClock } from './clock';
import { ControlPlane, LocalCloudControl } from './control';
import { FaultInjector } from './faults';
import { AMZ_JSON_1_1, Gateway } from './gateway';
import { IamModel } from './iam';
import { Router, ServiceModule } from './router';
import { EventBridgeModel } from './services/events';
import { EncryptionCallLimit, FirehoseBackend, firehoseService, TransitionDelays } from './services/firehose';
import { DataStreamDelays, KinesisBackend, kinesisService } from './services/kinesis';
import { KmsBackend, kmsService } from './services/kms';
import { SnsModel } from './services/sns';
import { Throttler, ThrottleRate } from './throttle';
import { CloudTrail } from './trail';

/** The rate limit of operations that have no built-in one: 100 calls per second, burst 100. */
export const DEFAULT_THROTTLE: ThrottleRate = Object.freeze({ ratePerSecond: 100, burst: 100 });

/** The dummy credentials the local cloud hands out (it does not check signatures). */
export const LOCAL_CLOUD_CREDENTIALS = Object.freeze({
  accessKeyId: 'AKIALOCALCLOUD000000',
  secretAccessKey: 'local-cloud-secret-access-key-not-a-secret',
});

/** Requests larger than this are refused. */
const MAX_BODY_BYTES = 1024 * 1024;

/** How an HTTP/2 client with prior knowledge (h2c) opens a connection. */
const HTTP2_PREFACE = 'PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n';

/** How {@link startLocalCloud} builds the cloud. */
export interface LocalCloudOptions {
  /** @defaultValue `127.0.0.1` */
  readonly host?: string;
  /** @defaultValue 0 (an ephemeral port) */
  readonly port?: number;
  /** @defaultValue `us-east-1` */
  readonly region?: string;
  /** The account of every resource. @defaultValue `123456789012` */
  readonly accountId?: string;
  /** @defaultValue a running `LocalClock` (real time, offset 0) */
  readonly clock?: LocalClock;
  /** Initial default delays; missing ones from `DEFAULT_TRANSITION_DELAYS`. */
  readonly delays?: Partial<TransitionDelays>;
  /**
   * Rate limits by operation reference (`DescribeDeliveryStream`, `kms:DescribeKey`, `*` for the
   * default of operations without a built-in rate): a rate, calls per second, or `null` for none.
   * They override the built-in rates and are re-applied by `reset()`.
   */
  readonly throttle?: Readonly<Record<string, ThrottleRate | number | null>>;
  /** @defaultValue 25 Start+Stop calls per stream per rolling 24 hours */
  readonly encryptionCallLimit?: EncryptionCallLimit;
  /** Initial default delays of Kinesis data streams; missing ones from `DEFAULT_DATA_STREAM_DELAYS`. */
  readonly kinesisDelays?: Partial<DataStreamDelays>;
  /** @defaultValue 25 key applications (accepted StartStreamEncryption calls) per data stream per rolling 24 hours */
  readonly keyApplicationLimit?: EncryptionCallLimit;
  /**
   * IAM: how long a policy change takes to be in force. Requests signed with a role's access key
   * (see {@link LocalCloud.iam}) are authorized against its policies; others are not restricted.
   */
  readonly iam?: { readonly propagationMs?: number };
  /** Told about unexpected failures inside the local cloud. @defaultValue writes them to stderr */
  readonly onInternalError?: (error: unknown, operationId: string) => void;
}

/**
 * Environment variables that point an unmodified AWS SDK (or the AWS CLI) at the local cloud.
 */
export interface LocalCloudEnv {
  readonly AWS_ENDPOINT_URL_FIREHOSE: string;
  readonly AWS_ENDPOINT_URL_KMS: string;
  /** The Kinesis client speaks HTTP/2 (h2c) to it. */
  readonly AWS_ENDPOINT_URL_KINESIS: string;
  /** The SNS client speaks the AWS Query protocol to it (`Publish`). */
  readonly AWS_ENDPOINT_URL_SNS: string;
  readonly AWS_REGION: string;
  readonly AWS_ACCESS_KEY_ID: string;
  readonly AWS_SECRET_ACCESS_KEY: string;
  readonly [name: string]: string;
}

/** The `endpoint`, `region` and `credentials` options of an AWS SDK v3 client. */
export interface LocalCloudClientConfig {
  readonly endpoint: string;
  readonly region: string;
  readonly credentials: { readonly accessKeyId: string; readonly secretAccessKey: string };
}

/** The parts of an HTTP/1.1 or HTTP/2 (compatibility API) response the server uses. */
interface ResponseSink {
  readonly headersSent: boolean;
  writeHead(status: number, headers: Readonly<Record<string, string>>): unknown;
  end(body: string): unknown;
}

/** Reads a request body as text; `undefined` when it is larger than {@link MAX_BODY_BYTES}. */
function readBody(request: Readable): Promise<string | undefined> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    request.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size <= MAX_BODY_BYTES) chunks.push(chunk);
    });
    request.on('end', () => resolve(size > MAX_BODY_BYTES ? undefined : Buffer.concat(chunks).toString('utf8')));
    request.on('error', reject);
  });
}

/** Writes a complete answer with its `content-length`. */
function send(response: ResponseSink, status: number, headers: Readonly<Record<string, string>>, body: string): void {
  response.writeHead(status, { ...headers, 'content-length': String(Buffer.byteLength(body)) });
  response.end(body);
}

/** A running local cloud. Make one with {@link startLocalCloud}. */
export class LocalCloud {
  /**
   * Starts a local cloud; the same as {@link startLocalCloud}.
   */
  public static async start(options: LocalCloudOptions = {}): Promise<LocalCloud> {
    const cloud = new LocalCloud(options);
    await cloud.listen(options.host ?? '127.0.0.1', options.port ?? 0);
    return cloud;
  }

  /** The region of every resource. */
  public readonly region: string;
  /** The account of every resource. */
  public readonly accountId: string;
  /** The clock every state is computed from. */
  public readonly clock: LocalClock;
  /** The in-process control API. */
  public readonly control: LocalCloudControl;
  /**
   * The services. Register a {@link ServiceModule} here to serve another service the same way as
   * Firehose, Kinesis and KMS: its operations get validation, faults, throttling (their
   * declared rates, else {@link DEFAULT_THROTTLE}) and call counts.
   */
  public readonly router: Router;
  /**
   * The roles, their identity policies and their access keys. A request signed with a role's
   * access key is authorized against the policies in force at that moment.
   */
  public readonly iam: IamModel;
  /** CloudTrail: the management calls recorded, and those that wait for EventBridge. */
  public readonly trail: CloudTrail;
  /** EventBridge's default bus: rules, targets, deliveries. */
  public readonly events: EventBridgeModel;
  /** SNS: topics and the messages they received. */
  public readonly sns: SnsModel;
  private readonly gateway: Gateway;
  /** Accepts TCP connections and routes each to {@link LocalCloud.http1} or {@link LocalCloud.http2}. */
  private readonly server: net.Server;
  private readonly http1: http.Server;
  private readonly http2: http2.Http2Server;
  private readonly sockets = new Set<net.Socket>();
  private address?: net.AddressInfo;

  private constructor(options: LocalCloudOptions) {
    this.region = options.region ?? 'us-east-1';
    this.accountId = options.accountId ?? '123456789012';
    if (!/^\d{12}$/.test(this.accountId)) throw new RangeError(`accountId must be 12 digits, got '${this.accountId}'`);
    if (!/^[a-z]{2}(-[a-z]+)+-\d+$/.test(this.region)) throw new RangeError(`region must look like us-east-1, got '${this.region}'`);
    this.clock = options.clock ?? new LocalClock();

    this.iam = new IamModel({ propagationMs: options.iam?.propagationMs, now: () => this.clock.now() });
    const kms = new KmsBackend(this.clock, this.accountId, this.region);
    const firehose = new FirehoseBackend({
      clock: this.clock,
      accountId: this.accountId,
      region: this.region,
      keys: kms,
      delays: options.delays,
      encryptionCallLimit: options.encryptionCallLimit,
    });
    const kinesis = new KinesisBackend({
      clock: this.clock,
      accountId: this.accountId,
      region: this.region,
      keys: kms,
      delays: options.kinesisDelays,
      keyApplicationLimit: options.keyApplicationLimit,
    });
    this.router = new Router().register(firehoseService(firehose)).register(kinesisService(kinesis)).register(kmsService(kms));
    const partition = this.region.startsWith('cn-') ? 'aws-cn' : this.region.startsWith('us-gov-') ? 'aws-us-gov' : 'aws';
    this.trail = new CloudTrail(this.accountId, this.region, partition);
    this.events = new EventBridgeModel(() => this.clock.now());
    const authorizer = new Authorizer(this.iam);
    this.sns = new SnsModel({
      now: () => this.clock.now(),
      authorizer,
      roleOfAccessKey: (key) => this.iam.roleOfAccessKey(key),
      keyState: (keyId) => {
        const key = this.control.key(keyId);
        return key ? { arn: key.Arn, state: String(key.KeyState) } : undefined;
      },
      serviceMayUseKey: (keyArn, service, action, context) => kms.serviceMayUse(keyArn, service, action, context),
    });
    this.events.setTopicPublisher((topicArn, message, ruleArn) => this.sns.publishFromService(topicArn, message, { service: 'events.amazonaws.com', sourceArn: ruleArn }));
    const throttler = new Throttler(this.clock, (operationId) => this.router.builtInThrottle(operationId), DEFAULT_THROTTLE);
    const faults = new FaultInjector();
    const recorder = new CallRecorder();
    this.gateway = new Gateway({
      router: this.router,
      throttler,
      faults,
      recorder,
      clock: this.clock,
      accountId: this.accountId,
      region: this.region,
      authorizer,
      trail: this.trail,
      roleOfAccessKey: (key) => this.iam.roleOfAccessKey(key),
      onInternalError: options.onInternalError ?? ((error, operation) => process.stderr.write(`local-cloud: ${operation} failed: ${String(error)}\n`)),
    });
    this.control = new ControlPlane({
      router: this.router,
      clock: this.clock,
      throttler,
      faults,
      recorder,
      firehose,
      kinesis,
      kms,
      iam: this.iam,
      trail: this.trail,
      events: this.events,
      sns: this.sns,
      initialPropagationMs: options.iam?.propagationMs ?? 0,
      accountId: this.accountId,
      region: this.region,
      initialThrottles: options.throttle,
    });
    const listener = (request: http.IncomingMessage | http2.Http2ServerRequest, response: ResponseSink) => {
      this.onRequest(request, response).catch((error: unknown) => {
        if (!response.headersSent) send(response, 500, { 'content-type': 'text/plain' }, String(error));
      });
    };
    this.http1 = http.createServer(listener);
    this.http2 = http2.createServer(listener);
    this.server = net.createServer((socket) => this.route(socket));
  }

  /** The port the server listens on. */
  public get port(): number {
    if (!this.address) throw new Error('The local cloud is not listening');
    return this.address.port;
  }

  /** The base URL of every service, e.g. `http://127.0.0.1:53211`. */
  public get endpoint(): string {
    if (!this.address) throw new Error('The local cloud is not listening');
    const host = this.address.family === 'IPv6' ? `[${this.address.address}]` : this.address.address;
    return `http://${host}:${this.address.port}`;
  }

  /**
   * Environment variables for processes that should use the local cloud: the per-service endpoint
   * variables the AWS SDKs read (`AWS_ENDPOINT_URL_FIREHOSE`, `…_KMS`, `…_KINESIS`), the region and
   * dummy credentials.
   */
  public env(): LocalCloudEnv {
    return {
      AWS_ENDPOINT_URL_FIREHOSE: this.endpoint,
      AWS_ENDPOINT_URL_KMS: this.endpoint,
      AWS_ENDPOINT_URL_KINESIS: this.endpoint,
      AWS_ENDPOINT_URL_SNS: this.endpoint,
      AWS_REGION: this.region,
      AWS_ACCESS_KEY_ID: LOCAL_CLOUD_CREDENTIALS.accessKeyId,
      AWS_SECRET_ACCESS_KEY: LOCAL_CLOUD_CREDENTIALS.secretAccessKey,
    };
  }

  /** Options for an SDK client in this process: `new FirehoseClient(cloud.clientConfig())`. */
  public clientConfig(): LocalCloudClientConfig {
    return { endpoint: this.endpoint, region: this.region, credentials: { ...LOCAL_CLOUD_CREDENTIALS } };
  }

  /** Stops the server and closes open connections. */
  public async stop(): Promise<void> {
    if (!this.server.listening) return;
    await new Promise<void>((resolve, reject) => {
      this.server.close((error) => (error ? reject(error) : resolve()));
      for (const socket of this.sockets) socket.destroy();
      this.http1.closeAllConnections();
    });
  }

  /** Binds the TCP server and remembers its address. */
  private listen(host: string, port: number): Promise<void> {
    return new Promise((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(port, host, () => {
        this.server.off('error', reject);
        this.address = this.server.address() as net.AddressInfo;
        resolve();
      });
    });
  }

  /** Hands a new connection to the HTTP/2 server when it opens with the HTTP/2 preface, else to the HTTP/1.1 server. */
  private route(socket: net.Socket): void {
    this.sockets.add(socket);
    socket.once('close', () => this.sockets.delete(socket));
    socket.on('error', () => socket.destroy());
    let head = Buffer.alloc(0);
    const onData = (chunk: Buffer) => {
      head = Buffer.concat([head, chunk]);
      const start = head.toString('latin1', 0, 3);
      if (head.length < 3 && HTTP2_PREFACE.startsWith(start)) return; // too few bytes to tell yet
      socket.off('data', onData);
      socket.pause();
      socket.unshift(head);
      (start === 'PRI' ? this.http2 : this.http1).emit('connection', socket);
      process.nextTick(() => socket.resume());
    };
    socket.on('data', onData);
  }

  /** Answers one request: an SNS Query-protocol form to SNS, everything else to the JSON 1.1 gateway by `X-Amz-Target`. */
  private async onRequest(request: http.IncomingMessage | http2.Http2ServerRequest, response: ResponseSink): Promise<void> {
    const body = await readBody(request);
    if (body === undefined) {
      send(
        response,
        413,
        { 'content-type': AMZ_JSON_1_1, 'x-amzn-errortype': 'SerializationException' },
        JSON.stringify({ __type: 'SerializationException', message: `The request body is larger than ${MAX_BODY_BYTES} bytes.` }),
      );
      return;
    }
    const target = request.headers['x-amz-target'];
    const authorization = request.headers.authorization;
    const contentType = String(request.headers['content-type'] ?? '');
    if (target === undefined && contentType.startsWith('application/x-www-form-urlencoded')) {
      const query = this.sns.handleQuery(body, accessKeyIdOf(authorization));
      send(response, query.status, query.headers, query.body);
      return;
    }
    const answer = this.gateway.handle(Array.isArray(target) ? target[0] : target, body, accessKeyIdOf(authorization));
    send(response, answer.status, answer.headers, answer.body);
  }
}

/**
 * Starts a local cloud on 127.0.0.1 at an ephemeral port.
 *
 * @param options - see {@link LocalCloudOptions}
 */
export function startLocalCloud(options: LocalCloudOptions = {}): Promise<LocalCloud> {
  return LocalCloud.start(options);
}
