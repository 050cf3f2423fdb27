/**
 * The demo's progress output: polls the local cloud's control API and reports each change of a
 * delivery stream's status, encryption status or key (or a data stream's status, encryption type
 * or key), as it happens. An observer of the local cloud, not part of it.
 *
 * @module
 */

import type { LocalCloudControl } from '../local-cloud/control';

/** A stream's state, as far as progress output cares. */
export interface StreamView {
  /** `ACTIVE`, `CREATING`, … */
  readonly streamStatus: string;
  /** `ENABLED`, `ENABLING`, …, or `DISABLED` when the stream reports no encryption configuration. */
  readonly encryptionStatus: string;
  readonly keyType?: string;
  readonly keyArn?: string;
}

/** One change of a stream. */
export interface StreamTransition {
  readonly stream: string;
  /** When it was seen, in epoch milliseconds. */
  readonly at: number;
  /** `undefined`: the stream did not exist. */
  readonly from?: StreamView;
  /** `undefined`: the stream is gone. */
  readonly to?: StreamView;
}

/** A running watch. */
export interface StreamWatch {
  /** Polls once more (reporting what changed), then stops. */
  stop(): void;
}

/** The view of a stream now, or `undefined` when it does not exist. */
export function viewOf(control: Pick<LocalCloudControl, 'stream'>, name: string): StreamView | undefined {
  const snapshot = control.stream(name);
  if (!snapshot) return undefined;
  const d = snapshot.description;
  const enc = d.DeliveryStreamEncryptionConfiguration;
  return { streamStatus: d.DeliveryStreamStatus, encryptionStatus: enc?.Status ?? 'DISABLED', keyType: enc?.KeyType, keyArn: enc?.KeyARN };
}

/** A Kinesis data stream's state, as far as progress output cares. */
export interface DataStreamView {
  /** `ACTIVE`, `CREATING`, `UPDATING`, `DELETING`. */
  readonly streamStatus: string;
  /** `KMS` or `NONE`, as `DescribeStreamSummary` shows it (during an update: the encryption being applied). */
  readonly encryptionType: string;
  /** The `KeyId` shown with `KMS`. */
  readonly keyId?: string;
}

/** One change of a data stream. */
export interface DataStreamTransition {
  readonly stream: string;
  /** When it was seen, in epoch milliseconds. */
  readonly at: number;
  /** `undefined`: the stream did not exist. */
  readonly from?: DataStreamView;
  /** `undefined`: the stream is gone. */
  readonly to?: DataStreamView;
}

/** The view of a data stream now, or `undefined` when it does not exist. */
export function dataStreamViewOf(control: Pick<LocalCloudControl, 'dataStream'>, name: string): DataStreamView | undefined {
  const summary = control.dataStream(name)?.summary;
  if (!summary) return undefined;
  return { streamStatus: summary.StreamStatus, encryptionType: summary.EncryptionType, keyId: summary.KeyId };
}

function same(a: object | undefined, b: object | undefined): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

/**
 * Reports every change of the named streams until stopped.
 *
 * @param control - the local cloud's control API (in process)
 * @param streams - the stream names to watch
 * @param onChange - called once per change
 * @param intervalMs - how often to look, in milliseconds
 */
export function watchStreams(
  control: Pick<LocalCloudControl, 'stream'>,
  streams: readonly string[],
  onChange: (transition: StreamTransition) => void,
  intervalMs = 50,
): StreamWatch {
  return watchViews((name) => viewOf(control, name), streams, onChange, intervalMs);
}

/**
 * Reports every change of the named Kinesis data streams until stopped.
 *
 * @param control - the local cloud's control API (in process)
 * @param streams - the data stream names to watch
 * @param onChange - called once per change
 * @param intervalMs - how often to look, in milliseconds
 */
export function watchDataStreams(
  control: Pick<LocalCloudControl, 'dataStream'>,
  streams: readonly string[],
  onChange: (transition: DataStreamTransition) => void,
  intervalMs = 50,
): StreamWatch {
  return watchViews((name) => dataStreamViewOf(control, name), streams, onChange, intervalMs);
}

/** Polls `read` for each name and reports each change until stopped. */
function watchViews<V extends object>(
  read: (name: string) => V | undefined,
  streams: readonly string[],
  onChange: (transition: { stream: string; at: number; from?: V; to?: V }) => void,
  intervalMs: number,
): StreamWatch {
  const last = new Map(streams.map((name) => [name, read(name)]));
  const poll = (): void => {
    for (const name of streams) {
      const view = read(name);
      const before = last.get(name);
      if (!same(before, view)) {
        last.set(name, view);
        onChange({ stream: name, at: Date.now(), from: before, to: view });
      }
    }
  };
  const timer = setInterval(poll, intervalMs);
  return {
    stop() {
      clearInterval(timer);
      poll();
    },
  };
}
