/**
 * Entry points of the library's one bundle. `handler`: the
 * `Custom::DeliveryStreamEncryption` and
 * `Custom::DataStreamEncryption` handler: a Lambda-backed CloudFormation
 * custom resource that turns server-side encryption of an Amazon Data
 * Firehose delivery stream or an Amazon Kinesis data stream on (Create/Update)
 * and off (Delete), and PUTs its own answer to the event's `ResponseURL`.
 *
 * This module only wires the real world (timers, randomness, the HTTPS
 * response sender, stdout, the kinds of stream) into {@link handleEvent}. It
 * loads no SDK client: a kind of stream loads its own with its first event.
 * The clients make a single attempt per call, because the handler paces its
 * own retries; their endpoints follow the
 * standard `AWS_ENDPOINT_URL_FIREHOSE`, `AWS_ENDPOINT_URL_KINESIS` and
 * `AWS_ENDPOINT_URL_KMS` variables (and `AWS_ENDPOINT_URL_SNS` for the
 * guard's alerts).
 *
 * `repair`: the `StreamEncryptionGuard`'s function, invoked asynchronously
 * by EventBridge with a CloudTrail event and the desired encryption of the
 * stream it names ({@link handleRepairEvent}).
 */
import type { CloudFormationCustomResourceEvent, Context } from 'aws-lambda';
import type { Clock } from './core/backoff';
import { clientCache } from './core/clients';
import { describeError } from './core/errors';
import { handleEvent, HandlerDependencies } from './core/handle-event';
import { createResponseSender } from './core/response';
import { handleRepairEvent, Publish, RepairDependencies, RepairResult } from './guard/repair';
import { STREAM_SERVICES } from './kinds';

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

/**
 * The production dependencies of one event. Its SDK clients are made when a
 * kind of stream first asks for them, each once per event: a client reads
 * its endpoint and region from the environment when it is made, and an
 * event's environment is the one to follow.
 */
function productionDependencies(): HandlerDependencies {
  return {
    ...REAL_CLOCK,
    services: STREAM_SERVICES,
    clients: clientCache({ maxAttempts: 1 }),
    sendResponse: createResponseSender({ clock: REAL_CLOCK }),
    log: writeLine,
    // Lambda sets it to the function's log group (its own, when configured); read per event.
    logGroupName: process.env.AWS_LAMBDA_LOG_GROUP_NAME,
  };
}

/**
 * The Lambda handler. Never throws or rejects: whatever happens, it answers
 * CloudFormation (SUCCESS or FAILED) and logs what it did.
 *
 * @param event - the CloudFormation custom-resource request.
 * @param context - the Lambda context (remaining time, log group and log stream names).
 */
export async function handler(event: CloudFormationCustomResourceEvent, context: Context): Promise<void> {
  try {
    await handleEvent(event, context, productionDependencies());
  } catch (err) {
    // handleEvent never rejects; this only guards against the impossible.
    writeLine(JSON.stringify({ level: 'error', action: 'handler', error: describeError(err) }));
  }
}

/** Publishes through the SNS client, loaded with the first alert (with the SDK's own retries). */
function snsPublisher(): Publish {
  const clients = clientCache({ maxAttempts: 3 });
  return async (topicArn, subject, message) => {
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- loaded only when an alert is sent
    const sns = require('@aws-sdk/client-sns') as typeof import('@aws-sdk/client-sns');
    const client = clients('sns', (settings) => new sns.SNSClient(settings));
    await client.send(new sns.PublishCommand({ TopicArn: topicArn, Subject: subject, Message: message }));
  };
}

/** The production dependencies of one repair. */
function repairDependencies(): RepairDependencies {
  return {
    ...REAL_CLOCK,
    services: STREAM_SERVICES,
    clients: clientCache({ maxAttempts: 1 }),
    publish: snsPublisher(),
    log: writeLine,
  };
}

/**
 * The guard's Lambda handler. Resolves with what it did; rejects only when
 * an alert could not be published, so that Lambda retries the event and,
 * after its retries, sends it to the dead-letter topic.
 *
 * @param event - the rule's input: the desired encryption and the CloudTrail event's `detail`.
 * @param context - the Lambda context (remaining time).
 */
export async function repair(event: unknown, context: Context): Promise<RepairResult> {
  return handleRepairEvent(event, context, repairDependencies());
}
