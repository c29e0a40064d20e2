/**
 * Upcasters turn an old event shape into the next version on read, so consumers and projections
 * only ever see current types. Each entry maps one old type to a function producing the next
 * version; chains are followed until no upcaster applies. Stored events are never rewritten.
 */
export interface RawEvent {
  readonly type: string;
  readonly data: unknown;
}

export type Upcaster = (data: unknown) => RawEvent;

export const UPCASTERS: Readonly<Record<string, Upcaster>> = {};

export function upcast(event: RawEvent, upcasters: Readonly<Record<string, Upcaster>> = UPCASTERS): RawEvent {
  let current = event;
  for (let hops = 0; hops < 32; hops++) {
    const next = upcasters[current.type];
    if (!next) return current;
    current = next(current.data);
  }
  throw new Error(`upcaster chain from ${event.type} does not terminate`);
}
