/**
 * The tags of a stream, as Firehose and Kinesis keep them: at most 50 per stream, a key set again
 * overwrites its value, removing a key the stream does not have is ignored, and listings are pages
 * in key order that start after `ExclusiveStartTagKey`.
 *
 * @module
 */

/** Tags a stream may have, in both services. */
export const MAX_TAGS_PER_STREAM = 50;

/** A page of tags, as `ListTagsForDeliveryStream` and `ListTagsForStream` answer it. */
export interface TagPage {
  Tags: Array<{ Key: string; Value: string }>;
  HasMoreTags: boolean;
}

/** One stream's tags. */
export class TagSet {
  private readonly tags = new Map<string, string>();

  /**
   * @param initial - tags the stream starts with
   */
  constructor(initial: Readonly<Record<string, string>> = {}) {
    for (const [key, value] of Object.entries(initial)) this.tags.set(key, value);
  }

  /** How many tags the stream would have with `added` set. */
  public countWith(added: Iterable<string>): number {
    const keys = new Set(this.tags.keys());
    for (const key of added) keys.add(key);
    return keys.size;
  }

  /** Sets tags (a key already set gets the new value). The caller checks the limit first. */
  public set(tags: Iterable<readonly [string, string]>): void {
    for (const [key, value] of tags) this.tags.set(key, value);
  }

  /**
   * Sets tags within the limit of {@link MAX_TAGS_PER_STREAM}: when the stream would have more,
   * nothing changes and the error `tooMany` makes for that count is thrown.
   */
  public setWithinLimit(tags: ReadonlyArray<readonly [string, string]>, tooMany: (count: number) => Error): void {
    const count = this.countWith(tags.map(([key]) => key));
    if (count > MAX_TAGS_PER_STREAM) throw tooMany(count);
    this.set(tags);
  }

  /** Removes tags; keys the stream does not have are ignored. */
  public remove(keys: Iterable<string>): void {
    for (const key of keys) this.tags.delete(key);
  }

  /** The tags after `exclusiveStartTagKey` in key order, at most `limit` of them. */
  public page(exclusiveStartTagKey: string | undefined, limit: number): TagPage {
    const after = [...this.tags.keys()].sort().filter((key) => exclusiveStartTagKey === undefined || key > exclusiveStartTagKey);
    return {
      Tags: after.slice(0, limit).map((key) => ({ Key: key, Value: this.tags.get(key)! })),
      HasMoreTags: after.length > limit,
    };
  }

  /** Every tag, by key, in key order. */
  public toRecord(): Record<string, string> {
    return Object.fromEntries([...this.tags.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
  }
}
