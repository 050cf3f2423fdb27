/**
 * Entry point of the `Custom::DeliveryStreamEncryption` and
 * `Custom::DataStreamEncryption` handler: a Lambda-backed CloudFormation
 * custom resource that turns server-side encryption of an Amazon Data
 * Firehose delivery stream or an Amazon Kinesis data stream on (Create/Update)
 * and off (Delete), and PUTs its own answer to the event's `ResponseURL`.
 *
 * This module only wires the real world (SDK clients, timers, randomness, the
 * HTTPS response sender, stdout) into {@link handleEvent}. The SDK clients make
 * a single attempt per call, because the handler paces its own retries; their
 * endpoints follow the standard `AWS_ENDPOINT_URL_FIREHOSE`,
 * `AWS_ENDPOINT_URL_KINESIS` and `AWS_ENDPOINT_URL_KMS` variables.
 */
import { FirehoseClient } from '@aws-sdk/client-firehose';
import { KinesisClient } from '@aws-sdk/client-kinesis';
import { KMSClient } from '@aws-sdk/client-kms';
import type { CloudFormationCustomResourceEvent, Context } from 'aws-lambda';
import type { Clock } from './backoff';
import { describeError } from './errors';
import { AnswerDependencies, answerUnexpectedError, handleEvent, HandlerDependencies } from './handle-event';
import { createResponseSender } from './response';

/** Resolve after `ms` milliseconds of real time. */
function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Write one log line to stdout (CloudWatch Logs in Lambda). */
function writeLine(line: string): void {
  console.log(line);
}

/** The real clock. */
const REAL_CLOCK: Clock = { now: Date.now, sleep, random: Math.random };

/** Everything but the SDK clients; creating these cannot fail. */
function answerDependencies(): AnswerDependencies {
  return {
    ...REAL_CLOCK,
    sendResponse: createResponseSender({ clock: REAL_CLOCK }),
    log: writeLine,
  };
}

/** The production dependencies, with fresh SDK clients. */
function productionDependencies(): HandlerDependencies {
  return {
    ...answerDependencies(),
    firehose: new FirehoseClient({ maxAttempts: 1 }),
    kms: new KMSClient({ maxAttempts: 1 }),
    kinesis: new KinesisClient({ maxAttempts: 1 }),
  };
}

/**
 * The Lambda handler. Never throws or rejects: whatever happens, it answers
 * CloudFormation (SUCCESS or FAILED) and logs what it did.
 *
 * @param event - the CloudFormation custom-resource request.
 * @param context - the Lambda context (remaining time, log stream name).
 */
export async function handler(event: CloudFormationCustomResourceEvent, context: Context): Promise<void> {
  let deps: HandlerDependencies;
  try {
    deps = productionDependencies();
  } catch (err) {
    await answerUnexpectedError(event, context, err, answerDependencies());
    return;
  }
  try {
    await handleEvent(event, context, deps);
  } catch (err) {
    // handleEvent never rejects; this only guards against the impossible.
    writeLine(JSON.stringify({ level: 'error', action: 'handler', error: describeError(err) }));
  }
}
