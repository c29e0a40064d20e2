import { createHash } from 'node:crypto';

/**
 * Message ids are derived from the delivery and the recipient's position, so replaying a command
 * yields the same ids. Lower-case hex, because some receivers fold the case of the VERP local part
 * that carries the id back in bounces.
 */
export function messageIdFor(deliveryId: string, index: number): string {
  return 'm' + createHash('sha256').update(`${deliveryId}\u0000${index}`).digest('hex').slice(0, 24);
}
