import { readFileSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { type CfnTemplate, loadPackagedTemplate, resourcesOfType } from '../helpers/package.ts';

/** The README is the front door; docs/configuration.md is the reference of every variable a deployed function reads. */
const README = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
const CONFIGURATION = readFileSync(new URL('../../docs/configuration.md', import.meta.url), 'utf8');
const INTERNAL = new Set(['POWERTOOLS_SERVICE_NAME', 'AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED']);

let template: CfnTemplate;
beforeAll(() => {
  template = loadPackagedTemplate();
});

describe('the configuration reference', () => {
  it('documents every environment variable of every function', () => {
    const variables = new Set(
      resourcesOfType(template, 'AWS::Lambda::Function').flatMap(([, fn]) =>
        Object.keys(
          (fn.Properties?.Environment as { Variables?: Record<string, unknown> } | undefined)?.Variables ??
            {},
        ),
      ),
    );
    const undocumented = [...variables].filter(
      (name) => !INTERNAL.has(name) && !CONFIGURATION.includes(`\`${name}\``),
    );
    expect(variables.size).toBeGreaterThan(20);
    expect(undocumented).toEqual([]);
  });
});

describe('the README', () => {
  it('gives the two set-up commands and opens with the rehearsal', () => {
    expect(README).toContain('npm ci');
    expect(README).toContain('npm test');
    expect(README.indexOf('npm start')).toBeLessThan(README.indexOf('## How it works'));
  });
});
