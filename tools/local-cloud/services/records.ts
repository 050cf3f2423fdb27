/**
 * The data plane both stream services share: records written to a stream, each encrypted under the
 * key in force when it was written, and whether each can still be read. A record under a
 * customer managed key can be read (by a consumer, or by Firehose delivering it) only while that
 * key is `Enabled`: Kinesis and Firehose fail a read of a record whose key is disabled, pending
 * deletion or gone, with the KMS error Kinesis names (`KMSDisabledException`,
 * `KMSInvalidStateException`, `KMSNotFoundException`).
 *
 * @module
 */

import { ControlError, ServiceError } from '../errors';
import { JsonObject } from '../json';
import type { KeyLookup } from './kms';

/** The key that protects a record: none, a key AWS manages (always readable), or a KMS key by ARN. */
export type RecordKey =
  | { readonly kind: 'none' }
  | { readonly kind: 'aws' }
  | { readonly kind: 'kms'; readonly keyArn: string };

/** A record held by a stream. */
export interface StoredRecord {
  /** `RecordId` (Firehose) or `SequenceNumber` (Kinesis). */
  readonly id: string;
  /** The data, base64 as on the wire. */
  readonly data: string;
  readonly partitionKey?: string;
  readonly writtenAt: number;
  readonly key: RecordKey;
  /** Firehose: delivered to the destination (no longer buffered). */
  delivered?: boolean;
  /** Firehose: discarded undelivered, unreadable past its 24-hour retention (no longer buffered). */
  dropped?: boolean;
}

/** A record that cannot be read now, and why. */
export interface UnreadableRecord extends JsonObject {
  /** `RecordId` or `SequenceNumber`. */
  id: string;
  /** The key the record is encrypted under. */
  keyArn: string;
  /** The error a read answers: `KMSDisabledException`, `KMSInvalidStateException` or `KMSNotFoundException`. */
  errorName: string;
  message: string;
}

/** Looks keys up (the KMS backend). */
export interface RecordKeyDirectory {
  find(reference: string): KeyLookup;
}

/** The error a read of `record` answers now, or `undefined` when it can be read. */
export function readError(record: StoredRecord, keys: RecordKeyDirectory): ServiceError | undefined {
  if (record.key.kind !== 'kms') return undefined;
  const arn = record.key.keyArn;
  const lookup = keys.find(arn);
  if (!lookup.found) return new ServiceError('KMSNotFoundException', `The KMS key ${arn} that encrypts this record does not exist (KMS NotFoundException).`);
  const state = lookup.metadata.KeyState;
  if (state === 'Enabled') return undefined;
  if (state === 'Disabled') return new ServiceError('KMSDisabledException', `The KMS key ${arn} that encrypts this record is disabled (KMS DisabledException).`);
  return new ServiceError('KMSInvalidStateException', `The KMS key ${arn} that encrypts this record is ${state === 'PendingDeletion' ? 'pending deletion' : `in state ${String(state)}`} (KMS KMSInvalidStateException).`);
}

/** The records of `records` that cannot be read now. */
export function unreadable(records: readonly StoredRecord[], keys: RecordKeyDirectory): UnreadableRecord[] {
  const out: UnreadableRecord[] = [];
  for (const record of records) {
    const error = readError(record, keys);
    if (error && record.key.kind === 'kms') out.push({ id: record.id, keyArn: record.key.keyArn, errorName: error.errorName, message: error.message });
  }
  return out;
}

/** What a delivery attempt did (Firehose). */
export interface DeliveryReport extends JsonObject {
  /** Records delivered by this attempt. */
  delivered: number;
  /** Records still buffered because they could not be read (Firehose retries them). */
  unreadable: UnreadableRecord[];
  /**
   * Records this attempt could not read and discarded, as they were written more than 24 hours
   * ago (Firehose's retention); present only when there are some.
   */
  dropped?: UnreadableRecord[];
}

/** A sequence of ids, `<prefix><n>` with `n` zero-padded to `width` digits. */
export class RecordIds {
  private next = 1;

  constructor(private readonly prefix: string, private readonly width: number) {}

  /** The next id. */
  public take(): string {
    return `${this.prefix}${String(this.next++).padStart(this.width, '0')}`;
  }

  /** Starts again from 1. */
  public reset(): void {
    this.next = 1;
  }
}

/** The streams of a backend, as far as the data plane's control calls need them. */
export interface RecordHoldingTable {
  get(name: string): { records?: StoredRecord[] } | undefined;
  settleAll(now: number): void;
}

/**
 * The records of a stream, for a control call (every stream settled to `now` first).
 *
 * @throws ControlError naming `method` and `what` when there is no such stream
 */
export function recordsOf(table: RecordHoldingTable, name: string, now: number, method: string, what: string): StoredRecord[] {
  const stream = table.get(name);
  if (!stream) throw new ControlError(`${method}: no ${what} ${name}`);
  table.settleAll(now);
  return stream.records ?? [];
}
