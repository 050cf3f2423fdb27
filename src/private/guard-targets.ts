/**
 * What a stream encryption construct tells the stack's guard about its
 * stream, and how it is put under the guard.
 *
 * Not part of the public jsii API.
 */
import { CustomResource } from 'aws-cdk-lib';
import { Construct } from 'constructs';
import type { StreamKindValue } from './contract';
import type { HandlerPermission } from './policy-budget';
import { StreamEncryptionProvider } from './provider';
import { StreamEncryptionGuard } from '../guard';

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

/**
 * Record `target` with the stack's provider (for a guard of the whole stack
 * made later), and put it under the stack's guard: the one `repair: true`
 * makes or finds, or a guard of the whole stack the user made before, unless
 * `repair` is `false`.
 */
export function registerGuardTarget(target: GuardTarget): void {
  StreamEncryptionProvider.of(target.scope).guardTargets.push(target);
  if (target.repair === true) {
    StreamEncryptionGuard.of(target.scope)._guard(target);
    return;
  }
  const guard = StreamEncryptionGuard._find(target.scope);
  if (guard?.guardsWholeStack && target.repair !== false) {
    guard._guard(target);
  }
}
