import { resolveContactDate } from './contact-date';

const instant = (local: string, timeZone?: string): string => {
  const result = resolveContactDate(local, timeZone);
  if (!result.ok) throw new Error(`expected ${local} in ${timeZone} to resolve, got: ${result.error}`);
  return result.at.toISOString();
};

describe('resolveContactDate', () => {
  describe('given Europe/Stockholm', () => {
    it('when the date is in winter (CET, +01:00), then 09:00 local is 08:00Z', () => {
      expect(instant('2026-12-01T09:00', 'Europe/Stockholm')).toBe('2026-12-01T08:00:00.000Z');
    });

    it('when the date is in summer (CEST, +02:00), then 09:00 local is 07:00Z', () => {
      expect(instant('2026-07-01T09:00:00', 'Europe/Stockholm')).toBe('2026-07-01T07:00:00.000Z');
    });

    it('when seconds and fractions are given, then they are kept to the millisecond', () => {
      expect(instant('2026-07-01T09:15:42', 'Europe/Stockholm')).toBe('2026-07-01T07:15:42.000Z');
      expect(instant('2026-07-01T09:15:42.5', 'Europe/Stockholm')).toBe('2026-07-01T07:15:42.500Z');
      expect(instant('2026-07-01T09:15:42.123456', 'Europe/Stockholm')).toBe('2026-07-01T07:15:42.123Z');
    });

    it('when the time falls in the spring-forward gap (02:00-03:00 on 29 March), then it moves forward by an hour', () => {
      expect(instant('2026-03-29T01:59', 'Europe/Stockholm')).toBe('2026-03-29T00:59:00.000Z');
      expect(instant('2026-03-29T02:30', 'Europe/Stockholm')).toBe('2026-03-29T01:30:00.000Z'); // 03:30 CEST
      expect(instant('2026-03-29T03:00', 'Europe/Stockholm')).toBe('2026-03-29T01:00:00.000Z');
    });

    it('when the time exists twice (02:00-03:00 on 25 October), then the earlier instant is taken', () => {
      expect(instant('2026-10-25T02:30', 'Europe/Stockholm')).toBe('2026-10-25T00:30:00.000Z'); // CEST
      expect(instant('2026-10-25T03:00', 'Europe/Stockholm')).toBe('2026-10-25T02:00:00.000Z'); // CET
    });
  });

  describe('given America/New_York', () => {
    it('when the date is in winter (EST) or summer (EDT), then the offset is -05:00 or -04:00', () => {
      expect(instant('2026-01-15T09:00', 'America/New_York')).toBe('2026-01-15T14:00:00.000Z');
      expect(instant('2026-06-15T09:00', 'America/New_York')).toBe('2026-06-15T13:00:00.000Z');
    });

    it('when the time falls in the gap (02:00-03:00 on 8 March 2026), then it moves forward by the gap', () => {
      expect(instant('2026-03-08T01:59', 'America/New_York')).toBe('2026-03-08T06:59:00.000Z');
      expect(instant('2026-03-08T02:00', 'America/New_York')).toBe('2026-03-08T07:00:00.000Z'); // 03:00 EDT
      expect(instant('2026-03-08T02:30', 'America/New_York')).toBe('2026-03-08T07:30:00.000Z'); // 03:30 EDT
      expect(instant('2026-03-08T02:59:59', 'America/New_York')).toBe('2026-03-08T07:59:59.000Z');
      expect(instant('2026-03-08T03:30', 'America/New_York')).toBe('2026-03-08T07:30:00.000Z');
    });

    it('when the time exists twice (01:00-02:00 on 1 November 2026), then the earlier (EDT) instant is taken', () => {
      expect(instant('2026-11-01T00:59', 'America/New_York')).toBe('2026-11-01T04:59:00.000Z');
      expect(instant('2026-11-01T01:00', 'America/New_York')).toBe('2026-11-01T05:00:00.000Z');
      expect(instant('2026-11-01T01:30', 'America/New_York')).toBe('2026-11-01T05:30:00.000Z'); // not 06:30Z (EST)
      expect(instant('2026-11-01T02:00', 'America/New_York')).toBe('2026-11-01T07:00:00.000Z');
    });
  });

  describe('given zones with unusual offsets', () => {
    it('when the zone is Asia/Kolkata (+05:30, no DST), then the half hour is kept', () => {
      expect(instant('2026-12-01T09:00', 'Asia/Kolkata')).toBe('2026-12-01T03:30:00.000Z');
      expect(instant('2026-06-01T00:15', 'Asia/Kolkata')).toBe('2026-05-31T18:45:00.000Z');
    });

    it('when the zone is Asia/Kathmandu (+05:45), then the quarter hour is kept', () => {
      expect(instant('2026-12-01T09:00', 'Asia/Kathmandu')).toBe('2026-12-01T03:15:00.000Z');
    });

    it('when the zone is Australia/Lord_Howe with a 30-minute DST gap, then the time moves forward by 30 minutes', () => {
      // 02:00 +10:30 becomes 02:30 +11:00 on 4 October 2026
      expect(instant('2026-10-04T02:15', 'Australia/Lord_Howe')).toBe('2026-10-03T15:45:00.000Z'); // 02:45 +11
    });

    it('when a whole day was skipped (Pacific/Apia, 30 December 2011), then the time moves forward by the day', () => {
      expect(instant('2011-12-30T10:00', 'Pacific/Apia')).toBe('2011-12-30T20:00:00.000Z'); // 31 Dec 10:00 +14
    });

    it('when the local time crosses midnight in UTC, then the date changes accordingly', () => {
      expect(instant('2026-01-01T00:30', 'Europe/Stockholm')).toBe('2025-12-31T23:30:00.000Z');
      expect(instant('2026-02-28T21:00', 'America/New_York')).toBe('2026-03-01T02:00:00.000Z');
    });
  });

  describe('given no time zone', () => {
    it('when the local time has no offset, then it is read as UTC', () => {
      expect(instant('2026-12-01T09:00')).toBe('2026-12-01T09:00:00.000Z');
      expect(instant('2026-12-01T09:00', 'UTC')).toBe('2026-12-01T09:00:00.000Z');
      expect(instant('2026-12-01T09:00', 'Etc/UTC')).toBe('2026-12-01T09:00:00.000Z');
    });

    it('when the date is in a leap year, then 29 February is valid', () => {
      expect(instant('2028-02-29T12:00')).toBe('2028-02-29T12:00:00.000Z');
    });

    it('when the year is below 100, then it is not mistaken for 19xx', () => {
      expect(instant('0050-06-01T00:00')).toBe('0050-06-01T00:00:00.000Z');
    });
  });

  describe('given an explicit offset', () => {
    it.each<[string, string]>([
      ['2026-12-01T09:00Z', '2026-12-01T09:00:00.000Z'],
      ['2026-12-01T09:00:00Z', '2026-12-01T09:00:00.000Z'],
      ['2026-12-01T09:00+05:30', '2026-12-01T03:30:00.000Z'],
      ['2026-12-01T09:00:00-08:00', '2026-12-01T17:00:00.000Z'],
      ['2026-12-01T09:00-0330', '2026-12-01T12:30:00.000Z'],
      ['2026-12-01T09:00+01', '2026-12-01T08:00:00.000Z'],
      ['2026-12-01T09:00:00.250+00:00', '2026-12-01T09:00:00.250Z'],
      ['2026-03-29T02:30+01:00', '2026-03-29T01:30:00.000Z'],
    ])('when the value is %s, then it is taken as is, whatever the zone (%s)', (local, expected) => {
      expect(instant(local, 'America/New_York')).toBe(expected);
      expect(instant(local, 'Asia/Kolkata')).toBe(expected);
    });
  });

  describe('given an invalid time zone', () => {
    it.each<[string]>([['Mars/Olympus_Mons'], ['Europe/Stockholmm'], [''], ['+05:30'], ['Local']])(
      'when the zone is %j, then it is refused naming timeZone and the value',
      (timeZone) => {
        expect(resolveContactDate('2026-12-01T09:00', timeZone)).toEqual({
          ok: false,
          field: 'timeZone',
          value: timeZone,
          error: `timeZone: must be an IANA time zone like "Europe/Stockholm" or "UTC" (got ${JSON.stringify(timeZone)})`,
        });
      },
    );

    it('when the date has its own offset, then the invalid zone is still refused', () => {
      expect(resolveContactDate('2026-12-01T09:00Z', 'Nowhere/City')).toMatchObject({
        ok: false,
        field: 'timeZone',
      });
    });
  });

  describe('given a malformed contact date', () => {
    const malformed =
      'must be an ISO 8601 date and time like "2026-12-01T09:00" or "2026-12-01T09:00:00+01:00"';

    it.each<[string]>([
      [''],
      ['tomorrow'],
      ['2026-12-01'],
      ['2026-12-01 09:00'],
      ['2026-12-01T9:00'],
      ['2026-12-01T09'],
      ['26-12-01T09:00'],
      ['2026-12-01T09:00:00+5:30'],
      ['2026-12-01T09:00 Z'],
      ['2026-12-01T09:00:00Europe/Stockholm'],
      [' 2026-12-01T09:00'],
    ])('when the value is %j, then it is refused naming contactDate', (local) => {
      expect(resolveContactDate(local, 'Europe/Stockholm')).toEqual({
        ok: false,
        field: 'contactDate',
        value: local,
        error: `contactDate: ${malformed} (got ${JSON.stringify(local)})`,
      });
    });

    it.each<[string]>([
      ['2026-13-01T09:00'],
      ['2026-00-10T09:00'],
      ['2026-02-29T09:00'],
      ['2026-04-31T09:00'],
      ['2026-12-00T09:00'],
      ['2026-12-01T24:00'],
      ['2026-12-01T09:60'],
      ['2026-12-01T09:00:60'],
      ['0000-01-01T00:00'],
    ])('when the value %j is not a real date or time, then it is refused naming contactDate', (local) => {
      expect(resolveContactDate(local, 'Europe/Stockholm')).toEqual({
        ok: false,
        field: 'contactDate',
        value: local,
        error: `contactDate: is not a valid calendar date and time (got ${JSON.stringify(local)})`,
      });
    });

    it('when the offset is out of range, then it is refused naming contactDate', () => {
      expect(resolveContactDate('2026-12-01T09:00+24:00')).toEqual({
        ok: false,
        field: 'contactDate',
        value: '2026-12-01T09:00+24:00',
        error: 'contactDate: has an invalid UTC offset (got "2026-12-01T09:00+24:00")',
      });
      expect(resolveContactDate('2026-12-01T09:00+05:60')).toMatchObject({ ok: false, field: 'contactDate' });
    });
  });
});
