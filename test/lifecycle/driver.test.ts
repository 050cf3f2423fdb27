/**
 * The local CloudFormation driver itself: reading assemblies, resolving intrinsics, the response
 * URL server, the Lambda-like runtime (deadlines, log capture, concurrency) and CloudFormation's
 * judgement of an answer, with small stand-in handlers instead of the real bundle.
 */
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as os from 'node:os';
import * as path from 'node:path';
import * as firehose from 'aws-cdk-lib/aws-kinesisfirehose';
import * as awslambda from 'aws-cdk-lib/aws-lambda';
import { buildSync } from 'esbuild';
import { SCHEDULING_SLACK_MS, synthStack } from './harness';
import { DeliveryStreamEncryption } from '../../src';
import { zip } from '../../tools/bench/zip';
import { LocalCloud, startLocalCloud } from '../../tools/local-cloud';
import {
  DEFAULT_GUARD_BUNDLE,
  DEFAULT_HANDLER_BUNDLE,
  functionCodeOf,
  LocalLambda,
  loadStackTemplate,
  ResolveError,
  resolveValue,
  RESPONSE_URL_EXPIRES_SECONDS,
  ResponseServer,
  runStep,
  StepRequest,
  stringifyScalars,
  TemplateModel,
} from '../../tools/local-cloud/cfn';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lifecycle-driver-'));

/** A stand-in handler bundle: answers as `ResourceProperties.Mode` says. */
const STAND_IN = path.join(dir, 'stand-in.js');
fs.writeFileSync(STAND_IN, `
const http = require('node:http');
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
function put(url, body) {
  return new Promise((resolve) => {
    const req = http.request(url, { method: 'PUT', headers: { 'content-length': Buffer.byteLength(body) } }, (res) => { res.resume(); resolve(res.statusCode); });
    req.on('error', () => resolve(0));
    req.end(body);
  });
}
exports.handler = async (event, context) => {
  const p = event.ResourceProperties;
  console.log(JSON.stringify({ requestId: event.RequestId, action: 'received', remainingMs: context.getRemainingTimeInMillis() }));
  await sleep(Number(p.DelayMs || 0));
  if (p.Mode === 'env') {
    const env = {};
    for (const name of p.Names.split(',')) env[name] = name in process.env ? process.env[name] : '(unset)';
    console.log(JSON.stringify({ requestId: event.RequestId, action: 'env', env }));
  }
  const answer = { Status: 'SUCCESS', Reason: 'ok', PhysicalResourceId: 'pid-' + event.LogicalResourceId, StackId: event.StackId, RequestId: event.RequestId, LogicalResourceId: event.LogicalResourceId, Data: { Seen: p.Value } };
  switch (p.Mode) {
    case 'silent': return;
    case 'log-group': await put(event.ResponseURL, JSON.stringify({ ...answer, Data: { Variable: process.env.AWS_LAMBDA_LOG_GROUP_NAME, Context: context.logGroupName } })); return;
    case 'throw': throw new Error('boom');
    case 'not-json': await put(event.ResponseURL, 'this is not json'); return;
    case 'wrong-request': await put(event.ResponseURL, JSON.stringify({ ...answer, RequestId: 'someone-else' })); return;
    case 'too-long': await put(event.ResponseURL, JSON.stringify({ ...answer, Reason: 'x'.repeat(5000) })); return;
    case 'tampered': await put(event.ResponseURL.replace(/X-Amz-Signature=[0-9a-f]/, 'X-Amz-Signature=Z'), JSON.stringify(answer)); return;
    default: {
      const status = await put(event.ResponseURL, JSON.stringify(answer));
      console.log(JSON.stringify({ requestId: event.RequestId, action: 'respond', statusCode: status }));
    }
  }
};
`);

let cloud: LocalCloud;
let responses: ResponseServer;
let lambda: LocalLambda;

beforeAll(async () => {
  cloud = await startLocalCloud();
  responses = await ResponseServer.start();
  lambda = new LocalLambda({ bundle: STAND_IN, region: cloud.region, accountId: cloud.accountId, environment: cloud.env() });
});

afterAll(async () => {
  await responses?.stop();
  await cloud?.stop();
});

/** A request to the stand-in handler. */
function request(logicalId: string, properties: Record<string, string>, extra: Partial<StepRequest> = {}): StepRequest {
  return {
    requestType: 'Create',
    stackId: 'arn:aws:cloudformation:us-east-1:123456789012:stack/Driver/1',
    logicalId,
    resourceType: 'Custom::Test',
    properties: { ServiceToken: lambda.functionArn, ...properties },
    lambdaTimeoutMs: 5_000,
    ...extra,
  };
}

describe('the answer, as CloudFormation judges it', () => {
  test('an answer at the response URL: its status, physical id and data, with the timings', async () => {
    const r = await runStep(lambda, responses, request('Good', { Value: '42', DelayMs: '200' }));
    expect(r).toMatchObject({ status: 'SUCCESS', reason: 'ok', physicalResourceId: 'pid-Good', data: { Seen: '42' }, lambdaTimedOut: false });
    expect(r.answeredAtMs!).toBeGreaterThanOrEqual(200);
    expect(r.handlerReturnedAtMs!).toBeGreaterThanOrEqual(r.answeredAtMs!);
    expect(r.puts).toHaveLength(1);
    expect(r.event).toMatchObject({ RequestType: 'Create', LogicalResourceId: 'Good', ResourceType: 'Custom::Test', ResourceProperties: { Value: '42' } });
    expect(r.event).not.toHaveProperty('PhysicalResourceId');
    expect(r.event.ResponseURL).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/cfn-response\/Good-[^?]+\?X-Amz-Algorithm=AWS4-HMAC-SHA256&.*X-Amz-Signature=[0-9a-f]{64}$/);
    // the remaining time the handler saw came from the function timeout
    const remaining = r.logs.find((l) => l.json?.action === 'received')!.json!.remainingMs as number;
    expect(remaining).toBeGreaterThan(4_900);
    expect(remaining).toBeLessThanOrEqual(5_000);
    expect(r.logs[0].line).toMatch(/^START RequestId: /);
    expect(r.logs.at(-1)!.line).toMatch(/^REPORT RequestId: /);
  });

  test('no answer within the ServiceTimeout: TIMED_OUT when it passes', async () => {
    const r = await runStep(lambda, responses, request('Silent', { Mode: 'silent', DelayMs: '100', ServiceTimeout: '1' }));
    expect(r).toMatchObject({ status: 'TIMED_OUT', serviceTimeoutMs: 1_000 });
    expect(r.physicalResourceId).toBeUndefined();
    expect(r.elapsedMs).toBeGreaterThanOrEqual(1_000);
    expect(r.elapsedMs).toBeLessThan(1_000 + SCHEDULING_SLACK_MS);
    expect(r.puts).toHaveLength(0);
  });

  test('a handler still running at its function timeout counts as timed out, and its late answer is ignored', async () => {
    const r = await runStep(lambda, responses, request('Slow', { DelayMs: '1500', ServiceTimeout: '1' }, { lambdaTimeoutMs: 1_200 }));
    expect(r).toMatchObject({ status: 'TIMED_OUT', lambdaTimedOut: true, handlerReturnedAtMs: undefined });
    expect(r.logs.some((l) => /Task timed out after 1\.20 seconds/.test(l.line))).toBe(true);
    await new Promise((resolve) => setTimeout(resolve, 800));
    expect(r.puts).toHaveLength(1);
    expect(r.puts[0].late).toBe(true);
  });

  test.each([
    ['not-json', 'the body is not JSON'],
    ['wrong-request', 'RequestId "someone-else" does not match the request'],
    ['too-long', 'over the limit of 4096'],
  ])('an unusable answer (%s) fails the resource', async (mode, why) => {
    const r = await runStep(lambda, responses, request(`Bad${mode.replace('-', '')}`, { Mode: mode }));
    expect(r.status).toBe('FAILED');
    expect(r.invalidResponse).toContain(why);
    expect(r.reason).toContain('Invalid response object');
  });

  test('a PUT with a tampered signature is refused (403) and does not count', async () => {
    const r = await runStep(lambda, responses, request('Tampered', { Mode: 'tampered', ServiceTimeout: '1' }));
    expect(r.status).toBe('TIMED_OUT');
    expect(r.puts).toHaveLength(0);
  });

  test('a handler that throws: recorded, and CloudFormation waits for the ServiceTimeout', async () => {
    const r = await runStep(lambda, responses, request('Throws', { Mode: 'throw', ServiceTimeout: '1' }));
    expect(r).toMatchObject({ status: 'TIMED_OUT', handlerError: 'Error: boom' });
  });

  test('Update and Delete carry the physical id, and Update the old properties', async () => {
    const u = await runStep(lambda, responses, request('Upd', { Value: 'new' }, { requestType: 'Update', physicalResourceId: 'pid-Upd', oldProperties: { Value: 'old' } }));
    expect(u.event).toMatchObject({ RequestType: 'Update', PhysicalResourceId: 'pid-Upd', OldResourceProperties: { Value: 'old' } });
    const d = await runStep(lambda, responses, request('Del', {}, { requestType: 'Delete', physicalResourceId: 'pid-Del' }));
    expect(d.event).toMatchObject({ RequestType: 'Delete', PhysicalResourceId: 'pid-Del' });
    expect(d.event).not.toHaveProperty('OldResourceProperties');
  });
});

describe('the Lambda-like runtime', () => {
  test('200 invocations at once: every answer arrives, and each log line goes to its own invocation', async () => {
    const results = await Promise.all(Array.from({ length: 200 }, (_, i) =>
      runStep(lambda, responses, request(`Many${i}`, { Value: String(i), DelayMs: String((i * 7) % 300) }))));
    expect(results.map((r) => r.status)).toEqual(results.map(() => 'SUCCESS'));
    results.forEach((r, i) => {
      expect(r.data).toEqual({ Seen: String(i) });
      const own = r.logs.filter((l) => l.json).map((l) => l.json!.requestId);
      expect(own).toEqual([r.requestId, r.requestId]);
    });
  }, 30_000);

  test('lines written by anything but the handler are not captured', async () => {
    const spy = jest.spyOn(console, 'log');
    const pending = runStep(lambda, responses, request('Capture', { DelayMs: '200' }));
    await new Promise((resolve) => setTimeout(resolve, 50));
    console.log('a line of the test itself');
    const r = await pending;
    expect(r.logs.map((l) => l.line)).not.toContain('a line of the test itself');
    expect(spy.mock.calls.map((c) => c[0])).toContain('a line of the test itself');
    spy.mockRestore();
  });

  test('the function\'s environment is set while it runs, and a conflicting one is refused', async () => {
    const seen: Array<string | undefined> = [];
    const pending = runStep(lambda, responses, request('Env', { DelayMs: '300' }));
    seen.push(process.env.AWS_ENDPOINT_URL_FIREHOSE);
    const other = new LocalLambda({ bundle: STAND_IN, region: 'us-east-1', accountId: '123456789012', environment: { AWS_ENDPOINT_URL_FIREHOSE: 'http://127.0.0.1:1' } });
    expect(() => other.invoke({}, { timeoutMs: 1_000 })).toThrow(/AWS_ENDPOINT_URL_FIREHOSE=http:\/\/127\.0\.0\.1:1.*running in this process/);
    await pending;
    seen.push(process.env.AWS_ENDPOINT_URL_FIREHOSE);
    expect(seen).toEqual([cloud.endpoint, undefined]);
  });

  test('one invocation\'s own variables set or hide the function\'s, for that invocation only', async () => {
    const names = 'AWS_ACCESS_KEY_ID,AWS_ENDPOINT_URL_FIREHOSE,AWS_EC2_METADATA_DISABLED';
    const envOf = (r: Awaited<ReturnType<typeof runStep>>) => r.logs.find((l) => l.json?.action === 'env')!.json!.env;
    const [own, plain] = await Promise.all([
      runStep(lambda, responses, request('OwnEnv', { Mode: 'env', Names: names, DelayMs: '200' }, {
        environment: { AWS_ACCESS_KEY_ID: null, AWS_ENDPOINT_URL_FIREHOSE: 'not a url', AWS_EC2_METADATA_DISABLED: 'true' },
      })),
      runStep(lambda, responses, request('PlainEnv', { Mode: 'env', Names: names, DelayMs: '200' })),
    ]);
    expect(envOf(own)).toEqual({ AWS_ACCESS_KEY_ID: '(unset)', AWS_ENDPOINT_URL_FIREHOSE: 'not a url', AWS_EC2_METADATA_DISABLED: 'true' });
    expect(envOf(plain)).toEqual({ AWS_ACCESS_KEY_ID: cloud.env().AWS_ACCESS_KEY_ID, AWS_ENDPOINT_URL_FIREHOSE: cloud.endpoint, AWS_EC2_METADATA_DISABLED: '(unset)' });
    expect([own.status, plain.status]).toEqual(['SUCCESS', 'SUCCESS']);
  });
});

describe('the function\'s log group', () => {
  test('Lambda\'s default, /aws/lambda/<name>, in AWS_LAMBDA_LOG_GROUP_NAME and the context', async () => {
    const r = await runStep(lambda, responses, request('DefaultGroup', { Mode: 'log-group' }));
    expect(r.data).toEqual({ Variable: '/aws/lambda/stream-encryption-handler', Context: '/aws/lambda/stream-encryption-handler' });
  });

  test('the log group the function is configured with, seen only by its own invocations', async () => {
    const own = new LocalLambda({
      bundle: STAND_IN, functionName: 'own-group', region: cloud.region, accountId: cloud.accountId, environment: cloud.env(), logGroupName: '/cdk-stream-encryption/Driver/1',
    });
    const [mine, other] = await Promise.all([
      runStep(own, responses, request('OwnGroup', { Mode: 'log-group', DelayMs: '200' })),
      runStep(lambda, responses, request('OtherGroup', { Mode: 'log-group', DelayMs: '200' })),
    ]);
    expect(mine.data).toEqual({ Variable: '/cdk-stream-encryption/Driver/1', Context: '/cdk-stream-encryption/Driver/1' });
    expect(other.data).toEqual({ Variable: '/aws/lambda/stream-encryption-handler', Context: '/aws/lambda/stream-encryption-handler' });
    expect(process.env.AWS_LAMBDA_LOG_GROUP_NAME).toBeUndefined();
  });
});

describe('the response URL server', () => {
  function send(url: string, method: string): Promise<number> {
    return new Promise((resolve, reject) => {
      const req = http.request(url, { method }, (res) => {
        res.resume();
        resolve(res.statusCode!);
      });
      req.on('error', reject);
      req.end(method === 'PUT' ? '{}' : undefined);
    });
  }

  test('answers as told: 500 twice, then 200; unknown ids 404; other methods 405', async () => {
    const endpoint = responses.issue('Flaky', { failFirst: 2 });
    expect(await send(endpoint.url, 'PUT')).toBe(500);
    expect(await send(endpoint.url, 'PUT')).toBe(500);
    expect(await send(endpoint.url, 'PUT')).toBe(200);
    expect(endpoint.puts.map((p) => p.answeredStatus)).toEqual([500, 500, 200]);
    await expect(endpoint.accepted).resolves.toMatchObject({ attempt: 3 });
    expect(await send(endpoint.url, 'GET')).toBe(405);
    expect(await send(endpoint.url.replace(/cfn-response\/[^?]+/, 'cfn-response/nobody'), 'PUT')).toBe(404);
  });

  test('signedAgoMs back-dates X-Amz-Date; a URL past X-Amz-Date plus X-Amz-Expires is refused (403), as S3 refuses it', async () => {
    const amzDate = (url: string) => new URL(url).searchParams.get('X-Amz-Date')!;
    const asMs = (d: string) => Date.UTC(+d.slice(0, 4), +d.slice(4, 6) - 1, +d.slice(6, 8), +d.slice(9, 11), +d.slice(11, 13), +d.slice(13, 15));
    const fresh = responses.issue('Fresh');
    const late = responses.issue('Late', { signedAgoMs: 3_660_000 });
    const expired = responses.issue('Expired', { signedAgoMs: (RESPONSE_URL_EXPIRES_SECONDS + 1) * 1000 });
    expect(asMs(amzDate(fresh.url)) - asMs(amzDate(late.url))).toBeGreaterThanOrEqual(3_659_000);
    expect(asMs(amzDate(fresh.url)) - asMs(amzDate(late.url))).toBeLessThanOrEqual(3_661_000);
    expect(new URL(late.url).searchParams.get('X-Amz-Expires')).toBe(String(RESPONSE_URL_EXPIRES_SECONDS));
    expect(await send(late.url, 'PUT')).toBe(200);
    expect(await send(expired.url, 'PUT')).toBe(403);
    expect(expired.puts).toHaveLength(0);
    expect(() => responses.issue('Bad', { signedAgoMs: -1 })).toThrow(/signedAgoMs must be a number of milliseconds >= 0, got -1/);
  });
});

describe('templates and intrinsics', () => {
  const assembly = synthStack('DriverStack', (s) => {
    new DeliveryStreamEncryption(s, 'Sse', { deliveryStream: firehose.DeliveryStream.fromDeliveryStreamName(s, 'Stream', 'driver-stream') });
  });

  test('a cloud assembly, its template file, or the template itself', () => {
    const fromDir = loadStackTemplate(assembly);
    expect(fromDir).toMatchObject({ stackName: 'DriverStack', account: '123456789012', region: 'us-east-1' });
    const file = path.join(assembly, 'DriverStack.template.json');
    expect(loadStackTemplate(file).template).toEqual(fromDir.template);
    expect(loadStackTemplate(fromDir.template, { stackName: 'Named' }).stackName).toBe('Named');
    expect(() => loadStackTemplate(assembly, { stackName: 'Nope' })).toThrow(/has no stack Nope; it has DriverStack/);
    expect(() => loadStackTemplate(dir)).toThrow(/not a cloud assembly/);
  });

  test('the custom resource\'s properties resolve to strings, with a deterministic key ARN and the handler\'s 900 s timeout', () => {
    const stack = loadStackTemplate(assembly);
    const env = { stackName: 'DriverStack', stackId: 'arn:aws:cloudformation:us-east-1:123456789012:stack/DriverStack/1', region: 'us-east-1', accountId: '123456789012', partition: 'aws', urlSuffix: 'amazonaws.com' };
    const model = new TemplateModel(stack, env, () => undefined);
    const [id] = model.idsOfType('Custom::DeliveryStreamEncryption');
    const props = model.properties(id);
    const [keyId] = model.idsOfType('AWS::KMS::Key').filter((k) => k.startsWith('Sse'));
    expect(props).toMatchObject({
      StreamKind: 'firehose',
      DeliveryStreamName: 'driver-stream',
      KeyType: 'CUSTOMER_MANAGED_CMK',
      KeyArn: model.keyArn(keyId),
      TimeoutSeconds: '600',
      SettleSeconds: '5',
      RemovalPolicy: 'destroy',
      ServiceTimeout: '660',
    });
    expect(props.KeyArn).toMatch(/^arn:aws:kms:us-east-1:123456789012:key\/[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(new TemplateModel(stack, env, () => undefined).keyArn(keyId)).toBe(props.KeyArn);
    expect(props.ServiceToken).toMatch(/^arn:aws:lambda:us-east-1:123456789012:function:/);
    expect(model.lambdaTimeoutMs(props.ServiceToken, 1)).toBe(900_000);
    expect(model.lambdaTimeoutMs('arn:aws:lambda:us-east-1:123456789012:function:elsewhere', 1)).toBe(1);
  });

  // AWS::Lambda::Function Code (https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/aws-properties-lambda-function-code.html)
  // and Handler (https://docs.aws.amazon.com/lambda/latest/dg/nodejs-handler.html#nodejs-handler-naming): a function
  // runs the export its Handler names of the file in the asset its Code names, as the assembly stages it.
  test('a function runs the file and export its Handler names, in the asset its Code names', () => {
    const env = { stackName: 'DriverGuarded', stackId: 'arn:aws:cloudformation:us-east-1:123456789012:stack/DriverGuarded/1', region: 'us-east-1', accountId: '123456789012', partition: 'aws', urlSuffix: 'amazonaws.com' };
    const guarded = loadStackTemplate(synthStack('DriverGuarded', (s) => {
      new DeliveryStreamEncryption(s, 'Sse', { deliveryStream: firehose.DeliveryStream.fromDeliveryStreamName(s, 'Stream', 'driver-guarded'), repair: true });
    }));
    const model = new TemplateModel(guarded, env, () => undefined);
    const code = Object.fromEntries(model.idsOfType('AWS::Lambda::Function').map((id) => {
      const { file, exportName } = functionCodeOf(model, id);
      return [exportName, file === undefined ? undefined : fs.readFileSync(file)];
    }));
    expect(Object.keys(code).sort()).toEqual(['handler', 'repair']);
    expect(code.handler!.equals(fs.readFileSync(DEFAULT_HANDLER_BUNDLE))).toBe(true);
    expect(code.repair!.equals(fs.readFileSync(DEFAULT_GUARD_BUNDLE))).toBe(true);
    // A bare template names no staged asset: the driver runs the handler's bundle for it.
    const bare = new TemplateModel(loadStackTemplate(guarded.template), env, () => undefined);
    expect(bare.idsOfType('AWS::Lambda::Function').map((id) => functionCodeOf(bare, id).file)).toEqual([undefined, undefined]);
    // An asset the assembly does not hold is refused, as a function whose code cannot be found.
    const [fn] = model.idsOfType('AWS::Lambda::Function');
    const resource = guarded.template.Resources[fn];
    const elsewhere = { ...resource, Properties: { ...resource.Properties, Code: { S3Key: `${'0'.repeat(64)}.zip` } } };
    const missing = new TemplateModel({ ...guarded, template: { Resources: { [fn]: elsewhere } } }, env, () => undefined);
    expect(() => functionCodeOf(missing, fn)).toThrow(/does not hold/);
  });

  // The same pages: the library's assets are .zip files the assembly stages as `asset.<hash>.zip`
  // and uploads as they are; a folder asset is staged as the folder `asset.<hash>`. The local
  // cloud runs both, the zip read from the staged file.
  describe('a zip asset and a folder asset', () => {
    const env = { stackName: 'DriverAssets', stackId: 'arn:aws:cloudformation:us-east-1:123456789012:stack/DriverAssets/1', region: 'us-east-1', accountId: '123456789012', partition: 'aws', urlSuffix: 'amazonaws.com' };
    /** A one-function stack whose code is `code`, and the function's code as the driver reads it. */
    const codeOf = (code: awslambda.Code) => {
      const assemblyDir = synthStack('DriverAssets', (s) => {
        new awslambda.Function(s, 'Fn', { runtime: awslambda.Runtime.NODEJS_20_X, handler: 'lib/main.run', code });
      });
      const model = new TemplateModel(loadStackTemplate(assemblyDir), env, () => undefined);
      const [fn] = model.idsOfType('AWS::Lambda::Function');
      return { assemblyDir, model, fn, key: String((model.resource(fn).Properties?.Code as { S3Key: string }).S3Key) };
    };
    const MAIN = Buffer.from('exports.run = async () => "zipped";\n');

    test('a zip asset is staged as a file, extracted once, and its Handler\'s file loaded from it', () => {
      const archive = path.join(dir, 'asset.zip');
      fs.writeFileSync(archive, zip([{ name: 'lib/main.js', data: MAIN }, { name: 'README', data: Buffer.from('x') }]));
      const { assemblyDir, model, fn, key } = codeOf(awslambda.Code.fromAsset(archive));
      expect(fs.statSync(path.join(assemblyDir, `asset.${key}`)).isFile()).toBe(true);
      const code = functionCodeOf(model, fn);
      expect(code.exportName).toBe('run');
      expect(path.relative(path.dirname(path.dirname(code.file!)), code.file!)).toBe(path.join('lib', 'main.js'));
      expect(fs.readFileSync(code.file!).equals(MAIN)).toBe(true);
      expect(fs.readFileSync(path.join(path.dirname(path.dirname(code.file!)), 'README'), 'utf8')).toBe('x');
      // Beside the staged zip, in the assembly, as a folder asset is staged: its code finds the modules
      // above the assembly as a staged folder's would.
      expect(path.dirname(path.dirname(code.file!))).toBe(path.join(assemblyDir, `asset.${key.replace(/\.zip$/, '')}.unzipped`));
      // Once per asset hash: the same folder again.
      expect(functionCodeOf(model, fn).file).toBe(code.file);
    });

    test('a folder asset still runs from its staged folder', () => {
      const folder = path.join(dir, 'folder-asset');
      fs.mkdirSync(path.join(folder, 'lib'), { recursive: true });
      fs.writeFileSync(path.join(folder, 'lib', 'main.js'), MAIN);
      const { assemblyDir, model, fn, key } = codeOf(awslambda.Code.fromAsset(folder));
      expect(functionCodeOf(model, fn).file).toBe(path.join(assemblyDir, `asset.${key.replace(/\.zip$/, '')}`, 'lib', 'main.js'));
    });

    test('the handler\'s bundle is found from wherever the local cloud runs: bundled into the bench\'s worker, too', () => {
      // The bench runs the local cloud bundled into .tmp/bench-children/worker.js, where a path taken
      // from the module's own folder leads outside the repository.
      const root = path.join(__dirname, '..', '..');
      const outfile = path.join(root, '.tmp', 'driver-test-bundled', 'runtime.js');
      buildSync({ entryPoints: [path.join(root, 'tools', 'local-cloud', 'cfn', 'lambda-runtime.ts')], bundle: true, platform: 'node', format: 'cjs', packages: 'external', outfile, logLevel: 'warning' });
      const bundled = jest.requireActual<{ DEFAULT_HANDLER_BUNDLE: string; DEFAULT_GUARD_BUNDLE: string }>(outfile);
      expect(bundled.DEFAULT_HANDLER_BUNDLE).toBe(path.join(root, 'assets', 'stream-encryption-handler', 'index.js'));
      expect(bundled.DEFAULT_GUARD_BUNDLE).toBe(path.join(root, 'assets', 'stream-encryption-guard', 'index.js'));
    });

    test('a zip whose data does not match its CRC-32 is refused', () => {
      const archive = zip([{ name: 'lib/main.js', data: MAIN }]);
      // Flip one bit of the entry's stored CRC-32, in the central directory (the reader checks it).
      const central = archive.readUInt32LE(archive.length - 22 + 16);
      archive.writeUInt32LE((archive.readUInt32LE(central + 16) + 1) % 0x100000000, central + 16);
      const file = path.join(dir, 'corrupt.zip');
      fs.writeFileSync(file, archive);
      const { model, fn } = codeOf(awslambda.Code.fromAsset(file));
      expect(() => functionCodeOf(model, fn)).toThrow(/does not match its CRC-32/);
    });
  });

  test('Ref, Fn::GetAtt, Fn::Join, Fn::Sub, Fn::Select, Fn::Split, AWS::NoValue; anything else is refused', () => {
    const scope = {
      pseudo: { 'AWS::Region': 'us-east-1', 'AWS::Partition': 'aws' },
      parameters: { Env: 'prod' },
      ref: (id: string) => (id === 'Stream' ? 'orders' : undefined),
      getAtt: (id: string, attr: string) => (id === 'Key' && attr === 'Arn' ? 'arn:aws:kms:us-east-1:1:key/k' : undefined),
    };
    expect(resolveValue({
      A: { 'Fn::Join': ['-', [{ Ref: 'Stream' }, { Ref: 'Env' }, { Ref: 'AWS::Region' }]] },
      B: { 'Fn::Sub': ['${Stream}/${Key.Arn}/${X}/${!Literal}', { X: { 'Fn::Select': [1, { 'Fn::Split': [',', 'a,b,c'] }] } }] },
      C: { 'Fn::GetAtt': 'Key.Arn' },
      D: { Ref: 'AWS::NoValue' },
      E: [1, { Ref: 'AWS::NoValue' }, true],
    }, scope, 'Test')).toEqual({
      A: 'orders-prod-us-east-1',
      B: 'orders/arn:aws:kms:us-east-1:1:key/k/b/${Literal}',
      C: 'arn:aws:kms:us-east-1:1:key/k',
      E: [1, true],
    });
    expect(stringifyScalars({ n: 1, b: false, s: 'x', nested: [2, { t: true }], gone: null })).toEqual({ n: '1', b: 'false', s: 'x', nested: ['2', { t: 'true' }] });
    expect(() => resolveValue({ 'Fn::If': ['C', 1, 2] }, scope, 'Test.P')).toThrow(ResolveError);
    expect(() => resolveValue({ Ref: 'Nothing' }, scope, 'Test.P')).toThrow(/Test.P: Ref Nothing has no value/);
  });
});
