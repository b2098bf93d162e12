import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { RUNBOOK_ANCHORS } from '../../src/domain/runbook.ts';

/**
 * Every runbook anchor a signal, a message or an alarm on the readiness topic can link to exists in
 * docs/runbook.md, and the list messages check anchors against (src/domain/runbook.ts) is the runbook's own.
 */
const ROOT = new URL('../../', import.meta.url).pathname;

function sources(dir: string, extensions: readonly string[]): string[] {
  return readdirSync(join(ROOT, dir)).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(join(ROOT, path)).isDirectory()) return sources(path, extensions);
    return extensions.some((extension) => path.endsWith(extension)) ? [path] : [];
  });
}

const runbook = readFileSync(join(ROOT, 'docs/runbook.md'), 'utf8');
const sections = [...runbook.matchAll(/<a id="(runbook-[a-z0-9-]+)"><\/a>/g)].map((match) => match[1] ?? '');

/** Every anchor named in the code, the event contracts, the infrastructure (alarm descriptions) and serverless.yml. */
const referenced = [
  ...new Set(
    [
      ...sources('src', ['.ts']),
      ...sources('functions', ['.ts']),
      ...sources('events', ['.ts', '.json']),
      ...sources('infra', ['.yml', '.cjs']),
      'serverless.yml',
    ].flatMap((file) =>
      [...readFileSync(join(ROOT, file), 'utf8').matchAll(/\brunbook-[a-z0-9]+(?:-[a-z0-9]+)*\b/g)].map(
        (match) => `${file}: ${match[0]}`,
      ),
    ),
  ),
].sort();

describe('the on-call runbook', () => {
  it('is referenced by the code and the infrastructure', () => {
    expect(referenced.length).toBeGreaterThan(10);
    expect(referenced.some((entry) => entry.startsWith('infra/'))).toBe(true);
  });

  it.each(referenced)('has the section named in %s', (entry) => {
    const anchor = entry.split(': ')[1] ?? '';
    expect(runbook).toContain(`<a id="${anchor}"></a>`);
  });

  it('is the list of sections messages may link to, no more, no less', () => {
    expect([...RUNBOOK_ANCHORS].sort()).toEqual([...sections].sort());
    expect(new Set(sections).size).toBe(sections.length);
  });
});
