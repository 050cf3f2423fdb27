/**
 * Checks jsii-rosetta's Python and Java translations of the README's snippets
 * as programs a reader could copy: every translation must parse, and every
 * name it imports must exist in the jsii assemblies it is written against
 * (aws-cdk-lib, constructs and this library) or in the language's own
 * library.
 *
 * - Python: each translation passes `py_compile`; every `import X` /
 *   `from X import Y` names a module (and member) of the assemblies'
 *   `targets.python.module` mapping; every `Class(...)`, `module.Class` and
 *   `Class.static_member` reached from an imported name exists, and the
 *   keyword arguments of those calls are parameters or struct properties of
 *   the callee (scripts/rosetta_python_check.py, run with python3).
 * - Java: each translation parses as a Java compilation unit (the JDK's
 *   `JavacTask.parse()`, scripts/SnippetParser.java compiled with javac into a
 *   temporary folder), every `import` names a package (and class) of the
 *   assemblies' `targets.java.package` mapping, or of the running JDK, and
 *   every class it uses (`Environment.builder()`, `new Foo()`, a declared
 *   type) is imported: by name, or on demand from a package that has it, or
 *   is java.lang's or declared in the file.
 *   rosetta emits a whole program's statements at the top level; the check
 *   moves them into a method of a wrapper class (see {@link wrapJava}).
 *
 * What is not checked: types and signatures against the published Java and
 * Python bindings (aws-cdk-lib's jar and wheel). Those come from Maven Central
 * and PyPI, which this project's machines and CI cannot reach; the checks
 * above read the same jsii assemblies the bindings are generated from.
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as zlib from 'zlib';
import { ROOT } from './check-support';

/** A translation of one snippet into one language. */
export interface Translation {
  /** A name for the snippet, used in every problem reported (`README-L12`). */
  readonly name: string;
  /** The translated source. */
  readonly source: string;
}

/** The parts of a jsii assembly these checks read. */
export interface JsiiAssembly {
  readonly name: string;
  readonly targets?: { python?: { module?: string }; java?: { package?: string } };
  readonly submodules?: Record<string, { targets?: { python?: { module?: string }; java?: { package?: string } } }>;
  readonly types?: Record<string, JsiiType>;
}

interface JsiiParameter {
  readonly name: string;
  readonly type?: { fqn?: string };
  readonly variadic?: boolean;
}

interface JsiiType {
  readonly fqn: string;
  readonly kind: string;
  readonly name: string;
  readonly base?: string;
  readonly datatype?: boolean;
  readonly interfaces?: string[];
  readonly initializer?: { parameters?: JsiiParameter[] };
  readonly methods?: Array<{ name: string; static?: boolean; parameters?: JsiiParameter[] }>;
  readonly properties?: Array<{ name: string; static?: boolean; const?: boolean }>;
  readonly members?: Array<{ name: string }>;
}

/** A Python class, enum or interface, as the check reads it. */
export interface PythonType {
  /** Names reachable as `Type.name`: static methods and properties, enum members, nested types. */
  readonly statics: string[];
  /** Keyword arguments each callable (`__init__`, static methods) accepts, by Python name. */
  readonly calls: Record<string, string[]>;
}

/** A Python module of an assembly. */
export interface PythonModule {
  readonly types: Record<string, PythonType>;
  /** Names of its submodules (`aws_kms` in `aws_cdk`). */
  readonly submodules: string[];
}

/** What the checks know of the assemblies: Python modules and Java packages. */
export interface ProgramIndex {
  /** Python module name to module. */
  readonly python: Record<string, PythonModule>;
  /** Java package name to the names of its types (nested ones as `Outer.Inner`). */
  readonly java: Record<string, string[]>;
  /** The assemblies' names, for messages. */
  readonly assemblies: string[];
}

/** The jsii assemblies README snippets are written against: aws-cdk-lib, constructs and this library's `.jsii`. */
export function defaultAssemblyFiles(): string[] {
  return [
    path.join(ROOT, 'node_modules', 'aws-cdk-lib', '.jsii'),
    path.join(ROOT, 'node_modules', 'constructs', '.jsii'),
    path.join(ROOT, '.jsii'),
  ];
}

/** Read a `.jsii` file, following a `jsii/file-redirect` to its (gzip-compressed) target. */
export function readAssemblyFile(file: string): JsiiAssembly {
  const content = JSON.parse(fs.readFileSync(file, 'utf8'));
  if (content.schema === 'jsii/file-redirect') {
    const target = path.join(path.dirname(file), content.filename);
    const bytes = fs.readFileSync(target);
    const text = content.compression === 'gzip' ? zlib.gunzipSync(bytes).toString('utf8') : bytes.toString('utf8');
    return JSON.parse(text);
  }
  return content;
}

const PYTHON_KEYWORDS = new Set(
  ('False None True and as assert async await break class continue def del elif else except finally for from ' +
    'global if import in is lambda nonlocal not or pass raise return try while with yield').split(' '),
);

/** A jsii name in Python's snake_case, as jsii-pacmak writes it (codemaker's `toSnakeCase`). */
export function pythonName(name: string): string {
  const abbreviated = name.replace(/(^|[^A-Z])(KiB|MiB|GiB)($|[^a-z])/g, (_m, before: string, abbr: string, after: string) =>
    `${before}${abbr[0]}${abbr.slice(1).toLowerCase()}${after}`);
  const snake =
    abbreviated.length < 2
      ? abbreviated.toLowerCase()
      : abbreviated
        .replace(/([\p{Ll}\d])(\p{Lu})/gu, '$1_$2')
        .replace(/(\p{Lu})(\p{Lu}\p{Ll}+)/gu, '$1_$2')
        .toLowerCase();
  return escapeKeyword(snake);
}

function escapeKeyword(name: string): string {
  return PYTHON_KEYWORDS.has(name) ? `${name}_` : name;
}

/** The submodule (or the assembly itself) a type belongs to: the longest prefix of its fqn. */
function ownerOf(fqn: string, assembly: JsiiAssembly): { key: string; python?: string; java?: string } {
  let best = { key: assembly.name, python: assembly.targets?.python?.module, java: assembly.targets?.java?.package };
  for (const [key, submodule] of Object.entries(assembly.submodules ?? {})) {
    if (fqn.startsWith(`${key}.`) && key.length > best.key.length) {
      best = { key, python: submodule.targets?.python?.module, java: submodule.targets?.java?.package };
    }
  }
  return best;
}

/** Build the index of Python modules and Java packages from assemblies. */
export function buildIndex(assemblies: JsiiAssembly[]): ProgramIndex {
  const allTypes = new Map<string, JsiiType>();
  for (const assembly of assemblies) {
    for (const type of Object.values(assembly.types ?? {})) {
      allTypes.set(type.fqn, type);
    }
  }
  const python: Record<string, { types: Record<string, PythonType>; submodules: Set<string> }> = {};
  const java: Record<string, Set<string>> = {};
  const pyModule = (name: string) => (python[name] ??= { types: {}, submodules: new Set() });
  const javaPackage = (name: string) => (java[name] ??= new Set());

  for (const assembly of assemblies) {
    const roots = [
      { python: assembly.targets?.python?.module, java: assembly.targets?.java?.package },
      ...Object.values(assembly.submodules ?? {}).map((s) => ({ python: s.targets?.python?.module, java: s.targets?.java?.package })),
    ];
    for (const root of roots) {
      if (root.python) {
        pyModule(root.python);
        const dot = root.python.lastIndexOf('.');
        if (dot > 0) {
          pyModule(root.python.slice(0, dot)).submodules.add(root.python.slice(dot + 1));
        }
      }
      if (root.java) {
        javaPackage(root.java);
      }
    }
    for (const type of Object.values(assembly.types ?? {})) {
      const owner = ownerOf(type.fqn, assembly);
      const local = type.fqn.slice(owner.key.length + 1).split('.');
      const hasBuilder = type.datatype === true || (type.kind === 'class' && type.initializer !== undefined);
      if (owner.java) {
        javaPackage(owner.java).add(local.join('.'));
        if (hasBuilder) {
          javaPackage(owner.java).add(`${local.join('.')}.Builder`);
        }
      }
      if (owner.python) {
        const module = pyModule(owner.python);
        module.types[local[local.length - 1]] = pythonType(type, allTypes);
        if (local.length > 1) {
          // A nested type is reachable from its parent too: Outer.Inner.
          const parent = module.types[local[local.length - 2]];
          parent?.statics.push(local[local.length - 1]);
        }
      }
    }
  }
  // Nested types may be listed before their parent: add them again now that every parent exists.
  for (const assembly of assemblies) {
    for (const type of Object.values(assembly.types ?? {})) {
      const owner = ownerOf(type.fqn, assembly);
      const local = type.fqn.slice(owner.key.length + 1).split('.');
      const parent = owner.python && local.length > 1 ? python[owner.python]?.types[local[local.length - 2]] : undefined;
      if (parent && !parent.statics.includes(local[local.length - 1])) {
        parent.statics.push(local[local.length - 1]);
      }
    }
  }
  return {
    python: Object.fromEntries(Object.entries(python).map(([k, v]) => [k, { types: v.types, submodules: [...v.submodules].sort() }])),
    java: Object.fromEntries(Object.entries(java).map(([k, v]) => [k, [...v].sort()])),
    assemblies: assemblies.map((a) => a.name),
  };
}

/** The statics and callables of a type, with its base classes' statics (Python inherits them). */
function pythonType(type: JsiiType, allTypes: Map<string, JsiiType>): PythonType {
  const statics = new Set<string>();
  const calls: Record<string, string[]> = {};
  if (type.kind === 'enum') {
    for (const member of type.members ?? []) {
      statics.add(member.name);
    }
  }
  if (type.kind === 'interface' && type.datatype) {
    calls.__init__ = structProperties(type.fqn, allTypes);
  }
  if (type.initializer) {
    calls.__init__ = keywords(type.initializer.parameters ?? [], allTypes);
  }
  for (let t: JsiiType | undefined = type, depth = 0; t && depth < 50; t = t.base ? allTypes.get(t.base) : undefined, depth++) {
    for (const method of t.methods ?? []) {
      if (method.static) {
        const name = pythonName(method.name);
        statics.add(name);
        calls[name] ??= keywords(method.parameters ?? [], allTypes);
      }
    }
    for (const property of t.properties ?? []) {
      if (property.static) {
        statics.add(property.const ? escapeKeyword(property.name) : pythonName(property.name));
      }
    }
  }
  return { statics: [...statics].sort(), calls };
}

/** The keyword arguments a callable takes in Python: its parameters, and the properties of a last struct parameter. */
function keywords(parameters: JsiiParameter[], allTypes: Map<string, JsiiType>): string[] {
  const names = parameters.map((p) => pythonName(p.name));
  const last = parameters[parameters.length - 1];
  const lastType = last?.type?.fqn ? allTypes.get(last.type.fqn) : undefined;
  if (lastType?.datatype && !last.variadic) {
    names.push(...structProperties(lastType.fqn, allTypes));
  }
  return [...new Set(names)].sort();
}

/** The Python names of a struct's properties, its base structs' included. */
function structProperties(fqn: string, allTypes: Map<string, JsiiType>, seen = new Set<string>()): string[] {
  const type = allTypes.get(fqn);
  if (!type || seen.has(fqn)) {
    return [];
  }
  seen.add(fqn);
  return [
    ...(type.properties ?? []).map((p) => pythonName(p.name)),
    ...(type.interfaces ?? []).flatMap((base) => structProperties(base, allTypes, seen)),
  ];
}

/** Run a command; fail with its output when it cannot start or exits with another status than those allowed. */
function runTool(command: string, args: string[], allowed: number[] = [0]): string {
  const result = spawnSync(command, args, { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  if (result.error) {
    throw new Error(`could not run ${command}: ${result.error.message} (the README translation checks need python3 and a JDK with javac)`);
  }
  if (!allowed.includes(result.status ?? -1)) {
    throw new Error(`${command} ${args.slice(0, 2).join(' ')} exited with status ${result.status}:\n${result.stdout}${result.stderr}`);
  }
  return String(result.stdout);
}

/** A file-system-safe version of a snippet name. */
function fileName(name: string): string {
  return name.replace(/[^\w.-]/g, '_');
}

/**
 * Check Python translations as programs (see the module comment). Returns
 * one line per problem, `NAME:LINE: what is wrong`; none when all pass.
 */
export function checkPythonPrograms(translations: Translation[], index: ProgramIndex): string[] {
  if (translations.length === 0) {
    return [];
  }
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cdk-stream-encryption-rosetta-py-'));
  try {
    const indexFile = path.join(dir, 'index.json');
    fs.writeFileSync(indexFile, JSON.stringify({ modules: index.python, assemblies: index.assemblies }));
    const files = translations.map((t) => {
      const file = path.join(dir, `${fileName(t.name)}.py`);
      fs.writeFileSync(file, `${t.source}\n`);
      return { file, name: t.name };
    });
    const output = runTool('python3', [path.join(ROOT, 'tools', 'scripts', 'rosetta_python_check.py'), indexFile, ...files.map((f) => f.file)]);
    const byFile = new Map(files.map((f) => [f.file, f.name]));
    return output
      .split('\n')
      .filter(Boolean)
      .flatMap((line) => {
        const result = JSON.parse(line) as { file: string; problems: string[] };
        return result.problems.map((p) => `${byFile.get(result.file) ?? result.file}:${p}`);
      });
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * Make a Java translation a compilation unit: its imports first, then the
 * type declarations rosetta wrote at the top level (a line at column 0 that
 * starts a class, interface, enum or record, up to the `}` at column 0 that
 * closes it), then every other top-level line (rosetta's bare statements) in
 * the body of a method of a class `className`.
 */
export function wrapJava(source: string, className: string): string {
  const lines = source.split('\n');
  const imports: string[] = [];
  const types: string[] = [];
  const statements: string[] = [];
  let i = 0;
  while (i < lines.length && /^\s*(import\s.*|package\s.*|\/\/.*)?$/.test(lines[i])) {
    imports.push(lines[i++]);
  }
  let inType = false;
  for (; i < lines.length; i++) {
    const line = lines[i];
    if (!inType && /^((public|abstract|final|static|sealed)\s+)*(class|interface|enum|record|@interface)\s/.test(line)) {
      inType = !/^[^{]*\{.*\}\s*$/.test(line);
      types.push(line);
    } else if (inType) {
      types.push(line);
      inType = line !== '}';
    } else {
      statements.push(line);
    }
  }
  return [
    ...imports,
    ...types,
    `class ${className} {`,
    '  void snippet() throws Exception {',
    ...statements.map((s) => `    ${s}`),
    '  }',
    '}',
    '',
  ].join('\n');
}

/** What SnippetParser.java prints for one file. */
interface ParsedJava {
  readonly file: string;
  readonly errors: string[];
  readonly imports: Array<{ name: string; static: boolean; jdk: boolean | null }>;
  /** The upper-case simple names it uses but does not declare, with the line of their first use and whether the JDK resolves them. */
  readonly names: Array<{ name: string; line: number; jdk: boolean }>;
}

/**
 * Check Java translations as programs (see the module comment). Returns one
 * line per problem, `NAME: what is wrong`; none when all pass.
 */
export function checkJavaPrograms(translations: Translation[], index: ProgramIndex): string[] {
  if (translations.length === 0) {
    return [];
  }
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cdk-stream-encryption-rosetta-java-'));
  try {
    const classes = path.join(dir, 'classes');
    fs.mkdirSync(classes);
    runTool('javac', ['-d', classes, path.join(ROOT, 'tools', 'scripts', 'SnippetParser.java')]);
    const files = translations.map((t, n) => {
      const file = path.join(dir, `${fileName(t.name)}.java`);
      const wrapped = wrapJava(t.source, `RosettaSnippet${n}`);
      fs.writeFileSync(file, wrapped);
      return { file, name: t.name, lines: wrapped.split('\n') };
    });
    const output = runTool('java', ['-cp', classes, 'SnippetParser', ...files.map((f) => f.file)]);
    const byFile = new Map(files.map((f) => [f.file, f]));
    const problems: string[] = [];
    for (const line of output.split('\n').filter(Boolean)) {
      const parsed = JSON.parse(line) as ParsedJava;
      const file = byFile.get(parsed.file);
      const name = file?.name ?? parsed.file;
      for (const error of parsed.errors) {
        const lineNumber = Number(error.split(':')[0]);
        const text = file?.lines[lineNumber - 1]?.trim();
        problems.push(`${name}: does not parse as Java: ${error}${text ? ` (in \`${text}\`)` : ''}`);
      }
      for (const imp of parsed.imports) {
        const problem = javaImportProblem(imp, index);
        if (problem) {
          problems.push(`${name}: ${problem}`);
        }
      }
      for (const used of parsed.names) {
        const problem = javaNameProblem(used, parsed.imports, index);
        if (problem) {
          const text = file?.lines[used.line - 1]?.trim();
          problems.push(`${name}: ${problem}${text ? ` (in \`${text}\`)` : ''}`);
        }
      }
    }
    return problems;
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** What is wrong with one Java import, or undefined when it names something that exists. */
export function javaImportProblem(imp: { name: string; static: boolean; jdk: boolean | null }, index: ProgramIndex): string | undefined {
  const what = `import ${imp.static ? 'static ' : ''}${imp.name}`;
  if (imp.jdk !== null) {
    return imp.jdk ? undefined : `${what}: the JDK has no such ${imp.name.endsWith('.*') ? 'package' : 'class'}`;
  }
  const onDemand = imp.name.endsWith('.*');
  const parts = (onDemand ? imp.name.slice(0, -2) : imp.name).split('.');
  if (onDemand && !imp.static && !index.java[parts.join('.')]) {
    // `import a.b.*` names a package (or, rarely, a class whose nested types it imports).
    const owner = Object.keys(index.java).find((pkg) => imp.name.startsWith(`${pkg}.`) && index.java[pkg].includes(imp.name.slice(pkg.length + 1, -2)));
    if (owner) {
      return undefined;
    }
    const known = Object.keys(index.java).some((pkg) => parts[0] === pkg.split('.')[0]);
    return known
      ? `${what}: the jsii assemblies (${index.assemblies.join(', ')}) have no package ${parts.join('.')}`
      : `${what}: no package of the jsii assemblies (${index.assemblies.join(', ')}) nor of the JDK`;
  }
  // The longest prefix that is a package of the assemblies.
  for (let n = parts.length; n > 0; n--) {
    const pkg = parts.slice(0, n).join('.');
    const types = index.java[pkg];
    if (!types) {
      continue;
    }
    const rest = parts.slice(n);
    if (rest.length === 0) {
      return onDemand && !imp.static ? undefined : `${what}: ${pkg} is a package, not a class`;
    }
    // A static import names a member of a class: the class is all but the last part.
    const typeName = (imp.static && !onDemand ? rest.slice(0, -1) : rest).join('.');
    if (typeName && types.includes(typeName)) {
      return undefined;
    }
    return `${what}: package ${pkg} has no type ${typeName || rest.join('.')}`;
  }
  return `${what}: no package of the jsii assemblies (${index.assemblies.join(', ')}) nor of the JDK`;
}

/**
 * What is wrong with a simple name a Java translation uses, or undefined when
 * an import brings it in: a single-type import that ends with it (whether
 * that import exists is {@link javaImportProblem}'s to say), a static import
 * of it, an on-demand import of an assemblies' package (or class) that has
 * it, or the JDK (java.lang, a java.* or javax.* package imported on demand).
 */
export function javaNameProblem(
  used: { name: string; jdk: boolean },
  imports: Array<{ name: string; static: boolean }>,
  index: ProgramIndex,
): string | undefined {
  const { name } = used;
  if (imports.some((imp) => !imp.name.endsWith('.*') && imp.name.endsWith(`.${name}`))) {
    return undefined;
  }
  const onDemand = imports.filter((imp) => imp.name.endsWith('.*')).map((imp) => imp.name.slice(0, -2));
  const inAssemblies = onDemand.some((owner) => {
    if (index.java[owner]?.includes(name)) {
      return true;
    }
    // `import a.b.Outer.*` brings in Outer's nested types.
    const pkg = Object.keys(index.java).find((p) => owner.startsWith(`${p}.`));
    return pkg !== undefined && index.java[pkg].includes(`${owner.slice(pkg.length + 1)}.${name}`);
  });
  if (inAssemblies || used.jdk) {
    return undefined;
  }
  const candidates = Object.entries(index.java)
    .filter(([, types]) => types.includes(name))
    .map(([pkg]) => `${pkg}.${name}`);
  const hint = candidates.length > 0 ? `: import ${candidates.slice(0, 3).join(' or ')}` : '';
  return `uses ${name} without importing it${hint}`;
}
