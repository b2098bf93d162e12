// osls sets a function's `condition` on the function, its log group, versions and invoke configuration, but not on
// the EventBridge rules and Lambda permissions its events compile to: those would still reference the function, and
// CloudFormation refuses a template whose unconditional resource references a resource that may not exist. This
// plugin gives each such rule and permission the function's condition, after the events are compiled. A rule that
// also targets something else is an error (it cannot half-exist).
//
// Used for the readiness publisher, which exists only in the Region that owns readiness (docs/readiness.md,
// One verdict per Region pair).
'use strict';

/** Whether `value` (a template fragment) references `logicalId` through Ref or Fn::GetAtt. */
function references(value, logicalId) {
  if (Array.isArray(value)) return value.some((item) => references(item, logicalId));
  if (value === null || typeof value !== 'object') return false;
  if (value.Ref === logicalId) return true;
  const getAtt = value['Fn::GetAtt'];
  if (Array.isArray(getAtt) && getAtt[0] === logicalId) return true;
  if (typeof getAtt === 'string' && getAtt.split('.')[0] === logicalId) return true;
  return Object.values(value).some((item) => references(item, logicalId));
}

/** Applies the conditions to a compiled template; returns the logical ids it changed (for tests and the log). */
function applyFunctionConditions(resources, conditionalFunctions) {
  const changed = [];
  for (const { logicalId, condition } of conditionalFunctions) {
    for (const [id, resource] of Object.entries(resources)) {
      if (id === logicalId || resource.Condition === condition) continue;
      if (resource.Type === 'AWS::Events::Rule') {
        const targets = resource.Properties?.Targets ?? [];
        const toFunction = targets.filter((target) => references(target.Arn, logicalId));
        if (toFunction.length === 0) continue;
        if (toFunction.length !== targets.length || resource.Condition !== undefined) {
          throw new Error(
            `rule ${id} targets the conditional function ${logicalId} and something else: it cannot take condition ${condition}`,
          );
        }
        resource.Condition = condition;
        changed.push(id);
      } else if (resource.Type === 'AWS::Lambda::Permission') {
        if (!references(resource.Properties?.FunctionName, logicalId)) continue;
        if (resource.Condition !== undefined) {
          throw new Error(`permission ${id} of ${logicalId} already has condition ${resource.Condition}`);
        }
        resource.Condition = condition;
        changed.push(id);
      }
    }
  }
  return changed;
}

class FunctionConditionsPlugin {
  constructor(serverless, _options, { log } = {}) {
    this.serverless = serverless;
    this.log = log;
    this.hooks = { 'after:package:compileEvents': () => this.apply() };
  }

  apply() {
    const { service } = this.serverless;
    const naming = this.serverless.getProvider('aws').naming;
    const conditionalFunctions = service
      .getAllFunctions()
      .map((name) => ({ name, condition: service.getFunction(name).condition }))
      .filter(({ condition }) => typeof condition === 'string' && condition.length > 0)
      .map(({ name, condition }) => ({ logicalId: naming.getLambdaLogicalId(name), condition }));
    const template = service.provider.compiledCloudFormationTemplate;
    const changed = applyFunctionConditions(template.Resources, conditionalFunctions);
    if (changed.length > 0) this.log?.info?.(`function conditions applied to ${changed.join(', ')}`);
  }
}

module.exports = FunctionConditionsPlugin;
module.exports.applyFunctionConditions = applyFunctionConditions;
