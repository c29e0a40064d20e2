import { parseDeliveryStatus } from './delivery-status';
import { isAutoReply, qualifyComplaint, qualifyDsnRecipient } from './qualify-inbound';
import { quarantineFor } from './quarantine';

const postfixDsn = [
  'Reporting-MTA: dns; mail.example.net',
  'X-Postfix-Queue-ID: 4Q1',
  'Arrival-Date: Mon, 2 Mar 2026 10:00:00 +0000',
  '',
  'Final-Recipient: rfc822; ada@example.net',
  'Original-Recipient: rfc822;ada@example.net',
  'Action: failed',
  'Status: 5.1.1',
  'Remote-MTA: dns; mx.example.net',
  'Diagnostic-Code: smtp; 550 5.1.1 <ada@example.net>: Recipient address',
  '    rejected: User unknown in virtual mailbox table',
  '',
].join('\r\n');

describe('asynchronous bounce qualification', () => {
  it('reads each recipient block of an RFC 3464 report, folded lines included', () => {
    expect(parseDeliveryStatus(postfixDsn)).toEqual({
      reportingMta: 'mail.example.net',
      recipients: [
        {
          finalRecipient: 'ada@example.net',
          originalRecipient: 'ada@example.net',
          action: 'failed',
          status: '5.1.1',
          diagnosticCode:
            '550 5.1.1 <ada@example.net>: Recipient address rejected: User unknown in virtual mailbox table',
        },
      ],
    });
  });

  it('qualifies a failed DSN from its diagnostic reply', () => {
    const [recipient] = parseDeliveryStatus(postfixDsn).recipients;
    expect(qualifyDsnRecipient(recipient!)?.qualification).toMatchObject({
      type: 'Hard',
      reason: 'UserUnknown',
    });
  });

  it('falls back to the status code when there is no diagnostic', () => {
    const result = qualifyDsnRecipient({
      finalRecipient: 'a@b.c',
      originalRecipient: null,
      action: 'failed',
      status: '5.2.2',
      diagnosticCode: null,
    });
    expect(result?.qualification).toMatchObject({ reason: 'MailboxFull', type: 'Soft' });
  });

  it('never treats a delay notice as hard, and ignores delivered notices', () => {
    const delayed = qualifyDsnRecipient({
      finalRecipient: 'a@b.c',
      originalRecipient: null,
      action: 'delayed',
      status: '5.1.1',
      diagnosticCode: null,
    });
    expect(delayed?.qualification.type).toBe('Soft');
    expect(
      qualifyDsnRecipient({
        finalRecipient: 'a@b.c',
        originalRecipient: null,
        action: 'delivered',
        status: '2.0.0',
        diagnosticCode: null,
      }),
    ).toBeNull();
  });

  it('counts a complaint as a hard failure on the denylist reason', () => {
    expect(qualifyComplaint('abuse').qualification).toMatchObject({
      type: 'Hard',
      reason: 'Denylisted',
      reasonCode: 8,
    });
  });

  it('recognizes auto-replies by header and by subject', () => {
    expect(isAutoReply(new Map([['auto-submitted', 'auto-replied']]), 'Re: news')).toBe(true);
    expect(isAutoReply(new Map(), 'Out of Office: back Monday')).toBe(true);
    expect(isAutoReply(new Map([['auto-submitted', 'no']]), 'Re: your order')).toBe(false);
  });
});

describe('quarantine', () => {
  const failure = { address: 'ada@example.net', messageId: 'm1', deliveryId: 'd1', at: 'now' };

  it('quarantines an address at once on a hard bounce', () => {
    expect(quarantineFor({ ...failure, failureType: 'Hard', reason: 'UserUnknown' })).toMatchObject({
      type: 'postwave.address.quarantined.v1',
      subject: 'ada@example.net',
    });
  });

  it('leaves the address alone on soft failures and on failures that are not the address', () => {
    expect(quarantineFor({ ...failure, failureType: 'Soft', reason: 'MailboxFull' })).toBeNull();
    expect(quarantineFor({ ...failure, failureType: 'Hard', reason: 'PersonalizationError' })).toBeNull();
  });
});
