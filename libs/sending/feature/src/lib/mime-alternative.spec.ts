import MailComposer from 'nodemailer/lib/mail-composer';
import MimeNode from 'nodemailer/lib/mime-node';
import { seededRandom } from '@postwave/fixtures/random';
import { encodeQuotedPrintableBytes } from '@postwave/sending/domain';
import { composeAlternative, encodeField, type AlternativeHeaders } from './mime-alternative';

const partHead =
  'Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n';

const part = (type: string, body: string) =>
  Buffer.from(
    `Content-Type: ${type}; charset=utf-8\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n${body}`,
  );

/** What MailComposer builds for the same fields and raw parts. */
function composed(fields: AlternativeHeaders, text: Buffer, html: Buffer): Promise<Buffer> {
  return new MailComposer({
    from: fields.from,
    to: fields.to,
    ...(fields.replyTo ? { replyTo: fields.replyTo } : {}),
    subject: fields.subject,
    text: { raw: text },
    html: { raw: html },
    messageId: fields.messageId,
    headers: { ...fields.headers },
    date: fields.date!,
    baseBoundary: fields.baseBoundary!,
  })
    .compile()
    .build();
}

describe('composeAlternative', () => {
  const base: AlternativeHeaders = {
    from: { name: 'Shop Weekly', address: 'news@shop.example' },
    to: 'r1@bench.example',
    subject: 'Your weekly picks, Reader1',
    messageId: '<m1.inst@shop.example>',
    headers: {
      'X-Postwave-Message-Id': 'm1',
      'Feedback-ID': 'd1:postwave:shop.example',
      'List-Unsubscribe': '<mailto:unsubscribe+m1@bounce.shop.example>, <https://u.shop.example/u/abc>',
      'List-Unsubscribe-Post': 'List-Unsubscribe=One-Click',
    },
    date: new Date('2026-11-27T10:00:00Z'),
    baseBoundary: 'fixed-seed',
  };
  const text = part('text/plain', 'Hello Reader1=2C this week=E2=80=99s picks');
  const html = part('text/html', '<p>Hello Reader1</p>=\r\n<p>more</p>');

  it.each<[string, Partial<AlternativeHeaders>]>([
    ['plain ASCII fields', {}],
    [
      'a sender name and subject that need encoded words and folding',
      {
        from: { name: 'Böcker & Co, "Malmö"', address: 'news@shop.example' },
        subject:
          'Årets största rea – välj bland hundratals böcker innan söndag, Åsa, med fri frakt hela veckan',
      },
    ],
    ['a reply-to address and a bare sender', { from: 'news@shop.example', replyTo: 'help@shop.example' }],
    ['an internationalized recipient domain', { to: 'anna@bücher.example' }],
    [
      'a long ASCII subject with punctuation and a sender name with a comma',
      {
        from: { name: 'Shop, Inc. "Weekly"', address: 'news@shop.example' },
        subject: `Re: [Weekly] 50% off; "quoted" words: ${'and more words '.repeat(8)}end`,
      },
    ],
    ['an emoji subject and a UTF-8 local part', { subject: 'Din rea 🎉 börjar nu', to: 'åsa@example.se' }],
    [
      'a long List-Unsubscribe',
      {
        headers: {
          ...base.headers,
          'List-Unsubscribe': `<mailto:${'u'.repeat(90)}@x.example>, <https://x.example/${'t'.repeat(120)}>`,
        },
      },
    ],
  ])('writes what MailComposer writes, with %s', async (_name, change) => {
    const fields = { ...base, ...change };
    const mine = composeAlternative(fields, [text, html]);
    expect(mine.toString('latin1')).toBe((await composed(fields, text, html)).toString('latin1'));
  });

  it('writes CRLF line breaks only, whatever line breaks the fields and the encoded bodies were given', () => {
    const message = composeAlternative(
      {
        from: { name: 'Shop\r\nWeekly\n', address: 'news@shop.example' },
        to: 'ada@example.com',
        subject: 'Line\none\rtwo\r\nthree, and a subject long enough to be folded at seventy-six columns',
        messageId: '<m1@shop.example>',
        headers: { 'X-Note': 'a\nb', 'List-Unsubscribe': '<mailto:u@shop.example>' },
      },
      [
        encodeQuotedPrintableBytes('bare\rCR, bare\nLF, \r\nCRLF and a line ending in spaces  \n', partHead),
        encodeQuotedPrintableBytes('<p>\r\r\n\n</p>', partHead),
      ],
    ).toString('latin1');

    expect(message).toMatch(/\r\n\r\n/);
    expect(message.match(/\r(?!\n)|(?<!\r)\n/g)).toBeNull();
  });

  it('dates and separates every message on its own without fixed seeds', () => {
    const { date: _date, baseBoundary: _seed, ...fields } = base;
    const [a, b] = [composeAlternative(fields, [text, html]), composeAlternative(fields, [text, html])];
    const boundary = (raw: Buffer) => /boundary="([^"]+)"/.exec(raw.toString('latin1'))?.[1];
    expect(boundary(a)).toBeDefined();
    expect(boundary(a)).not.toBe(boundary(b));
    expect(a.toString('latin1')).toMatch(/^Date: \w{3}, \d{2} \w{3} \d{4} \d{2}:\d{2}:\d{2} \+0000$/m);
    expect(a.toString('latin1')).toMatch(new RegExp(`\r\n--${boundary(a)}--\r\n$`));
  });

  describe('encodeField', () => {
    const nodemailer = (key: string, value: Parameters<typeof encodeField>[1]) =>
      MimeNode.encodeHeaderValue(key, value);
    const FIELDS = [
      'From',
      'To',
      'reply-to',
      'Subject',
      'Message-ID',
      'X-Postwave-Message-Id',
      'Feedback-ID',
      'List-Unsubscribe',
      'List-Unsubscribe-Post',
      'Content-Type',
      'References',
    ];

    it.each([
      'r1@bench.example',
      'First.Last+tag@mail.example.org',
      'ada@Example.COM',
      'ada@Example.com',
      'ada@xn--bcher-kva.example',
      'ada@bücher.example',
      'åsa@example.se',
      'ada@example.123',
      'ada@example.com.',
      'ada@[192.0.2.1]',
      '"quoted local"@example.com',
      'a..b@example.com',
      '.ada@example.com',
      'ada@-example.com',
      'Ada Lovelace <ada@example.com>',
      'ada@example.com, bob@example.com',
      'Your weekly picks, Reader1',
      'Say "hello"',
      'Encoded-looking =?utf-8?q?x?= text',
      'a=?b',
      // An encoded word broken by a space: nodemailer encodes the whole text.
      '=?iso-8859-1?q?a b?=',
      '  leading and trailing  ',
      'tab\there',
      'line\r\nbreak',
      'bell\u0007',
      'Rea 🎉 nu',
      '<m1.inst@shop.example>',
      'm1.inst@shop.example',
      '<with space@x>',
      '<mailto:unsubscribe+m1@bounce.shop.example>, <https://u.shop.example/u/abc>',
      'List-Unsubscribe=One-Click',
      '',
      'x'.repeat(200),
    ])('writes %j in every field as nodemailer does', (value) => {
      for (const key of FIELDS) expect([key, encodeField(key, value)]).toEqual([key, nodemailer(key, value)]);
    });

    it('writes sender objects and dates as nodemailer does, twice in a row', () => {
      for (const value of [
        { name: 'Shop Weekly', address: 'news@shop.example' },
        { name: 'Böcker & Co, "Malmö"', address: 'news@bücher.example' },
        new Date('2026-11-27T10:00:00Z'),
      ])
        for (const key of ['From', 'Reply-To', 'Date'])
          for (let round = 0; round < 2; round++)
            expect([key, round, encodeField(key, value)]).toEqual([key, round, nodemailer(key, value)]);
    });

    it('agrees with nodemailer on random values', () => {
      const next = seededRandom(2047);
      const alphabet = [
        'a',
        'Z',
        '0',
        '.',
        '@',
        '-',
        ' ',
        '"',
        '=',
        '?',
        '<',
        '>',
        ',',
        'é',
        'xn--',
        '\t',
        '_',
      ];
      for (let round = 0; round < 3000; round++) {
        const value = Array.from({ length: 1 + next(24) }, () => alphabet[next(alphabet.length)]).join('');
        const key = FIELDS[next(FIELDS.length)]!;
        expect([key, value, encodeField(key, value)]).toEqual([key, value, nodemailer(key, value)]);
      }
    });
  });
});
