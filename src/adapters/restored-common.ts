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
