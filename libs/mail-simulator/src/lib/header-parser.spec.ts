import { decodeMimeWords, parseHeaderBlock, summarizeHeaders } from './header-parser';

describe('header parsing', () => {
  it('unfolds continuation lines and keeps the order of fields', () => {
    const fields = parseHeaderBlock('Subject: a\r\n  long one\r\nX-A: 1\r\nX-A: 2\r\n\r\nBody: no');

    expect(fields).toEqual([
      { name: 'Subject', value: 'a long one' },
      { name: 'X-A', value: '1' },
      { name: 'X-A', value: '2' },
    ]);
  });

  it('decodes B and Q encoded-words, joining adjacent ones', () => {
    expect(decodeMimeWords('=?UTF-8?Q?Caf=C3=A9_cr=C3=A8me?= =?utf-8?B?IOKCrA==?= ok')).toBe(
      'Café crème € ok',
    );
    expect(decodeMimeWords('=?ISO-8859-1?Q?=E9t=E9?=')).toBe('été');
  });

  it('summarizes identity, subject and every DKIM signature', () => {
    const summary = summarizeHeaders(
      parseHeaderBlock(
        [
          'DKIM-Signature: v=1; a=ed25519-sha256; d=a.test; s=ed;',
          '\tb=xyz',
          'DKIM-Signature: v=1; a=rsa-sha256; d=b.test; s=rsa; b=abc',
          'Message-ID: <1@a.test>',
          'Subject: Hi',
          'Auto-Submitted: auto-generated',
        ].join('\r\n'),
      ),
    );

    expect(summary).toEqual({
      messageId: '<1@a.test>',
      subject: 'Hi',
      from: undefined,
      autoSubmitted: 'auto-generated',
      dkimSignatures: [
        { domain: 'a.test', selector: 'ed' },
        { domain: 'b.test', selector: 'rsa' },
      ],
    });
  });
});
