import { messageIdFor, position, rankFor, rankSeed, runPrefix } from './message-id';

describe('message ids and ranks', () => {
  it('derives the same id for the same delivery, run and position, and another for a new run', () => {
    expect(messageIdFor('spring', 7)).toBe(messageIdFor('spring', 7));
    expect(messageIdFor('spring', 7)).toMatch(/^m[0-9a-f]{24}$/);
    expect(messageIdFor('spring', 7, 2)).not.toBe(messageIdFor('spring', 7));
    expect(messageIdFor('spring', 7)).toBe(`m${runPrefix('spring')}${position(7)}`);
  });

  it('never gives two positions of a run the same id', () => {
    const ids = new Set(Array.from({ length: 10_000 }, (_, i) => messageIdFor('d', i * 977)));
    expect(ids.size).toBe(10_000);
  });

  it('refuses a position it cannot encode, naming it', () => {
    expect(() => position(-1)).toThrow('index: must be an integer from 0 to 2^48 (got -1)');
  });

  it('ranks positions in a stable order that looks random and differs between deliveries', () => {
    const seed = rankSeed(runPrefix('spring'));
    const ranks = Array.from({ length: 10_000 }, (_, i) => rankFor(seed, i));
    expect(ranks).toEqual(Array.from({ length: 10_000 }, (_, i) => rankFor(seed, i)));
    // Half of a random sample falls below the median of the range, give or take.
    const low = ranks.filter((r) => r < 2 ** 30).length;
    expect(low).toBeGreaterThan(4_700);
    expect(low).toBeLessThan(5_300);
    // Consecutive positions are not kept together by a limit.
    const firstTenth = [...ranks.keys()].sort((a, b) => ranks[a]! - ranks[b]!).slice(0, 1000);
    expect(Math.max(...firstTenth) - Math.min(...firstTenth)).toBeGreaterThan(9_000);
    const other = rankSeed(runPrefix('autumn'));
    expect(Array.from({ length: 100 }, (_, i) => rankFor(other, i))).not.toEqual(ranks.slice(0, 100));
  });
});
