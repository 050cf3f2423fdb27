/**
 * Whether a warning was acknowledged on a construct or its scopes.
 *
 * Not part of the public jsii API.
 */
import { Annotations } from 'aws-cdk-lib';
import { Construct, IConstruct } from 'constructs';

/** Construct id of the transient child that `isAcknowledged` asks about. */
const PROBE_ID = 'CdkStreamEncryptionAcknowledgementProbe';

/**
 * Whether the warning id `id` was acknowledged, with
 * `Annotations.of(scope).acknowledgeWarning(id, reason)`, on `node` or on
 * any of its scopes. aws-cdk-lib keeps acknowledgements to itself and only
 * honours them when a warning is added: so this adds the warning to a
 * transient child of `node`, and removes the child at once. A child is asked,
 * not `node` itself, because aws-cdk-lib 2.180 judges an acknowledgement
 * made on a construct only for the warnings of its children (one made on the
 * construct itself removes only the warnings already there).
 */
export function isAcknowledged(node: IConstruct, id: string): boolean {
  const probe = new Construct(node, PROBE_ID);
  try {
    Annotations.of(probe).addWarningV2(id, 'probe');
    return probe.node.metadata.length === 0;
  } finally {
    node.node.tryRemoveChild(PROBE_ID);
  }
}
