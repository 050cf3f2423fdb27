/**
 * The part of uglify-js's API that `zip-assets.ts` uses (the package ships no types): `minify`, as
 * its README's "API Reference" describes it.
 */
declare module 'uglify-js' {
  /** What `minify` answers: the code, or the error that stopped it. */
  export interface MinifyOutput {
    readonly code?: string;
    readonly error?: Error;
  }
  /** Minifies `code` with `options` (the README's "Minify options"). */
  export function minify(code: string, options: Record<string, unknown>): MinifyOutput;
}
