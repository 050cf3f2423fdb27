/**
 * Entry point of the guard's bundle (`assets/stream-encryption-guard`):
 * `repair`, the `StreamEncryptionGuard`'s function, invoked asynchronously
 * by EventBridge with a CloudTrail event and the desired encryption of the
 * stream it names ({@link handleRepairEvent}). It carries no custom-resource
 * code (no CloudFormation answer), and a stack without a guard uploads none
 * of it.
 *
 * Like the handler's entry point, it loads no SDK client at load: a kind of
 * stream loads its own with its first event (a single attempt per call, the
 * guard paces its own retries), and the SNS client is loaded with the first
 * alert. Their endpoints follow the standard `AWS_ENDPOINT_URL_FIREHOSE`,
 * `AWS_ENDPOINT_URL_KINESIS`, `AWS_ENDPOINT_URL_KMS` and
 * `AWS_ENDPOINT_URL_SNS` variables.
 */
import type { Context } from 'aws-lambda';
import { handleRepairEvent, Publish, RepairDependencies, RepairResult } from './repair';
import { clientCache } from '../core/clients';
import { STREAM_SERVICES } from '../kinds';
import { REAL_CLOCK, writeLine } from '../runtime';

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
async function repair(event: unknown, context: Context): Promise<RepairResult> {
  return handleRepairEvent(event, context, repairDependencies());
}

// A CommonJS module, as Lambda loads the bundle (see the handler's entry point).
export = { repair };
