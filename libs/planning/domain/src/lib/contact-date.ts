/**
 * The contact date: a wall-clock time an operator picks in a time zone, turned into an instant.
 * Zone rules come from the runtime's ICU data through Intl.DateTimeFormat.
 *
 * Daylight-saving transitions:
 * - a time that does not exist (spring forward, e.g. 02:30 in New York on the March change) moves
 *   forward by the length of the gap, i.e. it is read with the offset in force before the change
 *   (02:30 becomes 03:30 EDT), so the delivery still goes out that morning;
 * - a time that exists twice (fall back, e.g. 01:30 in New York on the November change) takes the
 *   earlier instant (01:30 EDT), so the delivery never starts later than the operator could mean.
 */

export type ContactDateResult =
  { ok: true; at: Date } | { ok: false; field: string; value: string; error: string };

const LOCAL =
  /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?(Z|[+-]\d{2}(?::?\d{2})?)?$/;
const DAY_MS = 86_400_000;

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatterFor(timeZone: string): Intl.DateTimeFormat | undefined {
  const cached = formatters.get(timeZone);
  if (cached) return cached;
  try {
    const formatter = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      era: 'short',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    });
    formatters.set(timeZone, formatter);
    return formatter;
  } catch {
    return undefined;
  }
}

/** Builds a UTC timestamp without Date.UTC's mapping of years 0-99 to 1900-1999. */
function utc(year: number, month: number, day: number, hour = 0, minute = 0, second = 0, ms = 0): number {
  const date = new Date(0);
  date.setUTCFullYear(year, month - 1, day);
  date.setUTCHours(hour, minute, second, ms);
  return date.getTime();
}

/** The zone's offset from UTC at an instant, in ms (positive east of Greenwich). */
function offsetAt(formatter: Intl.DateTimeFormat, instant: number): number {
  const parts: Record<string, string> = {};
  for (const part of formatter.formatToParts(instant)) parts[part.type] = part.value;
  const year = parts['era'] === 'BC' ? 1 - Number(parts['year']) : Number(parts['year']);
  const wall = utc(
    year,
    Number(parts['month']),
    Number(parts['day']),
    Number(parts['hour']),
    Number(parts['minute']),
    Number(parts['second']),
  );
  return wall - (instant - (((instant % 1000) + 1000) % 1000));
}

const fail = (field: string, value: string, problem: string): ContactDateResult => ({
  ok: false,
  field,
  value,
  error: `${field}: ${problem} (got ${JSON.stringify(value)})`,
});

/** `local` is ISO 8601 "2026-12-01T09:00" or "2026-12-01T09:00:00" without offset, interpreted in the IANA `timeZone` (e.g. "Europe/Stockholm"); a value with an explicit offset or Z is taken as is. */
export function resolveContactDate(local: string, timeZone: string = 'UTC'): ContactDateResult {
  const formatter = typeof timeZone === 'string' && timeZone !== '' ? formatterFor(timeZone) : undefined;
  if (!formatter)
    return fail('timeZone', String(timeZone), 'must be an IANA time zone like "Europe/Stockholm" or "UTC"');

  const malformed =
    'must be an ISO 8601 date and time like "2026-12-01T09:00" or "2026-12-01T09:00:00+01:00"';
  if (typeof local !== 'string') return fail('contactDate', String(local), malformed);
  const match = LOCAL.exec(local);
  if (!match) return fail('contactDate', local, malformed);
  const [, y, mo, d, h, mi, s = '0', fraction = '', zone] = match;
  const [year, month, day, hour, minute, second] = [y, mo, d, h, mi, s].map(Number) as [
    number,
    number,
    number,
    number,
    number,
    number,
  ];
  const ms = Number(fraction.padEnd(3, '0').slice(0, 3));
  const wall = utc(year, month, day, hour, minute, second, ms);
  const check = new Date(wall);
  if (
    year < 1 ||
    check.getUTCMonth() + 1 !== month ||
    check.getUTCDate() !== day ||
    hour > 23 ||
    minute > 59 ||
    second > 59
  )
    return fail('contactDate', local, 'is not a valid calendar date and time');

  if (zone !== undefined) {
    const offset = zoneOffset(zone);
    if (offset === undefined) return fail('contactDate', local, 'has an invalid UTC offset');
    return { ok: true, at: new Date(wall - offset) };
  }
  return { ok: true, at: new Date(instantOf(formatter, wall)) };
}

function zoneOffset(zone: string): number | undefined {
  if (zone === 'Z') return 0;
  const digits = zone.slice(1).replace(':', '');
  const hours = Number(digits.slice(0, 2));
  const minutes = Number(digits.slice(2) || '0');
  if (hours > 23 || minutes > 59) return undefined;
  return (zone.startsWith('-') ? -1 : 1) * (hours * 60 + minutes) * 60_000;
}

/**
 * The instant a wall-clock time stands for. Zone offsets change at most once around any date in
 * practice, so the offsets a day before and after are the only candidates; a candidate is right
 * when the zone has that offset at the instant it gives.
 */
function instantOf(formatter: Intl.DateTimeFormat, wall: number): number {
  const before = offsetAt(formatter, wall - DAY_MS);
  const after = offsetAt(formatter, wall + DAY_MS);
  const candidates = [...new Set([before, offsetAt(formatter, wall), after])]
    .map((offset) => wall - offset)
    .filter((instant) => offsetAt(formatter, instant) === wall - instant)
    .sort((a, b) => a - b);
  // No candidate: the time falls in a gap; reading it with the earlier offset moves it forward.
  return candidates[0] ?? wall - before;
}
