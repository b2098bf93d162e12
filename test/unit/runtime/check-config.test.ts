import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runCheckConfig } from '../../../scripts/check-config.ts';
import { UsageError } from '../../../scripts/cli-env.ts';
import { ROOT, readLayout, resolveService } from '../../../scripts/config-check.ts';
import { FUNCTION_CONFIGS } from '../../../src/runtime/function-config.ts';

/** `npm run check-config`, in-process: exit code and what it printed. */
async function check(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await runCheckConfig(argv, {}, { out: (text) => (out += text), err: (text) => (err += text) });
  return { code, out, err };
}

const DEPLOYMENT = ['--stage', 'prod', '--region', 'eu-west-1'];
const RAW_SCHEMA_TEXT =
  /Unrecognized key|Invalid input|Invalid option|Too small|Too big|expected (string|number)/;

const scratch = mkdtempSync(join(tmpdir(), 'check-config-test-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

describe('npm run check-config', () => {
  it('passes the defaults, for the default stage and for a deployment in either Region of the pair', async () => {
    for (const argv of [[], DEPLOYMENT, ['--stage', 'prod', '--region', 'eu-central-1']]) {
      const result = await check(...argv);

      expect(result).toMatchObject({ code: 0, err: '' });
      expect(result.out).toMatch(
        /^dr-autopilot configuration OK \(stage \w+, region [a-z0-9-]+\): 10 functions/,
      );
    }
  });

  it('passes good settings and says which were set', async () => {
    const result = await check(
      ...DEPLOYMENT,
      '--param=defaultRpo=PT10M',
      '--param=mode=dry-run',
      '--param=restoreSettings={"EC2":{"subnetId":"subnet-0abc","securityGroupIds":["sg-0abc"]}}',
      '--param=reconcilerSchedule=rate(2 hours)',
      '--param=chatNotifications=true',
    );

    expect(result.code).toBe(0);
    expect(result.out).toContain(
      'set by --param: defaultRpo, mode, restoreSettings, reconcilerSchedule, chatNotifications',
    );
  });

  // One bad value of each kind of stage parameter: the line names the parameter and the value (not the variable
  // alone, not zod's own wording), says what is accepted, and gives an example.
  it.each([
    ['region', 'primaryRegion', 'Mars', /must be an AWS Region such as eu-west-1/],
    ['ISO-8601 duration', 'defaultRpo', '15min', /must be a positive ISO-8601 duration such as PT15M/],
    ['function duration', 'drillMaxAge', 'P0D', /must be a positive ISO-8601 duration/],
    ['enum', 'mode', 'yolo', /must be "active" or "dry-run"/],
    [
      'enum (zod default text)',
      'replicationMonitorRetryMode',
      'fast',
      /must be one of "standard", "adaptive"/,
    ],
    ['boolean flag', 'terminateDrillInstances', 'yes', /must be true or false/],
    ['boolean flag (chat)', 'chatNotifications', 'on', /must be true or false/],
    ['integer', 'restoreTestMaxPerRun', '0', /must be a whole number from 1 to 100/],
    ['integer (zod default text)', 'replicationMonitorConcurrency', 'abc', /must be a number/],
    ['integer bound (zod default text)', 'readinessDowngradeObservations', '0', /must be at least 1/],
    ['JSON', 'restoreSettings', '{not json', /must be JSON/],
    [
      'JSON keys',
      'restoreSettings',
      '{"Ec2":{}}',
      /unknown key "Ec2" \(did you mean "EC2"\?\); accepted: EBS, EC2, RDS/,
    ],
    [
      'JSON field',
      'restoreSettings',
      '{"EC2":{"subnetId":"vpc-1"}}',
      /EC2\.subnetId = "vpc-1": must be a subnet ID/,
    ],
    ['JSON (validators)', 'restoreValidators', '["a"]', /must be a JSON object/],
    ['bucket name', 'evidenceExportBucket', 'My_Bucket', /must be an S3 bucket name/],
    ['key prefix', 'evidenceExportPrefix', 'evidence/', /must not end with a slash/],
    ['schedule (rate)', 'readinessSweepSchedule', 'rate(1 minutes)', /singular for 1/],
    ['schedule (cron)', 'reconcilerSchedule', 'cron(0 * * * *)', /cron needs 6 fields/],
    ['schedule (neither)', 'restoreTestSchedule', 'weekly', /must be rate\(<number> <unit>\) or cron/],
    ['alarm period', 'replicationAlarmPeriod', '100', /10, 30 or a multiple of 60/],
    ['log level', 'logLevel', 'verbose', /must be one of TRACE, DEBUG, INFO/],
    ['dashboard switch', 'replicationDashboard', 'yes', /must be true or false/],
    ['vault name', 'drVaultName', 'a', /must be a backup vault name/],
    ['duration bound', 'restoreValidatorTimeout', 'PT5M', /must be at most PT2M/],
  ])('refuses a bad %s: %s=%s', async (_kind, name, value, message) => {
    const before = readdirSync(ROOT).sort();

    const result = await check(...DEPLOYMENT, `--param=${name}=${value}`);

    expect(result.code).toBe(1);
    expect(result.out).toBe('');
    const lines = result.err.split('\n').filter((line) => line.includes('✗'));
    expect(lines).toHaveLength(1);
    const [line] = lines as [string];
    const shown = value.includes('"') ? `'${value}'` : `"${value}"`;
    expect(line).toContain(`stage parameter ${name} = ${shown}`);
    expect(line).toMatch(message);
    expect(line).toMatch(/Example: --param='?\w+=/);
    expect(line).not.toMatch(RAW_SCHEMA_TEXT);
    // Nothing written: no package, no state.
    expect(readdirSync(ROOT).sort()).toEqual(before);
  });

  it('names the functions a parameter reaches, or every function', async () => {
    const { err } = await check(...DEPLOYMENT, '--param=mode=yolo', '--param=restoreSettings={not json');

    expect(err).toContain('(MODE of every function)');
    expect(err).toContain(
      '(RESTORE_SETTINGS of backup-restore, restore-test-scheduler, restore-validation, reconciler)',
    );
    expect(err).toMatch(
      /^dr-autopilot configuration \(stage prod, region eu-west-1\): 2 problems, nothing deployed/,
    );
  });

  it('names the option and the parameters behind the Region checks', async () => {
    const outside = await check('--stage', 'prod', '--region', 'eu-west-3');
    const same = await check(...DEPLOYMENT, '--param=recoveryRegion=eu-west-1');
    const validator = await check(
      ...DEPLOYMENT,
      '--param=restoreValidators={"invoicing":"arn:aws:lambda:us-east-1:111122223333:function:check"}',
    );

    expect(outside.err).toContain(
      'option --region "eu-west-3" (AWS_REGION of every function): is neither primaryRegion (eu-west-1) nor recoveryRegion (eu-central-1). Example: --region eu-west-1',
    );
    expect(same.err).toContain(
      'stage parameter recoveryRegion = "eu-west-1" (RECOVERY_REGION of every function): must differ from primaryRegion (eu-west-1)',
    );
    expect(validator.err).toContain(
      'invoicing = "arn:aws:lambda:us-east-1:111122223333:function:check": names a function in us-east-1; validators must be in the recovery Region (recoveryRegion: eu-central-1)',
    );
  });

  it('refuses a parameter serverless.yml does not have (a typo would deploy the default)', async () => {
    const { code, err } = await check(...DEPLOYMENT, '--param=defaultRPO=PT10M');

    expect(code).toBe(1);
    expect(err).toContain('stage parameter defaultRPO = "PT10M"');
    expect(err).toContain('did you mean defaultRpo?');
    expect(err).toContain('Example: --param=defaultRpo=PT10M');
  });

  it('checks the documented relations between parameters', async () => {
    const { err } = await check(
      ...DEPLOYMENT,
      '--param=readinessStaleAfter=PT10M',
      '--param=replicationAlarmPeriod=60',
    );

    expect(err).toContain(
      'stage parameters replicationRefreshAfter = "PT30M", readinessStaleAfter = "PT10M"',
    );
    expect(err).toContain('Example: --param=readinessStaleAfter=PT1H');
    expect(err).toContain("must be at least the replication monitor's schedule interval (300 s)");
  });

  it('refuses a --param without a value, as osls does', async () => {
    await expect(check('--param=mode')).rejects.toThrow(UsageError);
  });

  it('gives the same verdict on the configuration osls resolved (the plugin’s input)', async () => {
    const argv = ['--param=mode=yolo', '--param=restoreSettings={"Ec2":{}}'];
    const resolved = resolveService(readLayout(), {
      stage: 'prod',
      region: 'eu-west-1',
      cliParams: argv.map((item) => item.replace('--param=', '')),
    });
    const file = join(scratch, 'resolved.json');
    writeFileSync(file, JSON.stringify(resolved));

    const fromOptions = await check(...DEPLOYMENT, ...argv);
    const fromResolved = await check('--resolved', file);

    expect(fromResolved).toEqual(fromOptions);
    expect(fromResolved.code).toBe(1);
  });
});

describe('the functions’ loaders', () => {
  it('cover exactly the functions serverless.yml deploys', () => {
    const handlers = Object.values(readLayout().functions).map((fn) =>
      String(fn.handler).replace(/\.\w+$/, ''),
    );

    expect(handlers.sort()).toEqual(Object.keys(FUNCTION_CONFIGS).sort());
  });

  it('every environment variable set from a stage parameter has a default in params.default', () => {
    const layout = readLayout();
    const text = JSON.stringify([layout.provider, layout.functions]);
    const used = new Set([...text.matchAll(/\$\{param:(\w+)\}/g)].map((match) => String(match[1])));

    expect([...used].filter((name) => !(name in (layout.params.default ?? {})))).toEqual([]);
  });
});

describe('docs/configuration.md', () => {
  it('shows what the check prints', async () => {
    const docs = readFileSync(join(ROOT, 'docs/configuration.md'), 'utf8');
    const shown = /```text\n(dr-autopilot configuration \(stage prod, region eu-west-1\)[^`]*)```/.exec(
      docs,
    )?.[1];

    const { err } = await check(
      ...DEPLOYMENT,
      '--param=defaultRpo=15min',
      '--param=restoreSettings={"Ec2":{}}',
    );

    expect(shown).toBe(err);
  });
});
