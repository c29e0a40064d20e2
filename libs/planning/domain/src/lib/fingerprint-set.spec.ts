import { FingerprintSet } from './fingerprint-set';

describe('fingerprint set', () => {
  it('adds each distinct string once and recognises it afterwards, across growth', () => {
    const set = new FingerprintSet(4);
    const values = Array.from({ length: 50_000 }, (_, i) => `user${i}@d${i % 977}.example`);
    expect(values.every((v) => set.add(v))).toBe(true);
    expect(set.size).toBe(50_000);
    expect(values.some((v) => set.add(v))).toBe(false);
    expect(values.every((v) => set.has(v))).toBe(true);
    expect(set.has('someone-else@example.com')).toBe(false);
  });

  it('tells apart strings that differ by one character or by order', () => {
    const set = new FingerprintSet();
    for (const value of ['ab@x.se', 'ba@x.se', 'ab@x.sf', 'ab@x.se ', '']) expect(set.add(value)).toBe(true);
    expect(set.size).toBe(5);
  });
});
