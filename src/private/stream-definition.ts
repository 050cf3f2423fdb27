/**
 * What a stream encryption construct reads of the stream it is given: the
 * L1 resource of a stream defined in this app, the stream's name as written,
 * and the alias of a key created for it.
 *
 * Not part of the public jsii API.
 */
import { CfnResource, Names, Token } from 'aws-cdk-lib';
import { IConstruct } from 'constructs';

/** The L1 resource of CloudFormation type `type` behind a stream defined in this app, if any. */
export function cfnResourceOf<T extends CfnResource>(stream: IConstruct, type: string): T | undefined {
  const child = stream.node.defaultChild;
  return CfnResource.isCfnResource(child) && child.cfnResourceType === type ? (child as T) : undefined;
}

/**
 * The stream's name as written in the app, when it is known at synth time:
 * `name` (the imported name), or, when that is a token, the name `declared`
 * on the L1 resource of a stream defined here.
 */
export function literalName(name: string, declared: string | undefined): string {
  return Token.isUnresolved(name) && declared !== undefined ? declared : name;
}

/**
 * An alias for a key created for `stream`: `<prefix><stream name>`, or the
 * stream construct's unique name when the stream name is only known at
 * deploy time. Alias names allow letters, digits, '/', '_' and '-'.
 *
 * @param prefix - e.g. `alias/firehose-sse/`.
 * @param stream - the stream construct.
 * @param name - the stream's name as written in the app (see `literalName`).
 */
export function keyAliasFor(prefix: string, stream: IConstruct, name: string): string {
  const base = Token.isUnresolved(name)
    ? Names.uniqueResourceName(stream, { maxLength: 200, separator: '-' })
    : name.replace(/[^a-zA-Z0-9/_-]/g, '-');
  return `${prefix}${base}`;
}
