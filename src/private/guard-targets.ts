/**
 * What a stream encryption construct tells the stack's guard about its
 * stream, and the stack's list of them, which the guard reads.
 *
 * Not part of the public jsii API. Imports nothing of the guard's nor of the
 * provider's: the guard owns its targets (`StreamEncryptionGuard._register`).
 */
import { CustomResource, Stack } from 'aws-cdk-lib';
import { Construct, IConstruct } from 'constructs';
import type { StreamKindValue } from './contract';
import type { HandlerPermission } from './policy-budget';

/** One stream encryption, as the guard repairs it. */
export interface GuardTarget {
  /** The stream encryption construct. */
  readonly scope: Construct;
  /** Its `repair` prop. */
  readonly repair?: boolean;
  /** Its custom resource. */
  readonly resource: CustomResource;
  /** The custom resource type. */
  readonly resourceType: string;
  /** The custom resource's properties (the desired encryption). */
  readonly properties: Record<string, string>;
  /** The kind of stream. */
  readonly kind: StreamKindValue;
  /** The stream's name. */
  readonly streamName: string;
  /** The stream's ARN. */
  readonly streamArn: string;
  /** What the guard needs on the stream and its key. */
  readonly permissions: HandlerPermission[];
}

/** Where a stack holds its guard targets (a global symbol, so that two copies of the library share it). */
const GUARD_TARGETS = Symbol.for('cdk-stream-encryption.GuardTargets');

/**
 * Every stream encryption of `scope`'s stack, in the order they were made,
 * for a guard of the whole stack made after them. Kept on the stack, never
 * in a module-level cache.
 */
export function guardTargetsOf(scope: IConstruct): GuardTarget[] {
  const stack = Stack.of(scope) as unknown as Record<symbol, GuardTarget[] | undefined>;
  const existing = stack[GUARD_TARGETS];
  if (existing) {
    return existing;
  }
  const fresh: GuardTarget[] = [];
  stack[GUARD_TARGETS] = fresh;
  return fresh;
}
