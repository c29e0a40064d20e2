import { Writable, type Readable } from 'node:stream';
import type { SMTPServerSession } from 'smtp-server';
import { MessageInspector } from './message-inspector';

export interface Received {
  inspector: MessageInspector;
  /** Set when the .eml could not be written; the message was still read to its end. */
  sinkError?: Error;
}

/** A sink for when no inbox is kept: the body is counted, then forgotten. */
export function discardingSink(): Writable {
  return new Writable({ write: (_chunk, _enc, done) => done() });
}

/**
 * Reads the DATA stream to its end through the inspector into `sink`. A failing sink does
 * not stop the reading (smtp-server waits for the end of the message before it can reply);
 * a client that disconnects mid-message rejects.
 */
export function receiveMessage(source: Readable, sink: Writable): Promise<Received> {
  const inspector = new MessageInspector();
  return new Promise((resolve, reject) => {
    let sinkError: Error | undefined;
    source.once('error', reject);
    sink.once('finish', () => resolve({ inspector }));
    sink.once('error', (err: Error) => {
      sinkError = err;
      inspector.unpipe(sink);
      if (inspector.readableEnded) return resolve({ inspector, sinkError });
      inspector.on('data', () => undefined); // keep draining
      inspector.once('end', () => resolve({ inspector, sinkError }));
    });
    source.pipe(inspector).pipe(sink);
  });
}

/** Trace headers a final delivery adds (RFC 5321 §4.4), so the .eml shows the envelope. */
export function traceHeaders(session: SMTPServerSession, hostname: string, id: string, date: Date): string {
  const from = session.envelope.mailFrom ? session.envelope.mailFrom.address : '';
  const rcpts = session.envelope.rcptTo.map((r) => r.address);
  const helo = session.hostNameAppearsAs || 'unknown';
  return [
    `Return-Path: <${from}>`,
    ...rcpts.map((r) => `Delivered-To: ${r}`),
    `Received: from ${helo} ([${session.remoteAddress}])`,
    `\tby ${hostname} (Postwave mailbox simulator) with ${session.transmissionType || 'ESMTP'} id ${id}`,
    `\tfor <${rcpts[0] ?? ''}>; ${date.toUTCString().replace('GMT', '+0000')}`,
    '',
  ].join('\r\n');
}
