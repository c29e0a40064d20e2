import type { MxRule } from './mx-rule.schema';
import { throttleCause } from './throttle-replies';

/**
 * The live limits of one delivery path (site × source IP): a closed loop that halves connections
 * and rate and suspends the path on a "slow down" answer, and steps back up additively after a run
 * of accepted messages, never above the rule's ceilings.
 */
export interface PathState {
  readonly site: string;
  readonly sourceIp: string;
  readonly ruleId: string;
  readonly maxConnections: number;
  readonly messagesPerHour: number;
  readonly suspendedUntil: number | null;
  /** The reply that caused the last decrease. */
  readonly cause: string | null;
  readonly acceptedStreak: number;
  readonly nextCoolOffMs: number;
  readonly updatedAt: number;
}

export type PathSignal =
  | { readonly kind: 'throttled'; readonly reply: string; readonly at: number }
  | { readonly kind: 'accepted'; readonly at: number }
  | { readonly kind: 'other'; readonly at: number };

export interface LimitChange {
  readonly direction: 'decreased' | 'increased';
  readonly before: { readonly maxConnections: number; readonly messagesPerHour: number };
  readonly after: { readonly maxConnections: number; readonly messagesPerHour: number };
  readonly suspendedUntil: number | null;
  readonly cause: string | null;
}

export function initialPath(rule: MxRule, site: string, sourceIp: string, at: number): PathState {
  return {
    site,
    sourceIp,
    ruleId: rule.id,
    maxConnections: rule.maxConnections,
    messagesPerHour: rule.messagesPerHour,
    suspendedUntil: null,
    cause: null,
    acceptedStreak: 0,
    nextCoolOffMs: rule.adaptive.coolOffMs,
    updatedAt: at,
  };
}

/** Clamps a learned state to (possibly edited) rule ceilings. */
export function withinRule(rule: MxRule, state: PathState): PathState {
  return {
    ...state,
    ruleId: rule.id,
    maxConnections: Math.min(
      rule.maxConnections,
      Math.max(rule.adaptive.minConnections, state.maxConnections),
    ),
    messagesPerHour: Math.min(
      rule.messagesPerHour,
      Math.max(rule.adaptive.minMessagesPerHour, state.messagesPerHour),
    ),
  };
}

export function adapt(
  rule: MxRule,
  state: PathState,
  signal: PathSignal,
): { state: PathState; change: LimitChange | null } {
  const before = { maxConnections: state.maxConnections, messagesPerHour: state.messagesPerHour };
  const { adaptive } = rule;
  if (signal.kind === 'throttled') {
    const after = {
      maxConnections: Math.max(
        adaptive.minConnections,
        Math.floor(state.maxConnections * adaptive.decreaseFactor),
      ),
      messagesPerHour: Math.max(
        adaptive.minMessagesPerHour,
        Math.floor(state.messagesPerHour * adaptive.decreaseFactor),
      ),
    };
    // One throttling episode is one decrease: replies from connections already open when the
    // path was suspended do not cut the limits again.
    if (state.suspendedUntil !== null && state.suspendedUntil > signal.at) {
      return { state: { ...state, acceptedStreak: 0 }, change: null };
    }
    const suspendedUntil = signal.at + state.nextCoolOffMs;
    const next: PathState = {
      ...state,
      ...after,
      suspendedUntil,
      cause: signal.reply,
      acceptedStreak: 0,
      nextCoolOffMs: Math.min(adaptive.maxCoolOffMs, Math.max(1, state.nextCoolOffMs) * 2),
      updatedAt: signal.at,
    };
    return {
      state: next,
      change: { direction: 'decreased', before, after, suspendedUntil, cause: signal.reply },
    };
  }
  if (signal.kind === 'other') return { state, change: null };

  const streak = state.acceptedStreak + 1;
  if (streak < adaptive.recoverAfter) return { state: { ...state, acceptedStreak: streak }, change: null };
  const after = {
    maxConnections: Math.min(rule.maxConnections, state.maxConnections + 1),
    messagesPerHour: Math.min(
      rule.messagesPerHour,
      state.messagesPerHour + Math.ceil(rule.messagesPerHour * adaptive.rateStep),
    ),
  };
  const next: PathState = {
    ...state,
    ...after,
    acceptedStreak: 0,
    // Sustained success forgets earlier episodes, so the next cool-off starts short again.
    nextCoolOffMs:
      after.maxConnections === rule.maxConnections && after.messagesPerHour === rule.messagesPerHour
        ? adaptive.coolOffMs
        : state.nextCoolOffMs,
    updatedAt: signal.at,
  };
  const changed =
    after.maxConnections !== before.maxConnections || after.messagesPerHour !== before.messagesPerHour;
  return {
    state: next,
    change: changed
      ? { direction: 'increased', before, after, suspendedUntil: state.suspendedUntil, cause: null }
      : null,
  };
}

export function isSuspended(state: PathState, at: number): boolean {
  return state.suspendedUntil !== null && state.suspendedUntil > at;
}

/**
 * Even pacing: a token bucket holding at most one second of the hourly rate (at least one
 * message), so a path sends at its rate without bursts. Returns how long to wait for a slot.
 */
export class RatePacer {
  private tokens: number;
  private last: number;

  constructor(
    private perHour: number,
    at: number,
  ) {
    this.tokens = this.capacity();
    this.last = at;
  }

  setRate(perHour: number): void {
    this.perHour = perHour;
    this.tokens = Math.min(this.tokens, this.capacity());
  }

  /** Takes a slot if one is free now; otherwise returns the wait in ms and takes nothing. */
  take(at: number): number {
    this.tokens = Math.min(this.capacity(), this.tokens + ((at - this.last) * this.perHour) / 3_600_000);
    this.last = at;
    if (this.tokens >= 1) {
      this.tokens -= 1;
      return 0;
    }
    return Math.max(1, Math.ceil(((1 - this.tokens) * 3_600_000) / this.perHour - 1e-6));
  }

  private capacity(): number {
    return Math.max(1, this.perHour / 3600);
  }
}

/** What an attempt's answer tells the path controller: accepted, "slow down", or neither. */
export function pathSignal(
  result: { readonly kind: 'accepted' | 'rejected'; readonly reply: string },
  at: number,
): PathSignal {
  if (result.kind === 'accepted') return { kind: 'accepted', at };
  return throttleCause(result.reply) ? { kind: 'throttled', reply: result.reply, at } : { kind: 'other', at };
}
