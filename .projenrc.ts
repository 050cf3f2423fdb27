import { awscdk, Component, javascript, JsonFile } from 'projen';

/** Where esbuild writes the custom-resource handler; `<dir>.zip` is what the npm package ships. */
const HANDLER_ASSET_DIR = 'assets/stream-encryption-handler';
/** Where esbuild writes the guard's repair function; `<dir>.zip` ships, uploaded only by a stack with a guard. */
const GUARD_ASSET_DIR = 'assets/stream-encryption-guard';
/** Folders of TypeScript that are not part of the jsii API but are type-checked and linted. */
const TOOL_DIRS = ['lambda', 'example', 'tools'];

const project = new awscdk.AwsCdkConstructLibrary({
  name: 'cdk-stream-encryption',
  description:
    'AWS CDK constructs that turn on server-side encryption with a KMS key for Amazon Data Firehose delivery streams and Amazon Kinesis data streams that CloudFormation cannot encrypt: existing, imported or foreign streams.',
  keywords: ['cdk', 'awscdk', 'aws-cdk', 'firehose', 'kinesis', 'kms', 'encryption', 'sse', 'custom-resource'],
  author: 'cdk-stream-encryption maintainers',
  authorAddress: 'maintainers@cdk-stream-encryption.dev',
  repositoryUrl: 'https://github.com/cdk-stream-encryption/cdk-stream-encryption.git',
  license: 'Apache-2.0',
  defaultReleaseBranch: 'main',
  packageManager: javascript.NodePackageManager.NPM,
  projenrcTs: true,
  minNodeVersion: '20.0.0',

  // aws-cdk-lib/aws-kinesisfirehose became stable in 2.180.0; peers are `^2.180.0`.
  cdkVersion: '2.180.0',
  // The `constructs` peer is what aws-cdk-lib 2.180.0 itself asks for, `^10.0.0`:
  // the library uses only the Construct API of constructs 10.0.0 (node.path,
  // defaultChild, tryFindChild, addDependency, addValidation, addMetadata), so
  // a newer floor would only exclude apps that aws-cdk-lib accepts. The
  // devDependency stays at 10.5.1, the version cdk-nag 2 needs: so peers are
  // not pinned to their minimum as devDependencies, each is listed in devDeps.
  constructsVersion: '10.0.0',
  peerDependencyOptions: { pinnedDevDependency: false },
  // jsii and TypeScript on the same major.minor.
  jsiiVersion: '~6.0.0',
  typescriptVersion: '~6.0.0',

  publishToPypi: {
    distName: 'cdk-stream-encryption',
    module: 'cdk_stream_encryption',
  },
  publishToMaven: {
    javaPackage: 'dev.cdkstreamencryption',
    mavenGroupId: 'dev.cdk-stream-encryption',
    mavenArtifactId: 'cdk-stream-encryption',
  },
  publishToNuget: {
    dotNetNamespace: 'CdkStreamEncryption',
    packageId: 'CdkStreamEncryption',
  },
  publishToGo: {
    moduleName: 'github.com/cdk-stream-encryption/cdk-stream-encryption-go',
  },

  devDeps: [
    'esbuild',
    // The handler assets are shipped as zips made at build time: a second minifier pass over
    // esbuild's output, and deflate by Zopfli (the format every unzip reads, a few percent smaller).
    'uglify-js@^3.19.3',
    '@gfx/zopfli@^1.0.15',
    '@aws-sdk/client-firehose',
    '@aws-sdk/client-kms',
    '@aws-sdk/client-kinesis',
    // The guard publishes its alerts (drift repair).
    '@aws-sdk/client-sns',
    'aws-sdk-client-mock',
    '@types/aws-lambda',
    'cdk-nag@^2.37.0',
    // The aws-cdk-lib peer at the version the project builds and tests with (constructs: below).
    'aws-cdk-lib@2.180.0',
  ],

  tsconfigDev: {
    include: TOOL_DIRS.map((d) => `../${d}/**/*.ts`),
    // The version matrix's scratch apps are built against the packed library, in their own folders.
    exclude: ['../tools/matrix/**'],
    compilerOptions: {},
  },

  jestOptions: {
    updateSnapshot: javascript.UpdateSnapshot.NEVER,
    passWithNoTests: false,
    extraCliOptions: ['--json', '--outputFile=test-reports/jest-results.json'],
    jestConfig: {
      testTimeout: 30_000,
      // Jest's default is one worker fewer than the cores: use both of this 2-core machine's.
      maxWorkers: 2,
      // Lifecycle scenarios mostly wait on the local cloud: let more of them overlap.
      maxConcurrency: 20,
      collectCoverage: false,
    },
  },
  eslintOptions: {
    dirs: ['src'],
    devdirs: ['test', 'projenrc', '.projenrc.ts', ...TOOL_DIRS],
    commandOptions: { fix: false, extraArgs: ['--max-warnings=0'] },
  },

  githubOptions: { mergify: false },
  // Releases: every push to main that has a releasable conventional commit
  // since the last tag (feat: minor, fix: patch; 0.x until majorVersion is
  // set) bumps the version, builds, tags, writes the release notes
  // (dist/changelog.md, the GitHub release's body) from the commits, and
  // publishes to npm, PyPI, Maven Central, NuGet and the Go module repository
  // above. The build workflow runs `npx projen build` on pull requests.
  // CONTRIBUTING.md ("Releasing") explains how the hand-written CHANGELOG.md
  // meets the generated notes.
  buildWorkflow: true,
  release: true,
  releaseToNpm: true,
  // Release 13 needs Node.js 22; 12 runs on the workflows' Node.js 20 (minNodeVersion).
  bumpPackage: 'commit-and-tag-version@^12',
  // jsii-diff against the last release, in every compile once there is one (see the compile task below).
  compat: true,
  workflowNodeVersion: '20.x',
  depsUpgrade: false,
  pullRequestTemplate: false,
});

// Let the typescript-eslint project service find the sources outside src/ and test/
// (type-checking proper runs through test/tsconfig.json).
for (const dir of TOOL_DIRS) {
  new JsonFile(project, `${dir}/tsconfig.json`, {
    obj: {
      extends: '../tsconfig.json',
      compilerOptions: { noEmit: true, rootDir: '..' },
      include: ['**/*.ts'],
      exclude: ['matrix/**'],
    },
  });
}

// The version matrix's scratch apps are linted by nobody: they are what users write.
project.eslint?.addIgnorePattern('tools/matrix/');

// No module imports another that imports it back, directly or through others.
// eslint-plugin-import's import/no-cycle shows the circles of value imports in
// the editor, but skips every `import type`; the eslint task then checks all
// imports, type imports included.
project.eslint?.addRules({ 'import/no-cycle': ['error', { ignoreExternal: true }] });
// Added at synthesis, after the projenrc component has rewritten the eslint task.
new (class extends Component {
  public preSynthesize(): void {
    project.eslint?.eslintTask.exec('ts-node -T tools/scripts/check-import-cycles.ts');
    project.eslint?.eslintTask.exec('ts-node -T tools/scripts/check-commit-subjects.ts');
  }
})(project);

// The constructs peer's devDependency, added after the construct library's own
// constructs dependency (which replaces any given in devDeps).
project.addDevDeps('constructs@10.5.1');


// The registry serves unrs-resolver's platform bindings up to 1.12.2 only; a newer
// resolver leaves the lockfile without its optional bindings and `npm ci` refuses it.
project.package.addField('overrides', { 'unrs-resolver': '1.12.2' });

// jsii must compile with no warnings at all; then jsii-diff compares the API
// with the last release on npm (`compat: true`). That needs a published
// release: until this repository has a release tag (none yet; CI here checks
// out none, nor does the build workflow's shallow checkout), the compat task
// is skipped, so no compile depends on a release.
// Its one silenced warning, JSII6, asks for the constructs devDependency at
// the peer range's minimum (10.0.0); it stays at 10.5.1 because the cdk-nag 2
// devDependency peers on constructs ^10.5.1 (see constructsVersion above).
project.compileTask.reset('jsii --fail-on-warnings --silence-warnings=metadata/missing-dev-dependency');
const compat = project.tasks.tryFind('compat')!;
compat.addCondition('git tag --list "v*" | grep -q .');
project.compileTask.spawn(compat);

// The functions are bundled and zipped at build time, never at the consumer's synth: each entry point
// into an asset folder of its own, so that a stack without a guard uploads no guard code; then
// tools/scripts/zip-assets.ts minifies each bundle again (uglify-js) and writes `<dir>.zip` (one
// entry, deflated by Zopfli, byte-for-byte deterministic), the file asset the constructs use.
/** The esbuild command that bundles `entry` into `<dir>/index.js`. */
const esbuild = (entry: string, dir: string) => [
  `esbuild ${entry}`,
  '--bundle --platform=node --target=node20 --format=cjs --minify',
  // Class fields assigned in the constructor, not also declared (smaller; no class here relies on
  // define semantics: none redefines an inherited accessor).
  '--tsconfig-raw=\'{"compilerOptions":{"useDefineForClassFields":false}}\'',
  "--external:'@aws-sdk/*' --legal-comments=none",
  // Properties named in lower camel case with one trailing underscore (`streamSeen_`) are the
  // handler's internal state (a kind's memory and readings): esbuild gives them short names. The
  // suffix is the promise that the field is never logged, serialized, sent to AWS or read by a
  // name built at run time; AWS shapes (PascalCase), the answer, log fields and built-ins
  // (`__proto__`) never match.
  "--mangle-props='^[a-z][a-zA-Z0-9]*[a-zA-Z0-9]_$'",
  `--outfile=${dir}/index.js`,
].join(' ');
const bundle = project.addTask('bundle:handler', {
  description: 'Bundle the custom-resource handler (lambda/index.ts) and the guard (lambda/guard/index.ts) with esbuild into their asset folders, minify each again and zip it into the shipped assets/*.zip',
  steps: [
    { exec: esbuild('lambda/index.ts', HANDLER_ASSET_DIR) },
    { exec: esbuild('lambda/guard/index.ts', GUARD_ASSET_DIR) },
    { exec: 'ts-node -T tools/scripts/zip-assets.ts' },
  ],
});
project.preCompileTask.spawn(bundle);

// Type-check everything that jsii does not compile (handler, tests, tools).
const typecheck = project.addTask('typecheck', {
  description: 'Type-check the handler, tests and tools (strict)',
  exec: 'tsc --noEmit -p test/tsconfig.json',
});

// API.md must be regenerated and committed whenever the public API changes.
const apiCheck = project.addTask('check:api', {
  description: 'Compile with jsii (no warnings) and fail if API.md is out of date',
  steps: [
    { spawn: 'compile' },
    { spawn: 'docgen' },
    {
      exec: 'git diff --exit-code -- API.md || (echo "API.md is out of date: run npx projen build and commit API.md" && exit 1)',
    },
  ],
});

// `npm test`: bundle, type-check, unit tests, lint, jsii API check.
project.testTask.prependSpawn(typecheck);
project.testTask.prependSpawn(bundle);
project.testTask.spawn(apiCheck);

// `npm run test:unit`: the inner loop (no local cloud, nothing installed), type-check and lint beside it.
project.addTask('test:unit', {
  description: 'The inner loop: typecheck and eslint beside the jest suites that need no local cloud (constructs, handler, docs, scripts); npm test stays the whole run',
  steps: [{ spawn: bundle.name }, { exec: 'bash tools/scripts/test-unit.sh', receiveArgs: true }],
});

// The example app, synthesized, with what the library added to it.
project.addTask('synth:example', {
  description: 'Synthesize example/ and print what cdk-stream-encryption adds to its stack',
  steps: [{ spawn: bundle.name }, { exec: 'ts-node -T tools/scripts/synth-example.ts' }],
});

// Documentation generated from the code (the table of docs/troubleshooting.md).
project.addTask('docs:readme', {
  description: 'Regenerate the documentation that comes from the code (the table of docs/troubleshooting.md)',
  exec: 'ts-node -T tools/scripts/readme.ts',
});

// The README's main command: the example app deployed, rotated and deleted against the local cloud.
project.addTask('demo', {
  description: 'Deploy, rotate and delete example/ against the local cloud with the real handler bundle',
  steps: [{ spawn: bundle.name }, { exec: 'ts-node -T tools/scripts/demo.ts' }],
});

project.gitignore.exclude(
  `/${HANDLER_ASSET_DIR}/`, `/${GUARD_ASSET_DIR}/`, `/${HANDLER_ASSET_DIR}.zip`, `/${GUARD_ASSET_DIR}.zip`,
  '/example/cdk.out/', '/cdk.out/', '/.tmp/',
);
// The package ships the zips the constructs use; the folders are the build's intermediate.
project.npmignore?.include(`/${HANDLER_ASSET_DIR}.zip`, `/${GUARD_ASSET_DIR}.zip`);
project.npmignore?.exclude(
  `/${HANDLER_ASSET_DIR}/`,
  `/${GUARD_ASSET_DIR}/`,
  '/lambda/',
  '/example/',
  '/tools/',
  '/.ci/',
  '/test-reports/',
  '/CONTRIBUTING.md',
  '/tsconfig.tools.json',
  '/.tmp/',
);

// ---------------------------------------------------------------------------
// Ecosystem checks: README and docs/ snippets (jsii-rosetta), every jsii language
// (jsii-pacmak), the published npm package, the example app with the CDK CLI,
// and the integ tests' snapshots (integ-runner). `npm test` runs them all after
// check:api, whose compile the jsii checks use. CONTRIBUTING.md explains them.
// ---------------------------------------------------------------------------

project.addDevDeps(
  // The integ-tests release for the aws-cdk-lib floor: 2.180.0-alpha.0 is not
  // available from the registry; 2.179.0-alpha.0 peers on aws-cdk-lib ^2.179.0.
  '@aws-cdk/integ-tests-alpha@2.179.0-alpha.0',
  '@aws-cdk/integ-runner@2.197.10',
  // The CDK CLI for `npx cdk synth` in example/: the version integ-runner
  // depends on, so that one copy is installed.
  'aws-cdk@2.1115.1',
);

/**
 * For the CDK CLI and integ-runner when they only synthesize: a fixed region
 * (so they do not probe for one) and no telemetry.
 */
const OFFLINE_CDK_ENV = { AWS_REGION: 'us-east-1', CDK_DISABLE_CLI_TELEMETRY: 'true' };

const checkRosetta = project.addTask('check:rosetta', {
  description: 'Compile every TypeScript snippet of README.md and docs/*.md (whole programs) and the API docs (fixtures in rosetta/) with jsii-rosetta --strict, and check the translations of README.md and docs/ as programs: Python with py_compile and its imports, classes and keywords against the jsii assemblies, Java with javac\'s parser and its imports (after compile; needs python3 and a JDK)',
  exec: 'ts-node -T tools/scripts/check-rosetta.ts',
});
const checkBindings = project.addTask('check:bindings', {
  description: 'Generate the Python, Java, .NET and Go bindings (code only) into dist/bindings and fail on any warning (after check:rosetta)',
  exec: 'ts-node -T tools/scripts/check-bindings.ts',
});
const checkPackage = project.addTask('check:package', {
  description: 'Check the npm package\'s files, install it into a throwaway CDK app with only its peers, and synthesize with plain node (after compile)',
  exec: 'ts-node -T tools/scripts/check-package.ts',
});
const checkExample = project.addTask('check:example', {
  description: 'Synthesize example/ with the CDK CLI (cdk synth), as its cdk.json says',
  env: OFFLINE_CDK_ENV,
  steps: [{ spawn: bundle.name }, { exec: 'cdk synth --quiet --no-notices', cwd: 'example' }],
});

/** integ-runner on test/integ.*.ts; the test files are type-checked by the typecheck task. */
const INTEG_RUNNER = "integ-runner --language typescript --directory test --app 'node -r ts-node/register/transpile-only {filePath}'";
const integSnapshot = project.addTask('integ:snapshot', {
  description: 'Compare the integ tests (test/integ.*.ts) with their committed snapshots, without deploying; asset hashes are not compared',
  env: OFFLINE_CDK_ENV,
  steps: [{ spawn: bundle.name }, { exec: INTEG_RUNNER }],
});
project.addTask('integ:update', {
  description: 'Regenerate every integ test snapshot (test/integ.*.ts.snapshot/) without deploying',
  env: OFFLINE_CDK_ENV,
  steps: [{ spawn: bundle.name }, { exec: `${INTEG_RUNNER} --force --dry-run` }],
});
project.addTask('integ:deploy', {
  description: 'Deploy the integ tests to the AWS account of the current credentials, run their assertions, destroy them and update the snapshots (extra args go to integ-runner)',
  steps: [{ spawn: bundle.name }, { exec: `${INTEG_RUNNER} --force`, receiveArgs: true }],
});

// The version matrix (tools/matrix/versions.json): the packed library in scratch
// JavaScript and TypeScript apps at each column, synthesized with the column's
// CDK CLI and the four cdk-nag packs; `MATRIX_COLUMNS=newest` (or the script's `--columns newest`) picks columns.
project.addTask('check:matrix', {
  description: 'Install the packed library into the scratch apps of tools/matrix/ at every column of tools/matrix/versions.json (or --columns a,b), cdk synth each with the four cdk-nag packs and fail on any error on the library\'s resources (after compile)',
  steps: [{ spawn: bundle.name }, { exec: 'ts-node -T tools/scripts/check-matrix.ts', receiveArgs: true }],
});

// Whether the newest column is still the newest (asks the npm registry); not part of `npm test`.
project.addTask('check:newest', {
  description: 'Ask the npm registry which pins of the newest column of tools/matrix/versions.json (and of the TypeScript app) a release has passed; exits 1 when any has',
  exec: 'ts-node -T tools/scripts/check-newest.ts',
});

for (const task of [integSnapshot, checkExample, checkRosetta, checkBindings, checkPackage]) {
  project.testTask.spawn(task);
}
// `npm test` runs every column: the floor (cdk-nag 2) and the newest versions (cdk-nag 3);
// `MATRIX_COLUMNS=floor npm test` runs fewer.
project.testTask.exec('ts-node -T tools/scripts/check-matrix.ts --default-columns floor,newest', { name: 'check:matrix' });

project.gitignore.exclude('/.jsii.tabl.json', '/test/cdk-integ.out.*');
// Integ snapshots keep their templates; the asset bundles in them are build output, as in cdk-ecr-deployment.
project.gitignore.exclude('/test/*.snapshot/asset.*');
project.gitattributes.addAttributes('/test/integ.*.snapshot/**', 'linguist-generated');

// `npm run bench`: this library beside two alternatives built from aws-cdk-lib (a Provider with
// isComplete, an AwsCustomResource), printed as one table; not part of `npm test`. Its results
// depend on the machine, so tools/bench/results.json is not committed.
project.addTask('bench', {
  description: 'Benchmark footprint, handler size and load, signal latency, synth scale and API calls against two aws-cdk-lib alternatives',
  // `npm run bench -- --only scale` runs one part, `npm run bench -- --render` only re-renders.
  steps: [{ spawn: bundle.name }, { exec: 'ts-node -T tools/bench/index.ts', receiveArgs: true }],
});
// The clients the Provider framework's handler requires at load, for its load time.
project.addDevDeps('@aws-sdk/client-lambda', '@aws-sdk/client-sfn');
project.gitignore.exclude('/tools/bench/results.json');

project.synth();
