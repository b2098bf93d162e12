import { packageService } from './helpers/package.ts';

/**
 * Packages the service once per test run, for both Regions of the pair; contract, infra and e2e tests read the
 * same templates.
 */
export default async function setup(): Promise<void> {
  await packageService();
}
