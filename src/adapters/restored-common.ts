import type { RestorableType } from '../domain/restore-settings.ts';
import type { RestoredResource } from '../ports/restored-resources.ts';

/** Helpers shared by the restored-resource adapters. */

/** Whether an SDK error is one of the service's "not found" errors (by name, as the SDK sets it). */
export function isNotFound(error: unknown, names: readonly string[]): boolean {
  return error instanceof Error && names.includes(error.name);
}

/** The last segment of an ARN's resource part, after `/` or `:` (`table/orders` → `orders`). */
export function idFromResourceArn(arn: string): string {
  const resource = arn.split(':').slice(5).join(':');
  const slash = resource.lastIndexOf('/');
  if (slash >= 0) return resource.slice(slash + 1);
  const colon = resource.lastIndexOf(':');
  return colon >= 0 ? resource.slice(colon + 1) : resource;
}

export function tagMap(tags: { Key?: string | undefined; Value?: string | undefined }[] | undefined) {
  const map: Record<string, string> = {};
  for (const tag of tags ?? []) if (tag.Key !== undefined) map[tag.Key] = tag.Value ?? '';
  return map;
}

export function tagList(tags: Record<string, string>): { Key: string; Value: string }[] {
  return Object.entries(tags).map(([Key, Value]) => ({ Key, Value }));
}

/** What `inspect` reports before (or without) finding the resource: it does not exist, nothing is known. */
export function absentResource(type: RestorableType, arn: string, id: string): RestoredResource {
  return { type, arn, id, exists: false, tags: {}, facts: {}, related: [] };
}

/** Runs a describe call; `undefined` when the service answers with one of its "not found" errors. */
export async function unlessNotFound<T>(
  describe: () => Promise<T>,
  notFound: readonly string[],
): Promise<T | undefined> {
  try {
    return await describe();
  } catch (error) {
    if (isNotFound(error, notFound)) return undefined;
    throw error;
  }
}

/**
 * Runs one cleanup step: `done` once it went through (or the resource is already gone: a "not found" error),
 * `waiting` on one of the `busy` errors (the resource cannot be deleted yet), what the step returns otherwise.
 */
export async function deleteStep(
  remove: () => Promise<'done' | 'waiting' | undefined>,
  errors: { notFound: readonly string[]; busy?: readonly string[] },
): Promise<'done' | 'waiting'> {
  try {
    return (await remove()) ?? 'done';
  } catch (error) {
    if (isNotFound(error, errors.notFound)) return 'done';
    if (error instanceof Error && errors.busy?.includes(error.name)) return 'waiting';
    throw error;
  }
}
