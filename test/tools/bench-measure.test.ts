/**
 * The bench's asset bytes: a `.zip` file asset (this library's) counts as uploaded at the size of
 * the zip itself, which the CDK uploads as it is; a folder asset at the size of the zip the CDK CLI
 * makes of it.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { App, Stack } from 'aws-cdk-lib';
import * as firehose from 'aws-cdk-lib/aws-kinesisfirehose';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { DeliveryStreamEncryption } from '../../src';
import { assetBytes, functionCodeOf, zipAssetBytes } from '../../tools/bench/measure';
import { filesOf, zip } from '../../tools/bench/zip';
import { ensureBundle, HANDLER_BUNDLE, HANDLER_ZIP } from '../bundle-sources';

beforeAll(() => {
  ensureBundle();
}, 120_000);

test('a zip asset is measured as its zip, a folder asset as the CLI zips it', () => {
  const outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-measure-'));
  const folder = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-measure-folder-'));
  fs.writeFileSync(path.join(folder, 'index.js'), 'exports.handler = async () => undefined;\n'.repeat(50));
  const app = new App({ outdir });
  const stack = new Stack(app, 'BenchMeasure', { env: { account: '123456789012', region: 'us-east-1' } });
  new DeliveryStreamEncryption(stack, 'Sse', { deliveryStream: firehose.DeliveryStream.fromDeliveryStreamName(stack, 'Stream', 'bench') });
  new lambda.Function(stack, 'Other', { runtime: lambda.Runtime.NODEJS_20_X, handler: 'index.handler', code: lambda.Code.fromAsset(folder) });
  const assembly = app.synth().directory;

  const codes = functionCodeOf(assembly);
  const library = codes.find((c) => c.assetZip !== undefined)!;
  expect(library.handler).toBe('index.handler');
  // Uploaded as it is: the shipped zip's bytes; raw: its index.js, which the extracted folder holds.
  expect(zipAssetBytes(library.assetZip!)).toEqual({ raw: fs.statSync(HANDLER_BUNDLE).size, zip: fs.statSync(HANDLER_ZIP).size, files: 1 });
  expect(fs.readFileSync(path.join(library.assetDir!, 'index.js')).equals(fs.readFileSync(HANDLER_BUNDLE))).toBe(true);

  const other = codes.find((c) => c.assetZip === undefined && c.assetDir !== undefined)!;
  expect(assetBytes(other.assetDir!).zip).toBe(zip(filesOf(folder)).length);
  expect(codes).toHaveLength(2);
});
