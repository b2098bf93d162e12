import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, normalize } from 'node:path';
import { describe, expect, it } from 'vitest';

/**
 * The README and docs/ hold together: every relative link resolves to a file of the repository, every anchor to a
 * heading (GitHub's slugs) or an explicit `<a id>` of its target, every repository path named in backticks exists,
 * and nothing points outside the repository at `../shared`.
 */
const ROOT = new URL('../../', import.meta.url).pathname;

function markdownUnder(dir: string): string[] {
  return readdirSync(join(ROOT, dir)).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(join(ROOT, path)).isDirectory()) return markdownUnder(path);
    return path.endsWith('.md') ? [path] : [];
  });
}

const DOCUMENTS = ['README.md', ...markdownUnder('docs')].sort();

/** The document without fenced code blocks (their lines blanked, so line numbers still match). */
function prose(text: string): string[] {
  let fence: string | undefined;
  return text.split('\n').map((line) => {
    const marker = /^\s*(`{3,}|~{3,})/.exec(line)?.[1];
    if (fence) {
      if (marker?.startsWith(fence)) fence = undefined;
      return '';
    }
    if (marker) {
      fence = marker;
      return '';
    }
    return line;
  });
}

/** The text of an inline code span, or of a line outside them (code spans cannot hold links). */
function withoutCodeSpans(line: string): string {
  return line.replace(/(`+)[^`]*?\1/g, (span) => ' '.repeat(span.length));
}

/** GitHub's heading slug: lowercase, keep letters, marks, digits, `_`, `-` and spaces, then spaces → `-`. */
function slug(heading: string): string {
  const text = heading
    .replace(/!?\[([^\]]*)\]\([^)]*\)/g, '$1') // links and images: their text
    .replace(/`/g, '')
    .replace(/\*/g, '')
    .trim()
    .toLowerCase();
  return text.replace(/[^\p{L}\p{M}\p{N}\p{Pc} -]/gu, '').replace(/ /g, '-');
}

const read = (file: string): string => readFileSync(join(ROOT, file), 'utf8');
const anchorCache = new Map<string, Set<string>>();

/** Every anchor of a Markdown text: heading slugs (duplicates get -1, -2, …) and `<a id|name="…">`. */
function anchorsIn(text: string): Set<string> {
  const anchors = new Set<string>();
  const seen = new Map<string, number>();
  for (const line of prose(text)) {
    const heading = /^ {0,3}#{1,6}\s+(.*?)\s*#*\s*$/.exec(line)?.[1];
    if (heading !== undefined) {
      const base = slug(heading);
      const count = seen.get(base) ?? 0;
      seen.set(base, count + 1);
      anchors.add(count === 0 ? base : `${base}-${count}`);
    }
    for (const match of line.matchAll(/<a\s+(?:id|name)="([^"]+)"/g)) anchors.add(match[1] ?? '');
  }
  return anchors;
}

function anchorsOf(file: string): Set<string> {
  const anchors = anchorCache.get(file) ?? anchorsIn(read(file));
  anchorCache.set(file, anchors);
  return anchors;
}

interface Problem {
  where: string;
  problem: string;
}

/** `file` is where the text lives (relative links resolve from its folder). */
function linkProblems(file: string, text = read(file)): Problem[] {
  const problems: Problem[] = [];
  prose(text).forEach((raw, index) => {
    const where = `${file}:${index + 1}`;
    const line = withoutCodeSpans(raw);
    const targets = [
      ...[...line.matchAll(/\]\(\s*<?([^)\s>]+)>?(?:\s+"[^"]*")?\s*\)/g)].map((match) => match[1] ?? ''),
      ...[...line.matchAll(/^\s*\[[^\]]+\]:\s+<?(\S+?)>?(?:\s|$)/g)].map((match) => match[1] ?? ''),
    ];
    for (const target of targets) {
      if (/^[a-z][a-z0-9+.-]*:/i.test(target)) continue; // https:, mailto:, …
      const [pathPart = '', anchor] = target.split('#', 2);
      const path = decodeURIComponent(pathPart);
      if (path === '') {
        if (!anchorsIn(text).has(decodeURIComponent(anchor ?? ''))) {
          problems.push({ where, problem: `link to ${target}: no anchor #${anchor} in ${file}` });
        }
        continue;
      }
      const resolved = normalize(join(dirname(file), path));
      if (resolved.startsWith('..') || !existsSync(join(ROOT, resolved))) {
        problems.push({ where, problem: `link to ${target}: ${resolved} does not exist` });
        continue;
      }
      if (anchor === undefined || !resolved.endsWith('.md')) continue;
      if (!anchorsOf(resolved).has(decodeURIComponent(anchor))) {
        problems.push({ where, problem: `link to ${target}: no anchor #${anchor} in ${resolved}` });
      }
    }
  });
  return problems;
}

/** Backticked paths into the repository's own folders, e.g. `functions/reverse-replication.ts`. */
const REPO_PATH = /^(?:functions|src|infra|scripts|sim|docs|test|events|bench)\/[^\s]*$/;

function pathProblems(file: string, text = read(file)): Problem[] {
  const problems: Problem[] = [];
  prose(text).forEach((line, index) => {
    for (const match of line.matchAll(/(`+)([^`]+?)\1/g)) {
      const named = (match[2] ?? '').trim();
      if (!REPO_PATH.test(named) || /[<*{…]/.test(named)) continue; // placeholders and globs
      const path = named.split('#', 1)[0] ?? named;
      if (!existsSync(join(ROOT, path))) {
        problems.push({ where: `${file}:${index + 1}`, problem: `names \`${named}\`, which does not exist` });
      }
    }
  });
  return problems;
}

function outsideProblems(file: string, text = read(file)): Problem[] {
  return text
    .split('\n')
    .flatMap((line, index) =>
      /\.\.\/shared\b|(^|[^\w-])shared\//i.test(line)
        ? [{ where: `${file}:${index + 1}`, problem: 'names a shared/ folder outside the repository' }]
        : [],
    );
}

describe('the documentation', () => {
  it('covers the README and docs/', () => {
    expect(DOCUMENTS).toContain('README.md');
    expect(DOCUMENTS.length).toBeGreaterThan(15);
  });

  it('computes anchors as GitHub does', () => {
    expect(slug('Try it without AWS: a DR rehearsal')).toBe('try-it-without-aws-a-dr-rehearsal');
    expect(slug('`npm run status`')).toBe('npm-run-status');
    expect(slug('DR-Region networking and keys (`RESTORE_SETTINGS`)')).toBe(
      'dr-region-networking-and-keys-restore_settings',
    );
    expect(slug('What validation proves, per type (and what it does not)')).toBe(
      'what-validation-proves-per-type-and-what-it-does-not',
    );
    expect(slug('Metrics (`Deployment` = `<service>-<stage>`)')).toBe('metrics-deployment--service-stage');
    expect(slug('Überblick: Größe')).toBe('überblick-größe');
  });

  it.each(DOCUMENTS)('%s: every relative link and anchor resolves', (file) => {
    expect(linkProblems(file)).toEqual([]);
  });

  it.each(DOCUMENTS)('%s: every repository path it names exists', (file) => {
    expect(pathProblems(file)).toEqual([]);
  });

  it.each(DOCUMENTS)('%s: names nothing outside the repository', (file) => {
    expect(outsideProblems(file)).toEqual([]);
  });

  it('fails on a broken link, a missing anchor, a missing path and ../shared', () => {
    const broken = [
      'See [the runbook](runbook.md#no-such-section), [gone](no-such-file.md) and [here](#nowhere).',
      '[fine](runbook.md#runbook-recovery-launch-failed), [fine too](../README.md#how-it-works), `functions/<name>.ts`',
      'The monitor lives in `functions/no-such-function.ts`; models in ../shared/aws/models.',
      '```sh',
      'cat [not a link](nowhere.md) `functions/not-checked-in-code.ts`',
      '```',
    ].join('\n');
    expect(linkProblems('docs/example.md', broken).map(({ problem }) => problem)).toEqual([
      'link to runbook.md#no-such-section: no anchor #no-such-section in docs/runbook.md',
      'link to no-such-file.md: docs/no-such-file.md does not exist',
      'link to #nowhere: no anchor #nowhere in docs/example.md',
    ]);
    expect(pathProblems('docs/example.md', broken)).toEqual([
      { where: 'docs/example.md:3', problem: 'names `functions/no-such-function.ts`, which does not exist' },
    ]);
    expect(outsideProblems('docs/example.md', broken)).toHaveLength(1);
  });
});
