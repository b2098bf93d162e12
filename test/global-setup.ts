import { packageService } from './helpers/package.ts';

/** Packages the service once per test run; contract, infra and e2e tests read the same template. */
export default async function setup(): Promise<void> {
  await packageService();
}
