/**
 * ISO-8601 durations (`PT15M`, `P0D`, `P1DT2H`, `PT0.5S`, `P2W`), as DRS reports `lagDuration` and as the
 * `dr-autopilot:rpo` / `dr-autopilot:rto` tags and `DEFAULT_RPO` / `DEFAULT_RTO` express objectives.
 * Years and months have no fixed length; they are taken as 365 and 30 days (an RPO is never stated in them
 * in practice, and DRS never reports them).
 */
const DURATION =
  /^P(?!$)(?:(\d+(?:[.,]\d+)?)Y)?(?:(\d+(?:[.,]\d+)?)M)?(?:(\d+(?:[.,]\d+)?)W)?(?:(\d+(?:[.,]\d+)?)D)?(?:T(?=\d)(?:(\d+(?:[.,]\d+)?)H)?(?:(\d+(?:[.,]\d+)?)M)?(?:(\d+(?:[.,]\d+)?)S)?)?$/;
const UNIT_SECONDS = [365 * 86_400, 30 * 86_400, 7 * 86_400, 86_400, 3_600, 60, 1] as const;

/** Parses an ISO-8601 duration into seconds; returns `undefined` for anything that is not one. */
export function parseIsoDuration(text: string | undefined | null): number | undefined {
  if (typeof text !== 'string') return undefined;
  const match = DURATION.exec(text.trim().toUpperCase());
  if (!match) return undefined;
  let seconds = 0;
  for (const [index, unit] of UNIT_SECONDS.entries()) {
    const part = match[index + 1];
    if (part !== undefined) seconds += Number(part.replace(',', '.')) * unit;
  }
  return seconds;
}

/**
 * The DRS model types `lagDuration` differently on the two sides of a replication: a source server's is an
 * ISO-8601 *duration* (`ISO8601DurationString`, `PT5S`), a recovery instance's an ISO-8601 *date-time*
 * (`RecoveryInstanceDataReplicationInfo.lagDuration`: `ISO8601DatetimeString`, `YYYY-MM-DDThh:mm:ss(.s)Z`).
 * The documentation calls both "lag". Either form is read: a date-time is the instant up to which data has
 * been replicated, so the lag is `now` minus that instant (never negative: clocks differ).
 * Returns `undefined` for anything else, so an unreadable lag stays unknown rather than guessed.
 */
export function parseLag(text: string | undefined | null, now: Date): number | undefined {
  const asDuration = parseIsoDuration(text);
  if (asDuration !== undefined) return asDuration;
  if (typeof text !== 'string' || !DATE_TIME.test(text.trim())) return undefined;
  const at = Date.parse(text.trim());
  // An instant before DRS existed is no "replicated up to" time (say, a lag written as an offset from the epoch):
  // unknown, rather than decades of lag.
  if (Number.isNaN(at) || at < EARLIEST_REPLICATION) return undefined;
  return Math.max(0, Math.round((now.getTime() - at) / 1000));
}

const EARLIEST_REPLICATION = Date.UTC(2000, 0, 1);

/** The model's ISO8601DatetimeString pattern (`Z` required, optional fractional seconds); offsets tolerated. */
const DATE_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:Z|[+-]\d{2}:\d{2})$/;

/** A compact human form for messages: `45s`, `15m`, `4h`, `1d2h`, `2h30m`. */
export function formatSeconds(totalSeconds: number): string {
  if (!Number.isFinite(totalSeconds)) return 'unknown';
  let rest = Math.max(0, Math.round(totalSeconds));
  if (rest < 60) return `${rest}s`;
  const parts: string[] = [];
  for (const [unit, size] of [
    ['d', 86_400],
    ['h', 3_600],
    ['m', 60],
  ] as const) {
    const count = Math.floor(rest / size);
    if (count > 0) parts.push(`${count}${unit}`);
    rest -= count * size;
  }
  return parts.slice(0, 2).join('');
}
