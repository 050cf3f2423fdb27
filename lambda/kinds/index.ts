/**
 * The kinds of stream the handler knows, by the resource type they handle.
 * A kind is loaded (and with it its SDK client) only when the first event of
 * its type arrives: a stack of delivery streams never loads the Kinesis
 * client. A new kind is a folder beside these and one line here.
 */
/* eslint-disable @typescript-eslint/no-require-imports -- a kind is required on first use, not at load */
import { DATA_STREAM_ENCRYPTION_RESOURCE_TYPE, DELIVERY_STREAM_ENCRYPTION_RESOURCE_TYPE } from '../../src/private/contract';
import type { StreamServiceRegistry } from '../core/stream-service';

/** The registry; the first kind also takes events that name no known resource type or `StreamKind`. */
export const STREAM_SERVICES: StreamServiceRegistry = [
  { resourceType: DELIVERY_STREAM_ENCRYPTION_RESOURCE_TYPE, streamKind: 'firehose', load: () => (require('./firehose') as typeof import('./firehose')).DELIVERY_STREAMS },
  { resourceType: DATA_STREAM_ENCRYPTION_RESOURCE_TYPE, streamKind: 'kinesis', load: () => (require('./kinesis') as typeof import('./kinesis')).DATA_STREAMS },
];
