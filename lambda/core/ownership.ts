/**
 * Which custom resource manages a stream: a tag on the stream itself
 * ({@link OWNER_TAG_KEY}), whose value names the resource that last encrypted
 * it. Two resources can manage one stream — a construct renamed (CloudFormation
 * creates the new resource, then deletes the old one) or two stacks — and both
 * have the same physical id (`firehose:<stream>`), so only the stream can tell
 * a Delete whether its encryption is still this resource's to stop.
 *
 * The protocol lives here: the tag read and written without failing the
 * request, the claim a request that takes a stream writes before its Start,
 * and what the tag tells a Delete. It sees the stream's tag only through
 * {@link OwnerTagAccess}, which the reconcile loop makes from a stream
 * service's tag calls.
 */
import { createHash } from 'node:crypto';
import type { Clock } from './backoff';
import { describeError } from './errors';
import type { Logger } from './log';
import { HandlerFailure } from './reasons';
import {
  COPY_TAG_PREFIX,
  formatOwnerTag,
  MAX_OWNER_TAG_LENGTH,
  OWNER_TAG_KEY,
  OwnerTag,
  parseOwnerTag,
  PRIOR_UNKNOWN,
  sameOwner,
} from '../../src/private/contract';

/**
 * How long a copy of a request that finds the stream claimed by another copy
 * (Lambda may deliver one event more than once) waits for that copy's Start
 * before it makes its own, in milliseconds: the other copy may have died.
 */
export const CLAIM_FOLLOW_MS = 10_000;

/**
 * How long a copy waits after writing its claim before reading it back, in
 * milliseconds: a copy that writes its own within this time is read back (the
 * last claim written wins), and one that writes later finds, when it reads the
 * stream after its own wait, the Start of the copy that won (a read-back and a
 * Start take far less).
 */
export const CLAIM_READ_BACK_AFTER_MS = 1_000;

/**
 * A copy that reads back its claim and sees no other copy's tag Starts at
 * once only if its reading of the stream was sent less than this long before
 * the read-back's answer, in milliseconds; and a copy that Started keeps its
 * tag at least this long after its Start's answer. Another copy's Start that
 * its reading missed has then either left its tag for the read-back to see,
 * or came more than this long after the reading: the copy reads the stream
 * again instead.
 */
export const COPY_TAG_KEEP_MS = 5_000;

/** Longest tag value both Firehose and Kinesis accept. */
export const MAX_TAG_VALUE_LENGTH = MAX_OWNER_TAG_LENGTH;

/** Characters kept as they are in the readable part of a value (both services accept them in tag values). */
const UNSAFE_CHARACTERS = /[^A-Za-z0-9_.=+@-]/g;

/**
 * The owner tag value of a custom resource: derived only from its identity,
 * the stack id and the logical id, which an Update keeps and a rename or
 * another stack changes. `<16 hex digits of SHA-256(stack id, logical id)>/<stack name>/<logical id>`,
 * cut to {@link MAX_TAG_VALUE_LENGTH} characters (the hash comes first, so a
 * cut never makes two resources' values equal).
 */
export function ownerTagValue(stackId: string, logicalResourceId: string): string {
  const hash = createHash('sha256').update(`${stackId}\n${logicalResourceId}`).digest('hex').slice(0, 16);
  const stackName = /:stack\/([^/]+)\//.exec(stackId)?.[1];
  const readable = [stackName, logicalResourceId]
    .filter((part): part is string => part !== undefined && part !== '')
    .map((part) => part.replace(UNSAFE_CHARACTERS, '_'));
  return [hash, ...readable].join('/').slice(0, MAX_TAG_VALUE_LENGTH);
}

/** Tags asked for per page: the most either service answers (a stream has at most 50). */
export const TAG_PAGE_SIZE = 50;

/** Pages read at most: more than a stream's 50 tags need, whatever page size a service answers. */
const MAX_TAG_PAGES = 50;

/** One page of a stream's tags. */
export interface TagPage {
  /** The tags of the page. */
  readonly tags: ReadonlyArray<{ readonly Key?: string; readonly Value?: string }>;
  /** Whether tags follow the last one of the page. */
  readonly more: boolean;
}

/**
 * The value of the tag `key` (by default the {@link OWNER_TAG_KEY} tag) among
 * a stream's tags, read page by page, each page starting after the last key
 * of the one before.
 *
 * @param listPage - reads the page after a key (the first page: `undefined`).
 * @param key - the tag key to find.
 * @param seen - told every key of every page (all pages are then read).
 * @returns the value; `undefined` when there is no such tag or its value is empty.
 */
export async function findOwnerTag(
  listPage: (exclusiveStartTagKey: string | undefined) => Promise<TagPage>,
  key: string = OWNER_TAG_KEY,
  seen?: (key: string) => void,
): Promise<string | undefined> {
  let start: string | undefined;
  let value: string | undefined;
  for (let page = 0; page < MAX_TAG_PAGES; page++) {
    const { tags, more } = await listPage(start);
    for (const tag of tags) {
      seen?.(tag.Key ?? '');
      if (tag.Key === key) {
        value ??= tag.Value ?? '';
      }
    }
    const last = tags[tags.length - 1]?.Key;
    if ((value !== undefined && !seen) || !more || last === undefined) {
      break;
    }
    start = last;
  }
  return value || undefined;
}

/** The owner tag of one stream, as the protocol reads and writes it. */
export interface OwnerTagAccess {
  /** The request's logger. */
  readonly log: Logger;
  /**
   * The tag's value (`undefined`: no tag, or an empty value).
   *
   * @param seen - told the key of every tag of the stream.
   * @throws HandlerFailure when the deadline passes while the call is retried; any other error as the service gives it.
   */
  read(seen?: (key: string) => void): Promise<string | undefined>;
  /** Write the tag (or the tags `keys`, in one call) with `value`, or remove it (`undefined`). */
  write(value: string | undefined, keys?: string[]): Promise<void>;
}

/**
 * The stream's owner tag, taken apart: `undefined` when there is none, or
 * `null` when it could not be read. A failure other than the deadline
 * (access denied, stream gone, …) is logged; a Delete then acts as for an
 * untagged stream, and a Create or Update records no prior state.
 *
 * @throws HandlerFailure when the deadline passes while the call is retried.
 */
export async function readOwnerTag(tags: OwnerTagAccess, seen?: (key: string) => void): Promise<OwnerTag | undefined | null> {
  try {
    return parseOwnerTag(await tags.read(seen));
  } catch (err) {
    if (err instanceof HandlerFailure) {
      throw err;
    }
    tags.log.warn('owner', { error: describeError(err), decision: 'owner unknown: act as for an untagged stream' });
    return null;
  }
}

/**
 * Write (or, with `undefined`, remove) the stream's owner tag. Never fails the
 * request: a tag refused (an organization's policy may deny tagging) or lost
 * to the deadline is logged as a warning, and the physical id still records
 * what the tag would have.
 *
 * @param keys - the tags written (or removed) in one call, instead of the owner tag alone.
 * @returns whether the tag was written.
 */
export async function writeOwnerTag(tags: OwnerTagAccess, tag: OwnerTag | undefined, keys?: string[]): Promise<boolean> {
  const value = tag === undefined ? undefined : formatOwnerTag(tag);
  try {
    await tags.write(value, keys);
    tags.log.info('owner', value === undefined ? { status: 'untagged' } : { status: 'tagged', managedBy: value });
    return true;
  } catch (err) {
    tags.log.warn('owner', { status: value === undefined ? 'not untagged' : 'not tagged', error: describeError(err) });
    return false;
  }
}

/** What {@link claimBeforeStart} needs from the request. */
export interface ClaimContext {
  /** This resource's owner tag value. */
  readonly owner: string;
  /** The owner tag as the request first read it: none, or a claim of another copy. */
  readonly initial?: OwnerTag;
  /** The stream's prior encryption as the request knows it now. */
  readonly prior: () => string;
  /** Whether a tag names this resource. */
  readonly mine: (tag: OwnerTag) => boolean;
  /** When the reading of the stream that decided the Start was sent, in epoch milliseconds. */
  readonly readAt: () => number;
  /** The claim was written (`true`, with its value and this copy's {@link COPY_TAG_PREFIX} key) or could not be (`false`). */
  readonly onClaim: (written: boolean, claim: OwnerTag, copyKey: string) => void;
  /** Another copy of the request claimed the stream: its tag. */
  readonly onFollow: (other: OwnerTag) => void;
}

/**
 * What a request's check before a Start answers: `start` to send it now,
 * `reread` to read the stream again at once (and decide again), `wait` to
 * read it again after a poll pause.
 */
export type StartGate = 'start' | 'reread' | 'wait';

/**
 * The claim a request that takes a stream writes before its Start: the owner
 * tag with the stream's prior encryption and a nonce of this copy of the
 * request, and in the same call this copy's {@link COPY_TAG_PREFIX} tag.
 * Copies of one event delivered at once each write their claim; the owner
 * tag keeps the last one written, so the copy that reads its own nonce back
 * ({@link CLAIM_READ_BACK_AFTER_MS} after writing it) Starts, and a copy that
 * reads another's waits for that Start (taking its record of the prior
 * encryption), for at most {@link CLAIM_FOLLOW_MS}. The copy that reads its
 * nonce back Starts at once when it sees no other copy's tag and its reading
 * of the stream is recent ({@link COPY_TAG_KEEP_MS}); otherwise it reads the
 * stream once more first. A claim refused (tagging denied) lets the Start go
 * ahead.
 *
 * @returns what to ask before each Start (a {@link StartGate}).
 */
export function claimBeforeStart(tags: OwnerTagAccess, clock: Clock, context: ClaimContext): () => Promise<StartGate> {
  const nonce = Math.floor(clock.random() * 0x1_0000_0000).toString(16).padStart(8, '0');
  let phase: 'claim' | 'confirm' | 'follow' | 'go' = 'claim';
  let followUntil = 0;
  const follow = (other: OwnerTag): StartGate => {
    context.onFollow(other);
    phase = 'follow';
    followUntil = clock.now() + CLAIM_FOLLOW_MS;
    tags.log.info('owner', { decision: 'another copy of this request claimed the stream: waiting for its Start', claim: other.claim });
    return 'wait';
  };
  const otherClaim = (tag: OwnerTag | null | undefined): tag is OwnerTag =>
    !!tag && context.mine(tag) && tag.prior !== undefined && tag.claim !== undefined && tag.claim !== nonce;
  return async () => {
    switch (phase) {
      case 'claim': {
        const seen = context.initial ?? (context.prior() === PRIOR_UNKNOWN ? await readOwnerTag(tags) : undefined);
        if (otherClaim(seen)) {
          return follow(seen);
        }
        const claim: OwnerTag = { owner: context.owner, prior: context.prior(), claim: nonce };
        const copyKey = COPY_TAG_PREFIX + nonce;
        const written = await writeOwnerTag(tags, claim, [OWNER_TAG_KEY, copyKey]);
        context.onClaim(written, claim, copyKey);
        if (!written) {
          phase = 'go';
          return 'start';
        }
        await clock.sleep(CLAIM_READ_BACK_AFTER_MS);
        // The claim tags read back: this copy's, and whether another copy's is there.
        let ownTag = false;
        let otherTag = false;
        const back = await readOwnerTag(tags, (key) => {
          ownTag ||= key === copyKey;
          otherTag ||= key !== copyKey && key.startsWith(COPY_TAG_PREFIX);
        });
        const ownBack = back?.claim === nonce;
        if (otherClaim(back)) {
          return follow(back);
        }
        // Alone, on a recent reading: Start. Else read the stream once more: another copy may have started since.
        const alone = ownBack && ownTag && !otherTag && clock.now() - context.readAt() < COPY_TAG_KEEP_MS;
        phase = alone ? 'go' : 'confirm';
        return alone ? 'start' : 'reread';
      }
      case 'follow':
        if (clock.now() < followUntil) {
          return 'wait';
        }
        tags.log.warn('owner', { decision: `the other copy made no Start in ${CLAIM_FOLLOW_MS} ms: starting` });
        phase = 'go';
        return 'start';
      default:
        phase = 'go';
        return 'start';
    }
  };
}

/**
 * What the owner tag tells a Delete: another resource manages the stream
 * (`managedBy`: its encryption stays on), or this one may put it back
 * (`ours`: the tag names this resource, to be removed afterwards), from
 * `prior`: the tag's record, else the physical id's.
 */
export type Release =
  | {
    /** The resource that manages the stream now, as the reason names it. */
    readonly managedBy: string;
  }
  | {
    /** Whether the tag names this resource. */
    readonly ours: boolean;
    /** The encryption to put back (`undefined`: stop it). */
    readonly prior?: string;
  };

/**
 * The Delete half of the protocol: read the owner tag. A tag naming this
 * resource alone, or no tag (or none readable), lets the Delete put the stream
 * back; a tag naming this resource and a previous owner hands the stream back
 * to that owner; a tag naming this resource as previous owner hands it to the
 * new one (both rewrite the tag for the owner that stays); any other tag
 * leaves it alone.
 *
 * @param tags - the stream's owner tag.
 * @param owner - this resource's owner tag value (`undefined`: the tag is not read).
 * @param prior - the encryption the physical id records as the stream's before the resource took it.
 */
export async function releaseOwnership(tags: OwnerTagAccess, owner: string | undefined, prior: string | undefined): Promise<Release> {
  if (owner === undefined) {
    return { ours: false, prior };
  }
  const leaveOn = async (managedBy: string, handBack: OwnerTag | undefined, decision: string): Promise<Release> => {
    tags.log.info('owner', { managedBy, decision });
    if (handBack !== undefined) {
      await writeOwnerTag(tags, handBack);
    }
    return { managedBy };
  };
  const tag = await readOwnerTag(tags);
  if (tag === null) {
    // Unreadable: as for an untagged stream.
    return { ours: false, prior };
  }
  if (tag === undefined) {
    tags.log.info('owner', { managedBy: null, decision: 'no owner tag' });
    return { ours: false, prior };
  }
  if (sameOwner(tag.owner, owner) && tag.previous !== undefined) {
    return leaveOn(tag.previous, { owner: tag.previous, prior: tag.prior }, 'the previous owner still manages the stream: handed back, encryption left on');
  }
  if (sameOwner(tag.previous, owner)) {
    return leaveOn(tag.owner, { owner: tag.owner, prior: tag.prior }, 'another resource took the stream over: encryption left on');
  }
  if (!sameOwner(tag.owner, owner)) {
    return leaveOn(formatOwnerTag(tag), undefined, 'another resource manages the stream: encryption left on');
  }
  tags.log.info('owner', { managedBy: tag.owner, decision: 'this resource manages the stream' });
  return { ours: true, prior: tag.prior ?? prior };
}
