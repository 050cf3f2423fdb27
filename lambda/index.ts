/**
 * Entry point of the handler's bundle (`assets/stream-encryption-handler`):
 * `handler`, the `Custom::DeliveryStreamEncryption` and
 * `Custom::DataStreamEncryption` handler, a Lambda-backed CloudFormation
 * custom resource that turns server-side encryption of an Amazon Data
 * Firehose delivery stream or an Amazon Kinesis data stream on (Create/Update)
 * and off (Delete), and PUTs its own answer to the event's `ResponseURL`.
 * The guard's repair function is a bundle of its own (`guard/index.ts`).
 *
 * This module only wires the real world (timers, randomness, the HTTPS
 * response sender, stdout, the kinds of stream) into {@link handleEvent}. It
 * loads no SDK client: a kind of stream loads its own with its first event.
 * The clients make a single attempt per call, because the handler paces its
 * own retries; their endpoints follow the
 * standard `AWS_ENDPOINT_URL_FIREHOSE`, `AWS_ENDPOINT_URL_KINESIS` and
 * `AWS_ENDPOINT_URL_KMS` variables.
 */
import type { CloudFormationCustomResourceEvent, Context } from 'aws-lambda';
import { clientCache } from './core/clients';
import { describeError } from './core/errors';
import { handleEvent, HandlerDependencies } from './core/handle-event';
import { createResponseSender } from './core/response';
import { STREAM_SERVICES } from './kinds';
import { REAL_CLOCK, writeLine } from './runtime';

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
async function handler(event: CloudFormationCustomResourceEvent, context: Context): Promise<void> {
  try {
    await handleEvent(event, context, productionDependencies());
  } catch (err) {
    // handleEvent never rejects; this only guards against the impossible.
    writeLine(JSON.stringify({ level: 'error', action: 'handler', error: describeError(err) }));
  }
}

// A CommonJS module, as Lambda loads the bundle: `export =` makes esbuild write `module.exports`
// itself, with none of the ES-module interop code a named export would add to the asset.
export = { handler };
