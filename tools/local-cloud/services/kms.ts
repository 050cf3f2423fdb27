/**
 * AWS KMS (`TrentService`): the part of it that a stream-encryption stack touches.
 *
 * Operations: `DescribeKey` (by key id, key ARN, alias name or alias ARN; a predefined
 * `alias/aws/<service>` creates its AWS managed key on first use, as KMS does), `EnableKey`,
 * `DisableKey`, `ScheduleKeyDeletion` and `CancelKeyDeletion` (what an operator does to a stream's
 * key; keys and aliases are made by the control API or the template). A key scheduled for
 * deletion is `PendingDeletion` until its deletion date, then gone (computed lazily from the
 * clock). Invalid input is a `ValidationException`, as KMS answers it.
 *
 * Firehose consults the same {@link KmsBackend} when it checks a key for a stream
 * ({@link KmsBackend.find}); the control API registers keys with ARNs of its choosing
 * ({@link KmsBackend.registerKey}).
 *
 * @module
 */

import { randomUUID } from 'node:crypto';
import type {
  CustomerMasterKeySpec,
  KeyManagerType,
  KeySpec,
  KeyState,
  KeyUsageType,
  OriginType,
} from '@aws-sdk/client-kms';
import { formatArn, parseArn, partitionOf } from '../arn';
import { LocalClock } from '../clock';
import { ControlError, ServiceError } from '../errors';
import { evaluateForService, PolicyDocument, RequestContext as ConditionContext } from '../iam';
import { epochSeconds, JsonObject } from '../json';
import { RequestContext, ServiceModule } from '../router';
import { formatViolations, shapes as s } from '../validation';
import { wireOperation } from './operation';

/** One day in milliseconds. */
const DAY_MS = 24 * 60 * 60 * 1000;

// Enum value tables. Typed as complete records over the SDK's enum types, so that the compiler
// flags any value the SDK adds or drops.
const KEY_SPECS: Readonly<Record<KeySpec, readonly KeyUsageType[]>> = {
  SYMMETRIC_DEFAULT: ['ENCRYPT_DECRYPT'],
  RSA_2048: ['ENCRYPT_DECRYPT', 'SIGN_VERIFY'],
  RSA_3072: ['ENCRYPT_DECRYPT', 'SIGN_VERIFY'],
  RSA_4096: ['ENCRYPT_DECRYPT', 'SIGN_VERIFY'],
  ECC_NIST_P256: ['SIGN_VERIFY', 'KEY_AGREEMENT'],
  ECC_NIST_P384: ['SIGN_VERIFY', 'KEY_AGREEMENT'],
  ECC_NIST_P521: ['SIGN_VERIFY', 'KEY_AGREEMENT'],
  ECC_SECG_P256K1: ['SIGN_VERIFY'],
  ECC_NIST_EDWARDS25519: ['SIGN_VERIFY'],
  HMAC_224: ['GENERATE_VERIFY_MAC'],
  HMAC_256: ['GENERATE_VERIFY_MAC'],
  HMAC_384: ['GENERATE_VERIFY_MAC'],
  HMAC_512: ['GENERATE_VERIFY_MAC'],
  SM2: ['ENCRYPT_DECRYPT', 'SIGN_VERIFY', 'KEY_AGREEMENT'],
  ML_DSA_44: ['SIGN_VERIFY'],
  ML_DSA_65: ['SIGN_VERIFY'],
  ML_DSA_87: ['SIGN_VERIFY'],
  ML_KEM_512: ['ENCAPSULATE_DECAPSULATE'],
  ML_KEM_768: ['ENCAPSULATE_DECAPSULATE'],
  ML_KEM_1024: ['ENCAPSULATE_DECAPSULATE'],
};
const KEY_USAGES: Readonly<Record<KeyUsageType, true>> = {
  ENCRYPT_DECRYPT: true,
  SIGN_VERIFY: true,
  GENERATE_VERIFY_MAC: true,
  KEY_AGREEMENT: true,
  ENCAPSULATE_DECAPSULATE: true,
};
const CUSTOMER_MASTER_KEY_SPECS: Readonly<Record<CustomerMasterKeySpec, true>> = {
  SYMMETRIC_DEFAULT: true,
  RSA_2048: true,
  RSA_3072: true,
  RSA_4096: true,
  ECC_NIST_P256: true,
  ECC_NIST_P384: true,
  ECC_NIST_P521: true,
  ECC_SECG_P256K1: true,
  HMAC_224: true,
  HMAC_256: true,
  HMAC_384: true,
  HMAC_512: true,
  SM2: true,
};
const KEY_STATES: Readonly<Record<KeyState, true>> = {
  Creating: true,
  Enabled: true,
  Disabled: true,
  PendingDeletion: true,
  PendingImport: true,
  PendingReplicaDeletion: true,
  Unavailable: true,
  Updating: true,
};

/** Every `KeySpec` value of the SDK's model. */
export const KEY_SPEC_VALUES = Object.keys(KEY_SPECS) as KeySpec[];
/** Every `KeyUsageType` value of the SDK's model. */
export const KEY_USAGE_VALUES = Object.keys(KEY_USAGES) as KeyUsageType[];
/** Every `KeyState` value of the SDK's model. */
export const KEY_STATE_VALUES = Object.keys(KEY_STATES) as KeyState[];

/** The key states a key can be put in through the control API. */
export type SettableKeyState = Extract<KeyState, 'Enabled' | 'Disabled' | 'PendingDeletion' | 'PendingImport' | 'Unavailable'>;
const SETTABLE_KEY_STATES: readonly SettableKeyState[] = ['Enabled', 'Disabled', 'PendingDeletion', 'PendingImport', 'Unavailable'];

/** `KeyMetadata` exactly as KMS writes it on the wire (timestamps in epoch seconds). */
export interface KeyMetadataJson extends JsonObject {
  AWSAccountId: string;
  KeyId: string;
  Arn: string;
  CreationDate: number;
  Enabled: boolean;
  Description: string;
  KeyUsage: KeyUsageType;
  KeyState: KeyState;
  DeletionDate?: number;
  Origin: OriginType;
  KeyManager: KeyManagerType;
  CustomerMasterKeySpec?: CustomerMasterKeySpec;
  KeySpec: KeySpec;
  MultiRegion: boolean;
  MultiRegionConfiguration?: JsonObject;
}

/** An alias as the control API reports it. */
export interface AliasSnapshot extends JsonObject {
  AliasName: string;
  AliasArn: string;
  /** The key id the alias points to. */
  TargetKeyId: string;
  /** The key ARN the alias points to. */
  TargetKeyArn: string;
}

/** A key as the control API reports it: its metadata plus the names of its aliases. */
export interface KeySnapshot extends JsonObject {
  KeyMetadata: KeyMetadataJson;
  Aliases: string[];
}

/** A key for {@link KmsBackend.registerKey}. */
export interface RegisterKeySpec {
  /**
   * The key ARN, `arn:<partition>:kms:<region>:<account>:key/<key-id>`; it may name another region
   * or account than the local cloud's. @defaultValue a new key id in the local cloud's region and account
   */
  readonly arn?: string;
  /** @defaultValue `SYMMETRIC_DEFAULT` */
  readonly keySpec?: KeySpec;
  /** @defaultValue `ENCRYPT_DECRYPT` */
  readonly keyUsage?: KeyUsageType;
  /** @defaultValue `Enabled` */
  readonly keyState?: SettableKeyState;
  /** @defaultValue `''` */
  readonly description?: string;
  /** Alias names (`alias/…`) to point at the key, in the key's region and account. */
  readonly aliases?: readonly string[];
  /** @defaultValue `CUSTOMER` */
  readonly keyManager?: KeyManagerType;
  /** For `PendingDeletion`: the deletion date in epoch milliseconds. @defaultValue 30 days from now */
  readonly deletionDate?: number;
}

/** A key held by the backend. */
interface KeyRecord {
  readonly keyId: string;
  readonly arn: string;
  readonly accountId: string;
  readonly region: string;
  readonly createdAt: number;
  readonly description: string;
  readonly keySpec: KeySpec;
  readonly keyUsage: KeyUsageType;
  readonly origin: OriginType;
  readonly keyManager: KeyManagerType;
  readonly multiRegion: boolean;
  state: KeyState;
  deletionAt?: number;
}

/** An alias held by the backend. */
interface AliasRecord {
  readonly name: string;
  readonly arn: string;
  targetKeyArn: string;
}

/** The result of looking a key up. */
export type KeyLookup =
  | { readonly found: true; readonly metadata: KeyMetadataJson }
  | { readonly found: false; readonly errorName: 'NotFoundException'; readonly message: string };

/** Input shapes of the KMS operations, restating the constraints of the KMS service model. */
const Kms = (() => {
  const KeyIdType = s.string({ min: 1, max: 2048 });
  return {
    DescribeKeyRequest: s.structure({ KeyId: KeyIdType, GrantTokens: s.list(s.string({ min: 1, max: 8192 }), { min: 0, max: 10 }) }, ['KeyId']),
    KeyIdRequest: s.structure({ KeyId: KeyIdType }, ['KeyId']),
    ScheduleKeyDeletionRequest: s.structure({ KeyId: KeyIdType, PendingWindowInDays: s.integer({ min: 1, max: 365 }) }, ['KeyId']),
  };
})();

/** Input of the operations that take a `KeyId`. */
interface KeyIdInput {
  KeyId: string;
}
/** `ScheduleKeyDeletionRequest`. */
interface ScheduleKeyDeletionInput extends KeyIdInput {
  PendingWindowInDays?: number;
}
/** KMS errors, worded as KMS words them. */
const KmsErrors = {
  keyNotFound: (arn: string) => new ServiceError('NotFoundException', `Key '${arn}' does not exist`),
  aliasNotFound: (arn: string) => new ServiceError('NotFoundException', `Alias ${arn} is not found.`),
  invalidArn: (arn: string) => new ServiceError('NotFoundException', `Invalid arn ${arn}`),
  invalidState: (arn: string, state: KeyState) =>
    new ServiceError('KMSInvalidStateException', `${arn} is ${state === 'PendingDeletion' ? 'pending deletion' : `in state ${state}`}.`),
  validation: (message: string) => new ServiceError('ValidationException', message),
  awsManaged: (arn: string, operation: string) =>
    new ServiceError('UnsupportedOperationException', `${arn} is an AWS managed key: ${operation} is not allowed on it.`),
};

/** The KMS keys and aliases of the local cloud, and the logic of the KMS operations. */
export class KmsBackend {
  private readonly keys = new Map<string, KeyRecord>();
  private readonly aliases = new Map<string, AliasRecord>();
  private readonly keyPolicies = new Map<string, PolicyDocument>();

  /**
   * @param clock - the local cloud's clock
   * @param accountId - the account of keys created through the API
   * @param region - the region of keys created through the API
   */
  constructor(
    private readonly clock: LocalClock,
    public readonly accountId: string,
    public readonly region: string,
  ) {}

  /**
   * Looks a key up by key id, key ARN, alias name or alias ARN, as Firehose does when it checks a
   * stream's key. Never creates AWS managed keys.
   */
  public find(reference: string): KeyLookup {
    try {
      const key = this.locate(reference, false);
      return { found: true, metadata: this.metadataOf(key) };
    } catch (e) {
      if (e instanceof ServiceError) return { found: false, errorName: 'NotFoundException', message: e.message };
      throw e;
    }
  }

  // ---- operations -------------------------------------------------------------------------

  /** `DescribeKey`. */
  public describeKey(input: KeyIdInput): JsonObject {
    return { KeyMetadata: this.metadataOf(this.locate(input.KeyId, true)) };
  }

  /** `EnableKey`. */
  public enableKey(input: KeyIdInput): JsonObject {
    return this.setEnabled(input, 'Enabled', 'EnableKey');
  }

  /** `DisableKey`. */
  public disableKey(input: KeyIdInput): JsonObject {
    return this.setEnabled(input, 'Disabled', 'DisableKey');
  }

  /** `ScheduleKeyDeletion`: waiting period 7–30 days, default 30. */
  public scheduleKeyDeletion(input: ScheduleKeyDeletionInput, context: RequestContext): JsonObject {
    const days = input.PendingWindowInDays ?? 30;
    if (days < 7 || days > 30) {
      throw KmsErrors.validation(
        formatViolations([
          `Value '${days}' at 'pendingWindowInDays' failed to satisfy constraint: Member must have value ${days < 7 ? 'greater than or equal to 7' : 'less than or equal to 30'}`,
        ]),
      );
    }
    const key = this.locate(input.KeyId, false);
    if (key.keyManager === 'AWS') throw KmsErrors.awsManaged(key.arn, 'ScheduleKeyDeletion');
    if (key.state === 'PendingDeletion' || key.state === 'Unavailable') throw KmsErrors.invalidState(key.arn, key.state);
    key.state = 'PendingDeletion';
    key.deletionAt = context.now + days * DAY_MS;
    return { KeyId: key.arn, DeletionDate: epochSeconds(key.deletionAt), KeyState: key.state, PendingWindowInDays: days };
  }

  /** `CancelKeyDeletion`: back to `Disabled`. */
  public cancelKeyDeletion(input: KeyIdInput): JsonObject {
    const key = this.locate(input.KeyId, false);
    if (key.state !== 'PendingDeletion') {
      throw new ServiceError('KMSInvalidStateException', `${key.arn} is not pending deletion.`);
    }
    key.state = 'Disabled';
    key.deletionAt = undefined;
    return { KeyId: key.arn };
  }

  /**
   * Whether an AWS service principal (`events.amazonaws.com`) may call `action` with a key, by its
   * key policy: a service principal gets to use a key only when the key policy names it (AWS KMS
   * Developer Guide, "Key policies in AWS KMS",
   * https://docs.aws.amazon.com/kms/latest/developerguide/key-policies.html). `context` holds the
   * condition keys the service's request carries; a key without a key policy from its template has
   * the default one, which names only the account.
   */
  public serviceMayUse(reference: string, service: string, action: string, context: ConditionContext): boolean {
    const key = this.locate(reference, false);
    return evaluateForService(this.keyPolicies.get(key.arn), service, { action, resource: key.arn, context }).allowed;
  }

  // ---- control ------------------------------------------------------------------------------

  /** Sets a key's key policy (`PutKeyPolicy`, or CloudFormation's `KeyPolicy`); `undefined` restores the default. */
  public putKeyPolicy(reference: string, policy: PolicyDocument | undefined): void {
    const key = this.locate(reference, false);
    if (policy === undefined) this.keyPolicies.delete(key.arn);
    else this.keyPolicies.set(key.arn, policy);
  }

  /**
   * Adds a key with an ARN of the caller's choosing (or replaces the key with that ARN), with its
   * aliases. This is how a CloudFormation driver makes the keys a template refers to.
   *
   * @throws ControlError for an ARN that is not a KMS key ARN, or an incompatible spec and usage
   */
  public registerKey(spec: RegisterKeySpec): KeyMetadataJson {
    if (typeof spec !== 'object' || spec === null) throw new ControlError('registerKey: expected a key spec object');
    const now = this.clock.now();
    this.settle(now);
    let arn = spec.arn;
    if (arn === undefined) {
      arn = formatArn({ partition: partitionOf(this.region), service: 'kms', region: this.region, account: this.accountId, resource: `key/${randomUUID()}` });
    }
    const parts = typeof arn === 'string' ? parseArn(arn) : undefined;
    if (!parts || parts.service !== 'kms' || !/^key\/[A-Za-z0-9-]+$/.test(parts.resource) || !/^\d{12}$/.test(parts.account) || !parts.region) {
      throw new ControlError(`registerKey: '${arn}' is not a KMS key ARN (arn:<partition>:kms:<region>:<12-digit account>:key/<key-id>)`);
    }
    const keySpec = spec.keySpec ?? 'SYMMETRIC_DEFAULT';
    const keyUsage = spec.keyUsage ?? 'ENCRYPT_DECRYPT';
    if (!Object.prototype.hasOwnProperty.call(KEY_SPECS, keySpec)) throw new ControlError(`registerKey: unknown keySpec '${keySpec}'`);
    if (!KEY_SPECS[keySpec].includes(keyUsage)) throw new ControlError(`registerKey: keyUsage ${keyUsage} is not compatible with keySpec ${keySpec}`);
    const state = spec.keyState ?? 'Enabled';
    if (!SETTABLE_KEY_STATES.includes(state)) throw new ControlError(`registerKey: keyState must be one of ${SETTABLE_KEY_STATES.join(', ')}`);
    const keyManager = spec.keyManager ?? 'CUSTOMER';
    if (keyManager !== 'CUSTOMER' && keyManager !== 'AWS') throw new ControlError("registerKey: keyManager must be 'CUSTOMER' or 'AWS'");
    const keyId = parts.resource.slice('key/'.length);
    const key = this.insertKey({
      keyId,
      arn,
      accountId: parts.account,
      region: parts.region,
      createdAt: now,
      description: spec.description ?? '',
      keySpec,
      keyUsage,
      origin: 'AWS_KMS',
      keyManager,
      multiRegion: keyId.startsWith('mrk-'),
      state,
      deletionAt: state === 'PendingDeletion' ? spec.deletionDate ?? now + 30 * DAY_MS : undefined,
    });
    for (const alias of spec.aliases ?? []) {
      if (typeof alias !== 'string' || !/^alias\/[a-zA-Z0-9:/_-]+$/.test(alias)) {
        throw new ControlError(`registerKey: alias '${alias}' must look like alias/<name>`);
      }
      const aliasArn = this.aliasArn(alias, parts.partition, parts.region, parts.account);
      this.aliases.set(aliasArn, { name: alias, arn: aliasArn, targetKeyArn: key.arn });
    }
    return this.metadataOf(key);
  }

  /**
   * Puts a key in a state directly (no transition rules): `Disabled` to test a disabled key,
   * `PendingDeletion` (deletion in 30 days), …
   *
   * @param reference - key id, key ARN, alias name or alias ARN
   * @throws ControlError when the key does not exist or the state is not settable
   */
  public setKeyState(reference: string, state: SettableKeyState, pendingWindowInDays = 30): KeyMetadataJson {
    if (!SETTABLE_KEY_STATES.includes(state)) throw new ControlError(`setKeyState: state must be one of ${SETTABLE_KEY_STATES.join(', ')}`);
    if (!Number.isInteger(pendingWindowInDays) || pendingWindowInDays < 1) throw new ControlError('setKeyState: pendingWindowInDays must be a whole number of days, at least 1');
    const key = this.locateForControl(reference);
    key.state = state;
    key.deletionAt = state === 'PendingDeletion' ? this.clock.now() + pendingWindowInDays * DAY_MS : undefined;
    return this.metadataOf(key);
  }

  /** A key's metadata, or `undefined` when there is no such key. */
  public describe(reference: string): KeyMetadataJson | undefined {
    const lookup = this.find(reference);
    return lookup.found ? lookup.metadata : undefined;
  }

  /** Every key with its aliases, and every alias. */
  public snapshot(): { keys: KeySnapshot[]; aliases: AliasSnapshot[] } {
    this.settle(this.clock.now());
    const aliases = [...this.aliases.values()].map((a): AliasSnapshot => {
      const target = this.keys.get(a.targetKeyArn);
      return { AliasName: a.name, AliasArn: a.arn, TargetKeyId: target?.keyId ?? '', TargetKeyArn: a.targetKeyArn };
    });
    const keys = [...this.keys.values()].map((k): KeySnapshot => ({
      KeyMetadata: this.metadataOf(k),
      Aliases: aliases.filter((a) => a.TargetKeyArn === k.arn).map((a) => a.AliasName),
    }));
    return { keys, aliases };
  }

  /** Drops every key and alias. */
  public reset(): void {
    this.keys.clear();
    this.aliases.clear();
    this.keyPolicies.clear();
  }

  /** Deletes keys whose deletion date has passed, with their aliases. */
  public settle(now: number): void {
    for (const key of [...this.keys.values()]) {
      if (key.state === 'PendingDeletion' && key.deletionAt !== undefined && now >= key.deletionAt) {
        this.keys.delete(key.arn);
        for (const alias of [...this.aliases.values()]) {
          if (alias.targetKeyArn === key.arn) this.aliases.delete(alias.arn);
        }
      }
    }
  }

  // ---- internals ----------------------------------------------------------------------------

  /** `EnableKey` and `DisableKey`: a customer managed key that is `Enabled` or `Disabled` goes to `state`. */
  private setEnabled(input: KeyIdInput, state: 'Enabled' | 'Disabled', operation: string): JsonObject {
    const key = this.locate(input.KeyId, false);
    if (key.keyManager === 'AWS') throw KmsErrors.awsManaged(key.arn, operation);
    if (key.state !== 'Enabled' && key.state !== 'Disabled') throw KmsErrors.invalidState(key.arn, key.state);
    key.state = state;
    return {};
  }

  /** Stores a key by its ARN. */
  private insertKey(key: KeyRecord): KeyRecord {
    this.keys.set(key.arn, key);
    return key;
  }

  /** The ARN of an alias name in a region and account. */
  private aliasArn(name: string, partition: string, region: string, account: string): string {
    return formatArn({ partition, service: 'kms', region, account, resource: name });
  }

  /** A key for a control-API call, or a `ControlError`. */
  private locateForControl(reference: string): KeyRecord {
    if (typeof reference !== 'string' || reference === '') throw new ControlError('Expected a key id, key ARN, alias name or alias ARN');
    try {
      return this.locate(reference, false);
    } catch (e) {
      if (e instanceof ServiceError) throw new ControlError(e.message);
      throw e;
    }
  }

  /**
   * Finds a key, settling deletions first.
   *
   * @param createAwsManaged - create the AWS managed key of a predefined `alias/aws/<service>` alias
   * @throws ServiceError NotFoundException
   */
  private locate(reference: string, createAwsManaged: boolean): KeyRecord {
    const now = this.clock.now();
    this.settle(now);
    const partition = partitionOf(this.region);
    if (reference.startsWith('arn:')) {
      const parts = parseArn(reference);
      if (!parts || parts.service !== 'kms') throw KmsErrors.invalidArn(reference);
      if (parts.resource.startsWith('key/')) {
        const key = this.keys.get(reference);
        if (!key) throw KmsErrors.keyNotFound(reference);
        return key;
      }
      if (parts.resource.startsWith('alias/')) return this.viaAlias(reference, parts.resource, createAwsManaged, now);
      throw KmsErrors.invalidArn(reference);
    }
    if (reference.startsWith('alias/')) {
      return this.viaAlias(this.aliasArn(reference, partition, this.region, this.accountId), reference, createAwsManaged, now);
    }
    const arn = formatArn({ partition, service: 'kms', region: this.region, account: this.accountId, resource: `key/${reference}` });
    const key = this.keys.get(arn) ?? [...this.keys.values()].find((k) => k.keyId === reference);
    if (!key) throw KmsErrors.keyNotFound(arn);
    return key;
  }

  /** The key behind an alias, creating the AWS managed key of a predefined `alias/aws/…` alias when asked to. */
  private viaAlias(aliasArn: string, aliasName: string, createAwsManaged: boolean, now: number): KeyRecord {
    const alias = this.aliases.get(aliasArn);
    const target = alias && this.keys.get(alias.targetKeyArn);
    if (target) return target;
    const parts = parseArn(aliasArn);
    const ownAccountAndRegion = parts !== undefined && parts.account === this.accountId && parts.region === this.region;
    if (createAwsManaged && ownAccountAndRegion && /^alias\/aws\/[a-zA-Z0-9:/_-]+$/.test(aliasName)) {
      const keyId = randomUUID();
      const key = this.insertKey({
        keyId,
        arn: formatArn({ partition: parts.partition, service: 'kms', region: this.region, account: this.accountId, resource: `key/${keyId}` }),
        accountId: this.accountId,
        region: this.region,
        createdAt: now,
        description: `Default key that protects my ${aliasName.slice('alias/aws/'.length)} data when no other key is defined`,
        keySpec: 'SYMMETRIC_DEFAULT',
        keyUsage: 'ENCRYPT_DECRYPT',
        origin: 'AWS_KMS',
        keyManager: 'AWS',
        multiRegion: false,
        state: 'Enabled',
      });
      this.aliases.set(aliasArn, { name: aliasName, arn: aliasArn, targetKeyArn: key.arn });
      return key;
    }
    throw KmsErrors.aliasNotFound(aliasArn);
  }

  /** `KeyMetadata` as KMS writes it. */
  private metadataOf(key: KeyRecord): KeyMetadataJson {
    const cmkSpec = Object.prototype.hasOwnProperty.call(CUSTOMER_MASTER_KEY_SPECS, key.keySpec) ? (key.keySpec as CustomerMasterKeySpec) : undefined;
    return {
      AWSAccountId: key.accountId,
      KeyId: key.keyId,
      Arn: key.arn,
      CreationDate: epochSeconds(key.createdAt),
      Enabled: key.state === 'Enabled',
      Description: key.description,
      KeyUsage: key.keyUsage,
      KeyState: key.state,
      DeletionDate: key.state === 'PendingDeletion' && key.deletionAt !== undefined ? epochSeconds(key.deletionAt) : undefined,
      Origin: key.origin,
      KeyManager: key.keyManager,
      CustomerMasterKeySpec: cmkSpec,
      KeySpec: key.keySpec,
      MultiRegion: key.multiRegion,
      MultiRegionConfiguration: key.multiRegion
        ? { MultiRegionKeyType: 'PRIMARY', PrimaryKey: { Arn: key.arn, Region: key.region }, ReplicaKeys: [] }
        : undefined,
    };
  }
}

/**
 * The KMS service module (`TrentService.*`) over a {@link KmsBackend}.
 *
 * Built-in rate limits: none of these operations is throttled below the local cloud's generous
 * default.
 */
export function kmsService(backend: KmsBackend): ServiceModule {
  const byKey = { resourceMember: 'KeyId' };
  return {
    id: 'kms',
    targetPrefix: 'TrentService',
    validationErrorName: 'ValidationException',
    // kms:<Operation> on the key a request names (by any reference), or on its ARN as given when
    // it names no key that exists.
    authorization: (operation, input) => {
      const reference = String(input.KeyId);
      const lookup = backend.find(reference);
      const resource = lookup.found ? lookup.metadata.Arn : reference.startsWith('arn:') ? reference : undefined;
      return resource === undefined ? [] : [{ request: { action: `kms:${operation}`, resource } }];
    },
    operations: {
      DescribeKey: wireOperation<KeyIdInput>(Kms.DescribeKeyRequest, byKey, (input) => backend.describeKey(input)),
      EnableKey: wireOperation<KeyIdInput>(Kms.KeyIdRequest, byKey, (input) => backend.enableKey(input)),
      DisableKey: wireOperation<KeyIdInput>(Kms.KeyIdRequest, byKey, (input) => backend.disableKey(input)),
      ScheduleKeyDeletion: wireOperation<ScheduleKeyDeletionInput>(
        Kms.ScheduleKeyDeletionRequest, byKey, (input, context) => backend.scheduleKeyDeletion(input, context)),
      CancelKeyDeletion: wireOperation<KeyIdInput>(Kms.KeyIdRequest, byKey, (input) => backend.cancelKeyDeletion(input)),
    },
  };
}
