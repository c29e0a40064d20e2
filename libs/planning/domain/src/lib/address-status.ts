import type { FailureReason } from '@postwave/contracts';

/** A recorded status of an address: quarantine, denylist or unsubscription, for all audiences ('') or one. */
export interface AddressStatusRow {
  readonly address: string;
  /** The audience it applies to, or '' for every audience. */
  readonly scope: string;
  readonly reason: FailureReason;
}

/**
 * Adds the statuses that apply to this audience to `blocked` (address → reason) and returns it.
 * Quarantine and denylist outrank an unsubscription when several apply.
 */
export function addStatuses(
  blocked: Map<string, FailureReason>,
  rows: readonly AddressStatusRow[],
  audience: string | undefined,
): Map<string, FailureReason> {
  for (const row of rows) {
    if (row.scope !== '' && row.scope !== audience) continue;
    const current = blocked.get(row.address);
    if (!current || current === 'Unsubscribed') blocked.set(row.address, row.reason);
  }
  return blocked;
}
