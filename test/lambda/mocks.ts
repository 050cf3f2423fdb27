/**
 * The SDK client mocks of the handler tests, in one place: Firehose, Kinesis
 * and KMS mocked with aws-sdk-client-mock, the answers of a healthy account,
 * successive stream readings, and what the tests count and read back of the
 * calls the handler made.
 *
 * Importing this module mocks the three clients for the whole test file, so
 * a test file that imports it must not call `mockClient` itself.
 */
import {
  DescribeDeliveryStreamCommand,
  DescribeDeliveryStreamOutput,
  FirehoseClient,
  ListTagsForDeliveryStreamCommand,
  StartDeliveryStreamEncryptionCommand,
  StopDeliveryStreamEncryptionCommand,
  TagDeliveryStreamCommand,
  UntagDeliveryStreamCommand,
} from '@aws-sdk/client-firehose';
import {
  AddTagsToStreamCommand,
  DescribeStreamSummaryCommand,
  DescribeStreamSummaryOutput,
  KinesisClient,
  ListTagsForStreamCommand,
  RemoveTagsFromStreamCommand,
  StartStreamEncryptionCommand,
  StopStreamEncryptionCommand,
} from '@aws-sdk/client-kinesis';
import { DescribeKeyCommand, KMSClient } from '@aws-sdk/client-kms';
import { mockClient } from 'aws-sdk-client-mock';
import { keyMetadata, successive } from './helpers';

/** The mocked Firehose client. */
export const firehose = mockClient(FirehoseClient);
/** The mocked Kinesis client. */
export const kinesis = mockClient(KinesisClient);
/** The mocked KMS client. */
export const kms = mockClient(KMSClient);

/** A page of tags, as both services' ListTags calls answer it. */
export interface TagPage {
  /** The tags. */
  readonly Tags: Array<{ Key: string; Value: string }>;
  /** Whether another page follows. */
  readonly HasMoreTags: boolean;
}

/** A stream with no tags at all. */
export const NO_TAGS: TagPage = { Tags: [], HasMoreTags: false };

/**
 * Resets every mock and gives the answers of a healthy account: the key
 * {@link keyMetadata} is enabled, both services accept Start, Stop and the tag
 * calls, and their ListTags answer `tags` (by default no tags).
 */
export function resetMocks(tags: TagPage = NO_TAGS): void {
  firehose.reset();
  kinesis.reset();
  kms.reset();
  kms.on(DescribeKeyCommand).resolves(keyMetadata());
  firehose.on(StartDeliveryStreamEncryptionCommand).resolves({});
  firehose.on(StopDeliveryStreamEncryptionCommand).resolves({});
  firehose.on(ListTagsForDeliveryStreamCommand).resolves(tags);
  firehose.on(TagDeliveryStreamCommand).resolves({});
  firehose.on(UntagDeliveryStreamCommand).resolves({});
  kinesis.on(StartStreamEncryptionCommand).resolves({});
  kinesis.on(StopStreamEncryptionCommand).resolves({});
  kinesis.on(ListTagsForStreamCommand).resolves(tags);
  kinesis.on(AddTagsToStreamCommand).resolves({});
  kinesis.on(RemoveTagsFromStreamCommand).resolves({});
}

/** Successive `DescribeDeliveryStream` results (an Error is thrown); the last one repeats forever. */
export function reads(...results: Array<DescribeDeliveryStreamOutput | Error>): void {
  firehose.on(DescribeDeliveryStreamCommand).callsFake(successive(results));
}

/** Successive `DescribeStreamSummary` results (an Error is thrown); the last one repeats forever. */
export function kinesisReads(...results: Array<DescribeStreamSummaryOutput | Error>): void {
  kinesis.on(DescribeStreamSummaryCommand).callsFake(successive(results));
}

/** The names of the commands a mocked client was sent, in order. */
export function names(client: typeof firehose | typeof kinesis | typeof kms): string[] {
  return client.calls().map((call) => call.args[0].constructor.name);
}

/** How many calls the handler made to any of the three services. */
export function awsCalls(): number {
  return firehose.calls().length + kinesis.calls().length + kms.calls().length;
}

/** How many times the key was described. */
export function keyChecks(): number {
  return kms.commandCalls(DescribeKeyCommand).length;
}

/** The delivery stream's calls. */
export const firehoseCalls = {
  /** How many `DescribeDeliveryStream` calls. */
  describes: (): number => firehose.commandCalls(DescribeDeliveryStreamCommand).length,
  /** How many `StartDeliveryStreamEncryption` calls. */
  starts: (): number => firehose.commandCalls(StartDeliveryStreamEncryptionCommand).length,
  /** How many `StopDeliveryStreamEncryption` calls. */
  stops: (): number => firehose.commandCalls(StopDeliveryStreamEncryptionCommand).length,
  /** How many `UntagDeliveryStream` calls. */
  untags: (): number => firehose.commandCalls(UntagDeliveryStreamCommand).length,
  /** The keys of every `UntagDeliveryStream`, in order, each call's keys joined by a space. */
  untagKeys: (): string[] => firehose.commandCalls(UntagDeliveryStreamCommand).map((call) => (call.args[0].input.TagKeys ?? []).join(' ')),
  /** The input of every `StartDeliveryStreamEncryption`, in order. */
  startInputs: () => firehose.commandCalls(StartDeliveryStreamEncryptionCommand).map((call) => call.args[0].input),
  /** The input of the `n`th `StartDeliveryStreamEncryption`. */
  startInput: (n = 0) => firehose.commandCalls(StartDeliveryStreamEncryptionCommand)[n].args[0].input,
  /** The owner tag value of every `TagDeliveryStream`, in order. */
  tagValues: () => firehose.commandCalls(TagDeliveryStreamCommand).map((call) => call.args[0].input.Tags?.[0].Value),
  /** The names of the commands sent, in order. */
  names: (): string[] => names(firehose),
};

/** The data stream's calls. */
export const kinesisCalls = {
  /** How many `DescribeStreamSummary` calls. */
  describes: (): number => kinesis.commandCalls(DescribeStreamSummaryCommand).length,
  /** How many `StartStreamEncryption` calls. */
  starts: (): number => kinesis.commandCalls(StartStreamEncryptionCommand).length,
  /** How many `StopStreamEncryption` calls. */
  stops: (): number => kinesis.commandCalls(StopStreamEncryptionCommand).length,
  /** The input of the `n`th `StartStreamEncryption`. */
  startInput: (n = 0) => kinesis.commandCalls(StartStreamEncryptionCommand)[n].args[0].input,
  /** The input of the `n`th `StopStreamEncryption`. */
  stopInput: (n = 0) => kinesis.commandCalls(StopStreamEncryptionCommand)[n].args[0].input,
  /** The owner tag value of every `AddTagsToStream`, in order. */
  tagValues: () => kinesis.commandCalls(AddTagsToStreamCommand).map((call) => Object.values(call.args[0].input.Tags ?? {})[0]),
  /** The names of the commands sent, in order. */
  names: (): string[] => names(kinesis),
};

/**
 * The calls by which a Create or an Update to another stream claims a
 * delivery stream it first reads unencrypted, before its Start: the stream
 * read, the claim written (the owner tag is not read: an unencrypted stream
 * carries no other resource's encryption to hand over) and read back, the
 * stream read once more.
 */
export const FIREHOSE_CLAIM = [
  'DescribeDeliveryStreamCommand',
  'TagDeliveryStreamCommand',
  'ListTagsForDeliveryStreamCommand',
  'DescribeDeliveryStreamCommand',
];

/** The same claim of a delivery stream first read encrypted: its owner tag is read after the stream. */
export const FIREHOSE_CLAIM_OF_ENCRYPTED = [
  'DescribeDeliveryStreamCommand',
  'ListTagsForDeliveryStreamCommand',
  'TagDeliveryStreamCommand',
  'ListTagsForDeliveryStreamCommand',
  'DescribeDeliveryStreamCommand',
];

/** The same claim of a data stream first read unencrypted. */
export const KINESIS_CLAIM = [
  'DescribeStreamSummaryCommand',
  'AddTagsToStreamCommand',
  'ListTagsForStreamCommand',
  'DescribeStreamSummaryCommand',
];
