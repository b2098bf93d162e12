import { beforeAll, describe, expect, it } from 'vitest';
import { REHEARSAL_PARAMS } from '../../sim/template.ts';
import { type CfnTemplate, loadPackagedTemplate, resourcesOfType } from '../helpers/package.ts';

/**
 * Workloads' own validators in the template `osls package` produces (with the rehearsal's parameters, which
 * configure one): both functions that validate get the setting, and IAM lets them invoke exactly it.
 */
let template: CfnTemplate;
beforeAll(() => {
  template = loadPackagedTemplate();
});

interface Statement {
  Effect: string;
  Action: string | string[];
  Resource: unknown;
}
const variables = (logicalId: string) =>
  (template.Resources[logicalId]?.Properties?.Environment as { Variables?: Record<string, unknown> })
    ?.Variables ?? {};

describe('restore validators', () => {
  it('are configured on restore-validation and on the reconciler, from one parameter', () => {
    for (const fn of ['RestoreValidationLambdaFunction', 'ReconcilerLambdaFunction']) {
      expect(variables(fn), fn).toMatchObject({
        RESTORE_VALIDATORS: REHEARSAL_PARAMS.restoreValidators,
        RESTORE_VALIDATOR_TIMEOUT: 'PT30S',
      });
    }
  });

  it('may be invoked by those two roles only, and only the configured functions, with lambda:InvokeFunction', () => {
    const invoking = [
      ...resourcesOfType(template, 'AWS::IAM::Policy').map(([, policy]) => policy.Properties ?? {}),
      ...resourcesOfType(template, 'AWS::IAM::Role').flatMap(
        ([, role]) => (role.Properties?.Policies as Record<string, unknown>[] | undefined) ?? [],
      ),
    ].filter((policy) => JSON.stringify(policy).includes('lambda:'));
    expect(invoking).toHaveLength(1);
    const [policy] = invoking as { Roles: unknown; PolicyDocument: { Statement: Statement[] } }[];
    expect(policy?.Roles).toEqual([{ Ref: 'RestoreValidationRole' }, { Ref: 'ReconcilerRole' }]);
    const configured = Object.values(
      JSON.parse(REHEARSAL_PARAMS.restoreValidators ?? '{}') as Record<string, string>,
    );
    expect(policy?.PolicyDocument.Statement).toEqual([
      {
        Sid: 'InvokeRestoreValidators',
        Effect: 'Allow',
        Action: 'lambda:InvokeFunction',
        Resource: configured.map((name) => ({
          'Fn::Sub': `arn:\${AWS::Partition}:lambda:\${AWS::Region}:\${AWS::AccountId}:function:${name}`,
        })),
      },
    ]);
    expect(JSON.stringify(policy)).not.toContain('*');
  });
});
