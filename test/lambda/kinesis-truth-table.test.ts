import { KEY_ARN, OTHER_KEY_ARN } from './helpers';
import { KEY_ID, MANAGED, sse, STREAM_ARN, summary, SummaryEncryption } from './kinesis-helpers';
import {
  DataStreamAction,
  DataStreamGoal,
  DataStreamMemory,
  DataStreamObservation,
  decideDataStream,
  INITIAL_DATA_STREAM_MEMORY,
  matchKey,
  observeDataStream,
  parseKeyReference,
  rememberDataStream,
  summarizeDataStream,
} from '../../lambda/kinds/kinesis/truth-table';

const cmk: Extract<DataStreamGoal, { kind: 'encrypt' }> = { kind: 'encrypt', streamName: 'events', streamArn: STREAM_ARN, keyId: KEY_ARN };
const managed: DataStreamGoal = { kind: 'encrypt', streamName: 'events', streamArn: STREAM_ARN, keyId: MANAGED };
const decrypt: DataStreamGoal = { kind: 'decrypt', streamName: 'events', streamArn: STREAM_ARN };

const ALIAS = 'alias/events-sse';
const ALIAS_ARN = 'arn:aws:kms:eu-west-1:123456789012:alias/events-sse';

/** A reading of `events` with this encryption and status. */
function seen(encryption: SummaryEncryption, status = 'ACTIVE'): DataStreamObservation {
  return observeDataStream(summary(encryption, status).StreamDescriptionSummary);
}

const gone: DataStreamObservation = { found: false };
const verified: DataStreamMemory = { ...INITIAL_DATA_STREAM_MEMORY, keyVerified_: true, streamSeen_: true };
const afterStart: DataStreamMemory = { ...verified, started_: true };
const afterStartUpdating: DataStreamMemory = { ...afterStart, sawUpdating_: true, updatingSinceChange_: true };
const watchedUpdating: DataStreamMemory = { ...INITIAL_DATA_STREAM_MEMORY, streamSeen_: true, sawUpdating_: true };
const afterStop: DataStreamMemory = { ...INITIAL_DATA_STREAM_MEMORY, streamSeen_: true, stopped_: true };
const afterStopUpdating: DataStreamMemory = { ...afterStop, sawUpdating_: true, updatingSinceChange_: true };
const resolved = (to: string | null): DataStreamMemory => ({ ...INITIAL_DATA_STREAM_MEMORY, resolvedKeys_: { [ALIAS]: to } });

function kind(action: DataStreamAction): string {
  switch (action.kind) {
    case 'fail':
      return `fail:${action.reasonId}`;
    case 'succeed':
      return `succeed:${action.settle ? 'settle' : 'now'}`;
    case 'resolve-key':
      return `resolve-key:${action.keyId}`;
    default:
      return action.kind;
  }
}

describe('observeDataStream and summarizeDataStream', () => {
  test('read status, encryption type and key', () => {
    expect(seen(sse.kms(ALIAS), 'UPDATING')).toEqual({ found: true, streamStatus_: 'UPDATING', encryptionType_: 'KMS', keyId_: ALIAS });
    expect(seen(sse.none())).toEqual({ found: true, streamStatus_: 'ACTIVE', encryptionType_: 'NONE', keyId_: undefined });
    expect(observeDataStream(undefined)).toEqual({ found: false });
    expect(observeDataStream({ StreamName: 'x', StreamARN: 'y' } as never)).toMatchObject({ streamStatus_: 'UNKNOWN' });
  });

  test('an empty KeyId counts as none', () => {
    expect(seen({ EncryptionType: 'KMS', KeyId: '' })).toMatchObject({ keyId_: undefined });
  });

  test('summarize names status, encryption type and key', () => {
    expect(summarizeDataStream(seen(sse.kms()))).toBe(`stream ACTIVE, encryption KMS with ${KEY_ARN}`);
    expect(summarizeDataStream(seen(sse.none(), 'CREATING'))).toBe('stream CREATING, encryption NONE');
    expect(summarizeDataStream(seen({}))).toBe('stream ACTIVE, encryption NONE');
    expect(summarizeDataStream(gone)).toBe('stream not found');
    expect(summarizeDataStream(undefined)).toBe('not read yet');
  });
});

describe('rememberDataStream', () => {
  test('records the stream and UPDATING, and UPDATING after a change only after a change', () => {
    expect(rememberDataStream(INITIAL_DATA_STREAM_MEMORY, seen(sse.none(), 'UPDATING'))).toMatchObject({
      streamSeen_: true,
      sawUpdating_: true,
      updatingSinceChange_: false,
    });
    expect(rememberDataStream(afterStart, seen(sse.none(), 'UPDATING'))).toMatchObject({ updatingSinceChange_: true });
    expect(rememberDataStream(afterStop, seen(sse.kms(), 'UPDATING'))).toMatchObject({ updatingSinceChange_: true });
    expect(rememberDataStream(afterStart, seen(sse.none()))).toMatchObject({ updatingSinceChange_: false });
    expect(rememberDataStream(INITIAL_DATA_STREAM_MEMORY, gone)).toEqual(INITIAL_DATA_STREAM_MEMORY);
  });
});

describe('key references', () => {
  test.each([
    [KEY_ARN, { kind: 'key', name: KEY_ID, region: 'eu-west-1', account: '123456789012' }],
    [ALIAS_ARN, { kind: 'alias', name: ALIAS, region: 'eu-west-1', account: '123456789012' }],
    ['arn:aws-cn:kms:cn-north-1:123456789012:alias/a/b', { kind: 'alias', name: 'alias/a/b', region: 'cn-north-1', account: '123456789012' }],
    [ALIAS, { kind: 'alias', name: ALIAS }],
    [MANAGED, { kind: 'alias', name: MANAGED }],
    [KEY_ID, { kind: 'key', name: KEY_ID }],
    ['mrk-1234abcd', { kind: 'key', name: 'mrk-1234abcd' }],
  ])('%s', (reference, parsed) => {
    expect(parseKeyReference(reference)).toEqual(parsed);
  });

  test.each<[string, string, DataStreamMemory, string]>([
    ['the same key ARN', KEY_ARN, INITIAL_DATA_STREAM_MEMORY, 'same'],
    ['the key id, in the stream\'s account and region', KEY_ID, INITIAL_DATA_STREAM_MEMORY, 'same'],
    ['another key ARN', OTHER_KEY_ARN, INITIAL_DATA_STREAM_MEMORY, 'different'],
    ['another key id', 'ffffffff-12ab-34cd-56ef-1234567890ab', INITIAL_DATA_STREAM_MEMORY, 'different'],
    ['the same key id in another account', `arn:aws:kms:eu-west-1:210987654321:key/${KEY_ID}`, INITIAL_DATA_STREAM_MEMORY, 'different'],
    ['the same key id in another region', `arn:aws:kms:us-east-1:123456789012:key/${KEY_ID}`, INITIAL_DATA_STREAM_MEMORY, 'different'],
    ['an alias not resolved yet', ALIAS, INITIAL_DATA_STREAM_MEMORY, 'resolve'],
    ['an alias resolved to the key', ALIAS, resolved(KEY_ARN), 'same'],
    ['an alias resolved to another key', ALIAS, resolved(OTHER_KEY_ARN), 'different'],
    ['an alias that names no key the handler may use', ALIAS, resolved(null), 'different'],
    ['the Kinesis managed key', MANAGED, INITIAL_DATA_STREAM_MEMORY, 'different'],
    ['another AWS managed key', 'arn:aws:kms:eu-west-1:123456789012:alias/aws/s3', INITIAL_DATA_STREAM_MEMORY, 'different'],
  ])('a customer key and %s', (_name, current, memory, expected) => {
    expect(matchKey(cmk, current, memory)).toBe(expected);
  });

  test.each<[string, string, string]>([
    ['alias/aws/kinesis', MANAGED, 'same'],
    ['its alias ARN in the stream\'s account and region', 'arn:aws:kms:eu-west-1:123456789012:alias/aws/kinesis', 'same'],
    ['its alias ARN in another account', 'arn:aws:kms:eu-west-1:210987654321:alias/aws/kinesis', 'different'],
    ['a customer key', KEY_ARN, 'different'],
    ['a customer alias', ALIAS, 'different'],
  ])('the Kinesis managed key and %s', (_name, current, expected) => {
    expect(matchKey(managed as Extract<DataStreamGoal, { kind: 'encrypt' }>, current, INITIAL_DATA_STREAM_MEMORY)).toBe(expected);
  });
});

describe('decideDataStream: Create / Update (encrypt) with a customer managed key', () => {
  test.each<[string, DataStreamObservation, DataStreamMemory, string]>([
    ['stream CREATING', seen(sse.none(), 'CREATING'), INITIAL_DATA_STREAM_MEMORY, 'wait'],
    ['stream UPDATING', seen(sse.none(), 'UPDATING'), INITIAL_DATA_STREAM_MEMORY, 'wait'],
    ['stream UPDATING with the wanted key', seen(sse.kms(), 'UPDATING'), afterStart, 'wait'],
    ['stream DELETING', seen(sse.none(), 'DELETING'), INITIAL_DATA_STREAM_MEMORY, 'fail:STREAM_NOT_ACTIVE'],
    ['a stream status Kinesis may add', seen(sse.none(), 'RESHARDING'), INITIAL_DATA_STREAM_MEMORY, 'fail:STREAM_NOT_ACTIVE'],
    ['stream missing at the first read', gone, INITIAL_DATA_STREAM_MEMORY, 'fail:STREAM_NOT_FOUND'],
    ['stream missing after it was seen', gone, afterStart, 'fail:STREAM_DELETED'],
    ['KMS with the wanted key ARN', seen(sse.kms()), INITIAL_DATA_STREAM_MEMORY, 'succeed:now'],
    ['KMS with the wanted key after our Start', seen(sse.kms()), afterStartUpdating, 'succeed:settle'],
    ['KMS with the wanted key after a watched UPDATING', seen(sse.kms()), watchedUpdating, 'succeed:settle'],
    ['KMS with the wanted key\'s id', seen(sse.kms(KEY_ID)), INITIAL_DATA_STREAM_MEMORY, 'succeed:now'],
    ['KMS with an alias not resolved yet', seen(sse.kms(ALIAS)), INITIAL_DATA_STREAM_MEMORY, `resolve-key:${ALIAS}`],
    ['KMS with an alias resolved to the wanted key', seen(sse.kms(ALIAS)), resolved(KEY_ARN), 'succeed:now'],
    ['KMS with an alias resolved to another key, key not verified', seen(sse.kms(ALIAS)), resolved(OTHER_KEY_ARN), 'verify-key'],
    ['KMS with an alias naming no usable key, key verified', seen(sse.kms(ALIAS)), { ...resolved(null), keyVerified_: true }, 'start'],
    ['KMS with the Kinesis managed key', seen(sse.kms(MANAGED)), verified, 'start'],
    ['KMS with another key ARN', seen(sse.kms(OTHER_KEY_ARN)), verified, 'start'],
    ['KMS without a KeyId', seen({ EncryptionType: 'KMS' }), verified, 'start'],
    ['NONE, key not verified yet', seen(sse.none()), INITIAL_DATA_STREAM_MEMORY, 'verify-key'],
    ['NONE, key verified', seen(sse.none()), verified, 'start'],
    ['encryption type not reported, key verified', seen({}), verified, 'start'],
    ['NONE after a watched UPDATING (someone else\'s change)', seen(sse.none()), { ...watchedUpdating, keyVerified_: true }, 'start'],
    ['still NONE after our Start, no UPDATING seen yet: no second Start', seen(sse.none()), afterStart, 'wait'],
    ['still the old key after our Start, no UPDATING seen yet', seen(sse.kms(OTHER_KEY_ARN)), afterStart, 'wait'],
    ['NONE after our Start went UPDATING', seen(sse.none()), afterStartUpdating, 'fail:DATA_STREAM_ENCRYPTION_NOT_APPLIED'],
    ['the old key after our Start went UPDATING', seen(sse.kms(OTHER_KEY_ARN)), afterStartUpdating, 'fail:DATA_STREAM_ENCRYPTION_NOT_APPLIED'],
  ])('%s', (_row, observation, memory, expected) => {
    expect(kind(decideDataStream(cmk, observation, memory))).toBe(expected);
  });

  test('a FAILED row names the stream and what it reads', () => {
    expect(decideDataStream(cmk, seen(sse.none()), afterStartUpdating)).toEqual({
      kind: 'fail',
      reasonId: 'DATA_STREAM_ENCRYPTION_NOT_APPLIED',
      params: { stream: 'events', operation: 'StartStreamEncryption', status: 'stream ACTIVE, encryption NONE' },
    });
    expect(decideDataStream(cmk, seen(sse.none(), 'DELETING'), INITIAL_DATA_STREAM_MEMORY)).toEqual({
      kind: 'fail',
      reasonId: 'STREAM_NOT_ACTIVE',
      params: { service: 'Kinesis', stream: 'events', status: 'DELETING' },
    });
  });
});

describe('decideDataStream: Create / Update (encrypt) with the Kinesis managed key', () => {
  test.each<[string, DataStreamObservation, DataStreamMemory, string]>([
    ['NONE: Start at once, no key check', seen(sse.none()), INITIAL_DATA_STREAM_MEMORY, 'start'],
    ['KMS with alias/aws/kinesis', seen(sse.kms(MANAGED)), INITIAL_DATA_STREAM_MEMORY, 'succeed:now'],
    ['KMS with the alias ARN of aws/kinesis', seen(sse.kms('arn:aws:kms:eu-west-1:123456789012:alias/aws/kinesis')), INITIAL_DATA_STREAM_MEMORY, 'succeed:now'],
    ['KMS with a customer key', seen(sse.kms()), INITIAL_DATA_STREAM_MEMORY, 'start'],
    ['KMS with a customer alias: no resolution needed', seen(sse.kms(ALIAS)), INITIAL_DATA_STREAM_MEMORY, 'start'],
    ['alias/aws/kinesis after our Start', seen(sse.kms(MANAGED)), afterStartUpdating, 'succeed:settle'],
    ['stream UPDATING', seen(sse.none(), 'UPDATING'), INITIAL_DATA_STREAM_MEMORY, 'wait'],
  ])('%s', (_row, observation, memory, expected) => {
    expect(kind(decideDataStream(managed, observation, memory))).toBe(expected);
  });
});

describe('decideDataStream: Delete (decrypt)', () => {
  test.each<[string, DataStreamObservation, DataStreamMemory, string]>([
    ['stream gone', gone, INITIAL_DATA_STREAM_MEMORY, 'succeed:now'],
    ['stream gone during a wait', gone, afterStopUpdating, 'succeed:now'],
    ['NONE', seen(sse.none()), INITIAL_DATA_STREAM_MEMORY, 'succeed:now'],
    ['encryption type not reported', seen({}), INITIAL_DATA_STREAM_MEMORY, 'succeed:now'],
    ['stream CREATING', seen(sse.kms(), 'CREATING'), INITIAL_DATA_STREAM_MEMORY, 'wait'],
    ['stream UPDATING', seen(sse.kms(), 'UPDATING'), INITIAL_DATA_STREAM_MEMORY, 'wait'],
    ['stream DELETING, still encrypted', seen(sse.kms(), 'DELETING'), INITIAL_DATA_STREAM_MEMORY, 'succeed:now'],
    ['KMS with the key', seen(sse.kms()), INITIAL_DATA_STREAM_MEMORY, 'stop'],
    ['KMS with anyone\'s key', seen(sse.kms(ALIAS)), INITIAL_DATA_STREAM_MEMORY, 'stop'],
    ['KMS with the Kinesis managed key', seen(sse.kms(MANAGED)), INITIAL_DATA_STREAM_MEMORY, 'stop'],
    ['a stream status Kinesis may add, still encrypted', seen(sse.kms(), 'RESHARDING'), INITIAL_DATA_STREAM_MEMORY, 'stop'],
    ['KMS without a KeyId', seen({ EncryptionType: 'KMS' }), INITIAL_DATA_STREAM_MEMORY, 'fail:UNEXPECTED_ERROR'],
    ['still KMS after our Stop, no UPDATING seen yet: no second Stop', seen(sse.kms()), afterStop, 'wait'],
    ['still KMS after our Stop went UPDATING', seen(sse.kms()), afterStopUpdating, 'fail:DATA_STREAM_ENCRYPTION_NOT_APPLIED'],
    ['NONE after our Stop', seen(sse.none()), afterStopUpdating, 'succeed:now'],
  ])('%s', (_row, observation, memory, expected) => {
    expect(kind(decideDataStream(decrypt, observation, memory))).toBe(expected);
  });

  test('Delete never checks a key or starts encryption', () => {
    for (const encryption of [sse.none(), sse.kms(), sse.kms(ALIAS), sse.kms(MANAGED), {}]) {
      for (const status of ['ACTIVE', 'UPDATING', 'CREATING', 'DELETING']) {
        expect(['verify-key', 'resolve-key', 'start']).not.toContain(decideDataStream(decrypt, seen(encryption, status), INITIAL_DATA_STREAM_MEMORY).kind);
      }
    }
  });
});
