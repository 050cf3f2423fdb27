import { described, enc } from './firehose-helpers';
import { KEY_ARN, OTHER_KEY_ARN, ALIAS_ARN } from './helpers';
import {
  DeliveryStreamAction as Action,
  decideDeliveryStream as decide,
  DeliveryStreamGoal as Goal,
  INITIAL_DELIVERY_STREAM_MEMORY as INITIAL_MEMORY,
  DeliveryStreamMemory as Memory,
  DeliveryStreamObservation as Observation,
  observeDeliveryStream as observe,
  rememberDeliveryStream as remember,
  summarizeDeliveryStream as summarize,
} from '../../lambda/kinds/firehose/truth-table';

const cmk: Goal = { kind: 'encrypt', streamName: 'orders', keyType: 'CUSTOMER_MANAGED_CMK', keyArn: KEY_ARN };
const awsOwned: Goal = { kind: 'encrypt', streamName: 'orders', keyType: 'AWS_OWNED_CMK' };
const decrypt: Goal = { kind: 'decrypt', streamName: 'orders' };

/** An ACTIVE DirectPut stream with this encryption (`null`: none configured). */
function seen(encryption: Parameters<typeof described>[0], overrides: Parameters<typeof described>[1] = {}): Observation {
  return observe(described(encryption, overrides).DeliveryStreamDescription);
}

const gone: Observation = { found: false };
const verified: Memory = { ...INITIAL_MEMORY, keyVerified_: true, resolvedKeyArn_: KEY_ARN };
const afterStart: Memory = { ...verified, started_: true, streamSeen_: true };
const afterEnabling: Memory = { ...INITIAL_MEMORY, sawEnabling_: true, streamSeen_: true };
const afterDisabling: Memory = { ...INITIAL_MEMORY, sawDisabling_: true, streamSeen_: true };
const afterStop: Memory = { ...INITIAL_MEMORY, stopped_: true, streamSeen_: true };
// A change taken up (ENABLING/DISABLING seen since), or the stale-read grace passed.
const afterStartTakenUp: Memory = { ...afterStart, transitionSinceChange_: true };
const afterStartGraceOver: Memory = { ...afterStart, graceOver_: true };
const afterStopTakenUp: Memory = { ...afterStop, transitionSinceChange_: true };
const afterStopGraceOver: Memory = { ...afterStop, graceOver_: true };

function kind(action: Action): string {
  return action.kind === 'fail' ? `fail:${action.reasonId}` : action.kind === 'succeed' ? `succeed:${action.settle ? 'settle' : 'now'}` : action.kind;
}

describe('observe', () => {
  test('reads status, type, key and FailureDescription', () => {
    expect(seen(enc.enablingFailed('boom'))).toEqual({
      found: true,
      streamStatus_: 'ACTIVE',
      streamType_: 'DirectPut',
      encryption_: { status_: 'ENABLING_FAILED', keyType_: 'CUSTOMER_MANAGED_CMK', keyArn_: KEY_ARN, failure_: 'KMS_ACCESS_DENIED: boom' },
    });
  });

  test('a stream without encryption configuration has no status', () => {
    expect(seen(null)).toMatchObject({ found: true, encryption_: { status_: undefined } });
  });

  test('falls back to the stream-level FailureDescription', () => {
    const observation = seen({ Status: 'ENABLING_FAILED' }, { FailureDescription: { Type: 'INVALID_KMS_KEY', Details: 'key gone' } });
    expect(observation).toMatchObject({ encryption_: { failure_: 'INVALID_KMS_KEY: key gone' } });
  });

  test('no description means not found', () => {
    expect(observe(undefined)).toEqual({ found: false });
  });

  test('summarize names stream status, encryption status and key', () => {
    expect(summarize(seen(enc.enabling()))).toBe(`stream ACTIVE, encryption ENABLING with CUSTOMER_MANAGED_CMK ${KEY_ARN}`);
    expect(summarize(seen(null))).toBe('stream ACTIVE, encryption not configured');
    expect(summarize(gone)).toBe('stream not found');
    expect(summarize(undefined)).toBe('not read yet');
  });
});

describe('remember', () => {
  test('records the stream and ENABLING/DISABLING transitions', () => {
    expect(remember(INITIAL_MEMORY, seen(enc.enabling()))).toMatchObject({ streamSeen_: true, sawEnabling_: true, sawDisabling_: false });
    expect(remember(INITIAL_MEMORY, seen(enc.disabling()))).toMatchObject({ streamSeen_: true, sawEnabling_: false, sawDisabling_: true });
    expect(remember(INITIAL_MEMORY, gone)).toEqual(INITIAL_MEMORY);
  });
});

describe('decide: Create / Update (encrypt)', () => {
  test.each([
    ['stream CREATING', seen(enc.disabled(), { DeliveryStreamStatus: 'CREATING' }), INITIAL_MEMORY, 'wait'],
    ['stream UPDATING', seen(enc.disabled(), { DeliveryStreamStatus: 'UPDATING' as never }), INITIAL_MEMORY, 'wait'],
    ['stream DELETING', seen(enc.disabled(), { DeliveryStreamStatus: 'DELETING' }), INITIAL_MEMORY, 'fail:STREAM_NOT_ACTIVE'],
    ['stream CREATING_FAILED', seen(enc.disabled(), { DeliveryStreamStatus: 'CREATING_FAILED' }), INITIAL_MEMORY, 'fail:STREAM_NOT_ACTIVE'],
    ['stream DELETING_FAILED', seen(enc.disabled(), { DeliveryStreamStatus: 'DELETING_FAILED' }), INITIAL_MEMORY, 'fail:STREAM_NOT_ACTIVE'],
    ['source KinesisStreamAsSource', seen(enc.disabled(), { DeliveryStreamType: 'KinesisStreamAsSource' }), INITIAL_MEMORY, 'fail:NOT_DIRECT_PUT'],
    ['source MSKAsSource, even while CREATING', seen(null, { DeliveryStreamType: 'MSKAsSource', DeliveryStreamStatus: 'CREATING' }), INITIAL_MEMORY, 'fail:NOT_DIRECT_PUT'],
    ['stream missing at the first read', gone, INITIAL_MEMORY, 'fail:STREAM_NOT_FOUND'],
    ['stream missing after it was seen', gone, afterStart, 'fail:STREAM_DELETED'],
    ['ENABLED with the wanted key', seen(enc.enabled()), INITIAL_MEMORY, 'succeed:now'],
    ['ENABLED with the wanted key after our Start', seen(enc.enabled()), afterStart, 'succeed:settle'],
    ['ENABLED with the wanted key after a watched ENABLING', seen(enc.enabled()), afterEnabling, 'succeed:settle'],
    ['ENABLING (anyone\'s)', seen(enc.enabling(OTHER_KEY_ARN)), INITIAL_MEMORY, 'wait'],
    ['DISABLING', seen(enc.disabling()), INITIAL_MEMORY, 'wait'],
    ['DISABLED, key not verified yet', seen(enc.disabled()), INITIAL_MEMORY, 'verify-key'],
    ['DISABLED, key verified', seen(enc.disabled()), verified, 'start'],
    ['no configuration', seen(null), verified, 'start'],
    ['ENABLED with another key', seen(enc.enabled(OTHER_KEY_ARN)), verified, 'start'],
    ['ENABLED with the AWS owned key', seen(enc.awsOwned()), verified, 'start'],
    ['ENABLING_FAILED at the first read', seen(enc.enablingFailed()), verified, 'start'],
    ['DISABLING_FAILED at the first read', seen(enc.disablingFailed()), verified, 'start'],
    ['DISABLED after a watched DISABLING', seen(enc.disabled()), { ...afterDisabling, keyVerified_: true }, 'start'],
    ['ENABLED with another key after a watched ENABLING', seen(enc.enabled(OTHER_KEY_ARN)), { ...afterEnabling, keyVerified_: true }, 'start'],
    // Right after our Start, ENABLING_FAILED may be the stale state from before it: wait for ENABLING or the grace.
    ['ENABLING_FAILED right after our Start', seen(enc.enablingFailed()), afterStart, 'wait'],
    ['ENABLING_FAILED after our Start and ENABLING', seen(enc.enablingFailed()), afterStartTakenUp, 'fail:ENABLING_FAILED'],
    ['ENABLING_FAILED after our Start and the grace', seen(enc.enablingFailed()), afterStartGraceOver, 'fail:ENABLING_FAILED'],
    ['ENABLED with the key after a Start of unknown outcome: settle', seen(enc.enabled()), { ...verified, startUncertain_: true }, 'succeed:settle'],
    ['ENABLED with an alias ARN of the wanted key, unresolved', seen(enc.enabled(ALIAS_ARN)), INITIAL_MEMORY, 'resolve-key'],
    ['ENABLED with an alias ARN resolved to the wanted key', seen(enc.enabled(ALIAS_ARN)), { ...INITIAL_MEMORY, resolvedKeys_: { [ALIAS_ARN]: KEY_ARN } }, 'succeed:now'],
    ['ENABLED with an alias ARN resolved to another key', seen(enc.enabled(ALIAS_ARN)), { ...INITIAL_MEMORY, resolvedKeys_: { [ALIAS_ARN]: OTHER_KEY_ARN } }, 'verify-key'],
    ['ENABLED with an alias ARN that names no key the handler may use', seen(enc.enabled(ALIAS_ARN)), { ...verified, resolvedKeys_: { [ALIAS_ARN]: null } }, 'start'],
    ['ENABLING_FAILED after a watched ENABLING', seen(enc.enablingFailed()), afterEnabling, 'fail:ENABLING_FAILED'],
    ['DISABLING_FAILED after a watched DISABLING', seen(enc.disablingFailed()), afterDisabling, 'fail:DISABLING_FAILED'],
    ['still DISABLED after our Start: no second Start', seen(enc.disabled()), afterStart, 'wait'],
    ['still the old key after our Start: no second Start', seen(enc.enabled(OTHER_KEY_ARN)), afterStart, 'wait'],
    ['an unknown encryption status', seen({ Status: 'REKEYING' as never }), INITIAL_MEMORY, 'wait'],
  ])('%s', (_row, observation, memory, expected) => {
    expect(kind(decide(cmk, observation, memory))).toBe(expected);
  });

  test('a FAILED row carries the FailureDescription', () => {
    expect(decide(cmk, seen(enc.enablingFailed('grant refused')), afterStartTakenUp)).toEqual({
      kind: 'fail',
      reasonId: 'ENABLING_FAILED',
      params: { stream: 'orders', failure: 'KMS_ACCESS_DENIED: grant refused' },
    });
  });

  test('an alias ARN matches the key it resolves to', () => {
    const aliasGoal: Goal = { ...cmk, keyArn: ALIAS_ARN };
    expect(kind(decide(aliasGoal, seen(enc.enabled()), INITIAL_MEMORY))).toBe('verify-key');
    expect(kind(decide(aliasGoal, seen(enc.enabled()), { ...INITIAL_MEMORY, keyVerified_: true, resolvedKeyArn_: KEY_ARN }))).toBe('succeed:now');
  });

  test('the given ARN matches as well', () => {
    expect(kind(decide(cmk, seen(enc.enabled()), { ...INITIAL_MEMORY, keyVerified_: true, resolvedKeyArn_: OTHER_KEY_ARN }))).toBe('succeed:now');
  });

  test('AWS owned key: no pre-flight, ENABLED with AWS_OWNED_CMK is done', () => {
    expect(kind(decide(awsOwned, seen(enc.disabled()), INITIAL_MEMORY))).toBe('start');
    expect(kind(decide(awsOwned, seen(enc.awsOwned()), INITIAL_MEMORY))).toBe('succeed:now');
    expect(kind(decide(awsOwned, seen(enc.enabled()), INITIAL_MEMORY))).toBe('start');
  });

  test('a stream type the SDK does not report is not judged', () => {
    expect(kind(decide(cmk, seen(enc.enabled(), { DeliveryStreamType: undefined }), INITIAL_MEMORY))).toBe('succeed:now');
  });
});

// "If a delivery stream already has encryption enabled and then you invoke this operation to change the ARN of the
// CMK [...] and you get ENABLING_FAILED, [...] encryption remains enabled with the old CMK"
// (https://docs.aws.amazon.com/firehose/latest/APIReference/API_StartDeliveryStreamEncryption.html).
describe('decide: ENABLING_FAILED while the wanted key is still in force', () => {
  const kept: Goal = { ...cmk, keptStream: true };
  const restore: Goal = { ...cmk, restore: true };
  const otherKeyFailed = seen({ ...enc.enablingFailed(), KeyARN: OTHER_KEY_ARN });

  test.each([
    ['an Update of the kept stream, at the first read', kept, seen(enc.enablingFailed()), INITIAL_MEMORY, 'succeed:now'],
    ['an Update of the kept stream, key verified', kept, seen(enc.enablingFailed()), verified, 'succeed:now'],
    ['a restore, at the first read', restore, seen(enc.enablingFailed()), INITIAL_MEMORY, 'succeed:now'],
    ['an Update of the kept stream, the failed reading shows another key', kept, otherKeyFailed, verified, 'start'],
    ['an Update of the kept stream, DISABLING_FAILED with the key', kept, seen(enc.disablingFailed()), verified, 'start'],
    ['an Update of the kept stream, after its own Start and ENABLING', kept, seen(enc.enablingFailed()), afterStartTakenUp, 'fail:ENABLING_FAILED'],
    ['an Update of the kept stream, right after its own Start', kept, seen(enc.enablingFailed()), afterStart, 'wait'],
    ['a Create (or an Update to another stream), at the first read', cmk, seen(enc.enablingFailed()), verified, 'start'],
    ['a Create (or an Update to another stream), key not verified yet', cmk, seen(enc.enablingFailed()), INITIAL_MEMORY, 'verify-key'],
  ])('%s', (_row, goal, observation, memory, expected) => {
    expect(kind(decide(goal, observation, memory))).toBe(expected);
  });

  test('an AWS owned key kept in force: SUCCESS for the kept stream, Start for a Create', () => {
    const failed = seen({ Status: 'ENABLING_FAILED', KeyType: 'AWS_OWNED_CMK' });
    expect(kind(decide({ ...awsOwned, keptStream: true }, failed, INITIAL_MEMORY))).toBe('succeed:now');
    expect(kind(decide(awsOwned, failed, INITIAL_MEMORY))).toBe('start');
  });
});

describe('decide: Delete (decrypt)', () => {
  test.each([
    ['stream gone', gone, INITIAL_MEMORY, 'succeed:now'],
    ['stream gone during a wait', gone, afterStop, 'succeed:now'],
    ['DISABLED', seen(enc.disabled()), INITIAL_MEMORY, 'succeed:now'],
    ['no configuration', seen(null), INITIAL_MEMORY, 'succeed:now'],
    ['stream CREATING', seen(enc.enabled(), { DeliveryStreamStatus: 'CREATING' }), INITIAL_MEMORY, 'wait'],
    ['stream UPDATING', seen(enc.enabled(), { DeliveryStreamStatus: 'UPDATING' as never }), INITIAL_MEMORY, 'wait'],
    ['stream DELETING', seen(enc.enabled(), { DeliveryStreamStatus: 'DELETING' }), INITIAL_MEMORY, 'succeed:now'],
    ['stream CREATING_FAILED', seen(enc.enabled(), { DeliveryStreamStatus: 'CREATING_FAILED' }), INITIAL_MEMORY, 'succeed:now'],
    // Nothing can change a stream Firehose could not delete: FAILED at once rather than Stop retried to the deadline.
    ['stream DELETING_FAILED, still encrypted', seen(enc.enabled(), { DeliveryStreamStatus: 'DELETING_FAILED' }), INITIAL_MEMORY, 'fail:STREAM_DELETING_FAILED'],
    ['stream status not reported, still encrypted', seen(enc.enabled(), { DeliveryStreamStatus: undefined }), INITIAL_MEMORY, 'stop'],
    ['DISABLING', seen(enc.disabling()), INITIAL_MEMORY, 'wait'],
    ['ENABLING', seen(enc.enabling()), INITIAL_MEMORY, 'wait'],
    ['ENABLED', seen(enc.enabled()), INITIAL_MEMORY, 'stop'],
    ['ENABLED after a watched ENABLING', seen(enc.enabled()), afterEnabling, 'stop'],
    ['ENABLING_FAILED after a watched ENABLING', seen(enc.enablingFailed()), afterEnabling, 'stop'],
    ['ENABLING_FAILED', seen(enc.enablingFailed()), INITIAL_MEMORY, 'stop'],
    ['DISABLING_FAILED', seen(enc.disablingFailed()), INITIAL_MEMORY, 'stop'],
    ['DISABLING_FAILED after a watched DISABLING', seen(enc.disablingFailed()), afterDisabling, 'stop'],
    ['still ENABLED after our Stop: no second Stop', seen(enc.enabled()), afterStop, 'wait'],
    ['DISABLING_FAILED right after our Stop (perhaps stale)', seen(enc.disablingFailed()), afterStop, 'wait'],
    ['DISABLING_FAILED after our Stop and DISABLING', seen(enc.disablingFailed()), afterStopTakenUp, 'fail:DISABLING_FAILED'],
    ['DISABLING_FAILED after our Stop and the grace', seen(enc.disablingFailed()), afterStopGraceOver, 'fail:DISABLING_FAILED'],
    ['DISABLED after our Stop', seen(enc.disabled()), afterStop, 'succeed:now'],
  ])('%s', (_row, observation, memory, expected) => {
    expect(kind(decide(decrypt, observation, memory))).toBe(expected);
  });

  test('Delete never verifies a key or starts encryption', () => {
    for (const encryption of [enc.disabled(), enc.enabled(), enc.enabling(), enc.disabling(), enc.enablingFailed(), enc.disablingFailed(), null]) {
      expect(['verify-key', 'start']).not.toContain(decide(decrypt, seen(encryption), INITIAL_MEMORY).kind);
    }
  });
});
