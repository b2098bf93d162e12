// lambda:InvokeFunction on exactly the workloads' validators (stage parameter restoreValidators, JSON
// {"<workload>": "<function name or ARN>"}), for the two roles that run the validation use case: restore-validation
// and the reconciler. One policy, attached to both, so their grants are the same by construction. No validators:
// no policy at all. A function name becomes its ARN in this account and Region (validators run in the recovery
// Region, where validation runs); a qualified name or ARN (`name:alias`) is granted as written. The runtime
// checks the same parameter again at cold start (src/domain/restore-validators.ts), with the same patterns.
'use strict';

const NAME = /^[A-Za-z0-9_-]{1,64}(:(\$LATEST|[A-Za-z0-9_-]{1,128}))?$/;
const ARN =
  /^arn:aws[a-z-]*:lambda:[a-z]{2}(-[a-z]+)+-\d:\d{12}:function:[A-Za-z0-9_-]{1,64}(:(\$LATEST|[A-Za-z0-9_-]{1,128}))?$/;

/** The IAM Resource of each configured validator, in the order configured, without duplicates. */
function validatorResources(text) {
  let parsed;
  try {
    parsed = JSON.parse(String(text ?? '').trim() === '' ? '{}' : String(text));
  } catch {
    throw new Error(
      `stage parameter restoreValidators must be JSON {"<workload>": "<function>"}: ${String(text).slice(0, 80)}`,
    );
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new Error(
      `stage parameter restoreValidators must be a JSON object {"<workload>": "<function>"}: ${String(text).slice(0, 80)}`,
    );
  }
  const seen = new Set();
  const resources = [];
  for (const [workload, fn] of Object.entries(parsed)) {
    if (typeof fn !== 'string' || !(NAME.test(fn) || ARN.test(fn))) {
      throw new Error(
        `stage parameter restoreValidators: ${JSON.stringify(workload)} must name a Lambda function (a name or a function ARN), not ${JSON.stringify(fn)}`,
      );
    }
    if (seen.has(fn)) continue;
    seen.add(fn);
    resources.push(
      ARN.test(fn)
        ? fn
        : { 'Fn::Sub': `arn:\${AWS::Partition}:lambda:\${AWS::Region}:\${AWS::AccountId}:function:${fn}` },
    );
  }
  return resources;
}

/** The CloudFormation fragment: the policy, or nothing. */
function restoreValidatorsFragment(text) {
  const resources = validatorResources(text);
  if (resources.length === 0) return {};
  return {
    Resources: {
      RestoreValidatorsInvokePolicy: {
        Type: 'AWS::IAM::Policy',
        Properties: {
          PolicyName: 'restore-validators',
          Roles: [{ Ref: 'RestoreValidationRole' }, { Ref: 'ReconcilerRole' }],
          PolicyDocument: {
            Version: '2012-10-17',
            Statement: [
              {
                Sid: 'InvokeRestoreValidators',
                Effect: 'Allow',
                Action: 'lambda:InvokeFunction',
                Resource: resources,
              },
            ],
          },
        },
      },
    },
  };
}

module.exports = async ({ resolveVariable }) =>
  restoreValidatorsFragment(await resolveVariable('param:restoreValidators'));
module.exports.restoreValidatorsFragment = restoreValidatorsFragment;
