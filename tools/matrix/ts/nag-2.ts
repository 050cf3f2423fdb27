// cdk-nag 2: each pack is an Aspect of the app that annotates what it finds,
// and reads suppressions from the `cdk_nag` metadata of a resource.
import { App, Aspects, CfnResource } from 'aws-cdk-lib';
import { AwsSolutionsChecks, HIPAASecurityChecks, NIST80053R5Checks, PCIDSS321Checks } from 'cdk-nag';
import { IConstruct } from 'constructs';

/** Check `app` with the four packs. */
export function addNagPacks(app: App): void {
  for (const pack of [new AwsSolutionsChecks(), new NIST80053R5Checks(), new HIPAASecurityChecks(), new PCIDSS321Checks()]) {
    Aspects.of(app).add(pack);
  }
}

/** Remove the rule suppressions recorded on `constructs`. */
export function stripSuppressions(constructs: IConstruct[]): void {
  for (const resource of constructs.filter(CfnResource.isCfnResource)) {
    delete resource.cfnOptions.metadata?.cdk_nag;
  }
}
