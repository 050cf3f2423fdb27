/**
 * Synthesizes the example app in `example/` and prints what cdk-stream-encryption
 * added to its stack: the shared provider, each stream's custom resource and
 * key, and the IAM the handler was granted.
 *
 * Run with `npm run synth:example`.
 */
import * as path from 'path';
import { Template } from 'aws-cdk-lib/assertions';
import { buildExampleApp } from '../../example/app';

const outdir = path.join(__dirname, '..', '..', 'example', 'cdk.out');
const { app, stack } = buildExampleApp(outdir);
const assembly = app.synth();
const template = Template.fromStack(stack).toJSON() as { Resources: Record<string, any> };
const resources = Object.entries(template.Resources);

const byType = (type: string) => resources.filter(([, r]) => r.Type === type);
const show = (v: unknown) => (typeof v === 'string' ? v : JSON.stringify(v));

console.log(`synthesized ${stack.stackName} into ${path.relative(process.cwd(), assembly.directory)}`);
console.log(`  ${resources.length} resources in the template`);
console.log('\nprovider (one per stack):');
for (const type of ['AWS::Lambda::Function', 'AWS::IAM::Role', 'AWS::Logs::LogGroup']) {
  for (const [id] of byType(type).filter(([lid]) => lid.startsWith('CdkStreamEncryptionProvider'))) {
    console.log(`  ${type.padEnd(24)} ${id}`);
  }
}
console.log('\nencrypted streams:');
for (const [id, r] of byType('Custom::DeliveryStreamEncryption')) {
  const p = r.Properties;
  console.log(`  ${id}`);
  console.log(`    stream ${show(p.DeliveryStreamName)}, key type ${p.KeyType}, key ${show(p.KeyArn ?? '-')}`);
  console.log(`    timeout ${p.TimeoutSeconds} s, settle ${p.SettleSeconds} s, on delete: ${p.RemovalPolicy}, service timeout ${p.ServiceTimeout} s`);
}
for (const [id, r] of byType('AWS::KMS::Alias')) {
  console.log(`  key alias ${r.Properties.AliasName} (${id})`);
}
console.log('\nhandler permissions:');
for (const [, r] of byType('AWS::IAM::Policy').filter(([lid]) => lid.startsWith('CdkStreamEncryptionProvider'))) {
  for (const s of r.Properties.PolicyDocument.Statement) {
    const resourcesOfStatement = ([] as unknown[]).concat(s.Resource).map(show);
    console.log(`  ${([] as string[]).concat(s.Action).join(', ')}`);
    for (const res of resourcesOfStatement) console.log(`      on ${res}`);
    if (s.Condition) console.log(`      when ${JSON.stringify(s.Condition)}`);
  }
}
