import { RemovalPolicy } from 'aws-cdk-lib';
import * as logs from 'aws-cdk-lib/aws-logs';
import { IConstruct } from 'constructs';
import { StreamEncryptionProvider } from './private/provider';

/**
 * Settings of the handler function every stream encryption of a stack
 * shares (`StreamEncryptionHandler.configure`).
 */
export interface StreamEncryptionHandlerOptions {
  /**
   * How long the handler's log group keeps its events.
   *
   * `RetentionDays.INFINITE` warns at synth: cdk-nag's NIST 800-53 R5, HIPAA
   * and PCI DSS packs report a log group without a retention period.
   *
   * @default logs.RetentionDays.ONE_YEAR
   */
  readonly logRetention?: logs.RetentionDays;

  /**
   * What becomes of the handler's log group, and of the key that encrypts
   * it, when the stack no longer has them (the stack is deleted, or its last
   * stream encryption is removed).
   *
   * `RETAIN` keeps both: the log is the record of what was done to the
   * streams. `DESTROY` deletes the log group and schedules its key's
   * deletion.
   *
   * @default RemovalPolicy.RETAIN
   */
  readonly logRemovalPolicy?: RemovalPolicy;
}

/**
 * The handler function every `DeliveryStreamEncryption` and
 * `DataStreamEncryption` of a stack shares: one per stack, made with the
 * first of them, with a log group of its own (`handlerLogGroup` of each
 * construct).
 *
 * Its settings are the stack's, set once for the stack with `configure`, as
 * the guard's are with `StreamEncryptionGuard.configure`.
 *
 * @example
 * StreamEncryptionHandler.configure(this, { logRetention: logs.RetentionDays.TEN_YEARS });
 */
export class StreamEncryptionHandler {
  /**
   * Set the handler's settings for `scope`'s stack, before or after its
   * stream encryptions are made (the handler is made now if the stack has
   * none yet). Calls for one stack must agree: a second call that sets an
   * option to another value fails at synth, naming both scopes.
   *
   * @param scope - any construct of the stack.
   * @param options - the handler's settings.
   */
  public static configure(scope: IConstruct, options: StreamEncryptionHandlerOptions): void {
    StreamEncryptionProvider.of(scope).configureLogs(options, scope);
  }

  private constructor() {}
}
