/**
 * The kinds of stream the handler knows, by the resource type they handle.
 * A kind's code is in the bundle, but its SDK clients are not loaded with
 * it: a kind requires them only when the first event of its type arrives,
 * so a stack of delivery streams never loads the Kinesis client. A new kind
 * is a folder beside these and one line here.
 */
import { DELIVERY_STREAMS } from './firehose';
import { firehoseSdk } from './firehose/driver';
import { DATA_STREAMS } from './kinesis';
import { kinesisSdk } from './kinesis/driver';
import { kmsSdk } from './kms';
import { DATA_STREAM_ENCRYPTION_RESOURCE_TYPE, DELIVERY_STREAM_ENCRYPTION_RESOURCE_TYPE } from '../../src/private/contract';
import type { StreamService, StreamServiceRegistry } from '../core/stream-service';

/** `service`, once the SDK modules it calls through are loaded (each `sdk` requires one). */
function withSdk(service: StreamService, ...sdks: ReadonlyArray<() => unknown>): StreamService {
  for (const sdk of sdks) sdk();
  return service;
}

/** The registry; the first kind also takes events that name no known resource type or `StreamKind`. */
export const STREAM_SERVICES: StreamServiceRegistry = [
  { resourceType: DELIVERY_STREAM_ENCRYPTION_RESOURCE_TYPE, streamKind: 'firehose', load: () => withSdk(DELIVERY_STREAMS, firehoseSdk, kmsSdk) },
  { resourceType: DATA_STREAM_ENCRYPTION_RESOURCE_TYPE, streamKind: 'kinesis', load: () => withSdk(DATA_STREAMS, kinesisSdk, kmsSdk) },
];
