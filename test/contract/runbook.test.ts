import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

/** Every runbook anchor a signal or message can link to must exist in docs/runbook.md. */
const ROOT = new URL('../../', import.meta.url).pathname;

function sources(dir: string): string[] {
  return readdirSync(join(ROOT, dir)).flatMap((name) => {
    const path = join(dir, name);
    return statSync(join(ROOT, path)).isDirectory() ? sources(path) : path.endsWith('.ts') ? [path] : [];
  });
}

const referenced = [
  ...new Set(
    [...sources('src'), ...sources('functions')].flatMap((file) =>
      [...readFileSync(join(ROOT, file), 'utf8').matchAll(/['"`](runbook-[a-z0-9-]+)['"`]/g)].map(
        (match) => match[1] ?? '',
      ),
    ),
  ),
].sort();
const runbook = readFileSync(join(ROOT, 'docs/runbook.md'), 'utf8');

describe('the on-call runbook', () => {
  it('is referenced by the code', () => {
    expect(referenced.length).toBeGreaterThan(10);
  });

  it.each(referenced)('has a section for %s', (anchor) => {
    expect(runbook).toContain(`<a id="${anchor}"></a>`);
  });
});
