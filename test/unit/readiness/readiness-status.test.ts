import { describe, expect, it } from 'vitest';
import { fitKeepingEnds } from '../../../src/app/readiness-status.ts';

describe('fitKeepingEnds', () => {
  it('keeps a resource ARN recognisable when it is cut: the type and the name stay', () => {
    // Act
    const fitted = fitKeepingEnds(
      'backup-resource arn:aws:dynamodb:us-east-1:111122223333:table/catalog-07',
      44,
    );
    // Assess
    expect(Array.from(fitted)).toHaveLength(44);
    expect(fitted.startsWith('backup-resource ')).toBe(true);
    expect(fitted.endsWith(':table/catalog-07')).toBe(true);
    expect(fitted).toContain('…');
  });

  it('leaves text that fits as it is, and counts characters, not UTF-16 units', () => {
    expect(fitKeepingEnds('drs-source-server s-1', 44)).toBe('drs-source-server s-1');
    const fitted = fitKeepingEnds(`alarm ${'🔥'.repeat(30)}`, 20);
    expect(Array.from(fitted)).toHaveLength(20);
    expect(encodeURIComponent(fitted)).toBeTruthy(); // throws URIError on a lone surrogate
  });
});
