/**
 * The local cloud's IAM model: identity policy evaluation with the condition operators the
 * library's handler policies use, AWS's AccessDenied wording, and propagation delays.
 */
import { accessDeniedMessage, conditionHolds, evaluate, IamModel, matchesWildcard, PolicyDocument, sessionArnOf } from '../../tools/local-cloud/iam';
import { FIREHOSE } from '../construct/util';

const STREAM = 'arn:aws:firehose:us-east-1:123456789012:deliverystream/orders';
const OTHER_STREAM = 'arn:aws:firehose:us-east-1:123456789012:deliverystream/payments';
const KEY = 'arn:aws:kms:us-east-1:123456789012:key/11111111-2222-3333-4444-555555555555';
const OWNER_TAG_KEY = 'cdk-stream-encryption/managed-by';

/** A statement shaped as the library writes it for one delivery stream. */
const STREAM_POLICY: PolicyDocument = {
  Version: '2012-10-17',
  Statement: [
    {
      Effect: 'Allow',
      Action: FIREHOSE.streamActions,
      Resource: STREAM,
      Condition: { 'ForAllValues:StringEquals': { 'aws:TagKeys': OWNER_TAG_KEY } },
    },
    {
      Effect: 'Allow',
      Action: ['kms:CreateGrant', 'kms:DescribeKey'],
      Resource: KEY,
      Condition: { BoolIfExists: { 'kms:GrantIsForAWSResource': true } },
    },
  ],
};

// What each statement is for, by the pages the model follows: aws:TagKeys with ForAllValues (IAM User
// Guide, "Controlling access based on tag keys",
// https://docs.aws.amazon.com/IAM/latest/UserGuide/access_tags.html#access_tags_control-tag-keys;
// "Multivalued context key examples",
// https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition_examples-multi-valued-context-keys.html);
// kms:GrantIsForAWSResource under BoolIfExists (AWS KMS Developer Guide, "Controlling access to
// grants", https://docs.aws.amazon.com/kms/latest/developerguide/grant-authorization.html; IAM User
// Guide, "IAM JSON policy elements: Condition operators", "...IfExists condition operators",
// https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html);
// kms:ViaService and kms:EncryptionContext:aws:kinesis:arn (AWS KMS Developer Guide, "AWS KMS
// condition keys", https://docs.aws.amazon.com/kms/latest/developerguide/conditions-kms.html; Kinesis
// Data Streams Developer Guide, "Permissions to use user-generated KMS keys",
// https://docs.aws.amazon.com/streams/latest/dev/permissions-user-key-KMS.html).
describe('statements as the library writes them', () => {
  test('a read of the named stream is allowed; the same read of another stream is not', () => {
    expect(evaluate([STREAM_POLICY], { action: 'firehose:DescribeDeliveryStream', resource: STREAM })).toMatchObject({ allowed: true, basis: 'allow' });
    expect(evaluate([STREAM_POLICY], { action: 'firehose:DescribeDeliveryStream', resource: OTHER_STREAM })).toEqual({ allowed: false, basis: 'implicit-deny' });
  });

  test('an action not listed is denied, whatever the resource', () => {
    expect(evaluate([STREAM_POLICY], { action: 'firehose:DeleteDeliveryStream', resource: STREAM }).allowed).toBe(false);
  });

  test('action names match without regard to case, ARNs with it', () => {
    expect(evaluate([STREAM_POLICY], { action: 'FIREHOSE:describedeliverystream', resource: STREAM }).allowed).toBe(true);
    expect(evaluate([STREAM_POLICY], { action: 'firehose:DescribeDeliveryStream', resource: STREAM.toUpperCase() }).allowed).toBe(false);
  });

  test('the owner-tag condition lets a tag request name only the owner tag key', () => {
    const tag = (keys: string[]) => evaluate([STREAM_POLICY], { action: 'firehose:TagDeliveryStream', resource: STREAM, context: { 'aws:TagKeys': keys } });
    expect(tag([OWNER_TAG_KEY]).allowed).toBe(true);
    expect(tag(['team']).allowed).toBe(false);
    expect(tag([OWNER_TAG_KEY, 'team']).allowed).toBe(false);
  });

  test('kms:CreateGrant needs kms:GrantIsForAWSResource; DescribeKey, which does not carry it, is allowed', () => {
    expect(evaluate([STREAM_POLICY], { action: 'kms:CreateGrant', resource: KEY, context: { 'kms:GrantIsForAWSResource': true } }).allowed).toBe(true);
    expect(evaluate([STREAM_POLICY], { action: 'kms:CreateGrant', resource: KEY, context: { 'kms:GrantIsForAWSResource': false } }).allowed).toBe(false);
    expect(evaluate([STREAM_POLICY], { action: 'kms:DescribeKey', resource: KEY }).allowed).toBe(true);
  });

  test('a Kinesis GenerateDataKey statement binds the calling service and the stream in the encryption context', () => {
    const stream = 'arn:aws:kinesis:us-east-1:123456789012:stream/events';
    const policy: PolicyDocument = {
      Statement: {
        Effect: 'Allow',
        Action: 'kms:GenerateDataKey',
        Resource: KEY,
        Condition: { StringEquals: { 'kms:ViaService': 'kinesis.us-east-1.amazonaws.com', 'kms:EncryptionContext:aws:kinesis:arn': stream } },
      },
    };
    const via = (service: string, arn: string) => evaluate([policy], {
      action: 'kms:GenerateDataKey',
      resource: KEY,
      context: { 'kms:ViaService': service, 'kms:EncryptionContext:aws:kinesis:arn': arn },
    }).allowed;
    expect(via('kinesis.us-east-1.amazonaws.com', stream)).toBe(true);
    expect(via('kinesis.us-east-1.amazonaws.com', `${stream}-2`)).toBe(false);
    expect(via('s3.us-east-1.amazonaws.com', stream)).toBe(false);
    expect(evaluate([policy], { action: 'kms:GenerateDataKey', resource: KEY }).allowed).toBe(false);
  });
});

describe('evaluation logic', () => {
  test('an explicit deny wins over any allow', () => {
    const deny: PolicyDocument = { Statement: [{ Sid: 'NoStop', Effect: 'Deny', Action: 'firehose:Stop*', Resource: '*' }] };
    expect(evaluate([STREAM_POLICY, deny], { action: 'firehose:StopDeliveryStreamEncryption', resource: STREAM }))
      .toEqual({ allowed: false, basis: 'explicit-deny', statement: 'NoStop' });
    expect(evaluate([STREAM_POLICY, deny], { action: 'firehose:StartDeliveryStreamEncryption', resource: STREAM }).allowed).toBe(true);
  });

  test('NotAction and NotResource invert their lists', () => {
    const policy: PolicyDocument = { Statement: [{ Effect: 'Allow', NotAction: 'firehose:Delete*', NotResource: OTHER_STREAM }] };
    expect(evaluate([policy], { action: 'firehose:DescribeDeliveryStream', resource: STREAM }).allowed).toBe(true);
    expect(evaluate([policy], { action: 'firehose:DeleteDeliveryStream', resource: STREAM }).allowed).toBe(false);
    expect(evaluate([policy], { action: 'firehose:DescribeDeliveryStream', resource: OTHER_STREAM }).allowed).toBe(false);
  });

  test('no policy at all denies', () => {
    expect(evaluate([], { action: 'kms:DescribeKey', resource: KEY })).toEqual({ allowed: false, basis: 'implicit-deny' });
  });

  test('wildcards: * spans any characters, ? one', () => {
    expect(matchesWildcard('arn:aws:logs:*:log-stream:*', 'arn:aws:logs:us-east-1:1:log-group:/g:log-stream:abc')).toBe(true);
    expect(matchesWildcard('key/????', 'key/abcd')).toBe(true);
    expect(matchesWildcard('key/????', 'key/abcde')).toBe(false);
    expect(matchesWildcard('a.b', 'axb')).toBe(false);
  });
});

describe('condition operators', () => {
  test('a missing key fails a positive operator and satisfies a negated one or an IfExists', () => {
    expect(conditionHolds('StringEquals', 'k', 'v', {})).toBe(false);
    expect(conditionHolds('StringNotEquals', 'k', 'v', {})).toBe(true);
    expect(conditionHolds('StringEqualsIfExists', 'k', 'v', {})).toBe(true);
    expect(conditionHolds('BoolIfExists', 'k', true, { k: false })).toBe(false);
  });

  test('ForAllValues holds vacuously; ForAnyValue needs a match', () => {
    expect(conditionHolds('ForAllValues:StringEquals', 'k', ['a', 'b'], {})).toBe(true);
    expect(conditionHolds('ForAllValues:StringEquals', 'k', ['a', 'b'], { k: ['a', 'b'] })).toBe(true);
    expect(conditionHolds('ForAllValues:StringEquals', 'k', ['a'], { k: ['a', 'c'] })).toBe(false);
    expect(conditionHolds('ForAnyValue:StringEquals', 'k', ['a'], {})).toBe(false);
    expect(conditionHolds('ForAnyValue:StringEquals', 'k', ['a'], { k: ['c', 'a'] })).toBe(true);
  });

  test('policy values are OR-ed; StringLike and ArnLike take wildcards', () => {
    expect(conditionHolds('StringEquals', 'k', ['x', 'y'], { k: 'y' })).toBe(true);
    expect(conditionHolds('StringLike', 'k', 'team-*', { k: 'team-a' })).toBe(true);
    expect(conditionHolds('ArnLike', 'k', 'arn:aws:kinesis:*:*:stream/e*', { k: 'arn:aws:kinesis:us-east-1:1:stream/events' })).toBe(true);
    expect(conditionHolds('StringNotLike', 'k', 'team-*', { k: 'team-a' })).toBe(false);
  });

  test('Null tests whether the key is present', () => {
    expect(conditionHolds('Null', 'k', true, {})).toBe(true);
    expect(conditionHolds('Null', 'k', 'false', { k: 'v' })).toBe(true);
    expect(conditionHolds('Null', 'k', 'false', {})).toBe(false);
  });

  test('an operator the model does not know is refused, never passed', () => {
    expect(() => conditionHolds('IpAddress', 'aws:SourceIp', '10.0.0.0/8', {})).toThrow(/does not know the condition operator IpAddress/);
  });
});

describe('AccessDeniedException wording', () => {
  test('names the session, the action, the resource and why', () => {
    const request = { action: 'firehose:StopDeliveryStreamEncryption', resource: STREAM };
    const session = sessionArnOf('arn:aws:iam::123456789012:role/MyStack-HandlerRole-ABC');
    expect(session).toBe('arn:aws:sts::123456789012:assumed-role/MyStack-HandlerRole-ABC/local-session');
    expect(accessDeniedMessage(session, request, { allowed: false, basis: 'implicit-deny' })).toBe(
      `User: ${session} is not authorized to perform: firehose:StopDeliveryStreamEncryption on resource: ${STREAM} because no identity-based policy allows the firehose:StopDeliveryStreamEncryption action`,
    );
    expect(accessDeniedMessage(session, request, { allowed: false, basis: 'explicit-deny' })).toMatch(/with an explicit deny in an identity-based policy$/);
  });
});

describe('IamModel', () => {
  const ROLE = 'arn:aws:iam::123456789012:role/Handler';

  test('access keys act as their role; policies attach, replace and detach by name', () => {
    const iam = new IamModel();
    iam.defineRole(ROLE, 'AKIDLOCAL');
    expect(iam.roleOfAccessKey('AKIDLOCAL')).toBe(ROLE);
    const describe = { action: 'firehose:DescribeDeliveryStream', resource: STREAM };
    expect(iam.authorize(ROLE, describe).allowed).toBe(false);
    iam.putPolicy(ROLE, 'Streams', STREAM_POLICY);
    expect(iam.authorize(ROLE, describe).allowed).toBe(true);
    expect(iam.role(ROLE)?.policies).toEqual(['Streams']);
    iam.putPolicy(ROLE, 'Streams', { Statement: [] });
    expect(iam.authorize(ROLE, describe).allowed).toBe(false);
    iam.putPolicy(ROLE, 'Streams', STREAM_POLICY);
    iam.removePolicy(ROLE, 'Streams');
    expect(iam.authorize(ROLE, describe).allowed).toBe(false);
    expect(iam.role(ROLE)?.policies).toEqual([]);
    iam.deleteRole(ROLE);
    expect(iam.roleOfAccessKey('AKIDLOCAL')).toBeUndefined();
  });

  test('a change is in force only after the propagation delay; the old version holds until then', () => {
    let now = 1_000_000;
    const iam = new IamModel({ propagationMs: 5_000, now: () => now });
    const describe = { action: 'firehose:DescribeDeliveryStream', resource: STREAM };
    iam.putPolicy(ROLE, 'Streams', STREAM_POLICY);
    expect(iam.authorize(ROLE, describe).allowed).toBe(false);
    now += 4_999;
    expect(iam.authorize(ROLE, describe).allowed).toBe(false);
    now += 1;
    expect(iam.authorize(ROLE, describe).allowed).toBe(true);
    iam.removePolicy(ROLE, 'Streams');
    now += 4_000;
    expect(iam.authorize(ROLE, describe).allowed).toBe(true);
    now += 1_000;
    expect(iam.authorize(ROLE, describe).allowed).toBe(false);
  });

  // IAM is eventually consistent and names no order in which its endpoints see a change (IAM User
  // Guide, "Changes that I make are not always immediately visible",
  // https://docs.aws.amazon.com/IAM/latest/UserGuide/troubleshoot_general.html#troubleshoot_general_eventual-consistency):
  // the check of one action may see a change later than the others, never earlier.
  test('an action with a propagation delay of its own sees a change later than the others; 0 takes that delay away', () => {
    let now = 1_000_000;
    const iam = new IamModel({ propagationMs: 1_000, now: () => now });
    const describe = { action: 'firehose:DescribeDeliveryStream', resource: STREAM };
    const describeKey = { action: 'kms:DescribeKey', resource: KEY };
    const grant = { action: 'kms:CreateGrant', resource: KEY, context: { 'kms:GrantIsForAWSResource': 'true' } };
    iam.setPropagationMs(5_000, 'kms:createGRANT');
    expect(iam.propagationDelayMs).toBe(1_000);
    expect(iam.propagationDelayMsOf('kms:CreateGrant')).toBe(5_000);
    expect(iam.propagationDelayMsOf('kms:DescribeKey')).toBe(1_000);
    iam.putPolicy(ROLE, 'Streams', STREAM_POLICY);
    now += 1_000;
    const allowed = (...requests: Parameters<IamModel['authorize']>[1][]) => requests.map((r) => iam.authorize(ROLE, r).allowed);
    expect(allowed(describe, describeKey, grant)).toEqual([true, true, false]);
    expect(iam.role(ROLE)?.policies).toEqual(['Streams']);
    now += 3_999;
    expect(iam.authorize(ROLE, grant).allowed).toBe(false);
    now += 1;
    expect(iam.authorize(ROLE, grant).allowed).toBe(true);
    // a detachment too: the action keeps the old version longer
    iam.removePolicy(ROLE, 'Streams');
    now += 1_000;
    expect(allowed(describeKey, grant)).toEqual([false, true]);
    now += 4_000;
    expect(iam.authorize(ROLE, grant).allowed).toBe(false);
    // never earlier than the others; 0 (and reset) take the action's own delay away
    iam.setPropagationMs(500, 'kms:CreateGrant');
    expect(iam.propagationDelayMsOf('kms:CreateGrant')).toBe(1_000);
    iam.setPropagationMs(0, 'kms:CreateGrant');
    iam.setPropagationMs(0);
    iam.putPolicy(ROLE, 'Streams', STREAM_POLICY);
    expect(iam.authorize(ROLE, grant).allowed).toBe(true);
    iam.setPropagationMs(5_000, 'kms:CreateGrant');
    iam.reset();
    expect(iam.propagationDelayMsOf('kms:CreateGrant')).toBe(0);
  });

  test('a negative or non-numeric propagation delay is refused, and so is an action that is not service:Action', () => {
    expect(() => new IamModel().setPropagationMs(-1)).toThrow(/propagationMs must be a number of milliseconds >= 0/);
    expect(() => new IamModel().setPropagationMs(1, 'kms:*')).toThrow(/action must be service:Action/);
    expect(() => new IamModel().setPropagationMs(1, 'CreateGrant')).toThrow(/action must be service:Action/);
  });
});
