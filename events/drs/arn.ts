import * as z from 'zod/mini';
import { boundedResources } from '../envelope.ts';

/** `arn:aws:drs:<region>:<account>:source-server/s-…` (17 characters after `s-`). */
export const SOURCE_SERVER_ARN =
  /^arn:aws[a-z-]*:drs:([a-z0-9-]+):(\d{12}):source-server\/(s-[0-9a-zA-Z]{17})$/;
/** Recovery instance ARNs end in the EC2 instance ID (`i-…`); AWS's sample uses `ri-…`, so accept both. */
export const RECOVERY_INSTANCE_ARN =
  /^arn:aws[a-z-]*:drs:([a-z0-9-]+):(\d{12}):recovery-instance\/((?:ri|i)-[0-9a-zA-Z]+)$/;

/** The resources list of a DRS event, whose first element is an ARN of the given form. */
export function resourcesWith(arn: RegExp, what: string) {
  return boundedResources().check(
    z.refine((resources) => resources.length > 0 && arn.test(resources[0] ?? ''), {
      message: `resources[0] must be a DRS ${what} ARN`,
    }),
  );
}

/** The last path segment of a DRS ARN (the source-server or recovery-instance ID). */
export function idFromArn(arn: string): string {
  return arn.slice(arn.lastIndexOf('/') + 1);
}
