/**
 * A set of strings kept as 64-bit fingerprints in typed arrays: about 16 bytes per entry instead
 * of the ~100 a `Set<string>` of addresses costs, so deduplicating a million recipients holds
 * ~16 MB, not ~100 MB. Two different strings with the same fingerprint would be taken for one
 * (for a million addresses the chance is about 3 in 100 million per analysis).
 */
export class FingerprintSet {
  private hi: Uint32Array;
  private lo: Uint32Array;
  private used: Uint8Array;
  private count = 0;

  constructor(expected = 1024) {
    const capacity = 2 ** Math.ceil(Math.log2(Math.max(16, expected * 2)));
    this.hi = new Uint32Array(capacity);
    this.lo = new Uint32Array(capacity);
    this.used = new Uint8Array(capacity);
  }

  get size(): number {
    return this.count;
  }

  /** Adds the string; false when it (or a string with the same fingerprint) was already there. */
  add(value: string): boolean {
    const [hi, lo] = fingerprint(value);
    if (this.count * 2 >= this.used.length) this.grow();
    return this.insert(hi, lo);
  }

  has(value: string): boolean {
    const [hi, lo] = fingerprint(value);
    const mask = this.used.length - 1;
    for (let slot = lo & mask; this.used[slot]; slot = (slot + 1) & mask)
      if (this.hi[slot] === hi && this.lo[slot] === lo) return true;
    return false;
  }

  private insert(hi: number, lo: number): boolean {
    const mask = this.used.length - 1;
    let slot = lo & mask;
    for (; this.used[slot]; slot = (slot + 1) & mask)
      if (this.hi[slot] === hi && this.lo[slot] === lo) return false;
    this.used[slot] = 1;
    this.hi[slot] = hi;
    this.lo[slot] = lo;
    this.count++;
    return true;
  }

  private grow(): void {
    const { hi, lo, used } = this;
    this.hi = new Uint32Array(used.length * 2);
    this.lo = new Uint32Array(used.length * 2);
    this.used = new Uint8Array(used.length * 2);
    this.count = 0;
    for (let slot = 0; slot < used.length; slot++) if (used[slot]) this.insert(hi[slot]!, lo[slot]!);
  }
}

/** Two independent 32-bit hashes (FNV-1a with different offsets, murmur3-finalized) of the code units. */
function fingerprint(value: string): [number, number] {
  let a = 0x811c9dc5;
  let b = 0x01000193 ^ value.length;
  for (let i = 0; i < value.length; i++) {
    const code = value.charCodeAt(i);
    a = Math.imul(a ^ code, 0x01000193);
    b = Math.imul(b ^ code, 0x5bd1e995) ^ (b >>> 15);
  }
  return [mix(a), mix(b ^ 0x9e3779b9)];
}

function mix(h: number): number {
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}
