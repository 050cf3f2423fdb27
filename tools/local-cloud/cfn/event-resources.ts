/**
 * The template resources that route CloudTrail events to the guard: `AWS::Events::Rule` (its
 * pattern and targets, with `Input` and `InputTransformer` resolved), `AWS::Lambda::Permission`
 * (what lets EventBridge invoke a function), `AWS::SNS::Topic` (the alert topic) with its
 * `AWS::SNS::TopicPolicy` (what lets EventBridge publish to it) and the
 * `AWS::Lambda::Function`s a rule may invoke: each runs the export its `Handler` names of the
 * bundle its `Code` names (`function-code.ts`: the guard's function, the guard's bundle), as its role, asynchronously as Lambda runs an event from EventBridge (two retries when
 * it fails, then its `DeadLetterConfig` topic gets the event).
 *
 * @module
 */

import type { TemplateModel } from './model';
import type { PolicyDocument } from '../iam';
import type { JsonObject, JsonValue } from '../json';
import type { LocalCloud } from '../server';
import type { HandlerLogLine, LocalLambda } from './lambda-runtime';
import type { RuleTarget } from '../services/events';

/** The resource types this module models. */
export const EVENT_RESOURCE_TYPES: readonly string[] = ['AWS::Events::Rule', 'AWS::Lambda::Permission', 'AWS::SNS::Topic', 'AWS::SNS::TopicPolicy', 'AWS::Lambda::Function'];

/** Whether the type is one of {@link EVENT_RESOURCE_TYPES}. */
export function isEventResourceType(type: string): boolean {
  return EVENT_RESOURCE_TYPES.includes(type);
}

/** Retries Lambda makes of an asynchronous invocation that fails. */
export const ASYNC_RETRIES = 2;

/** One asynchronous invocation of a function (with its retries). */
export interface AsyncInvocation {
  readonly functionArn: string;
  /** The bundle the function ran (an absolute path). */
  readonly bundle: string;
  readonly payload: JsonValue;
  /** When it started (real time, epoch milliseconds). */
  readonly startedAt: number;
  /** The log lines of every attempt. */
  readonly logs: HandlerLogLine[];
  /** What each attempt ended with: `ok`, or its error (or `timed out`). */
  readonly attempts: string[];
  /** Whether, after its retries, the event went to the dead-letter topic. */
  deadLettered: boolean;
  /** Whether it has run to its end. */
  finished: boolean;
}

/** Makes the function `functionId` of `model` run as a role, with the code its `Code` and `Handler` name. */
export type LambdaFactory = (functionArn: string, roleArn: string | undefined, model: TemplateModel, functionId: string) => LocalLambda;

/** The event resources of one stack in the local cloud. */
export class StackEventResources {
  /**
   * @param cloud - the local cloud (its EventBridge and SNS)
   * @param lambdas - makes the function behind an ARN
   * @param invocations - where asynchronous invocations are recorded
   * @param stackName - for the keys of permissions
   */
  constructor(
    private readonly cloud: LocalCloud,
    private readonly lambdas: LambdaFactory,
    private readonly invocations: AsyncInvocation[],
    private readonly stackName: string,
  ) {}

  /** Puts the resource of `model` in force (create or update). */
  public apply(model: TemplateModel, id: string): void {
    const type = model.resource(id).Type;
    if (type === 'AWS::SNS::Topic') {
      const key = model.property(id, 'KmsMasterKeyId');
      this.cloud.sns.createTopic({ arn: String(model.ref(id)), kmsMasterKeyId: key === undefined ? undefined : String(key) });
    } else if (type === 'AWS::SNS::TopicPolicy') {
      for (const topic of (model.property(id, 'Topics') ?? []) as unknown[]) {
        this.cloud.sns.setTopicPolicy(String(topic), model.property(id, 'PolicyDocument') as unknown as PolicyDocument);
      }
    } else if (type === 'AWS::Lambda::Permission') {
      const sourceArn = model.property(id, 'SourceArn');
      this.cloud.events.addPermission(this.key(id), {
        functionName: String(model.property(id, 'FunctionName')),
        principal: String(model.property(id, 'Principal')),
        action: String(model.property(id, 'Action')),
        sourceArn: sourceArn === undefined ? undefined : String(sourceArn),
      });
    } else if (type === 'AWS::Events::Rule') {
      const targets = (model.property(id, 'Targets') ?? []) as RuleTarget[];
      this.cloud.events.putRule({
        arn: String(model.getAtt(id, 'Arn')),
        pattern: model.property(id, 'EventPattern') as JsonObject,
        state: model.property(id, 'State') === 'DISABLED' ? 'DISABLED' : 'ENABLED',
        targets: targets.map((t) => ({ ...t, Arn: String(t.Arn) })),
      });
    } else if (type === 'AWS::Lambda::Function') {
      this.registerFunction(model, id);
    }
  }

  /** Removes the resource of `model`. */
  public remove(model: TemplateModel, id: string): void {
    const type = model.resource(id).Type;
    if (type === 'AWS::SNS::Topic') this.cloud.sns.deleteTopic(String(model.ref(id)));
    else if (type === 'AWS::SNS::TopicPolicy') for (const topic of (model.property(id, 'Topics') ?? []) as unknown[]) this.cloud.sns.setTopicPolicy(String(topic), undefined);
    else if (type === 'AWS::Lambda::Permission') this.cloud.events.removePermission(this.key(id));
    else if (type === 'AWS::Events::Rule') this.cloud.events.removeRule(String(model.getAtt(id, 'Arn')));
    else if (type === 'AWS::Lambda::Function') this.cloud.events.unregisterFunction(String(model.getAtt(id, 'Arn')));
  }

  private key(id: string): string {
    return `${this.stackName}/${id}`;
  }

  /** Makes the function invocable by EventBridge: its export, role, timeout and dead-letter topic. */
  private registerFunction(model: TemplateModel, id: string): void {
    const functionArn = String(model.getAtt(id, 'Arn'));
    const role = model.property(id, 'Role');
    const timeout = model.property(id, 'Timeout');
    const timeoutMs = (timeout === undefined ? 3 : Number(timeout)) * 1000;
    const deadLetter = (model.property(id, 'DeadLetterConfig') as { TargetArn?: unknown } | undefined)?.TargetArn;
    this.cloud.events.registerFunction(functionArn, async (payload) => {
      const lambda = this.lambdas(functionArn, typeof role === 'string' ? role : undefined, model, id);
      const record: AsyncInvocation = {
        functionArn, bundle: lambda.bundle, payload, startedAt: Date.now(), logs: [], attempts: [], deadLettered: false, finished: false,
      };
      this.invocations.push(record);
      try {
        for (let attempt = 0; attempt <= ASYNC_RETRIES; attempt++) {
          const invocation = lambda.invoke(payload, { timeoutMs });
          const outcome = await invocation.done;
          record.logs.push(...invocation.logs);
          if (!outcome.timedOut && outcome.error === undefined) {
            record.attempts.push('ok');
            return;
          }
          record.attempts.push(outcome.timedOut ? 'timed out' : outcome.error!);
        }
        if (deadLetter !== undefined) {
          record.deadLettered = this.cloud.sns.publishFromService(String(deadLetter), JSON.stringify(payload), { service: 'lambda.amazonaws.com' }) === 'published';
        }
      } finally {
        record.finished = true;
      }
    });
  }
}
