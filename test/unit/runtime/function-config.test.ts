import { afterEach, describe, expect, it, vi } from 'vitest';
import { ConfigError } from '../../../src/domain/errors.ts';
import { loadConfig } from '../../../src/runtime/config.ts';
import {
  configForEvidenceExport,
  configForReadinessPublisher,
  configForRestoreValidation,
} from '../../../src/runtime/function-config.ts';
import { baseEnv } from '../../helpers/env.ts';

afterEach(() => {
  vi.unstubAllEnvs();
  vi.resetModules();
});

describe('a function’s configuration loader', () => {
  it('is what the function runs at cold start: the same ConfigError', async () => {
    const env = baseEnv({ MODE: 'yolo', STAGE: 'test', EVIDENCE_EXPORT_PREFIX: 'evidence/' });
    for (const [name, value] of Object.entries(env)) vi.stubEnv(name, value);
    const expected = (() => {
      try {
        configForEvidenceExport(env);
      } catch (error) {
        return error as ConfigError;
      }
      throw new Error('the loader accepted a bad configuration');
    })();

    const coldStart = import('../../../functions/evidence-export.ts');

    await expect(coldStart).rejects.toThrow(ConfigError);
    await expect(coldStart).rejects.toThrow(expected.message);
    expect(expected.message).toBe(
      'invalid configuration: MODE must be "active" or "dry-run" (given "yolo"); EVIDENCE_EXPORT_PREFIX must not end with a slash (given "evidence/")',
    );
  });

  it('says each problem in terms a person can act on', () => {
    const load = () =>
      configForRestoreValidation(baseEnv({ RESTORE_SETTINGS: '{"Ec2":{},"EC2":{"foo":1}}' }));

    expect(load).toThrow(ConfigError);
    const problems = (() => {
      try {
        load();
        return [];
      } catch (error) {
        return (error as ConfigError).problems;
      }
    })();
    expect(problems).toEqual([
      {
        variables: ['RESTORE_SETTINGS'],
        path: ['EC2'],
        received: { foo: 1 },
        message: expect.stringMatching(/^unknown key "foo"; accepted: onCopy, scheduledTests, /),
      },
      {
        variables: ['RESTORE_SETTINGS'],
        path: [],
        message:
          'unknown key "Ec2" (did you mean "EC2"?); accepted: EBS, EC2, RDS, Aurora, DynamoDB, EFS, S3',
      },
    ]);
  });
});

describe('the readiness topic', () => {
  it('is asked for the readiness topic only where it is published to: the readiness publisher', () => {
    // The topic exists only in the deployment that owns readiness (the recovery Region's)
    const withoutTopic = baseEnv({ TOPIC_ARN: undefined });

    expect(() => configForReadinessPublisher(withoutTopic)).toThrow(/TOPIC_ARN is required/);
    expect(() => configForReadinessPublisher(baseEnv({ TOPIC_ARN: 'readiness' }))).toThrow(
      /TOPIC_ARN must be an SNS topic ARN/,
    );
    expect(configForReadinessPublisher(baseEnv()).extra.TOPIC_ARN).toMatch(/^arn:aws:sns:/);
    expect(() => loadConfig(withoutTopic)).not.toThrow();
  });
});
