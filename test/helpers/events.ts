import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

const EVENTS = new URL('../../events/', import.meta.url).pathname;

/** A fresh deep copy of an AWS sample event (`events/<source>/samples/<name>.json`): never shared between tests. */
export function loadSample<T = Record<string, unknown>>(source: string, name: string): T {
  return JSON.parse(readFileSync(join(EVENTS, source, 'samples', `${name}.json`), 'utf8')) as T;
}

/** Every sample event in the repository, as `{ source, name, event }`. */
export function allSamples(): { source: string; name: string; event: Record<string, unknown> }[] {
  return readdirSync(EVENTS, { withFileTypes: true })
    .filter((entry) => entry.isDirectory())
    .flatMap((dir) => {
      let files: string[] = [];
      try {
        files = readdirSync(join(EVENTS, dir.name, 'samples')).filter((file) => file.endsWith('.json'));
      } catch {
        files = [];
      }
      return files.map((file) => {
        const name = file.replace(/\.json$/, '');
        return { source: dir.name, name, event: loadSample(dir.name, name) };
      });
    });
}

/** A sample event as a test edits it: any top-level field, and the detail's fields. */
export type SampleEvent = { detail: Record<string, unknown>; [field: string]: unknown };
