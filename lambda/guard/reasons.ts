/**
 * The messages of the reasons only the guard fails with (see `GuardReasonId`
 * in `core/reasons.ts`): in the guard's asset only, since the handler never
 * raises them.
 */
import { GuardReasonId, HandlerFailure, ReasonParams } from '../core/reasons';

/** What happened, per reason id of the guard's own. */
export const GUARD_REASON_MESSAGES: Readonly<Record<GuardReasonId, string>> = {
  REPAIR_CAP_REACHED: 'The guard has repaired {stream} {count} times today (UTC), its cap of {max} per day; it did not call Start, to keep the stream\'s 25 Start/Stop calls per 24 h for the stack.',
  INVALID_REPAIR_INPUT: 'The guard was invoked with an input it cannot read: {problem}.',
};

/** A failure of one of the guard's own reasons. */
export function guardFailure(reasonId: GuardReasonId, params: ReasonParams): HandlerFailure {
  return new HandlerFailure(reasonId, params, GUARD_REASON_MESSAGES);
}
