/**
 * A small EventBridge event-pattern matcher for tests: the subset of the pattern language the
 * library writes (exact values, `exists`, `prefix`, `anything-but`, `$or`), with EventBridge's
 * rules for arrays (a pattern value list matches when any element of the event's value is in it;
 * a pattern object under an array of objects matches when any element matches it).
 */

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/** Whether `event` matches `pattern`, as EventBridge decides it for these pattern forms. */
export function matchesPattern(pattern: Record<string, unknown>, event: unknown): boolean {
  return matchObject(pattern, event as Json);
}

function matchObject(pattern: Record<string, unknown>, event: Json | undefined): boolean {
  if (Array.isArray(event)) return event.some((element) => matchObject(pattern, element));
  for (const [key, sub] of Object.entries(pattern)) {
    if (key === '$or') {
      if (!(sub as Record<string, unknown>[]).some((alternative) => matchObject(alternative, event))) return false;
      continue;
    }
    const value = event !== null && typeof event === 'object' ? (event as Record<string, Json>)[key] : undefined;
    if (Array.isArray(sub)) {
      if (!matchLeaf(sub, value)) return false;
    } else if (sub !== null && typeof sub === 'object') {
      if (value === undefined || !matchObject(sub as Record<string, unknown>, value)) return false;
    } else {
      throw new Error(`pattern member ${key} must be a list or an object, got ${JSON.stringify(sub)}`);
    }
  }
  return true;
}

function matchLeaf(allowed: unknown[], value: Json | undefined): boolean {
  const values: (Json | undefined)[] = Array.isArray(value) ? value : [value];
  return allowed.some((rule) => {
    if (rule !== null && typeof rule === 'object') {
      const r = rule as Record<string, unknown>;
      if ('exists' in r) return r.exists === (value !== undefined);
      if ('prefix' in r) return values.some((v) => typeof v === 'string' && v.startsWith(String(r.prefix)));
      if ('anything-but' in r) {
        const but = ([] as unknown[]).concat(r['anything-but']);
        return value !== undefined && values.every((v) => !but.includes(v));
      }
      throw new Error(`pattern rule ${JSON.stringify(rule)} is not supported by this matcher`);
    }
    return values.some((v) => v !== undefined && v === rule);
  });
}
