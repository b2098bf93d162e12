import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { oslsPackage, ROOT } from '../../sim/template.ts';

export const PRIMARY_REGION = 'us-east-1';
export const RECOVERY_REGION = 'us-west-2';

/** Where `osls package` writes the recovery Region's deployment for tests (apart from a developer's `.serverless`). */
export const PACKAGE_DIR = join(ROOT, '.serverless-test');
/** The recovery Region's (us-west-2) template: what contract, infra and e2e tests read. */
export const TEMPLATE_PATH = join(PACKAGE_DIR, 'cloudformation-template-update-stack.json');
/**
 * The primary Region's (us-east-1) deployment, for the simulated Region pair. Inside PACKAGE_DIR (ignored by git
 * and Biome), so it must be packaged after the recovery Region's: packaging replaces its folder.
 */
export const PRIMARY_PACKAGE_DIR = join(PACKAGE_DIR, `primary-${PRIMARY_REGION}`);
export const PRIMARY_TEMPLATE_PATH = join(PRIMARY_PACKAGE_DIR, 'cloudformation-template-update-stack.json');

/**
 * Runs the real `osls package` (offline, no credentials) for the stage in each Region of the pair: the recovery
 * Region, then the primary Region (one after the other: the packager works in the service folder). The bundles
 * do not depend on the Region, so the primary Region's package reuses the recovery Region's zips (about 30 s of
 * esbuild less per test run); its template is packaged as always.
 */
export async function packageService(): Promise<void> {
  const pair = { stage: 'test', primaryRegion: PRIMARY_REGION, recoveryRegion: RECOVERY_REGION };
  await oslsPackage({ ...pair, packageDir: PACKAGE_DIR, region: RECOVERY_REGION });
  mkdirSync(PRIMARY_PACKAGE_DIR, { recursive: true });
  for (const zip of readdirSync(PACKAGE_DIR).filter((name) => name.endsWith('.zip')))
    copyFileSync(join(PACKAGE_DIR, zip), join(PRIMARY_PACKAGE_DIR, zip));
  await oslsPackage({ ...pair, packageDir: PRIMARY_PACKAGE_DIR, region: PRIMARY_REGION, prebuilt: true });
}

export interface CfnResource {
  Type: string;
  Properties?: Record<string, unknown>;
  [key: string]: unknown;
}
export interface CfnTemplate {
  Resources: Record<string, CfnResource>;
  Outputs?: Record<string, unknown>;
  Conditions?: Record<string, unknown>;
}

/** The CloudFormation template the global setup packaged. */
export function loadPackagedTemplate(): CfnTemplate {
  if (!existsSync(TEMPLATE_PATH))
    throw new Error(`no packaged template at ${TEMPLATE_PATH}: run through vitest (global setup)`);
  return JSON.parse(readFileSync(TEMPLATE_PATH, 'utf8')) as CfnTemplate;
}

/** The resources of one type, by logical id. */
export function resourcesOfType(template: CfnTemplate, type: string): [string, CfnResource][] {
  return Object.entries(template.Resources).filter(([, resource]) => resource.Type === type);
}

export interface PackagedRule {
  logicalId: string;
  pattern: Record<string, unknown> | undefined;
  schedule: string | undefined;
  eventBusName: unknown;
  targets: Record<string, unknown>[];
}

/** Every EventBridge rule in the template, with its pattern (as deployed) and targets. */
export function eventRules(template: CfnTemplate): PackagedRule[] {
  return resourcesOfType(template, 'AWS::Events::Rule').map(([logicalId, rule]) => {
    const properties = rule.Properties ?? {};
    const pattern = properties.EventPattern;
    return {
      logicalId,
      pattern: (typeof pattern === 'string' ? JSON.parse(pattern) : pattern) as
        | Record<string, unknown>
        | undefined,
      schedule: properties.ScheduleExpression as string | undefined,
      eventBusName: properties.EventBusName,
      targets: (properties.Targets as Record<string, unknown>[] | undefined) ?? [],
    };
  });
}

/** The rules whose target is the given function (logical id of its AWS::Lambda::Function). */
export function rulesTargeting(template: CfnTemplate, functionLogicalId: string): PackagedRule[] {
  return eventRules(template).filter((rule) =>
    rule.targets.some((target) => JSON.stringify(target.Arn ?? '').includes(`"${functionLogicalId}"`)),
  );
}
