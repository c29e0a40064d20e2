import { createHash } from 'node:crypto';

/**
 * Message ids are derived from the delivery, the analysis run and the recipient's position, so
 * replaying a command yields the same ids while a new analysis gets fresh ones (its exclusions must
 * not overwrite the log of the previous run). The first 12 hex digits hash the delivery and run,
 * the last 12 are the position: unique within a run by construction, and one hash per analysis
 * rather than per recipient. Lower-case hex, because some receivers fold the case of the VERP
 * local part that carries the id back in bounces.
 */
export function messageIdFor(deliveryId: string, index: number, run = 1): string {
  return 'm' + runPrefix(deliveryId, run) + position(index);
}

/** The run's 12-digit prefix, for callers that build many ids (`prefix + position(i)`). */
export function runPrefix(deliveryId: string, run = 1): string {
  const scope = run === 1 ? deliveryId : `${deliveryId}\u0000r${run}`;
  return createHash('sha256').update(scope).digest('hex').slice(0, 12);
}

/** A position as 12 hex digits (up to 2^48 recipients). */
export function position(index: number): string {
  if (!Number.isSafeInteger(index) || index < 0 || index >= 2 ** 48)
    throw new RangeError(`index: must be an integer from 0 to 2^48 (got ${index})`);
  return index.toString(16).padStart(12, '0');
}

/**
 * A stable pseudo-random rank in [0, 2^31) for a recipient: limit and control group keep or pick by
 * it, so the same analysis always selects the same people, with no random state to persist.
 */
export function rankFor(seed: number, index: number): number {
  // murmur3's 32-bit finalizer over the position mixed with the delivery's seed.
  let h = (index ^ seed) >>> 0;
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b) >>> 0;
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35) >>> 0;
  h = (h ^ (h >>> 16)) >>> 0;
  return h & 0x7fffffff;
}

/** The seed of a run's ranks: its id prefix read as a number. */
export const rankSeed = (prefix: string) => parseInt(prefix.slice(0, 8), 16) | 0;

/** Proof messages: their own id space ("p…"), one per proof round and recipient. */
export function proofMessageIdFor(deliveryId: string, proofNumber: number, index: number): string {
  return (
    'p' +
    createHash('sha256')
      .update(`${deliveryId}\u0000proof${proofNumber}\u0000${index}`)
      .digest('hex')
      .slice(0, 24)
  );
}
