/**
 * Every stream the library's constructs encrypt in one stage of an app,
 * across its stacks.
 *
 * Not part of the public jsii API.
 */
import { Stack, Stage } from 'aws-cdk-lib';
import { IConstruct } from 'constructs';
import { isAcknowledged } from './acknowledgement';
import { validationError } from './cdk-compat';

/**
 * Every stream the library's constructs encrypt in one stage of an app (the
 * app itself, or a Stage in it), across its stacks: what each provider's
 * `claim` recorded, read by the `StreamEncryptionChecks` and
 * `StreamEncryptionFixes` aspects to leave covered streams alone. One record
 * per stage, because each stage is deployed on its own (the same stream
 * name in two stages without an environment is two streams). Kept on the
 * stage (under a global symbol, so that two copies of the library in one app
 * share it), never in a module-level cache.
 */
export class EncryptedStreams {
  /** The record of `scope`'s stage (or of its root construct, outside any stage), created on first use. */
  public static of(scope: IConstruct): EncryptedStreams {
    const root = (Stage.of(scope) ?? scope.node.root) as unknown as Record<symbol, EncryptedStreams | undefined>;
    const existing = root[ENCRYPTED_STREAMS];
    if (existing) {
      return existing;
    }
    const fresh = new EncryptedStreams();
    root[ENCRYPTED_STREAMS] = fresh;
    return fresh;
  }

  /** The claimant, by the stream's identity (see `streamIdentity`). */
  private readonly byIdentity = new Map<string, IConstruct>();
  /** The claimant's path, by the stream construct and by its L1 resource. */
  private readonly byConstruct = new Map<IConstruct, string>();

  private constructor() {}

  /**
   * Record that `claimant` encrypts `stream`, whose identity is `identity`.
   * A stream another stack of the stage already encrypts is refused, naming
   * both constructs, unless the claimant (or a scope of it) acknowledged
   * {@link TWO_STACKS_ACK}.
   */
  public record(identity: string, claimant: IConstruct, prop: string, stream: IConstruct): void {
    const earlier = this.byIdentity.get(identity);
    const claimantPath = claimant.node.path;
    if (earlier !== undefined && Stack.of(earlier) !== Stack.of(claimant) && !isAcknowledged(claimant, TWO_STACKS_ACK)) {
      throw validationError(
        claimant,
        `${claimantPath}: ${prop} is the stream that ${earlier.node.path} already encrypts from stack ${Stack.of(earlier).stackName}; encrypted from two stacks of one app, each deploy would put back its own key over the other's, and deleting either would turn the encryption off under the other. Keep one: remove ${claimantPath}, or ${earlier.node.path}, and hand the stream to the other stack through the remaining construct's encryptedDeliveryStream or encryptedStream. If the two stacks take over from each other on purpose (one deployed after the other), acknowledge it: Annotations.of(scope).acknowledgeWarning('${TWO_STACKS_ACK}', reason) on ${claimantPath} or a scope of it, before it is created.`,
      );
    }
    this.byIdentity.set(identity, claimant);
    this.byConstruct.set(stream, claimantPath);
    const child = stream.node.defaultChild;
    if (child) {
      this.byConstruct.set(child, claimantPath);
    }
  }

  /**
   * The path of the construct that encrypts the stream `stream` (a stream
   * construct or its L1 resource), found by the construct itself or by the
   * stream's identity; `undefined` when none does.
   */
  public claimantOf(stream: IConstruct, identity: string): string | undefined {
    return this.byConstruct.get(stream) ?? this.byIdentity.get(identity)?.node.path;
  }
}

/** The acknowledgement that lets two stacks of one stage encrypt the same stream. */
export const TWO_STACKS_ACK = 'cdk-stream-encryption:streamEncryptedFromTwoStacks';

/** Where an app's root construct holds its `EncryptedStreams`. */
const ENCRYPTED_STREAMS = Symbol.for('cdk-stream-encryption.EncryptedStreams');
