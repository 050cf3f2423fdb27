/**
 * The reason catalogue as the documentation shows it: every reason's id,
 * message and fix, the handler's in the order its checks run, then the
 * guard's own (the troubleshooting table of docs/troubleshooting.md is
 * generated from it). No asset imports it: the messages are in `reasons.ts`
 * (the guard's own in `guard/reasons.ts`), the fixes in `fixes.ts`.
 */
import { REASON_FIXES } from './fixes';
import { GuardReasonId, REASON_MESSAGES, ReasonId } from './reasons';
import { GUARD_REASON_MESSAGES } from '../guard/reasons';

/** One entry of the reason catalogue. */
export interface ReasonEntry {
  /** Stable identifier, printed at the start of every FAILED reason. */
  readonly id: ReasonId;
  /** What happened; `{name}` placeholders are filled from the failure's parameters. */
  readonly message: string;
  /** What the user should do about it. */
  readonly fix: string;
}

/**
 * What to do about the guard's own reasons. No asset carries them: the guard
 * answers no CloudFormation, and its alert names the reason id, the key of
 * the troubleshooting table.
 */
export const GUARD_REASON_FIXES: Readonly<Record<GuardReasonId, string>> = {
  REPAIR_CAP_REACHED: 'Find who turns the encryption off (CloudTrail: {eventName} by {caller}) and stop it, then re-encrypt by redeploying, or wait for the next UTC day; raise maxRepairsPerStreamPerDay only if the stream has calls to spare.',
  INVALID_REPAIR_INPUT: 'Invoke the guard only through the EventBridge rules of its StreamEncryptionGuard, from the same library version as its function.',
};

/** The fix of every reason. */
const FIXES: Readonly<Record<ReasonId, string>> = { ...REASON_FIXES, ...GUARD_REASON_FIXES };

/** The message of every reason. */
const MESSAGES: Readonly<Record<ReasonId, string>> = { ...REASON_MESSAGES, ...GUARD_REASON_MESSAGES };

/** Every reason: the handler's in the order its checks run, then the guard's own. */
export const REASON_CATALOGUE: ReadonlyArray<ReasonEntry> = (Object.keys(MESSAGES) as ReasonId[]).map((id) => ({
  id,
  message: MESSAGES[id],
  fix: FIXES[id],
}));
