import {
  CallRecorder,
  ControlError,
  defineOperation,
  FaultInjector,
  formatViolations,
  LocalClock,
  Router,
  SerializationFault,
  ServiceModule,
  shapes as s,
  Throttler,
  TokenBucket,
  validate,
} from '../../tools/local-cloud';

describe('LocalClock', () => {
  test('a frozen clock moves only when advanced, and reset() rewinds it', () => {
    const clock = new LocalClock({ frozen: true, startMs: 1_000 });
    expect(clock.now()).toBe(1_000);
    expect(clock.advance(500)).toBe(1_500);
    expect(clock.offsetMs).toBe(500);
    clock.reset();
    expect(clock.now()).toBe(1_000);
  });

  test('a running clock follows its source plus the offset', () => {
    let source = 10;
    const clock = new LocalClock({ source: () => source });
    clock.advance(5);
    source = 20;
    expect(clock.now()).toBe(25);
    expect(() => clock.advance(-1)).toThrow(RangeError);
    expect(() => clock.advance(Number.NaN)).toThrow(RangeError);
  });
});

describe('TokenBucket and Throttler', () => {
  test('a bucket allows its burst, then refills at its rate up to the burst', () => {
    const bucket = new TokenBucket({ ratePerSecond: 2, burst: 3 }, 0);
    expect([bucket.tryTake(0), bucket.tryTake(0), bucket.tryTake(0), bucket.tryTake(0)]).toEqual([true, true, true, false]);
    expect(bucket.tryTake(499)).toBe(false);
    expect(bucket.tryTake(500)).toBe(true);
    expect([10_000, 10_000, 10_000, 10_000].map((t) => bucket.tryTake(t))).toEqual([true, true, true, false]);
  });

  test('a throttler keeps one bucket per account and operation, and falls back to its default', () => {
    const clock = new LocalClock({ frozen: true });
    const throttler = new Throttler(clock, (id) => (id === 'svc:A' ? { ratePerSecond: 1 } : undefined), { ratePerSecond: 2 });
    expect([throttler.tryAcquire('111111111111', 'svc:A'), throttler.tryAcquire('111111111111', 'svc:A')]).toEqual([true, false]);
    expect(throttler.tryAcquire('222222222222', 'svc:A')).toBe(true);
    expect([throttler.tryAcquire('111111111111', 'svc:B'), throttler.tryAcquire('111111111111', 'svc:B'), throttler.tryAcquire('111111111111', 'svc:B')]).toEqual([true, true, false]);
    throttler.set('svc:A', null);
    expect(throttler.tryAcquire('111111111111', 'svc:A')).toBe(true);
    expect(throttler.snapshot(['svc:A', 'svc:B'])).toEqual({ 'svc:A': null, 'svc:B': { ratePerSecond: 2, burst: 2 }, '*': { ratePerSecond: 2, burst: 2 } });
    throttler.reset();
    expect(throttler.rateOf('svc:A')).toEqual({ ratePerSecond: 1, burst: 1 });
  });
});

describe('validate', () => {
  const input = s.structure(
    {
      Name: s.string({ min: 1, max: 5, pattern: '[a-z]+' }),
      Count: s.integer({ min: 1, max: 10 }),
      Kind: s.enumOf(['A', 'B']),
      Tags: s.list(s.structure({ Key: s.string({ min: 1 }), Value: s.string() }, ['Key']), { max: 2 }),
      Nested: s.structure({ Inner: s.string() }, ['Inner']),
      Doc: s.document(),
      Labels: s.map(s.string({ min: 1, max: 3 }), s.string({ max: 2 }), { max: 2 }),
    },
    ['Name'],
  );

  test('a valid body has no violations; unknown members are ignored', () => {
    expect(validate(input, { Name: 'abc', Count: 3, Kind: 'A', Tags: [{ Key: 'k' }], Nested: { Inner: 'x' }, Doc: { any: [1] }, Extra: 1 })).toEqual([]);
  });

  test('violations are worded as the services word them, with member paths', () => {
    expect(validate(input, { Name: 'ABCDEF', Count: 11, Kind: 'C', Tags: [{ Value: 'v' }, { Key: '' }, { Key: 'k' }], Nested: {} })).toEqual([
      "Value 'ABCDEF' at 'name' failed to satisfy constraint: Member must have length less than or equal to 5",
      "Value 'ABCDEF' at 'name' failed to satisfy constraint: Member must satisfy regular expression pattern: [a-z]+",
      "Value '11' at 'count' failed to satisfy constraint: Member must have value less than or equal to 10",
      "Value 'C' at 'kind' failed to satisfy constraint: Member must satisfy enum value set: [A, B]",
      `Value '[${JSON.stringify({ Value: 'v' })}, ${JSON.stringify({ Key: '' })}, ${JSON.stringify({ Key: 'k' })}]' at 'tags' failed to satisfy constraint: Member must have length less than or equal to 2`,
      "Value null at 'tags.1.member.key' failed to satisfy constraint: Member must not be null",
      "Value '' at 'tags.2.member.key' failed to satisfy constraint: Member must have length greater than or equal to 1",
      "Value null at 'nested.inner' failed to satisfy constraint: Member must not be null",
    ]);
    expect(validate(input, {})).toEqual(["Value null at 'name' failed to satisfy constraint: Member must not be null"]);
  });

  test('a map: its size on the map, and the constraints of its keys and values each worded once on the map', () => {
    expect(validate(input, { Name: 'a', Labels: { ab: 'xy' } })).toEqual([]);
    expect(validate(input, { Name: 'a', Labels: { abcd: 'xyz', wxyz: 'long', ok: 'ok' } })).toEqual([
      `Value '${JSON.stringify({ abcd: 'xyz', wxyz: 'long', ok: 'ok' })}' at 'labels' failed to satisfy constraint: Member must have length less than or equal to 2`,
      `Value '${JSON.stringify({ abcd: 'xyz', wxyz: 'long', ok: 'ok' })}' at 'labels' failed to satisfy constraint: Map keys must satisfy constraint: [Member must have length less than or equal to 3]`,
      `Value '${JSON.stringify({ abcd: 'xyz', wxyz: 'long', ok: 'ok' })}' at 'labels' failed to satisfy constraint: Map value must satisfy constraint: [Member must have length less than or equal to 2]`,
    ]);
    expect(validate(input, { Name: 'a', Labels: { ab: null } })).toEqual([
      `Value '${JSON.stringify({ ab: null })}' at 'labels' failed to satisfy constraint: Map value must satisfy constraint: [Member must not be null]`,
    ]);
  });

  test('patterns must match the whole value', () => {
    expect(validate(input, { Name: 'ab1' })).toHaveLength(1);
  });

  test.each([
    [{ Name: 1 }, "Expected a string at 'name' but found a number."],
    [{ Name: 'a', Count: 1.5 }, "Expected an integer at 'count' but found a number (1.5)."],
    [{ Name: 'a', Tags: {} }, "Expected a list at 'tags' but found a structure."],
    [{ Name: 'a', Nested: [] }, "Expected a structure at 'nested' but found a list."],
    [{ Name: 'a', Doc: 'x' }, "Expected a structure at 'doc' but found a string."],
    [{ Name: 'a', Labels: ['x'] }, "Expected a map at 'labels' but found a list."],
    [{ Name: 'a', Labels: { k: 1 } }, "Expected a string at 'labels.k' but found a number."],
    ['body', 'Expected the request body to be a JSON object but found a string.'],
  ])('%j is a serialization fault', (body, message) => {
    expect(() => validate(input, body)).toThrow(new SerializationFault(message));
  });

  test('formatViolations counts the violations', () => {
    expect(formatViolations(['a'])).toBe('1 validation error detected: a');
    expect(formatViolations(['a', 'b'])).toBe('2 validation errors detected: a; b');
  });

  test('a structure cannot require a member it does not have', () => {
    expect(() => s.structure({ A: s.string() }, ['B'])).toThrow(/required member B/);
  });
});

describe('Router', () => {
  const op = defineOperation<object>({ input: s.structure({}), handle: () => ({}) });
  const service = (id: string, targetPrefix: string, ...names: string[]): ServiceModule => ({
    id,
    targetPrefix,
    validationErrorName: 'ValidationException',
    operations: Object.fromEntries(names.map((n) => [n, op])),
  });
  const router = new Router().register(service('one', 'One_1', 'Shared', 'OnlyOne')).register(service('two', 'Two_2', 'Shared', 'Limited'));

  test('resolves wire targets', () => {
    expect(router.resolveTarget('One_1.OnlyOne')?.id).toBe('one:OnlyOne');
    expect(router.resolveTarget('One_1.Limited')).toBeUndefined();
    expect(router.resolveTarget('One_1.constructor')).toBeUndefined();
    expect(router.resolveTarget('nodot')).toBeUndefined();
  });

  test('resolves canonical ids, targets and unambiguous bare names', () => {
    expect(router.resolveReference('two:Shared').id).toBe('two:Shared');
    expect(router.resolveReference('Two_2.Shared').id).toBe('two:Shared');
    expect(router.resolveReference('OnlyOne').id).toBe('one:OnlyOne');
    expect(() => router.resolveReference('Shared')).toThrow(new ControlError("Operation 'Shared' is ambiguous: use one of one:Shared, two:Shared"));
    expect(() => router.resolveReference('three:Shared')).toThrow(ControlError);
  });

  test('refuses a second service with the same id or target prefix', () => {
    expect(() => router.register(service('one', 'Other_1'))).toThrow(/id 'one'/);
    expect(() => router.register(service('other', 'One_1'))).toThrow(/target prefix 'One_1'/);
  });

  test('reports the built-in rates', () => {
    const limited = new Router().register({ ...service('x', 'X_1'), operations: { A: { ...op, throttle: { ratePerSecond: 3 } }, B: { ...op, throttle: null }, C: op } });
    expect(['x:A', 'x:B', 'x:C', 'y:A', 'A'].map((id) => limited.builtInThrottle(id))).toEqual([{ ratePerSecond: 3 }, null, undefined, undefined, undefined]);
  });
});

describe('FaultInjector and CallRecorder', () => {
  test('faults are used first in, first out, per operation and resource, and run out', () => {
    const faults = new FaultInjector();
    faults.add('svc:A', 'First', { count: 2 });
    faults.add('svc:A', 'Scoped', { resource: 'r' });
    expect(faults.take('svc:B', undefined)).toBeUndefined();
    expect(faults.take('svc:A', 'r')?.errorName).toBe('First');
    expect(faults.take('svc:A', undefined)?.errorName).toBe('First');
    expect(faults.take('svc:A', 'other')).toBeUndefined();
    expect(faults.take('svc:A', 'r')).toMatchObject({ errorName: 'Scoped', httpStatus: 400 });
    expect(faults.list()).toEqual([]);
    expect(() => faults.add('svc:A', 'X', { httpStatus: 200 })).toThrow(/HTTP error status/);
  });

  test('the call log keeps the most recent calls', () => {
    const recorder = new CallRecorder(2);
    for (const seq of [1, 2, 3]) recorder.record({ at: seq, operation: 'svc:A', outcome: 'accepted', httpStatus: 200 });
    expect(recorder.history().map((r) => r.seq)).toEqual([2, 3]);
    expect(recorder.tally('svc:A').accepted).toBe(3);
  });
});
