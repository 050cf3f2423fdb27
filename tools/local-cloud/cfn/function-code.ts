/**
 * The code a template's `AWS::Lambda::Function` runs: the file and export its `Handler` names, in
 * the asset its `Code` names.
 *
 * - `Code` (AWS CloudFormation User Guide, "AWS::Lambda::Function Code",
 *   https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/aws-properties-lambda-function-code.html):
 *   `S3Key` is "the Amazon S3 key of the deployment package", a .zip file; the CDK writes an asset
 *   as `S3Bucket` and `S3Key` `<hash>.zip`. A folder asset is staged in the cloud assembly as the
 *   folder `asset.<hash>` (the CLI zips it at deploy); a `.zip` file asset (this library's own) as
 *   the file `asset.<hash>.zip`, uploaded as it is: the local cloud reads that zip (each entry
 *   checked against its CRC-32) and extracts it, once per asset hash, into a folder of its own.
 *   That folder is the function's code.
 * - `Handler` (AWS Lambda Developer Guide, "Define Lambda function handler in Node.js", handler
 *   naming conventions, https://docs.aws.amazon.com/lambda/latest/dg/nodejs-handler.html#nodejs-handler-naming):
 *   `<file>.<export>`, the file's path without its extension, relative to the code's root. Lambda
 *   also looks for `.mjs` and `.cjs` files; the local one, taking the harsher reading, loads only
 *   the `.js` file CommonJS bundles are, and a function whose file is missing fails to load.
 *
 * @module
 */

import * as fs from 'node:fs';
import * as path from 'node:path';
import type { TemplateModel } from './model';
import { unzip } from '../../bench/zip';

/** What a function runs. */
export interface FunctionCode {
  /** The file its `Handler` names in its staged asset; none when the template names no asset (a bare template). */
  readonly file?: string;
  /** The export its `Handler` names. */
  readonly exportName: string;
}

/** The custom-resource handler's code when the template has no function for a service token. */
export const DEFAULT_FUNCTION_CODE: FunctionCode = { exportName: 'handler' };

/**
 * The code of the function `functionId` of `model` ({@link DEFAULT_FUNCTION_CODE} for none).
 *
 * @throws Error when the template names an asset that its cloud assembly does not hold
 */
export function functionCodeOf(model: TemplateModel, functionId: string | undefined): FunctionCode {
  if (functionId === undefined) return DEFAULT_FUNCTION_CODE;
  const properties = model.resource(functionId).Properties ?? {};
  const handler = typeof properties.Handler === 'string' ? properties.Handler : 'index.handler';
  const dot = handler.lastIndexOf('.');
  const exportName = handler.slice(dot + 1);
  const key = (properties.Code as { S3Key?: unknown } | undefined)?.S3Key;
  const assemblyDir = model.stack.assemblyDir;
  if (typeof key !== 'string' || assemblyDir === undefined) return { exportName };
  const asset = stagedAsset(assemblyDir, key);
  if (asset === undefined) {
    const staged = stagedPath(assemblyDir, key);
    throw new Error(`${model.stack.source}: function ${functionId} names the asset ${key}, which ${assemblyDir} does not hold (${staged} or ${staged}.zip)`);
  }
  return { file: path.join(asset.dir, `${handler.slice(0, Math.max(dot, 0))}.js`), exportName };
}

/** A staged asset's files: the folder, and the staged zip they come from when it is a file asset. */
export interface StagedAsset {
  /** The folder that holds the asset's files. */
  readonly dir: string;
  /** The staged `asset.<hash>.zip`, uploaded as it is (a file asset). */
  readonly zip?: string;
}

/** Where a cloud assembly stages the asset of S3 key `key`, without the `.zip` a file asset adds. */
function stagedPath(assemblyDir: string, key: string): string {
  return path.join(assemblyDir, `asset.${key.replace(/\.zip$/, '')}`);
}

/**
 * The files of the asset of S3 key `key` as the cloud assembly in `assemblyDir` stages them: the
 * folder `asset.<hash>`, or the file asset `asset.<hash>.zip` extracted ({@link extractedAsset});
 * none when the assembly holds neither.
 */
export function stagedAsset(assemblyDir: string, key: string): StagedAsset | undefined {
  const staged = stagedPath(assemblyDir, key);
  if (isDirectory(staged)) return { dir: staged };
  const zip = `${staged}.zip`;
  return fs.existsSync(zip) ? { dir: extractedAsset(zip), zip } : undefined;
}

/** The folders this process has extracted or found, by staged zip. */
const extracted = new Map<string, string>();

function isDirectory(file: string): boolean {
  return fs.existsSync(file) && fs.statSync(file).isDirectory();
}

/**
 * The folder that holds the files of the staged zip `zipFile` (`asset.<hash>.zip`): extracted
 * beside it, into `asset.<hash>.unzipped`, the first time, found there after. Beside the zip, as
 * the CDK stages a folder asset: the code then finds the modules the Lambda runtime provides (the
 * AWS SDK) as a staged folder's code does, in the `node_modules` above the cloud assembly. The
 * asset's hash is that of its content, so a folder once there is its zip's. The folder appears
 * whole or not at all (it is written beside and renamed), so processes that extract one asset at
 * once all find it complete.
 *
 * @throws Error when the zip cannot be read, or an entry does not match its CRC-32
 */
export function extractedAsset(zipFile: string): string {
  const known = extracted.get(zipFile);
  if (known !== undefined) return known;
  const parent = path.dirname(zipFile);
  const name = path.basename(zipFile).replace(/\.zip$/, '');
  const dir = path.join(parent, `${name}.unzipped`);
  if (!isDirectory(dir)) {
    const entries = unzip(fs.readFileSync(zipFile));
    const partial = fs.mkdtempSync(path.join(parent, `.${name}-`));
    fs.chmodSync(partial, 0o755);
    for (const entry of entries) {
      const file = path.join(partial, entry.name);
      fs.mkdirSync(path.dirname(file), { recursive: true });
      fs.writeFileSync(file, entry.data);
    }
    try {
      fs.renameSync(partial, dir);
    } catch (error) {
      // Another process extracted it first: keep theirs.
      fs.rmSync(partial, { recursive: true, force: true });
      if (!isDirectory(dir)) throw error;
    }
  }
  extracted.set(zipFile, dir);
  return dir;
}
