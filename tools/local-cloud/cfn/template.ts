/**
 * Reading what CloudFormation would deploy: a synthesized cloud assembly (the `cdk.out` directory
 * of `app.synth()`), a template file, or a template object.
 *
 * @module
 */

import * as fs from 'node:fs';
import * as path from 'node:path';

/** One resource of a template, as written. */
export interface CfnResourceDefinition {
  readonly Type: string;
  readonly Properties?: Readonly<Record<string, unknown>>;
  readonly DependsOn?: string | readonly string[];
  readonly DeletionPolicy?: string;
  readonly UpdateReplacePolicy?: string;
  readonly Condition?: string;
  readonly Metadata?: Readonly<Record<string, unknown>>;
}

/** A CloudFormation template (the parts the driver reads). */
export interface CfnTemplate {
  readonly Resources: Readonly<Record<string, CfnResourceDefinition>>;
  readonly Parameters?: Readonly<Record<string, { readonly Type?: string; readonly Default?: unknown }>>;
  readonly [section: string]: unknown;
}

/** A stack to drive: its name, template and (when the assembly names them) account and region. */
export interface StackTemplate {
  readonly stackName: string;
  readonly template: CfnTemplate;
  /** From the assembly's `aws://<account>/<region>` environment, when it is not `unknown-…`. */
  readonly account?: string;
  readonly region?: string;
  /** Where the template was read from, for messages. */
  readonly source: string;
  /**
   * The cloud assembly the template was read from, whose `asset.<hash>` folders and
   * `asset.<hash>.zip` files hold the staged assets its functions' `Code` names; none for a bare
   * template.
   */
  readonly assemblyDir?: string;
}

/** Where a stack comes from: an assembly directory, a template file, a template, or a {@link StackTemplate}. */
export type StackSource = string | CfnTemplate | StackTemplate;

/** How {@link loadStackTemplate} picks and names the stack. */
export interface LoadOptions {
  /**
   * The stack to pick from an assembly with several stacks; the name of a stack read from a
   * template. @defaultValue the assembly's only stack; `Stack` for a bare template
   */
  readonly stackName?: string;
}

/** The parts of a cloud assembly's `manifest.json` the driver reads. */
interface AssemblyManifest {
  readonly artifacts?: Record<string, {
    readonly type: string;
    readonly environment?: string;
    readonly displayName?: string;
    readonly properties?: { readonly templateFile?: string; readonly stackName?: string };
  }>;
}

/** Whether a value looks like a template (has a `Resources` object). */
function isTemplate(value: unknown): value is CfnTemplate {
  return typeof value === 'object' && value !== null && typeof (value as { Resources?: unknown }).Resources === 'object';
}

/** Whether a value is an already loaded {@link StackTemplate}. */
function isStackTemplate(value: unknown): value is StackTemplate {
  return typeof value === 'object' && value !== null && typeof (value as StackTemplate).stackName === 'string' && isTemplate((value as StackTemplate).template);
}

/** Reads and parses a JSON file, naming the file when it cannot. */
function readJson(file: string): unknown {
  try {
    return JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch (e) {
    throw new Error(`Cannot read ${file} as JSON: ${(e as Error).message}`);
  }
}

/** Reads the stacks of a cloud assembly directory. */
function stacksOfAssembly(dir: string): StackTemplate[] {
  const manifestFile = path.join(dir, 'manifest.json');
  if (!fs.existsSync(manifestFile)) {
    throw new Error(`${dir} is not a cloud assembly: it has no manifest.json (synthesize the app with app.synth() first)`);
  }
  const manifest = readJson(manifestFile) as AssemblyManifest;
  const stacks: StackTemplate[] = [];
  for (const [id, artifact] of Object.entries(manifest.artifacts ?? {})) {
    if (artifact.type !== 'aws:cloudformation:stack' || !artifact.properties?.templateFile) continue;
    const file = path.join(dir, artifact.properties.templateFile);
    const template = readJson(file);
    if (!isTemplate(template)) throw new Error(`${file} is not a CloudFormation template (no Resources)`);
    const env = /^aws:\/\/([^/]+)\/(.+)$/.exec(artifact.environment ?? '');
    stacks.push({
      stackName: artifact.properties.stackName ?? id,
      template,
      account: env && !env[1].startsWith('unknown-') ? env[1] : undefined,
      region: env && !env[2].startsWith('unknown-') ? env[2] : undefined,
      source: file,
      assemblyDir: dir,
    });
  }
  return stacks;
}

/**
 * Loads the stack to drive.
 *
 * @param source - a cloud assembly directory (its `manifest.json` names the templates), a template
 *   file (`*.template.json`), a template object, or an already loaded {@link StackTemplate}
 * @param options - which stack of an assembly, or the name of a bare template's stack
 */
export function loadStackTemplate(source: StackSource, options: LoadOptions = {}): StackTemplate {
  if (isStackTemplate(source)) return source;
  if (isTemplate(source)) return { stackName: options.stackName ?? 'Stack', template: source, source: 'template object' };
  if (typeof source !== 'string') throw new Error('Expected a cloud assembly directory, a template file or a template object');
  if (!fs.existsSync(source)) throw new Error(`No such cloud assembly or template: ${source}`);
  if (fs.statSync(source).isDirectory()) {
    const stacks = stacksOfAssembly(source);
    if (options.stackName !== undefined) {
      const found = stacks.find((s) => s.stackName === options.stackName);
      if (!found) throw new Error(`The assembly ${source} has no stack ${options.stackName}; it has ${stacks.map((s) => s.stackName).join(', ') || 'none'}`);
      return found;
    }
    if (stacks.length !== 1) {
      throw new Error(`The assembly ${source} has ${stacks.length} stacks (${stacks.map((s) => s.stackName).join(', ')}); pass stackName`);
    }
    return stacks[0];
  }
  const template = readJson(source);
  if (!isTemplate(template)) throw new Error(`${source} is not a CloudFormation template (no Resources)`);
  return {
    stackName: options.stackName ?? path.basename(source).replace(/\.template\.json$|\.json$/, ''),
    template,
    source,
  };
}

/** The logical ids a resource depends on through `DependsOn`. */
export function dependsOn(resource: CfnResourceDefinition): string[] {
  const value = resource.DependsOn;
  if (value === undefined) return [];
  return typeof value === 'string' ? [value] : [...value];
}
