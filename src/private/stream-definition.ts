/**
 * What a stream encryption construct reads of the stream it is given: the
 * L1 resource of a stream defined in this app, the stream's name as written,
 * the stream's identity in its stack, and the alias of a key created for it.
 *
 * Not part of the public jsii API.
 */
import { CfnResource, Names, Stack, Token } from 'aws-cdk-lib';
import { IConstruct } from 'constructs';

/** The L1 resource of CloudFormation type `type` behind a stream defined in this app, if any. */
export function cfnResourceOf<T extends CfnResource>(stream: IConstruct, type: string): T | undefined {
  const child = stream.node.defaultChild;
  return CfnResource.isCfnResource(child) && child.cfnResourceType === type ? (child as T) : undefined;
}

/**
 * The CloudFormation resources of type `type` that `construct` stands for:
 * its own L1 resource of that type, or, for a construct of the app's own
 * whose L1 resource is not its default child, every L1 resource of that type
 * in its subtree. None for an imported stream or key. Only resources of that
 * type: a subtree may hold constructs that depend on the stream (its
 * encryption, the guard's rule).
 */
export function cfnResourcesOf(construct: IConstruct, type: string): CfnResource[] {
  const own = cfnResourceOf(construct, type);
  if (own) {
    return [own];
  }
  return construct.node.findAll().filter((c): c is CfnResource => CfnResource.isCfnResource(c) && c.cfnResourceType === type);
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

/** How one kind of stream's ARN is written: `arn:<partition>:<service>:<region>:<account>:<resource>/<name>`. */
export interface StreamArnFormat {
  /** e.g. `firehose`, `kinesis`. */
  readonly service: string;
  /** e.g. `deliverystream`, `stream`. */
  readonly resource: string;
}

/**
 * A value as it resolves in `stack`, flattened to one string: the parts of
 * an `Fn::Join` joined, the partition as `*` (a stack is in one), the
 * stack's region and account written out when they are known, anything
 * else as its JSON.
 */
function flattened(stack: Stack, value: unknown): string {
  if (typeof value === 'string') {
    return value;
  }
  const obj = value as Record<string, unknown>;
  if (obj && typeof obj === 'object' && 'Fn::Join' in obj) {
    const [separator, parts] = obj['Fn::Join'] as [string, unknown[]];
    return parts.map((p) => flattened(stack, p)).join(separator);
  }
  const known: Record<string, string> = { 'AWS::Partition': '*', 'AWS::Region': stack.region, 'AWS::AccountId': stack.account };
  const ref = obj && typeof obj === 'object' ? (obj.Ref as string | undefined) : undefined;
  if (ref !== undefined && ref in known && !Token.isUnresolved(known[ref])) {
    return known[ref];
  }
  return JSON.stringify(value);
}

/**
 * What tells streams apart in the stack of `scope`: the stream's ARN as it
 * resolves there, with any partition (a stack is in one), or, for a stream
 * defined in this app with a name written in it, the ARN that name gives in
 * the stream's own stack. The same stream imported by name, by ARN, or
 * defined here thus has one identity.
 *
 * @param scope - the construct that encrypts the stream.
 * @param stream - the stream construct.
 * @param arn - the stream's ARN.
 * @param declaredName - the name written on the L1 resource of a stream defined here, if any.
 * @param format - how the kind's ARNs are written.
 */
export function streamIdentity(
  scope: IConstruct,
  stream: IConstruct,
  arn: string,
  declaredName: string | undefined,
  format: StreamArnFormat,
): string {
  const stack = Stack.of(scope);
  let text: string;
  if (declaredName !== undefined && !Token.isUnresolved(declaredName)) {
    const own = Stack.of(stream);
    const part = (value: string, pseudo: string) => (Token.isUnresolved(value) ? `{"Ref":"${pseudo}"}` : value);
    text = `arn:*:${format.service}:${part(own.region, 'AWS::Region')}:${part(own.account, 'AWS::AccountId')}:${format.resource}/${declaredName}`;
  } else {
    text = flattened(stack, stack.resolve(arn));
  }
  return text.replace(/^arn:[^:]*:/, 'arn:*:');
}
