import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { REHEARSAL_PARAMS, ROOT, rehearsalParams } from '../../../sim/template.ts';

/** `npm start -- --param=…`: a user's own stage parameters, rehearsed on the simulated deployment. */
async function start(...argv: string[]): Promise<{ code: number; stderr: string }> {
  try {
    const { stderr } = await promisify(execFile)(
      process.execPath,
      ['--import', 'tsx', 'sim/cli.ts', ...argv],
      {
        cwd: ROOT,
      },
    );
    return { code: 0, stderr };
  } catch (error) {
    const failed = error as { code?: number; stderr?: string };
    return { code: failed.code ?? 1, stderr: failed.stderr ?? '' };
  }
}

describe('the rehearsal’s stage parameters', () => {
  it('are the Region pair, the rehearsal’s, then the user’s, which win', () => {
    const params = rehearsalParams('us-east-1', 'us-west-2', {
      restoreTestMaxPerRun: '7',
      defaultRpo: 'PT10M',
    });

    expect(params.slice(0, 2)).toEqual(['primaryRegion=us-east-1', 'recoveryRegion=us-west-2']);
    expect(params).toContain('restoreTestMaxPerRun=7');
    expect(params).not.toContain(`restoreTestMaxPerRun=${REHEARSAL_PARAMS.restoreTestMaxPerRun}`);
    expect(params).toContain('defaultRpo=PT10M');
    expect(params).toContain(`restoreValidators=${REHEARSAL_PARAMS.restoreValidators}`);
  });

  it('are checked before anything is packaged: npm start refuses a bad one as check-config does', async () => {
    const bad = await start('--param=mode=yolo');
    const pair = await start('--param=primaryRegion=eu-west-1');

    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain(
      'stage parameter mode = "yolo" (MODE of every function): must be "active" or "dry-run". Example: --param=mode=active',
    );
    expect(bad.stderr).not.toContain('packaging');
    expect(pair.code).toBe(2);
    expect(pair.stderr).toContain("the rehearsal's Region pair is us-east-1 and us-west-2");
    // Two tsx processes of a few seconds each: on a loaded two-core machine (CI) 5 s is not enough.
  }, 30_000);
});
