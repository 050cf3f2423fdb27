/**
 * The reason catalogue as the documentation shows it: every reason's id,
 * message and fix, in the order the handler's checks run (the troubleshooting
 * table of docs/troubleshooting.md is generated from it). No asset imports
 * it: the messages are in `reasons.ts`, the fixes in `fixes.ts`.
 */
import { REASON_FIXES } from './fixes';
import { REASON_MESSAGES, ReasonId } from './reasons';

/** One entry of the reason catalogue. */
export interface ReasonEntry {
  /** Stable identifier, printed at the start of every FAILED reason. */
  readonly id: ReasonId;
  /** What happened; `{name}` placeholders are filled from the failure's parameters. */
  readonly message: string;
  /** What the user should do about it. */
  readonly fix: string;
}

/** Every reason, in the order the handler's checks run. */
export const REASON_CATALOGUE: ReadonlyArray<ReasonEntry> = (Object.keys(REASON_MESSAGES) as ReasonId[]).map((id) => ({
  id,
  message: REASON_MESSAGES[id],
  fix: REASON_FIXES[id],
}));
