/**
 * Custom-resource handler entry point (placeholder until the handler lands).
 */
export async function handler(): Promise<void> {
  throw new Error('not implemented');
}
