// cdk-nag 3: each pack is a policy-validation plugin of the app, and rules
// are acknowledged with `Validations.of(construct).acknowledge`, which records
// them in the construct's node metadata.
import { App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks, HIPAASecurityChecks, NIST80053R5Checks, PCIDSS321Checks } from 'cdk-nag';
import { IConstruct, MetadataEntry } from 'constructs';

/** Check `app` with the four packs. */
export function addNagPacks(app: App): void {
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app), new NIST80053R5Checks(app), new HIPAASecurityChecks(app), new PCIDSS321Checks(app));
}

/** Remove the rule acknowledgements recorded on `constructs`. */
export function stripSuppressions(constructs: IConstruct[]): void {
  for (const construct of constructs) {
    // The node's own list: `node.metadata` returns a copy.
    const metadata = (construct.node as unknown as { _metadata?: MetadataEntry[] })._metadata ?? [];
    metadata.splice(0, metadata.length, ...metadata.filter((entry) => entry.type !== Validations.ACKNOWLEDGED_RULES_METADATA_KEY));
  }
}
