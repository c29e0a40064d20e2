/**
 * Campaign "send using multiple waves": splits a delivery's target, in target order, into waves
 * that start at offsets from the delivery start. Either same-size waves at a fixed period, or a
 * calendar of (delay, size) rows. Nobody is silently dropped: whatever the sizes leave over goes
 * to the last wave.
 */

export type WaveSize = number | `${number}%`;

export type WaveSpec =
  | { readonly kind: 'same-size'; readonly size: WaveSize; readonly periodHours: number }
  | {
      readonly kind: 'calendar';
      readonly waves: readonly { readonly delayHours: number; readonly size: WaveSize }[];
    };

export interface Wave {
  readonly index: number;
  /** ms after the delivery start */
  readonly offsetMs: number;
  readonly size: number;
  /** 0-based position of its first message in the target order */
  readonly first: number;
}

export type WavePlanResult =
  { ok: true; waves: Wave[] } | { ok: false; field: string; value: unknown; error: string };

/** A plan is kept in the analysis report; this bounds it (the calendar's own limit is 500 rows). */
export const MAX_WAVES = 10_000;

const HOUR_MS = 3_600_000;
const PERCENT = /^(\d+(?:\.\d+)?)%$/;
// Percent-of-total products like 1000 * 14.3 / 100 carry float noise above the integer.
const EPSILON = 1e-9;

type Failure = Extract<WavePlanResult, { ok: false }>;

const show = (value: unknown): string =>
  value === undefined ? 'undefined' : (JSON.stringify(value) ?? String(value));

const fail = (field: string, value: unknown, problem: string): Failure => ({
  ok: false,
  field,
  value,
  error: `${field}: ${problem} (got ${show(value)})`,
});

/** A size as a count or a percentage; `allowZero` for calendar rows, which may be empty. */
type ParsedSize = { count: number } | { percent: number };

function parseSize(value: unknown, field: string, allowZero: boolean): ParsedSize | Failure {
  const problem = allowZero
    ? 'must be a non-negative integer or a percentage from 0% to 100% like "30%"'
    : 'must be a positive integer or a percentage like "30%" (above 0%, at most 100%)';
  if (typeof value === 'number')
    return Number.isSafeInteger(value) && (value > 0 || (allowZero && value === 0))
      ? { count: value }
      : fail(field, value, problem);
  const match = typeof value === 'string' ? PERCENT.exec(value) : null;
  const percent = match ? Number(match[1]) : NaN;
  return percent <= 100 && (percent > 0 || (allowZero && percent === 0))
    ? { percent }
    : fail(field, value, problem);
}

const isFailure = (value: object): value is Failure => 'ok' in value;

/** Rounded up, so a percentage of a non-empty target is never an empty wave. */
const countOf = (size: ParsedSize, total: number): number =>
  'count' in size ? size.count : Math.max(1, Math.ceil((total * size.percent) / 100 - EPSILON));

const validHours = (value: unknown): value is number =>
  typeof value === 'number' && Number.isFinite(value) && value >= 0;

/** Assigns `first` and `index`, dropping empty waves. */
function lay(rows: readonly { offsetMs: number; size: number }[]): Wave[] {
  const waves: Wave[] = [];
  let first = 0;
  for (const row of rows) {
    if (row.size === 0) continue;
    waves.push({ index: waves.length, offsetMs: row.offsetMs, size: row.size, first });
    first += row.size;
  }
  return waves;
}

/** A count, or a percentage of `total` rounded up: the size of a share such as a control group. */
export function shareOf(size: WaveSize, total: number): number {
  const parsed = parseSize(size, 'size', true);
  if (isFailure(parsed)) throw new RangeError(parsed.error);
  return 'count' in parsed ? parsed.count : Math.max(0, Math.ceil((total * parsed.percent) / 100 - EPSILON));
}

/** The waves of a plan as the analysis report keeps it (offset in hours, size), with first positions. */
export function wavesFromReport(
  rows: readonly { readonly offsetHours: number; readonly size: number }[],
): Wave[] {
  return lay(rows.map((row) => ({ offsetMs: row.offsetHours * HOUR_MS, size: row.size })));
}

export function planWaves(total: number, spec: WaveSpec | undefined): WavePlanResult {
  if (!Number.isSafeInteger(total) || total < 0)
    return fail('total', total, 'must be a non-negative integer');
  if (spec === undefined) return { ok: true, waves: lay([{ offsetMs: 0, size: total }]) };
  if (spec.kind === 'same-size') return sameSize(total, spec);
  if (spec.kind === 'calendar') return calendar(total, spec);
  return fail('waves.kind', (spec as { kind: unknown }).kind, 'must be "same-size" or "calendar"');
}

function sameSize(total: number, spec: Extract<WaveSpec, { kind: 'same-size' }>): WavePlanResult {
  const size = parseSize(spec.size, 'waves.size', false);
  if (isFailure(size)) return size;
  if (!validHours(spec.periodHours))
    return fail('waves.periodHours', spec.periodHours, 'must be a non-negative number of hours');
  if (total === 0) return { ok: true, waves: [] };
  const each = countOf(size, total);
  const count = Math.ceil(total / each);
  if (count > MAX_WAVES)
    return fail('waves.size', spec.size, `makes ${count} waves of ${total} messages (max ${MAX_WAVES})`);
  const rows = Array.from({ length: count }, (_, k) => ({
    offsetMs: Math.round(k * spec.periodHours * HOUR_MS),
    size: k === count - 1 ? total - each * k : each,
  }));
  return { ok: true, waves: lay(rows) };
}

function calendar(total: number, spec: Extract<WaveSpec, { kind: 'calendar' }>): WavePlanResult {
  const rows = spec.waves;
  if (!Array.isArray(rows) || rows.length === 0)
    return fail('waves.waves', rows, 'must list at least one wave');
  if (rows.length > MAX_WAVES)
    return fail('waves.waves', rows.length, `must list at most ${MAX_WAVES} waves`);

  const planned: { offsetMs: number; size: number }[] = [];
  let previousDelay = 0;
  let percentSum = 0;
  let countSum = 0;
  let assigned = 0;
  for (const [i, row] of rows.entries()) {
    const field = `waves.waves[${i}]`;
    if (!validHours(row.delayHours))
      return fail(`${field}.delayHours`, row.delayHours, 'must be a non-negative number of hours');
    if (row.delayHours < previousDelay)
      return fail(
        `${field}.delayHours`,
        row.delayHours,
        `must not be before the previous wave's delay of ${previousDelay} hours`,
      );
    previousDelay = row.delayHours;

    const size = parseSize(row.size, `${field}.size`, true);
    if (isFailure(size)) return size;
    if ('percent' in size) percentSum += size.percent;
    else countSum += size.count;
    if (percentSum > 100 + EPSILON)
      return fail(
        `${field}.size`,
        row.size,
        `brings the waves' percentages to ${round(percentSum)}%, above 100%`,
      );
    if (countSum > total)
      return fail(
        `${field}.size`,
        row.size,
        `brings the waves' counts to ${countSum}, above the ${total} messages`,
      );
    const exact = countSum + (total * percentSum) / 100;
    if (exact > total + EPSILON)
      return fail(
        `${field}.size`,
        row.size,
        `brings the waves to ${round(exact)} messages, above the ${total} messages`,
      );

    // Rounding the running total up (rather than each row) spreads the rounding over the rows:
    // 33%/33%/34% of 10 is 4/3/3, not 4/4/2.
    const boundary = Math.min(total, Math.ceil(exact - EPSILON));
    planned.push({ offsetMs: Math.round(row.delayHours * HOUR_MS), size: boundary - assigned });
    assigned = boundary;
  }
  const last = planned[planned.length - 1];
  if (last) last.size += total - assigned;
  return { ok: true, waves: lay(planned) };
}

const round = (n: number): number => Math.round(n * 100) / 100;

/** The index of the wave that holds the message at `position` in target order, or -1. */
export function waveIndexOf(position: number, waves: readonly Wave[]): number {
  if (!(position >= 0)) return -1; // also NaN, which every comparison below would let through
  let low = 0;
  let high = waves.length - 1;
  while (low <= high) {
    const middle = (low + high) >>> 1;
    const wave = waves[middle] as Wave;
    if (position < wave.first) high = middle - 1;
    else if (position >= wave.first + wave.size) low = middle + 1;
    else return middle;
  }
  return -1;
}

/** When the last wave starts, in ms after the delivery start (0 without waves). */
export function lastWaveOffsetMs(waves: readonly Wave[]): number {
  return waves.reduce((latest, wave) => Math.max(latest, wave.offsetMs), 0);
}
