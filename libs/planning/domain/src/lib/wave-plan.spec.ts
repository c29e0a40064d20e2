import {
  lastWaveOffsetMs,
  MAX_WAVES,
  planWaves,
  waveIndexOf,
  type Wave,
  type WaveSize,
  type WaveSpec,
} from './wave-plan';

const HOUR = 3_600_000;

const plan = (total: number, spec: WaveSpec | undefined): Wave[] => {
  const result = planWaves(total, spec);
  if (!result.ok) throw new Error(`expected a plan, got: ${result.error}`);
  return result.waves;
};
const sizes = (waves: Wave[]) => waves.map((w) => w.size);
const offsetsInHours = (waves: Wave[]) => waves.map((w) => w.offsetMs / HOUR);

const sameSize = (size: WaveSize, periodHours = 24): WaveSpec => ({ kind: 'same-size', size, periodHours });
const calendar = (...rows: [number, WaveSize][]): WaveSpec => ({
  kind: 'calendar',
  waves: rows.map(([delayHours, size]) => ({ delayHours, size })),
});

/** Every plan covers the target exactly once, in order, in non-empty waves that start in order. */
function expectWellFormed(waves: Wave[], total: number): void {
  let next = 0;
  waves.forEach((wave, i) => {
    expect(wave.index).toBe(i);
    expect(wave.first).toBe(next);
    expect(wave.size).toBeGreaterThan(0);
    expect(Number.isInteger(wave.size)).toBe(true);
    if (i > 0) expect(wave.offsetMs).toBeGreaterThanOrEqual((waves[i - 1] as Wave).offsetMs);
    next += wave.size;
  });
  expect(next).toBe(total);
}

describe('planWaves', () => {
  describe('given no wave spec', () => {
    it('when the target has messages, then they all go in one wave at the start', () => {
      expect(plan(250, undefined)).toEqual([{ index: 0, offsetMs: 0, size: 250, first: 0 }]);
    });

    it('when the target is empty, then there is no wave', () => {
      expect(plan(0, undefined)).toEqual([]);
    });
  });

  describe('given same-size waves', () => {
    it('when the size is a count, then every wave but the last has it and the last takes the remainder', () => {
      expect(plan(1000, sameSize(300, 24))).toEqual([
        { index: 0, offsetMs: 0, size: 300, first: 0 },
        { index: 1, offsetMs: 24 * HOUR, size: 300, first: 300 },
        { index: 2, offsetMs: 48 * HOUR, size: 300, first: 600 },
        { index: 3, offsetMs: 72 * HOUR, size: 100, first: 900 },
      ]);
    });

    it('when the size is 30% of 100, then the waves are 30/30/30/10', () => {
      const waves = plan(100, sameSize('30%', 2));
      expect(sizes(waves)).toEqual([30, 30, 30, 10]);
      expect(offsetsInHours(waves)).toEqual([0, 2, 4, 6]);
    });

    it('when the count divides the total, then the last wave is full', () => {
      expect(sizes(plan(900, sameSize(300)))).toEqual([300, 300, 300]);
    });

    it('when a percentage does not give a whole count, then the count rounds up', () => {
      expect(sizes(plan(10, sameSize('33%')))).toEqual([4, 4, 2]);
      expect(sizes(plan(1000, sameSize('12.5%')))).toEqual(Array(8).fill(125));
    });

    it('when the percentage times the total has float noise, then it still rounds to the exact count', () => {
      // 1000 * 14.3 / 100 is 143.00000000000003 in floating point
      expect(sizes(plan(1000, sameSize('14.3%')))).toEqual([143, 143, 143, 143, 143, 143, 142]);
    });

    it('when a percentage of a small target is below one message, then each wave still holds one', () => {
      expect(sizes(plan(5, sameSize('0.1%')))).toEqual([1, 1, 1, 1, 1]);
    });

    it('when the size is 100% or larger than the target, then there is one wave', () => {
      expect(sizes(plan(40, sameSize('100%')))).toEqual([40]);
      expect(sizes(plan(40, sameSize(500)))).toEqual([40]);
    });

    it('when the period is a fraction of an hour, then offsets are in whole milliseconds', () => {
      expect(plan(3, sameSize(1, 0.5)).map((w) => w.offsetMs)).toEqual([0, 1_800_000, 3_600_000]);
      expect(plan(2, sameSize(1, 1 / 3)).map((w) => w.offsetMs)).toEqual([0, 1_200_000]);
    });

    it('when the period is 0, then every wave starts at once', () => {
      expect(offsetsInHours(plan(3, sameSize(1, 0)))).toEqual([0, 0, 0]);
    });

    it('when the target is empty, then there is no wave', () => {
      expect(plan(0, sameSize('30%'))).toEqual([]);
    });

    it(`when the size would make ${MAX_WAVES} waves, then it is allowed; one more is refused`, () => {
      expect(plan(2 * MAX_WAVES, sameSize(2))).toHaveLength(MAX_WAVES);
      expect(planWaves(2 * MAX_WAVES + 1, sameSize(2))).toEqual({
        ok: false,
        field: 'waves.size',
        value: 2,
        error: `waves.size: makes ${MAX_WAVES + 1} waves of ${2 * MAX_WAVES + 1} messages (max ${MAX_WAVES}) (got 2)`,
      });
    });

    it.each<[unknown]>([
      [0],
      [-5],
      [1.5],
      [NaN],
      [Infinity],
      ['0%'],
      ['101%'],
      ['-10%'],
      ['30'],
      ['abc'],
      ['30 %'],
      [null],
    ])('when the size is %j, then the plan is refused naming waves.size and the value', (size) => {
      const result = planWaves(100, { kind: 'same-size', size: size as number, periodHours: 1 });
      expect(result).toEqual({
        ok: false,
        field: 'waves.size',
        value: size,
        error: expect.stringContaining('waves.size: must be a positive integer or a percentage like "30%"'),
      });
      expect(!result.ok && result.error).toContain(`(got ${JSON.stringify(size)})`);
    });

    it.each<[unknown]>([[-1], [NaN], [Infinity], ['24'], [undefined]])(
      'when the period is %j, then the plan is refused naming waves.periodHours',
      (periodHours) => {
        const result = planWaves(100, { kind: 'same-size', size: 10, periodHours: periodHours as number });
        expect(result).toMatchObject({ ok: false, field: 'waves.periodHours', value: periodHours });
        expect(!result.ok && result.error).toMatch(
          /^waves\.periodHours: must be a non-negative number of hours \(got /,
        );
      },
    );
  });

  describe('given a calendar', () => {
    it('when the rows add up to the total, then each row is a wave at its delay', () => {
      expect(plan(1000, calendar([0, 100], [24, '30%'], [48, 600]))).toEqual([
        { index: 0, offsetMs: 0, size: 100, first: 0 },
        { index: 1, offsetMs: 24 * HOUR, size: 300, first: 100 },
        { index: 2, offsetMs: 48 * HOUR, size: 600, first: 400 },
      ]);
    });

    it('when the rows add up to less than the total, then the last row takes the rest', () => {
      expect(sizes(plan(1000, calendar([0, 100], [24, 200], [48, '50%'])))).toEqual([100, 200, 700]);
      expect(sizes(plan(1000, calendar([2, '10%'])))).toEqual([1000]);
    });

    it('when the first row has a delay, then the first wave starts after it', () => {
      expect(offsetsInHours(plan(10, calendar([3, 5], [3.25, 5])))).toEqual([3, 3.25]);
    });

    it('when rows share a delay, then their waves start together', () => {
      expect(offsetsInHours(plan(10, calendar([0, 5], [0, 5])))).toEqual([0, 0]);
    });

    it('when percentages do not give whole counts, then the rounding is spread over the rows', () => {
      expect(sizes(plan(10, calendar([0, '33%'], [1, '33%'], [2, '34%'])))).toEqual([4, 3, 3]);
      expect(sizes(plan(3, calendar([0, '50%'], [1, '50%'])))).toEqual([2, 1]);
    });

    it('when a row would be empty, then it is dropped and the waves are numbered without it', () => {
      const waves = plan(10, calendar([0, 5], [1, 0], [2, 5]));
      expect(waves).toEqual([
        { index: 0, offsetMs: 0, size: 5, first: 0 },
        { index: 1, offsetMs: 2 * HOUR, size: 5, first: 5 },
      ]);
    });

    it('when the rounding leaves a middle row empty, then its messages are in the other waves', () => {
      expect(plan(5, calendar([0, '10%'], [1, '10%'], [2, '10%']))).toEqual([
        { index: 0, offsetMs: 0, size: 1, first: 0 },
        { index: 1, offsetMs: 2 * HOUR, size: 4, first: 1 },
      ]);
    });

    it('when the last row is empty but messages remain, then the last row takes them', () => {
      expect(plan(10, calendar([0, 4], [5, 0]))).toEqual([
        { index: 0, offsetMs: 0, size: 4, first: 0 },
        { index: 1, offsetMs: 5 * HOUR, size: 6, first: 4 },
      ]);
    });

    it('when the target is empty, then there is no wave', () => {
      expect(plan(0, calendar([0, '50%'], [1, '50%']))).toEqual([]);
    });

    it('when the delays go back in time, then the plan is refused naming the row', () => {
      expect(planWaves(100, calendar([0, 10], [24, 10], [12, 10]))).toEqual({
        ok: false,
        field: 'waves.waves[2].delayHours',
        value: 12,
        error: "waves.waves[2].delayHours: must not be before the previous wave's delay of 24 hours (got 12)",
      });
    });

    it.each<[unknown]>([[-1], [NaN], [Infinity], ['1'], [undefined]])(
      'when a delay is %j, then the plan is refused naming the row',
      (delayHours) => {
        const result = planWaves(100, {
          kind: 'calendar',
          waves: [
            { delayHours: 0, size: 1 },
            { delayHours: delayHours as number, size: 1 },
          ],
        });
        expect(result).toMatchObject({ ok: false, field: 'waves.waves[1].delayHours', value: delayHours });
      },
    );

    it('when percentages add up to more than 100%, then the plan is refused at the row that crosses', () => {
      expect(planWaves(1000, calendar([0, '60%'], [1, '30%'], [2, '20%'], [3, '5%']))).toEqual({
        ok: false,
        field: 'waves.waves[2].size',
        value: '20%',
        error: `waves.waves[2].size: brings the waves' percentages to 110%, above 100% (got "20%")`,
      });
    });

    it('when percentages add up to more than 100% of an empty target, then the plan is still refused', () => {
      expect(planWaves(0, calendar([0, '60%'], [1, '60%']))).toMatchObject({
        ok: false,
        field: 'waves.waves[1].size',
      });
    });

    it('when counts add up to more than the total, then the plan is refused at the row that crosses', () => {
      expect(planWaves(100, calendar([0, 60], [1, 41]))).toEqual({
        ok: false,
        field: 'waves.waves[1].size',
        value: 41,
        error: "waves.waves[1].size: brings the waves' counts to 101, above the 100 messages (got 41)",
      });
    });

    it('when counts and percentages together exceed the total, then the plan is refused', () => {
      expect(planWaves(1000, calendar([0, '50%'], [1, 501]))).toEqual({
        ok: false,
        field: 'waves.waves[1].size',
        value: 501,
        error: 'waves.waves[1].size: brings the waves to 1001 messages, above the 1000 messages (got 501)',
      });
      expect(sizes(plan(1000, calendar([0, '50%'], [1, 500])))).toEqual([500, 500]);
    });

    it('when the percentages add up to exactly 100% with decimals, then float noise does not refuse it', () => {
      expect(sizes(plan(10, calendar([0, '33.3%'], [1, '33.3%'], [2, '33.4%'])))).toEqual([4, 3, 3]);
      expect(sizes(plan(7, calendar([0, '10.1%'], [1, '20.2%'], [2, '69.7%'])))).toEqual([1, 2, 4]);
    });

    it.each<[unknown]>([[-1], [1.5], ['101%'], ['x%'], ['5'], [null]])(
      'when a row size is %j, then the plan is refused naming the row',
      (size) => {
        const result = planWaves(100, {
          kind: 'calendar',
          waves: [
            { delayHours: 0, size: 1 },
            { delayHours: 1, size: size as number },
          ],
        });
        expect(result).toEqual({
          ok: false,
          field: 'waves.waves[1].size',
          value: size,
          error: `waves.waves[1].size: must be a non-negative integer or a percentage from 0% to 100% like "30%" (got ${JSON.stringify(size)})`,
        });
      },
    );

    it('when the calendar has no rows, then the plan is refused', () => {
      expect(planWaves(10, { kind: 'calendar', waves: [] })).toEqual({
        ok: false,
        field: 'waves.waves',
        value: [],
        error: 'waves.waves: must list at least one wave (got [])',
      });
    });
  });

  describe('given an invalid total or kind', () => {
    it.each<[number]>([[-1], [1.5], [NaN]])(
      'when the total is %j, then the plan is refused naming total',
      (total) => {
        expect(planWaves(total, undefined)).toMatchObject({ ok: false, field: 'total', value: total });
      },
    );

    it('when the kind is unknown, then the plan is refused naming waves.kind', () => {
      expect(planWaves(10, { kind: 'weekly' } as unknown as WaveSpec)).toEqual({
        ok: false,
        field: 'waves.kind',
        value: 'weekly',
        error: 'waves.kind: must be "same-size" or "calendar" (got "weekly")',
      });
    });
  });

  describe('given many totals and specs', () => {
    const specs: (WaveSpec | undefined)[] = [
      undefined,
      sameSize(1),
      sameSize(7, 1),
      sameSize('1%'),
      sameSize('30%'),
      sameSize('33.3%'),
      sameSize('100%'),
      calendar([0, '10%'], [1, '20%'], [2, '30%']),
      calendar([0, 1], [1, '25%'], [1, 0], [4, '25%']),
      calendar([0, '33%'], [0.5, '33%'], [1, '34%']),
      calendar([0, 0]),
    ];

    it('when planned, then every plan covers the target exactly once in non-empty, ordered waves', () => {
      for (const spec of specs)
        for (const total of [0, 1, 2, 3, 7, 10, 99, 100, 101, 997, 1000]) {
          const result = planWaves(total, spec);
          if (!result.ok) {
            // Only fixed counts may exceed a small target.
            expect(result.field).toMatch(/^waves\.waves\[\d+\]\.size$/);
            continue;
          }
          expectWellFormed(result.waves, total);
        }
    });
  });
});

describe('waveIndexOf', () => {
  const waves = plan(1000, sameSize(300));

  it.each<[number, number]>([
    [0, 0],
    [299, 0],
    [300, 1],
    [599, 1],
    [600, 2],
    [899, 2],
    [900, 3],
    [999, 3],
  ])('given waves of 300, when the position is %d, then the wave is %d', (position, index) => {
    expect(waveIndexOf(position, waves)).toBe(index);
  });

  it.each<[number]>([[-1], [1000], [5000], [NaN]])(
    'when the position %d is outside the target, then it is -1',
    (p) => {
      expect(waveIndexOf(p, waves)).toBe(-1);
    },
  );

  it('given no waves, when looking up any position, then it is -1', () => {
    expect(waveIndexOf(0, [])).toBe(-1);
  });

  it('given an uneven calendar, when every position is looked up, then the binary search agrees with a scan', () => {
    const uneven = plan(101, calendar([0, 1], [1, 2], [2, 0], [3, 30], [4, '10%'], [9, 1]));
    for (let position = 0; position < 101; position++) {
      const scanned = uneven.findIndex((w) => position >= w.first && position < w.first + w.size);
      expect([position, waveIndexOf(position, uneven)]).toEqual([position, scanned]);
    }
  });
});

describe('lastWaveOffsetMs', () => {
  it('given no waves, then it is 0', () => {
    expect(lastWaveOffsetMs([])).toBe(0);
  });

  it('given a plan, then it is the start of its last wave', () => {
    expect(lastWaveOffsetMs(plan(1000, sameSize(300, 24)))).toBe(72 * HOUR);
    expect(lastWaveOffsetMs(plan(10, calendar([0, 5], [6, 5])))).toBe(6 * HOUR);
  });
});
