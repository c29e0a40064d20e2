/** What one attempt on a path came to, for its hourly history. */
export type Outcome = 'accepted' | 'deferred' | 'bounced';

/** One attempt's place in the history: its site, source address and hour (ISO, to the hour). */
export interface HourMark {
  readonly site: string;
  readonly sourceIp: string;
  readonly hour: string;
  readonly outcome: Outcome;
}

/** A site × source address × hour of history, with its attempts by outcome. */
export type HourTotals = Omit<HourMark, 'outcome'> & Record<Outcome, number>;

/** The attempts of a batch summed per site, source address and hour, in order of first appearance. */
export function hourTotals(marks: readonly HourMark[]): HourTotals[] {
  const totals = new Map<string, { -readonly [K in keyof HourTotals]: HourTotals[K] }>();
  for (const { site, sourceIp, hour, outcome } of marks) {
    const key = `${site}|${sourceIp}|${hour}`;
    let sum = totals.get(key);
    if (!sum) totals.set(key, (sum = { site, sourceIp, hour, accepted: 0, deferred: 0, bounced: 0 }));
    sum[outcome]++;
  }
  return [...totals.values()];
}
