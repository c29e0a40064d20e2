import { extractMimePart } from './mime-part';

const report = [
  'From: MAILER-DAEMON@mx.example.net',
  'Content-Type: multipart/report; report-type=delivery-status;',
  '\tboundary="B1"',
  '',
  '--B1',
  'Content-Type: text/plain',
  '',
  'Your message could not be delivered.',
  '--B1',
  'Content-Type: message/delivery-status',
  'Content-Description: Delivery report',
  '',
  'Reporting-MTA: dns; mx.example.net',
  '',
  'Final-Recipient: rfc822; ada@example.net',
  'Action: failed',
  'Status: 5.1.1',
  '',
  '--B1--',
].join('\r\n');

describe('report parts in raw mail', () => {
  it('finds the delivery-status part by content type', () => {
    expect(extractMimePart(report, 'message/delivery-status')).toBe(
      'Reporting-MTA: dns; mx.example.net\r\n\r\nFinal-Recipient: rfc822; ada@example.net\r\nAction: failed\r\nStatus: 5.1.1',
    );
  });

  it('returns null when the message has no such part', () => {
    expect(extractMimePart(report, 'message/feedback-report')).toBeNull();
  });
});
