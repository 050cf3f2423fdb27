/**
 * The library's constructs, Aspects and guard together, placed wherever a user may place them:
 * every combination synthesizes a template without a dependency cycle (which CloudFormation
 * refuses), and in the order a deploy needs: the stream before its encryption, the encryption
 * before the guard's rule that repairs it.
 */
import { AspectPriority, Aspects, CfnResource, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { Construct, IConstruct } from 'constructs';
import { AnyStreamEncryption, expectNoDependencyCycle, Kind, KINDS, newStack, resourcesOf } from './util';
import { StreamEncryptionFixes, StreamEncryptionGuard } from '../../src';
import { dependenciesOf } from '../../tools/local-cloud/cfn/graph';

/** Whether `from` depends on `to`, directly or through other resources of the template. */
function dependsTransitively(resources: Record<string, any>, from: string, to: string): boolean {
  const seen = new Set<string>();
  const walk = (id: string): boolean => {
    for (const dep of dependenciesOf(resources, id)) {
      if (dep === to) return true;
      if (!seen.has(dep)) {
        seen.add(dep);
        if (walk(dep)) return true;
      }
    }
    return false;
  };
  return walk(from);
}

/** The logical id of a construct's L1 resource in its stack. */
function logicalIdOf(construct: IConstruct): string {
  const cfn = (CfnResource.isCfnResource(construct) ? construct : construct.node.defaultChild) as CfnResource;
  return Stack.of(cfn).getLogicalId(cfn);
}

/** The custom resources of the template, by logical id. */
function customResources(stack: Stack, kind: Kind): string[] {
  return Object.keys(resourcesOf(stack, kind.resourceType));
}

/** The guard's repair rules (not the key health rules), by logical id. */
function repairRules(stack: Stack): string[] {
  return Object.keys(resourcesOf(stack, 'AWS::Events::Rule')).filter((id) => id.includes('RepairRule'));
}

/** Every repair rule depends on a custom resource, and none of the template's resources on itself. */
function expectDeployOrder(stack: Stack, kind: Kind, rulesExpected: number): Record<string, any> {
  const template = expectNoDependencyCycle(stack);
  const resources = template.Resources;
  const rules = repairRules(stack);
  expect(rules).toHaveLength(rulesExpected);
  for (const rule of rules) {
    expect(customResources(stack, kind).some((cr) => dependsTransitively(resources, rule, cr))).toBe(true);
  }
  return resources;
}

describe.each(KINDS)('$construct combined', (kind) => {
  test('a stack-wide guard, StreamEncryptionFixes and an imported stream (the README\'s two snippets together)', () => {
    const stack = newStack();
    StreamEncryptionGuard.configure(stack);
    kind.imported(stack);
    Aspects.of(stack.node.root).add(new StreamEncryptionFixes(), { priority: AspectPriority.MUTATING });
    expectDeployOrder(stack, kind, 1);
    expect(customResources(stack, kind)).toHaveLength(1);
  });

  test('an encryption placed under the imported stream, with a stack-wide guard', () => {
    const stack = newStack();
    StreamEncryptionGuard.configure(stack);
    const stream = kind.imported(stack);
    kind.encrypt(stream as Construct, 'Encryption', stream);
    expectDeployOrder(stack, kind, 1);
  });

  test('an encryption beside the imported stream, with repair: true and key health alarms', () => {
    const stack = newStack();
    const stream = kind.imported(stack);
    const encryption: AnyStreamEncryption = kind.encrypt(stack, 'Encryption', stream);
    encryption.addKeyHealthAlarms();
    expectDeployOrder(stack, kind, 0);
    const guarded = newStack('Guarded');
    StreamEncryptionGuard.configure(guarded);
    kind.encrypt(guarded, 'Encryption', kind.imported(guarded)).addKeyHealthAlarms();
    expectDeployOrder(guarded, kind, 1);
  });

  test('an encryption in another construct than the stream, both ways round, with the guard', () => {
    const stack = newStack();
    StreamEncryptionGuard.configure(stack);
    const team = new Construct(stack, 'Team');
    kind.encrypt(team, 'Encryption', kind.imported(stack));
    const platform = new Construct(stack, 'Platform');
    const other = kind.imported(platform, 'other', 'Other');
    kind.encrypt(other as Construct, 'Encryption', other);
    expectDeployOrder(stack, kind, 2);
  });

  test('a stream defined in the app, under which its encryption is placed: the stream is created first, the rule last', () => {
    const stack = newStack();
    StreamEncryptionGuard.configure(stack);
    const stream = kind.defined(stack, 'Defined', 'defined');
    const encryption = kind.encrypt(stream as Construct, 'Encryption', stream);
    const resources = expectDeployOrder(stack, kind, 1);
    const custom = logicalIdOf(encryption.resource);
    expect(dependsTransitively(resources, custom, logicalIdOf(stream))).toBe(true);
    const rule = repairRules(stack)[0];
    expect(dependsTransitively(resources, rule, custom)).toBe(true);
  });
});

test('both kinds, with the guard, the fixes and encryptions under and beside their streams, in one stack', () => {
  const stack = newStack();
  StreamEncryptionGuard.configure(stack);
  const [firehoseKind, kinesisKind] = KINDS;
  firehoseKind.imported(stack);
  kinesisKind.imported(stack);
  const underF = firehoseKind.imported(stack, 'under-f', 'UnderF');
  firehoseKind.encrypt(underF as Construct, 'Encryption', underF);
  const underK = kinesisKind.imported(stack, 'under-k', 'UnderK');
  kinesisKind.encrypt(underK as Construct, 'Encryption', underK);
  Aspects.of(stack.node.root).add(new StreamEncryptionFixes(), { priority: AspectPriority.MUTATING });
  const template = expectNoDependencyCycle(stack);
  expect(Object.keys(Template.fromJSON(template).findResources('AWS::Events::Rule')).filter((id) => id.includes('RepairRule'))).toHaveLength(4);
  expect(customResources(stack, firehoseKind)).toHaveLength(2);
  expect(customResources(stack, kinesisKind)).toHaveLength(2);
});
