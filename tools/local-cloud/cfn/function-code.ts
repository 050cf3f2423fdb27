/**
 * The code a template's `AWS::Lambda::Function` runs: the file and export its `Handler` names, in
 * the asset its `Code` names.
 *
 * - `Code` (AWS CloudFormation User Guide, "AWS::Lambda::Function Code",
 *   https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/aws-properties-lambda-function-code.html):
 *   the CDK writes an asset as `S3Bucket` and `S3Key` `<hash>.zip`, the zip of the folder the
 *   cloud assembly stages as `asset.<hash>`; that folder is the function's code.
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
  const assetDir = path.join(assemblyDir, `asset.${key.replace(/\.zip$/, '')}`);
  if (!fs.existsSync(assetDir)) {
    throw new Error(`${model.stack.source}: function ${functionId} names the asset ${key}, which ${assemblyDir} does not hold (${assetDir})`);
  }
  return { file: path.join(assetDir, `${handler.slice(0, Math.max(dot, 0))}.js`), exportName };
}
