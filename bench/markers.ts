/**
 * Replaces the text between a begin and an end marker (both must be there): how the benchmarks rewrite the
 * generated sections of README.md and docs/benchmarks.md.
 */
export function replaceBetween(text: string, begin: string, end: string, content: string): string {
  const from = text.indexOf(begin);
  const to = text.indexOf(end);
  if (from < 0 || to < from) throw new Error(`markers ${begin} … ${end} not found`);
  return `${text.slice(0, from + begin.length)}\n${content}\n${text.slice(to)}`;
}
