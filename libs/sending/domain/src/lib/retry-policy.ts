/**
 * When to try a soft-failed message again: exponential back-off with full jitter on the upper
 * half, capped, and never past the validity end (then the message fails as expired).
 */
export interface RetryPolicy {
  readonly firstDelayMs: number;
  readonly factor: number;
  readonly maxDelayMs: number;
  /** Share of the delay that is randomized (0 = fixed, 0.5 = between 50% and 100%). */
  readonly jitter: number;
}

export const DEFAULT_RETRY_POLICY: RetryPolicy = {
  firstDelayMs: 5 * 60_000,
  factor: 2,
  maxDelayMs: 4 * 3_600_000,
  jitter: 0.5,
};

export function retryDelayMs(
  policy: RetryPolicy,
  attempt: number,
  random: () => number = Math.random,
): number {
  const exponential = Math.min(
    policy.maxDelayMs,
    policy.firstDelayMs * policy.factor ** Math.max(0, attempt - 1),
  );
  return Math.round(exponential * (1 - policy.jitter * random()));
}
