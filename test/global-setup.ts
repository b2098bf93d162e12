import { packageService } from './helpers/package.ts';

/**
 * Packages the service once per test run, for both Regions of the pair; contract, infra and e2e tests read the
 * same templates. Vitest runs a root `globalSetup` again for every project that extends the root config, in the
 * same process: the flag makes that once (packaging both Regions takes about 30 s).
 */
export default async function setup(): Promise<void> {
  if (process.env.DR_AUTOPILOT_TEST_PACKAGED === '1') return;
  await packageService();
  process.env.DR_AUTOPILOT_TEST_PACKAGED = '1';
}
