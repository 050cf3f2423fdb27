/**
 * Which custom resource manages a stream: a tag on the stream itself
 * ({@link OWNER_TAG_KEY}), whose value names the resource that last encrypted
 * it. Two resources can manage one stream — a construct renamed (CloudFormation
 * creates the new resource, then deletes the old one) or two stacks — and both
 * have the same physical id (`firehose:<stream>`), so only the stream can tell
 * a Delete whether its encryption is still this resource's to stop.
 */
import { createHash } from 'node:crypto';
import { MAX_OWNER_TAG_LENGTH, OWNER_TAG_KEY } from '../../src/private/contract';

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
 * @returns the value; `undefined` when there is no such tag or its value is empty.
 */
export async function findOwnerTag(
  listPage: (exclusiveStartTagKey: string | undefined) => Promise<TagPage>,
  key: string = OWNER_TAG_KEY,
): Promise<string | undefined> {
  let start: string | undefined;
  for (let page = 0; page < MAX_TAG_PAGES; page++) {
    const { tags, more } = await listPage(start);
    const owner = tags.find((tag) => tag.Key === key);
    if (owner) {
      return owner.Value || undefined;
    }
    const last = tags[tags.length - 1]?.Key;
    if (!more || last === undefined) {
      return undefined;
    }
    start = last;
  }
  return undefined;
}
