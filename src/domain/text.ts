/**
 * Text that leaves dr-autopilot is well-formed UTF-16: no lone surrogate. A lone surrogate comes from outside (an
 * alarm name, a tag, an API's error message) or from cutting a string between the two halves of a pair (an emoji
 * at the cut). Either makes the AWS SDK's query encoding throw `URIError: URI malformed` (SNS Publish), every time:
 * one bad name would block every notification after it. Pure.
 */

/** `text` with every lone surrogate replaced by U+FFFD (what `String.prototype.toWellFormed` does). */
export function wellFormed(text: string): string {
  return text.isWellFormed() ? text : text.toWellFormed();
}

/**
 * At most `max` UTF-16 code units (the unit AWS limits such as an SNS subject's 100 characters count), cut on a
 * code point boundary and ending in `ellipsis` when cut; well-formed.
 */
export function truncate(text: string, max: number, ellipsis = '…'): string {
  const clean = wellFormed(text);
  if (clean.length <= max) return clean;
  let end = Math.max(0, max - ellipsis.length);
  // Never end between the halves of a surrogate pair.
  const last = clean.charCodeAt(end - 1);
  if (end > 0 && last >= 0xd800 && last <= 0xdbff) end -= 1;
  return `${clean.slice(0, end)}${ellipsis}`.slice(0, Math.max(max, 0));
}

/** `text` on one line (each run of line breaks becomes a space), then {@link truncate}d. */
export function oneLine(text: string, max: number): string {
  return truncate(text.replace(/[\r\n]+/g, ' '), max);
}

/** A JSON-like value with every string in it (keys included) well-formed. */
export function wellFormedDeep<T>(value: T): T {
  if (typeof value === 'string') return wellFormed(value) as T;
  if (Array.isArray(value)) return value.map((item) => wellFormedDeep(item)) as T;
  if (value !== null && typeof value === 'object' && Object.getPrototypeOf(value) === Object.prototype) {
    return Object.fromEntries(
      Object.entries(value).map(([key, item]) => [wellFormed(key), wellFormedDeep(item)]),
    ) as T;
  }
  return value;
}
