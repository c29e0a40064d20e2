import { createHash } from 'node:crypto';

/**
 * Message ids are derived from the delivery, the analysis run and the recipient's position, so
 * replaying a command yields the same ids while a new analysis gets fresh ones (its exclusions must
 * not overwrite the log of the previous run). Lower-case hex, because some receivers fold the case
 * of the VERP local part that carries the id back in bounces.
 */
export function messageIdFor(deliveryId: string, index: number, run = 1): string {
  const scope = run === 1 ? deliveryId : `${deliveryId}\u0000r${run}`;
  return 'm' + createHash('sha256').update(`${scope}\u0000${index}`).digest('hex').slice(0, 24);
}

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
