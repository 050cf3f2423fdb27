/**
 * The checks `check:rosetta` runs on the README's Python and Java translations
 * (scripts/rosetta-programs.ts) pass a whole program and report each kind of
 * mistake: a misspelled class, a module or package that does not exist, a
 * static member or keyword argument that does not exist, a syntax error.
 *
 * The index is built from the real aws-cdk-lib and constructs assemblies and a
 * small stand-in for this library's (its `.jsii` exists only after compile).
 */
import * as fs from 'fs';
import * as path from 'path';
import {
  buildIndex,
  checkJavaPrograms,
  checkPythonPrograms,
  JsiiAssembly,
  ProgramIndex,
  pythonName,
  readAssemblyFile,
  wrapJava,
} from '../../tools/scripts/rosetta-programs';

const root = path.join(__dirname, '..', '..');

/** This library's assembly, reduced to what the snippets below use. */
const LIBRARY: JsiiAssembly = {
  name: 'cdk-stream-encryption',
  targets: { python: { module: 'cdk_stream_encryption' }, java: { package: 'dev.cdkstreamencryption' } },
  types: {
    'cdk-stream-encryption.DeliveryStreamEncryption': {
      fqn: 'cdk-stream-encryption.DeliveryStreamEncryption',
      kind: 'class',
      name: 'DeliveryStreamEncryption',
      base: 'constructs.Construct',
      initializer: {
        parameters: [
          { name: 'scope', type: { fqn: 'constructs.Construct' } },
          { name: 'id' },
          { name: 'props', type: { fqn: 'cdk-stream-encryption.DeliveryStreamEncryptionProps' } },
        ],
      },
      methods: [{ name: 'grantPutRecords', parameters: [{ name: 'grantee' }] }],
    },
    'cdk-stream-encryption.DeliveryStreamEncryptionProps': {
      fqn: 'cdk-stream-encryption.DeliveryStreamEncryptionProps',
      kind: 'interface',
      name: 'DeliveryStreamEncryptionProps',
      datatype: true,
      properties: [{ name: 'deliveryStream' }, { name: 'keyType' }, { name: 'settleTime' }],
    },
    'cdk-stream-encryption.DeliveryStreamKeyType': {
      fqn: 'cdk-stream-encryption.DeliveryStreamKeyType',
      kind: 'enum',
      name: 'DeliveryStreamKeyType',
      members: [{ name: 'AWS_OWNED_CMK' }, { name: 'CUSTOMER_MANAGED_CMK' }],
    },
  },
};

let index: ProgramIndex;
/** aws-cdk-lib's assembly, read once (its redirect and gzip are read by the last test's check). */
let cdkAssembly: JsiiAssembly;
beforeAll(() => {
  cdkAssembly = readAssemblyFile(path.join(root, 'node_modules', 'aws-cdk-lib', '.jsii'));
  index = buildIndex([
    cdkAssembly,
    readAssemblyFile(path.join(root, 'node_modules', 'constructs', '.jsii')),
    LIBRARY,
  ]);
}, 60_000);

/** One mistake: its name, the good program's text it replaces and by what, and the problems it must be reported as. */
type Mistake = [name: string, good: string, bad: string, reported: unknown[]];

/**
 * Checks the good program with each mistake in one call, then tests that each
 * mistake is reported as expected and that nothing else is.
 */
function expectEachMistake(check: typeof checkPythonPrograms, good: string, mistakes: Mistake[]): void {
  let problems: string[];
  beforeAll(() => {
    problems = check(mistakes.map(([name, from, to]) => ({ name, source: good.replace(from, to) })), index);
  });
  test.each(mistakes)('%s', (name, _from, _to, reported) => {
    expect(problems.filter((p) => p.startsWith(`${name}:`))).toEqual(reported);
  });
  test('no other problem is reported', () => {
    expect(problems).toHaveLength(mistakes.reduce((n, [, , , reported]) => n + reported.length, 0));
  });
}

const GOOD_PYTHON = `from aws_cdk import App, Duration, Stack
import aws_cdk.aws_kinesisfirehose as firehose
from aws_cdk import aws_iam as iam
from cdk_stream_encryption import DeliveryStreamEncryption, DeliveryStreamKeyType

app = App()
stack = Stack(app, "Orders")
role = iam.Role(stack, "Producer", assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"))
sse = DeliveryStreamEncryption(stack, "OrdersSse",
    delivery_stream=firehose.DeliveryStream.from_delivery_stream_name(stack, "Orders", "orders"),
    key_type=DeliveryStreamKeyType.AWS_OWNED_CMK,
    settle_time=Duration.seconds(10)
)
sse.grant_put_records(role)
`;

const GOOD_JAVA = `import software.amazon.awscdk.App;
import software.amazon.awscdk.Stack;
import software.amazon.awscdk.services.kinesisfirehose.*;
import software.constructs.Construct;
import java.util.List;
import dev.cdkstreamencryption.DeliveryStreamEncryption;

public class OrdersStack extends Stack {
    public OrdersStack(Construct scope, String id) {
        super(scope, id);
        DeliveryStreamEncryption.Builder.create(this, "OrdersSse")
                .deliveryStream(DeliveryStream.fromDeliveryStreamName(this, "Orders", "orders"))
                .build();
    }
}

App app = new App();
new OrdersStack(app, "Orders");
List<String> names = List.of("orders");
`;

describe('Python translations', () => {
  test('a whole program whose every import, class, static member and keyword exists passes', () => {
    expect(checkPythonPrograms([{ name: 'good', source: GOOD_PYTHON }], index)).toEqual([]);
  });

  describe('each kind of mistake is reported, with the snippet and line', () => {
    expectEachMistake(checkPythonPrograms, GOOD_PYTHON, [
      ['class', 'import App, Duration, Stack', 'import App, Duration, Stak', [
        'class:1: module aws_cdk has no member Stak',
        // a misspelled import also leaves the name the program uses unimported
        'class:7: uses Stack without importing or defining it',
      ]],
      ['module', 'aws_cdk.aws_kinesisfirehose', 'aws_cdk.aws_kinesisfirehouse', [
        expect.stringMatching(/^module:2: module aws_cdk\.aws_kinesisfirehouse is in none of the jsii assemblies \(aws-cdk-lib, constructs, cdk-stream-encryption\)/),
      ]],
      ['member', 'firehose.DeliveryStream.', 'firehose.DeliveryStreem.', ['member:10: module aws_cdk.aws_kinesisfirehose has no member DeliveryStreem']],
      ['static', 'from_delivery_stream_name', 'from_delivery_stream_nam', [
        'static:10: aws_cdk.aws_kinesisfirehose.DeliveryStream has no static member from_delivery_stream_nam',
      ]],
      ['keyword', 'delivery_stream=', 'delivery_steam=', ['keyword:10: cdk_stream_encryption.DeliveryStreamEncryption() has no keyword argument delivery_steam']],
      ['enum', 'AWS_OWNED_CMK', 'AWS_OWNED_KEY', ['enum:11: cdk_stream_encryption.DeliveryStreamKeyType has no static member AWS_OWNED_KEY']],
      ['library', 'DeliveryStreamEncryption, DeliveryStreamKeyType', 'DeliveryStreamEncryptor, DeliveryStreamKeyType', [
        'library:4: module cdk_stream_encryption has no member DeliveryStreamEncryptor',
        'library:9: uses DeliveryStreamEncryption without importing or defining it',
      ]],
      ['syntax', 'app = App()', 'app = App(', [expect.stringMatching(/^syntax:\d+: does not compile \(py_compile\): /)]],
    ]);
  });

  test('a name used but not imported (nor assigned, defined or a builtin) is reported', () => {
    const problems = checkPythonPrograms(
      [
        // rosetta imports the struct types it writes; a translation that did not would fail here
        { name: 'struct', source: GOOD_PYTHON.replace('stack = Stack(app, "Orders")', 'stack = Stack(app, "Orders", env=Environment(account="123456789012", region="eu-west-1"))') },
        { name: 'imported', source: `from aws_cdk import Environment\n${GOOD_PYTHON.replace('stack = Stack(app, "Orders")', 'stack = Stack(app, "Orders", env=Environment(region="eu-west-1"))')}` },
        { name: 'defined', source: 'def make(scope):\n    return len(str(scope))\n\nclass Holder:\n    pass\n\nsize = make(Holder())\nprint(size)\n' },
      ],
      index,
    );
    expect(problems).toEqual(['struct:7: uses Environment without importing or defining it']);
  });

  test('the standard library may be imported; a module of no assembly may not', () => {
    const problems = checkPythonPrograms(
      [
        { name: 'stdlib', source: 'import typing\nfrom os import path\n' },
        { name: 'unknown', source: 'import cdk_nag\n' },
      ],
      index,
    );
    expect(problems).toEqual([expect.stringMatching(/^unknown:1: module cdk_nag is in none of the jsii assemblies/)]);
  });

  test('names follow jsii-pacmak: snake_case, and a trailing _ for a Python keyword', () => {
    expect(pythonName('fromDeliveryStreamName')).toBe('from_delivery_stream_name');
    expect(pythonName('grantPutRecords')).toBe('grant_put_records');
    expect(pythonName('fromSSMParameterName')).toBe('from_ssm_parameter_name');
    expect(pythonName('lambda')).toBe('lambda_');
    expect(index.python.aws_cdk.submodules).toContain('aws_lambda');
    expect(index.python['aws_cdk.aws_lambda'].types.Runtime.statics).toContain('NODEJS_22_X');
  });
});

describe('Java translations', () => {
  test('a whole program whose every import exists parses and passes', () => {
    expect(checkJavaPrograms([{ name: 'good', source: GOOD_JAVA }], index)).toEqual([]);
  });

  describe('each kind of mistake is reported, with the snippet', () => {
    // a misspelled import also leaves the class the program uses unimported
    expectEachMistake(checkJavaPrograms, GOOD_JAVA, [
      ['syntax', 'App app = new App();', 'App app = new App()', [
        expect.stringMatching(/^syntax: does not parse as Java: \d+:\d+: ';' expected \(in `App app = new App\(\)`\)$/),
      ]],
      ['class', 'import software.amazon.awscdk.Stack;', 'import software.amazon.awscdk.Stak;', [
        'class: import software.amazon.awscdk.Stak: package software.amazon.awscdk has no type Stak',
        'class: uses Stack without importing it: import software.amazon.awscdk.Stack (in `public class OrdersStack extends Stack {`)',
      ]],
      ['package', 'services.kinesisfirehose.*', 'services.kinesisfirehouse.*', [
        'package: import software.amazon.awscdk.services.kinesisfirehouse.*: the jsii assemblies (aws-cdk-lib, constructs, cdk-stream-encryption) have no package software.amazon.awscdk.services.kinesisfirehouse',
        'package: uses DeliveryStream without importing it: import software.amazon.awscdk.services.kinesisfirehose.DeliveryStream (in `.deliveryStream(DeliveryStream.fromDeliveryStreamName(this, "Orders", "orders"))`)',
      ]],
      ['library', 'dev.cdkstreamencryption.DeliveryStreamEncryption', 'dev.cdkstreamencryption.DeliveryStreamEncryptor', [
        'library: import dev.cdkstreamencryption.DeliveryStreamEncryptor: package dev.cdkstreamencryption has no type DeliveryStreamEncryptor',
        'library: uses DeliveryStreamEncryption without importing it: import dev.cdkstreamencryption.DeliveryStreamEncryption (in `DeliveryStreamEncryption.Builder.create(this, "OrdersSse")`)',
      ]],
      ['jdk', 'java.util.List', 'java.util.Lst', [
        'jdk: import java.util.Lst: the JDK has no such class',
        'jdk: uses List without importing it (in `List<String> names = List.of("orders");`)',
      ]],
      ['nowhere', 'import software.constructs.Construct;', 'import io.github.cdklabs.cdknag.NagSuppressions;', [
        'nowhere: import io.github.cdklabs.cdknag.NagSuppressions: no package of the jsii assemblies (aws-cdk-lib, constructs, cdk-stream-encryption) nor of the JDK',
        'nowhere: uses Construct without importing it: import software.constructs.Construct (in `public OrdersStack(Construct scope, String id) {`)',
      ]],
    ]);
  });

  test('a class used but not imported is reported; imported by name, on demand or from java.lang, it passes', () => {
    // Environment.builder(): what rosetta writes for a struct literal, without importing the struct's class
    const withEnv = GOOD_JAVA.replace('new OrdersStack(app, "Orders");', 'new OrdersStack(app, "Orders");\nEnvironment env = Environment.builder().region("eu-west-1").build();');
    const translations = [
      { name: 'missing', source: withEnv },
      { name: 'byName', source: `import software.amazon.awscdk.Environment;\n${withEnv}` },
      { name: 'onDemand', source: `import software.amazon.awscdk.*;\n${withEnv}` },
      { name: 'lang', source: GOOD_JAVA.replace('List<String> names = List.of("orders");', 'Object policy = RemovalPolicy.DESTROY;\nSystem.out.println(policy);') },
    ];
    const problems = checkJavaPrograms(translations, index);
    expect(problems).toEqual([
      'missing: uses Environment without importing it: import software.amazon.awscdk.Environment or software.amazon.awscdk.services.appconfig.Environment ' +
        'or software.amazon.awscdk.cxapi.Environment (in `Environment env = Environment.builder().region("eu-west-1").build();`)',
      'lang: uses RemovalPolicy without importing it: import software.amazon.awscdk.RemovalPolicy (in `Object policy = RemovalPolicy.DESTROY;`)',
    ]);
  });

  test('rosetta\'s top-level statements go into a method; its classes stay top-level, after the imports', () => {
    const wrapped = wrapJava(GOOD_JAVA, 'Wrapper').split('\n');
    const at = (line: string) => wrapped.findIndex((l) => l.trim() === line);
    expect(at('import dev.cdkstreamencryption.DeliveryStreamEncryption;')).toBeLessThan(at('public class OrdersStack extends Stack {'));
    expect(wrapped[at('public class OrdersStack extends Stack {')]).toBe('public class OrdersStack extends Stack {');
    expect(at('class Wrapper {')).toBeGreaterThan(at('public class OrdersStack extends Stack {'));
    expect(at('void snippet() throws Exception {')).toBe(at('class Wrapper {') + 1);
    expect(at('App app = new App();')).toBeGreaterThan(at('void snippet() throws Exception {'));
    expect(wrapped[at('App app = new App();')]).toBe('    App app = new App();');
  });
});

test('an assembly stored as a jsii/file-redirect to a gzip file is read', () => {
  const redirect = JSON.parse(fs.readFileSync(path.join(root, 'node_modules', 'aws-cdk-lib', '.jsii'), 'utf8'));
  expect(redirect.schema).toBe('jsii/file-redirect');
  expect(cdkAssembly.name).toBe('aws-cdk-lib');
  expect(Object.keys(cdkAssembly.types ?? {}).length).toBeGreaterThan(1000);
});
