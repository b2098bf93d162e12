// The configuration check of `npm run check-config` (scripts/check-config.ts), run by `osls package` and
// `osls deploy` on the configuration osls resolved, before anything is packaged: a stage parameter that would
// break a function's cold start fails packaging, naming the parameter and its value (docs/configuration.md,
// Checking the configuration before deploy). The check is TypeScript (the functions' own loaders,
// src/runtime/function-config.ts): it runs in a child process under tsx, which the repository already uses.
'use strict';

const { spawnSync } = require('node:child_process');

class CheckConfigPlugin {
  constructor(serverless, options, { log } = {}) {
    this.serverless = serverless;
    this.options = options;
    this.log = log;
    const check = () => this.check();
    this.hooks = {
      // The first step of packaging (also of `osls deploy`): nothing is cleaned, built or written before it.
      'before:package:cleanup': check,
      'before:deploy:function:initialize': check,
    };
  }

  /** The resolved configuration the check reads (scripts/config-check.ts, ResolvedService). */
  resolved() {
    const { service } = this.serverless;
    const functions = {};
    for (const name of service.getAllFunctions()) {
      const fn = service.getFunction(name);
      functions[name] = { handler: fn.handler, environment: fn.environment ?? {} };
    }
    const param = this.options.param;
    return {
      service: service.service,
      stage: service.provider.stage,
      region: service.provider.region,
      configParams: this.serverless.configurationInput?.params ?? {},
      cliParams: param === undefined ? [] : [].concat(param),
      environment: service.provider.environment ?? {},
      functions,
    };
  }

  check() {
    const started = Date.now();
    const result = spawnSync(
      process.execPath,
      ['--import', 'tsx', 'scripts/check-config.ts', '--resolved', '-'],
      {
        cwd: this.serverless.serviceDir,
        input: JSON.stringify(this.resolved()),
        encoding: 'utf8',
        maxBuffer: 16 * 1024 * 1024,
      },
    );
    if (result.error) throw result.error;
    const output = `${result.stderr ?? ''}${result.stdout ?? ''}`.trim();
    if (result.status !== 0) {
      throw new this.serverless.classes.Error(
        `${output}\nFix the stage parameters above (npm run check-config checks them without packaging).`,
        'DR_AUTOPILOT_INVALID_CONFIGURATION',
      );
    }
    this.log?.info?.(`${output} [${Date.now() - started} ms]`);
  }
}

module.exports = CheckConfigPlugin;
