/**
 * The dependency order CloudFormation works in: a resource depends on the resources its
 * `DependsOn` names and on those its properties refer to (`Ref`, `Fn::GetAtt`, `Fn::Sub`). Creates
 * and updates run as soon as what a resource depends on is done; deletes run as soon as what
 * depends on it is gone. Independent resources run at the same time.
 *
 * @module
 */

import { CfnResourceDefinition, dependsOn } from './template';

/** The logical ids the value refers to through `Ref`, `Fn::GetAtt` and `Fn::Sub`. */
function referencesIn(value: unknown, into: Set<string>): void {
  if (Array.isArray(value)) {
    for (const v of value) referencesIn(v, into);
    return;
  }
  if (value === null || typeof value !== 'object') return;
  const object = value as Record<string, unknown>;
  const keys = Object.keys(object);
  if (keys.length === 1 && keys[0] === 'Ref' && typeof object.Ref === 'string') {
    into.add(object.Ref);
    return;
  }
  if (keys.length === 1 && keys[0] === 'Fn::GetAtt') {
    const target = object['Fn::GetAtt'];
    const id = Array.isArray(target) ? target[0] : typeof target === 'string' ? target.split('.')[0] : undefined;
    if (typeof id === 'string') into.add(id);
    return;
  }
  if (keys.length === 1 && keys[0] === 'Fn::Sub') {
    const sub = object['Fn::Sub'];
    const [text, variables] = Array.isArray(sub) ? [sub[0], sub[1] as Record<string, unknown> | undefined] : [sub, undefined];
    if (typeof text === 'string') {
      for (const match of text.matchAll(/\$\{([^!}][^}]*)\}/g)) {
        const name = match[1].split('.')[0];
        if (!variables || !(name in variables)) into.add(name);
      }
    }
    if (variables) referencesIn(variables, into);
    return;
  }
  for (const v of Object.values(object)) referencesIn(v, into);
}

/** The resources of `resources` that `logicalId` depends on (pseudo parameters and parameters left out). */
export function dependenciesOf(resources: Readonly<Record<string, CfnResourceDefinition>>, logicalId: string): Set<string> {
  const resource = resources[logicalId];
  const found = new Set<string>(dependsOn(resource));
  referencesIn(resource.Properties ?? {}, found);
  found.delete(logicalId);
  return new Set([...found].filter((id) => resources[id] !== undefined));
}

/** How {@link runInOrder} walks the graph. */
export interface OrderOptions {
  /** Deletes: a resource waits for those that depend on it, not for those it depends on. */
  readonly reverse?: boolean;
  /** Start nothing more once a resource failed (what already runs finishes). */
  readonly stopOnFailure?: boolean;
}

/**
 * Runs `run` for each of `ids` in dependency order (or its reverse), each as soon as it may, and
 * resolves when every resource that was started has finished. A resource whose prerequisite failed
 * (or, with `stopOnFailure`, any resource after a failure) is not started.
 *
 * @param ids - the resources to work on; dependencies on other resources count as done
 * @param dependencies - what each resource depends on
 * @param run - does one resource; resolves to whether it succeeded
 * @returns the ids that were started, in the order they were started
 */
export async function runInOrder(
  ids: readonly string[],
  dependencies: (id: string) => ReadonlySet<string>,
  run: (id: string) => Promise<boolean> | boolean,
  options: OrderOptions = {},
): Promise<string[]> {
  const wanted = new Set(ids);
  const waitsFor = new Map<string, Set<string>>(ids.map((id) => [id, new Set<string>()]));
  for (const id of ids) {
    for (const dep of dependencies(id)) {
      if (!wanted.has(dep) || dep === id) continue;
      if (options.reverse) waitsFor.get(dep)!.add(id);
      else waitsFor.get(id)!.add(dep);
    }
  }
  const started: string[] = [];
  const handled = new Set<string>();
  const succeeded = new Set<string>();
  const finished = new Set<string>();
  let failed = false;
  let running = 0;
  return new Promise<string[]>((resolve, reject) => {
    const launch = (): void => {
      let changed = true;
      while (changed) {
        changed = false;
        for (const id of ids) {
          if (handled.has(id) || (failed && options.stopOnFailure)) continue;
          const prerequisites = [...waitsFor.get(id)!];
          if (!prerequisites.every((p) => finished.has(p))) continue;
          handled.add(id);
          changed = true;
          if (!prerequisites.every((p) => succeeded.has(p))) {
            finished.add(id); // a prerequisite failed: this resource is never reached
            continue;
          }
          started.push(id);
          running += 1;
          Promise.resolve()
            .then(() => run(id))
            .then((ok) => {
              running -= 1;
              finished.add(id);
              if (ok) succeeded.add(id);
              else failed = true;
              launch();
            }, reject);
        }
      }
      if (running === 0) resolve(started);
    };
    launch();
  });
}

/** `ids` sorted so that each comes after what it depends on (a cycle keeps template order). */
export function topologicalOrder(ids: readonly string[], dependencies: (id: string) => ReadonlySet<string>): string[] {
  const wanted = new Set(ids);
  const done = new Set<string>();
  const visiting = new Set<string>();
  const out: string[] = [];
  const visit = (id: string): void => {
    if (done.has(id) || visiting.has(id)) return;
    visiting.add(id);
    for (const dep of dependencies(id)) if (wanted.has(dep)) visit(dep);
    visiting.delete(id);
    done.add(id);
    out.push(id);
  };
  for (const id of ids) visit(id);
  return out;
}

/**
 * A dependency cycle among the resources of a template, as the logical ids around it (the first
 * repeated at the end: `[A, B, A]`), or `undefined` when there is none. CloudFormation refuses such
 * a template before it touches any resource, with `Circular dependency between resources: [...]`
 * (AWS CloudFormation User Guide, "Troubleshooting CloudFormation", dependency errors:
 * https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/troubleshooting.html#troubleshooting-errors-dependency-error).
 * Dependencies are those of {@link dependenciesOf}: `DependsOn`, `Ref`, `Fn::GetAtt`, `Fn::Sub`.
 */
export function dependencyCycle(resources: Readonly<Record<string, CfnResourceDefinition>>): string[] | undefined {
  const ids = Object.keys(resources);
  const state = new Map<string, 'visiting' | 'done'>();
  const path: string[] = [];
  const visit = (id: string): string[] | undefined => {
    if (state.get(id) === 'done') return undefined;
    if (state.get(id) === 'visiting') return [...path.slice(path.indexOf(id)), id];
    state.set(id, 'visiting');
    path.push(id);
    for (const dep of [...dependenciesOf(resources, id)].sort()) {
      const cycle = visit(dep);
      if (cycle) return cycle;
    }
    path.pop();
    state.set(id, 'done');
    return undefined;
  };
  for (const id of ids) {
    const cycle = visit(id);
    if (cycle) return cycle;
  }
  return undefined;
}
