import { isPermanent, parseSmtpReply } from './smtp-reply';

describe('parseSmtpReply', () => {
  it('splits a single-line reply into code, enhanced code and text', () => {
    expect(parseSmtpReply('550 5.1.1 <jdoe@example.com>: User unknown')).toEqual({
      code: 550,
      enhanced: '5.1.1',
      text: '<jdoe@example.com>: User unknown',
      raw: '550 5.1.1 <jdoe@example.com>: User unknown',
    });
  });

  it('joins a multi-line reply, dropping the code prefix of every line', () => {
    const raw =
      '550-5.1.1 The email account that you tried to reach does not exist. Please try\r\n' +
      "550-5.1.1 double-checking the recipient's email address.\r\n" +
      '550 5.1.1  https://support.google.com/mail/?p=NoSuchUser - gsmtp';
    const reply = parseSmtpReply(raw);
    expect(reply).toMatchObject({ code: 550, enhanced: '5.1.1', raw });
    expect(reply.text).toBe(
      'The email account that you tried to reach does not exist. Please try ' +
        "double-checking the recipient's email address. https://support.google.com/mail/?p=NoSuchUser - gsmtp",
    );
  });

  it('handles bare LF and bare CR line breaks', () => {
    expect(parseSmtpReply('421-mx busy\n421 try later').text).toBe('mx busy try later');
    expect(parseSmtpReply('421-mx busy\r421 try later').text).toBe('mx busy try later');
  });

  it('reads the same multi-line reply flattened onto one line, with escaped breaks or spaces', () => {
    const expected =
      'The email account that you tried to reach does not exist. Please try ' +
      "double-checking the recipient's email address. https://support.google.com/mail/?p=NoSuchUser - gsmtp";
    const escaped =
      '550-5.1.1 The email account that you tried to reach does not exist. Please try\\r\\n' +
      "550-5.1.1 double-checking the recipient's email address.\\n" +
      '550 5.1.1  https://support.google.com/mail/?p=NoSuchUser - gsmtp';
    expect(parseSmtpReply(escaped)).toMatchObject({ code: 550, enhanced: '5.1.1', text: expected });
    const spaced =
      '550-5.1.1 The email account that you tried to reach does not exist. Please try ' +
      "550-5.1.1 double-checking the recipient's email address. " +
      '550 5.1.1  https://support.google.com/mail/?p=NoSuchUser - gsmtp';
    expect(parseSmtpReply(spaced)).toMatchObject({ code: 550, enhanced: '5.1.1', text: expected });
  });

  it('leaves enhanced null when the reply has none', () => {
    expect(parseSmtpReply('550 Requested action not taken: mailbox unavailable')).toMatchObject({
      code: 550,
      enhanced: null,
      text: 'Requested action not taken: mailbox unavailable',
    });
  });

  it('finds an enhanced code embedded in the text, qmail style', () => {
    expect(
      parseSmtpReply("553 sorry, that domain isn't in my list of allowed rcpthosts (#5.7.1)").enhanced,
    ).toBe('5.7.1');
  });

  it('never reads an IP address or a Yahoo trace id as an enhanced code', () => {
    expect(parseSmtpReply('554 Client host [5.2.2.10] blocked').enhanced).toBeNull();
    expect(
      parseSmtpReply('421 [TSS04] deferred - 4.16.55.1; see https://postmaster.yahooinc.com').enhanced,
    ).toBeNull();
  });

  it('strips a nested callout reply of the same code', () => {
    expect(parseSmtpReply('550-Callout verification failed:\r\n550 550 5.1.1 User unknown')).toMatchObject({
      code: 550,
      enhanced: '5.1.1',
      text: 'Callout verification failed: User unknown',
    });
  });

  it.each([
    ['smtp; 550 5.1.1 <jdoe@example.com>: User unknown'],
    [
      'host mx.example.com[198.51.100.9] said: 550 5.1.1 <jdoe@example.com>: User unknown (in reply to RCPT TO command)',
    ],
    ["Remote Server returned '550 5.1.1 <jdoe@example.com>: User unknown'"],
  ])('unwraps the reply from a DSN diagnostic: %s', (raw) => {
    expect(parseSmtpReply(raw)).toMatchObject({ code: 550, enhanced: '5.1.1' });
  });

  it('returns nulls and the trimmed text for garbage', () => {
    expect(parseSmtpReply('  Connection timed out  ')).toEqual({
      code: null,
      enhanced: null,
      text: 'Connection timed out',
      raw: '  Connection timed out  ',
    });
    expect(parseSmtpReply('')).toEqual({ code: null, enhanced: null, text: '', raw: '' });
  });

  it('reads the reply in the Diagnostic-Code field of a pasted DSN block, with Status as its enhanced code', () => {
    for (const block of [
      'Action: failed\r\nStatus: 5.0.0\r\nDiagnostic-Code: smtp; 550 Requested action not taken: mailbox unavailable',
      'Action: failed\\r\\nStatus: 5.0.0\\r\\nDiagnostic-Code: smtp; 550 Requested action not taken: mailbox unavailable',
    ]) {
      expect(parseSmtpReply(block)).toMatchObject({
        code: 550,
        enhanced: '5.0.0',
        text: 'Requested action not taken: mailbox unavailable',
      });
    }
    expect(
      parseSmtpReply('Status: 5.2.2\r\nDiagnostic-Code: X-Unix; mail.local: Disc quota exceeded'),
    ).toMatchObject({
      code: null,
      enhanced: '5.2.2',
      text: 'mail.local: Disc quota exceeded',
    });
  });

  it('does not take a non-SMTP number for a reply code', () => {
    expect(parseSmtpReply('123 go').code).toBeNull();
    expect(parseSmtpReply('6000 messages').code).toBeNull();
  });
});

describe('isPermanent', () => {
  it('is true for 5xx and false for 4xx replies', () => {
    expect(isPermanent('550 5.1.1 User unknown')).toBe(true);
    expect(isPermanent('452 4.2.2 Mailbox full')).toBe(false);
  });

  it('falls back to the enhanced code when the basic code is missing', () => {
    expect(isPermanent("Sorry, I couldn't find any host named example.invalid. (#5.1.2)")).toBe(true);
  });

  it('treats garbage as not permanent so the caller retries', () => {
    expect(isPermanent('Connection reset by peer')).toBe(false);
  });

  it('accepts a parsed reply', () => {
    expect(isPermanent(parseSmtpReply('421 Service not available'))).toBe(false);
  });
});
