/**
 * The simulator's memory of past traffic: per-recipient deferral counts, greylisting
 * triples, message rates and connections per (personality, client IP). Everything is keyed
 * by strings and capped, so a long benchmark cannot grow it without bound.
 */
const MAX_ENTRIES = 100_000;
const MINUTE_MS = 60_000;

function remember<V>(map: Map<string, V>, key: string, value: V): void {
  map.delete(key); // re-insert so the Map's insertion order doubles as an LRU order
  map.set(key, value);
  if (map.size > MAX_ENTRIES) {
    const oldest = map.keys().next();
    if (!oldest.done) map.delete(oldest.value);
  }
}

export class TrafficState {
  private readonly deferrals = new Map<string, number>();
  private readonly greylist = new Map<string, number>();
  private readonly messageTimes = new Map<string, number[]>();
  /** `${personality}|${ip}` → ids of the sessions that delivered to that personality. */
  private readonly connections = new Map<string, Set<string>>();
  private readonly joinedBySession = new Map<string, string[]>();

  constructor(private readonly now: () => number) {}

  /** True while the recipient is still within its first `attempts` tries (which get deferred). */
  shouldDefer(recipient: string, attempts: number): boolean {
    const key = recipient.toLowerCase();
    const seen = this.deferrals.get(key) ?? 0;
    if (seen >= attempts) return false;
    remember(this.deferrals, key, seen + 1);
    return true;
  }

  /**
   * Greylisting as postgrey does it: the first attempt of a (client IP, sender, recipient)
   * triple is deferred, and so is every retry until `minDelaySeconds` have passed since it.
   */
  shouldGreylist(ip: string, from: string, to: string, minDelaySeconds: number): boolean {
    const key = `${ip}|${from.toLowerCase()}|${to.toLowerCase()}`;
    const firstSeen = this.greylist.get(key);
    if (firstSeen === undefined) {
      remember(this.greylist, key, this.now());
      return true;
    }
    return this.now() - firstSeen < minDelaySeconds * 1000;
  }

  /** Messages accepted from `ip` for `personality` during the last minute. */
  messagesLastMinute(personality: string, ip: string): number {
    const key = `${personality}|${ip}`;
    const times = this.messageTimes.get(key);
    if (!times) return 0;
    const horizon = this.now() - MINUTE_MS;
    while (times.length && (times[0] ?? 0) <= horizon) times.shift();
    return times.length;
  }

  recordMessage(personality: string, ip: string): void {
    const key = `${personality}|${ip}`;
    const times = this.messageTimes.get(key) ?? [];
    times.push(this.now());
    remember(this.messageTimes, key, times);
  }

  /**
   * A connection counts towards a personality from its first recipient there (the
   * simulator listens once for all domains, so it cannot know the provider at connect
   * time; real MTAs keep one connection pool per destination, so this matches their view).
   * Returns false when `max` connections from `ip` are already counted.
   */
  joinConnection(personality: string, ip: string, sessionId: string, max: number | undefined): boolean {
    const key = `${personality}|${ip}`;
    const sessions = this.connections.get(key) ?? new Set<string>();
    if (sessions.has(sessionId)) return true;
    if (max !== undefined && sessions.size >= max) return false;
    sessions.add(sessionId);
    this.connections.set(key, sessions);
    this.joinedBySession.set(sessionId, [...(this.joinedBySession.get(sessionId) ?? []), key]);
    return true;
  }

  leaveConnection(sessionId: string): void {
    for (const key of this.joinedBySession.get(sessionId) ?? []) {
      const sessions = this.connections.get(key);
      sessions?.delete(sessionId);
      if (sessions && sessions.size === 0) this.connections.delete(key);
    }
    this.joinedBySession.delete(sessionId);
  }
}
