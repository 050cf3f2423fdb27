import * as iam from 'aws-cdk-lib/aws-iam';

/**
 * Actions the owning account may perform on a key created by this library.
 *
 * Listed one by one (no `kms:*`, no `Describe*`) so that the key policy names
 * exactly what the account can do: administer the key (including changing its
 * policy, so it can never be locked out), and let IAM policies in the account
 * grant its use.
 */
export const ACCOUNT_KEY_ACTIONS: readonly string[] = [
  // administration
  'kms:CancelKeyDeletion',
  'kms:CreateAlias',
  'kms:DeleteAlias',
  'kms:DescribeKey',
  'kms:DisableKey',
  'kms:DisableKeyRotation',
  'kms:EnableKey',
  'kms:EnableKeyRotation',
  'kms:GetKeyPolicy',
  'kms:GetKeyRotationStatus',
  'kms:ListGrants',
  'kms:ListKeyRotations',
  'kms:ListResourceTags',
  'kms:PutKeyPolicy',
  'kms:RevokeGrant',
  'kms:RotateKeyOnDemand',
  'kms:ScheduleKeyDeletion',
  'kms:TagResource',
  'kms:UntagResource',
  'kms:UpdateAlias',
  'kms:UpdateKeyDescription',
  // use, delegated to IAM policies in the account
  'kms:CreateGrant',
  'kms:Decrypt',
  'kms:Encrypt',
  'kms:GenerateDataKey',
  'kms:GenerateDataKeyWithoutPlaintext',
  'kms:ReEncryptFrom',
  'kms:ReEncryptTo',
  'kms:RetireGrant',
];

/**
 * The key policy of a key created by this library: the owning account, and no
 * other principal, may administer it and delegate its use through IAM.
 *
 * In a key policy, `Resource: "*"` means "this key"; it is the only resource a
 * key policy statement can name.
 */
export function accountKeyPolicy(): iam.PolicyDocument {
  return new iam.PolicyDocument({
    statements: [
      new iam.PolicyStatement({
        sid: 'AccountAdministersAndDelegatesThisKey',
        principals: [new iam.AccountRootPrincipal()],
        actions: [...ACCOUNT_KEY_ACTIONS],
        resources: ['*'],
      }),
    ],
  });
}
