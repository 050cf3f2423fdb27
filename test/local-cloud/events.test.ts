/**
 * The local EventBridge: pattern matching (the operators the guard's rules use, in EventBridge's
 * harsher reading), target input, and delivery only where a Lambda permission allows it.
 */
import { EventBridgeModel, matchesPattern, targetInput } from '../../tools/local-cloud';

const event = {
  'source': 'aws.firehose',
  'detail-type': 'AWS API Call via CloudTrail',
  'id': 'e-1',
  'detail': {
    eventName: 'StopDeliveryStreamEncryption',
    requestParameters: { deliveryStreamName: 'orders' },
    userIdentity: { type: 'AssumedRole', sessionContext: { sessionIssuer: { arn: 'arn:aws:iam::1:role/Operator' } } },
    responseElements: null,
    tags: ['a', 'b'],
  },
};

describe('matchesPattern', () => {
  test.each([
    ['an exact value', { source: ['aws.firehose'] }, true],
    ['another value', { source: ['aws.kinesis'] }, false],
    ['one of several values', { source: ['aws.kinesis', 'aws.firehose'] }, true],
    ['a nested exact value', { detail: { requestParameters: { deliveryStreamName: ['orders'] } } }, true],
    ['a nested other value', { detail: { requestParameters: { deliveryStreamName: ['clicks'] } } }, false],
    ['anything-but a value', { detail: { eventName: [{ 'anything-but': 'StartDeliveryStreamEncryption' }] } }, true],
    ['anything-but the value', { detail: { eventName: [{ 'anything-but': 'StopDeliveryStreamEncryption' }] } }, false],
    ['anything-but a list holding the value', { detail: { eventName: [{ 'anything-but': ['x', 'StopDeliveryStreamEncryption'] }] } }, false],
    ['anything-but on a missing field (never matches)', { detail: { errorCode: [{ 'anything-but': 'AccessDenied' }] } }, false],
    ['exists: false on a missing field', { detail: { errorCode: [{ exists: false }] } }, true],
    ['exists: false on a present field', { detail: { eventName: [{ exists: false }] } }, false],
    ['exists: true on a present field', { detail: { eventName: [{ exists: true }] } }, true],
    ['exists: true on a missing field', { detail: { errorCode: [{ exists: true }] } }, false],
    ['a missing field', { detail: { errorCode: ['AccessDenied'] } }, false],
    ['a null value', { detail: { responseElements: [null] } }, true],
    ['an array field: any element', { detail: { tags: ['b'] } }, true],
    ['an array field: no element', { detail: { tags: ['c'] } }, false],
    ['$or: one branch matches', { detail: { $or: [{ eventName: ['x'] }, { requestParameters: { deliveryStreamName: ['orders'] } }] } }, true],
    ['$or: no branch matches', { detail: { $or: [{ eventName: ['x'] }, { requestParameters: { deliveryStreamName: ['y'] } }] } }, false],
    ['$or: a branch on a missing object does not match', { detail: { $or: [{ requestParameters: { streamARN: ['arn'] } }] } }, false],
    ['$or of identities, the issuer excluded', {
      detail: {
        $or: [
          { userIdentity: { type: [{ 'anything-but': 'AssumedRole' }] } },
          { userIdentity: { sessionContext: { sessionIssuer: { arn: [{ 'anything-but': ['arn:aws:iam::1:role/Operator'] }] } } } },
        ],
      },
    }, false],
    ['$or of identities, another issuer', {
      detail: {
        $or: [
          { userIdentity: { type: [{ 'anything-but': 'AssumedRole' }] } },
          { userIdentity: { sessionContext: { sessionIssuer: { arn: [{ 'anything-but': ['arn:aws:iam::1:role/Provider'] }] } } } },
        ],
      },
    }, true],
  ])('%s', (_what, pattern, expected) => {
    expect(matchesPattern(pattern as any, event as any)).toBe(expected);
  });

  test('an IAM user (no session issuer) is matched by its type, not by an anything-but on the issuer', () => {
    const user = { detail: { userIdentity: { type: 'IAMUser', arn: 'arn:aws:iam::1:user/bob' } } };
    const onIssuer = { detail: { userIdentity: { sessionContext: { sessionIssuer: { arn: [{ 'anything-but': ['x'] }] } } } } };
    expect(matchesPattern(onIssuer as any, user as any)).toBe(false);
    expect(matchesPattern({ detail: { userIdentity: { type: [{ 'anything-but': 'AssumedRole' }] } } } as any, user as any)).toBe(true);
  });

  // EventBridge User Guide, "Arrays in Amazon EventBridge event patterns"
  // (https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-event-patterns-arrays.html): a
  // pattern matches an array when one of its elements does; the harsher reading for objects is that
  // one element must match every field the nested pattern names.
  test('a nested pattern on an array of objects (CloudTrail\'s resources): one element must match all of it', () => {
    const trail = { resources: [{ type: 'AWS::KMS::Key', ARN: 'j' }, { type: 'AWS::KMS::Alias', ARN: 'k' }] };
    expect(matchesPattern({ resources: { ARN: ['k'] } }, trail)).toBe(true);
    expect(matchesPattern({ resources: { ARN: ['x'] } }, trail)).toBe(false);
    expect(matchesPattern({ resources: { type: ['AWS::KMS::Alias'], ARN: ['k'] } }, trail)).toBe(true);
    expect(matchesPattern({ resources: { type: ['AWS::KMS::Key'], ARN: ['k'] } }, trail)).toBe(false); // fields of two elements
    expect(matchesPattern({ resources: { ARN: ['k'] } }, { resources: [] })).toBe(false);
    expect(matchesPattern({ resources: { ARN: [{ exists: false }] } }, { resources: [] })).toBe(true);
  });

  test('an operator the local cloud does not model is an error, never a silent miss', () => {
    expect(() => matchesPattern({ source: [{ cidr: '10.0.0.0/8' }] } as any, event as any)).toThrow(/not modelled/);
    expect(() => matchesPattern({ source: [{ prefix: 'aws.' }] } as any, event as any)).toThrow(/not modelled/);
  });
});

describe('targetInput', () => {
  test('no input: the whole event; Input: its JSON; InputPath: the value there', () => {
    expect(targetInput({ Id: 't', Arn: 'a' }, event as any)).toEqual(event);
    expect(targetInput({ Id: 't', Arn: 'a', Input: '{"x":1}' }, event as any)).toEqual({ x: 1 });
    expect(targetInput({ Id: 't', Arn: 'a', InputPath: '$.detail.requestParameters' }, event as any)).toEqual({ deliveryStreamName: 'orders' });
  });

  test('InputTransformer: an unquoted placeholder is the value\'s JSON, a quoted one a string, one inside a string its text', () => {
    const input = targetInput({
      Id: 't',
      Arn: 'a',
      InputTransformer: {
        InputPathsMap: { detail: '$.detail', name: '$.detail.eventName', src: '$.source' },
        InputTemplate: '{"Fixed":"a <b>","Detail":<detail>,"Name":"<name>","Text":"from <src>!"}',
      },
    }, event as any);
    expect(input).toEqual({ Fixed: 'a <b>', Detail: event.detail, Name: 'StopDeliveryStreamEncryption', Text: 'from aws.firehose!' });
  });
});

describe('EventBridgeModel', () => {
  test('a matched Lambda target is invoked only with a permission for the rule; an SNS target is published', async () => {
    const bus = new EventBridgeModel(() => 1000);
    const invoked: unknown[] = [];
    const published: string[] = [];
    bus.registerFunction('arn:aws:lambda:us-east-1:1:function:guard', async (payload) => {
      invoked.push(payload);
    });
    bus.setTopicPublisher((_arn, message) => (published.push(message) > 0 ? 'published' : 'no-topic'));
    bus.putRule({
      arn: 'arn:aws:events:us-east-1:1:rule/r',
      pattern: { source: ['aws.firehose'] },
      state: 'ENABLED',
      targets: [
        { Id: 'fn', Arn: 'arn:aws:lambda:us-east-1:1:function:guard', InputPath: '$.id' },
        { Id: 'topic', Arn: 'arn:aws:sns:us-east-1:1:alerts' },
      ],
    });
    expect(bus.putEvent(event as any).map((d) => d.outcome)).toEqual(['denied', 'published']);
    expect(invoked).toEqual([]);

    bus.addPermission('p', { functionName: 'guard', principal: 'events.amazonaws.com', action: 'lambda:InvokeFunction', sourceArn: 'arn:aws:events:us-east-1:1:rule/other' });
    expect(bus.putEvent(event as any)[0].outcome).toBe('denied');
    bus.addPermission('p', { functionName: 'arn:aws:lambda:us-east-1:1:function:guard', principal: 'events.amazonaws.com', action: 'lambda:InvokeFunction', sourceArn: 'arn:aws:events:us-east-1:1:rule/r' });
    expect(bus.putEvent(event as any)[0].outcome).toBe('invoked');
    await bus.idle();
    expect(invoked).toEqual(['e-1']);
    expect(published).toHaveLength(3);

    expect(bus.putEvent({ ...event, source: 'aws.kinesis' } as any)).toEqual([]);
    expect(bus.deliveries()).toHaveLength(6);
  });
});
