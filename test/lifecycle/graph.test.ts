/**
 * The dependency order of the local CloudFormation: what a resource depends on, and running
 * resources in that order (creates, updates) or its reverse (deletes).
 */
import { dependenciesOf, dependencyCycle, runInOrder, topologicalOrder } from '../../tools/local-cloud/cfn';

const RESOURCES = {
  Key: { Type: 'AWS::KMS::Key' },
  Role: { Type: 'AWS::IAM::Role' },
  Policy: { Type: 'AWS::IAM::ManagedPolicy', Properties: { Roles: [{ Ref: 'Role' }], PolicyDocument: { Statement: [{ Resource: { 'Fn::GetAtt': ['Key', 'Arn'] } }] } } },
  Fn: { Type: 'AWS::Lambda::Function', DependsOn: ['Policy'], Properties: { Role: { 'Fn::GetAtt': 'Role.Arn' } } },
  Custom: { Type: 'Custom::DeliveryStreamEncryption', Properties: { ServiceToken: { 'Fn::Sub': ['${Fn.Arn}-${AWS::Region}-${Var}', { Var: 'x' }] }, KeyArn: { 'Fn::Sub': ['${K}', { K: { Ref: 'Key' } }] } } },
};

test('a resource depends on DependsOn, Ref, Fn::GetAtt (both forms) and Fn::Sub references; pseudo parameters and Sub variables are not resources', () => {
  expect([...dependenciesOf(RESOURCES, 'Policy')].sort()).toEqual(['Key', 'Role']);
  expect([...dependenciesOf(RESOURCES, 'Fn')].sort()).toEqual(['Policy', 'Role']);
  expect([...dependenciesOf(RESOURCES, 'Custom')].sort()).toEqual(['Fn', 'Key']);
  expect(topologicalOrder(Object.keys(RESOURCES).reverse(), (id) => dependenciesOf(RESOURCES, id))).toEqual(['Role', 'Key', 'Policy', 'Fn', 'Custom']);
});

test('forward: each starts once what it depends on is done, independent ones at once; reverse: dependents first', async () => {
  const deps = (id: string) => dependenciesOf(RESOURCES, id);
  const log: string[] = [];
  const run = async (id: string) => {
    log.push(`start ${id}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
    log.push(`end ${id}`);
    return true;
  };
  await runInOrder(Object.keys(RESOURCES), deps, run);
  expect(log.slice(0, 2)).toEqual(['start Key', 'start Role']);
  expect(log.indexOf('start Policy')).toBeGreaterThan(log.indexOf('end Role'));
  expect(log.indexOf('start Custom')).toBeGreaterThan(log.indexOf('end Fn'));

  log.length = 0;
  await runInOrder(Object.keys(RESOURCES), deps, run, { reverse: true });
  expect(log.filter((l) => l.startsWith('start'))).toEqual(['start Custom', 'start Fn', 'start Policy', 'start Key', 'start Role']);
});

test('a failure: its dependents are never started; with stopOnFailure nothing more starts', async () => {
  const deps = (id: string) => dependenciesOf(RESOURCES, id);
  const started = await runInOrder(Object.keys(RESOURCES), deps, (id) => id !== 'Policy');
  expect(started).toEqual(['Key', 'Role', 'Policy']);
  const ids = ['A', 'B', 'C'];
  const chain = (id: string) => new Set(id === 'C' ? ['B'] : []);
  expect(await runInOrder(ids, chain, (id) => id !== 'A', { stopOnFailure: true })).toEqual(['A', 'B']);
});

test('a dependency cycle is found through DependsOn, Ref, Fn::GetAtt and Fn::Sub, and none in an acyclic template', () => {
  expect(dependencyCycle(RESOURCES)).toBeUndefined();
  const cyclic = {
    ...RESOURCES,
    Key: { Type: 'AWS::KMS::Key', Properties: { Description: { 'Fn::Sub': '${Custom.Name}' } } },
  };
  expect(dependencyCycle(cyclic)).toEqual(['Key', 'Custom', 'Fn', 'Policy', 'Key']);
  expect(dependencyCycle({ A: { Type: 'X', DependsOn: 'B' }, B: { Type: 'X', Properties: { P: { Ref: 'A' } } } })).toEqual(['A', 'B', 'A']);
});
