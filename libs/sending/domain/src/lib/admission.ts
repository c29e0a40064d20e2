/** Longer waits for a pacing slot hand the rest of a chunk back to the queue instead of holding a connection. */
export const MAX_PACE_WAIT_MS = 2000;

/** Whether a message may go now, and after which pacing wait; or what happens to it and the rest of its chunk. */
export type Admission =
  | {
      readonly kind: 'send';
      /** When its pacing slot comes. */
      readonly notBefore: number;
      /** Already counted against the warm-up cap (it was announced to the server). */
      readonly counted: boolean;
    }
  | { readonly kind: 'paused' }
  | { readonly kind: 'stopped' }
  | { readonly kind: 'postponed'; readonly until: Date };

/** What the path (site × source address) says about sending one more message on it now. */
export interface PathGate {
  /** The end of the path's suspension (epoch ms), or null when it is not suspended. */
  suspendedUntil(): number | null;
  /** Whether today's warm-up cap leaves room for one more message. */
  underCap(): boolean;
  /** Takes the next pacing slot; how long until it comes (ms). */
  slot(): number;
}

/**
 * Whether a message may go now: a paused or stopped delivery, a suspended path, a reached warm-up
 * cap or a long pacing wait keep it (and the rest of its chunk) from the session; otherwise it
 * takes a pacing slot.
 */
export function admit(control: string | undefined, gate: PathGate, now = Date.now()): Admission {
  const held = hold(control, gate, true, now);
  if (held) return held;
  const wait = gate.slot();
  if (wait > MAX_PACE_WAIT_MS) return { kind: 'postponed', until: new Date(now + wait) };
  return { kind: 'send', notBefore: now + wait, counted: false };
}

/**
 * A message admitted early (as the message before it went out), looked at again at its turn: its
 * pacing slot stands, but a pause, a stop, a suspension of the path or (when not yet counted) a
 * reached warm-up cap still hold it.
 */
export function readmit(
  control: string | undefined,
  gate: PathGate,
  early: Admission & { kind: 'send' },
  now = Date.now(),
): Admission {
  return hold(control, gate, !early.counted, now) ?? early;
}

function hold(control: string | undefined, gate: PathGate, checkCap: boolean, now: number): Admission | null {
  if (control === 'paused') return { kind: 'paused' };
  if (control === 'stopped') return { kind: 'stopped' };
  const until = gate.suspendedUntil();
  if (until) return { kind: 'postponed', until: new Date(until) };
  // A warm-up cap reached mid-chunk: the rest goes back to the queue to overflow to another address.
  if (checkCap && !gate.underCap()) return { kind: 'postponed', until: new Date(now) };
  return null;
}
