import type { SMTPServer, SMTPServerError, SMTPServerSession } from 'smtp-server';

/** A reply as the simulator wants it on the wire, placeholders already filled in. */
export interface SmtpReply {
  code: number;
  /** RFC 3463 enhanced status code, or null: some providers (Yahoo) send replies without one. */
  enhanced: string | null;
  /** One entry per reply line; more than one gives a multi-line reply (`550-5.1.1 …`). */
  lines: string[];
}

/** The reply lines without the code, each prefixed by the enhanced code as RFC 2034 wants. */
function wireLines(reply: SmtpReply): string[] {
  return reply.lines.map((line) => (reply.enhanced ? `${reply.enhanced} ${line}` : line));
}

/** The reply as one line, e.g. for a DSN Diagnostic-Code or a log entry. */
export function replyText(reply: SmtpReply): string {
  return [String(reply.code), reply.enhanced, ...reply.lines].filter(Boolean).join(' ');
}

type Send = (code: number, data?: string | string[] | null, context?: string | false) => void;

/**
 * smtp-server derives the enhanced status code from the reply code alone (550 → 5.1.1,
 * 421 → 4.4.2, 554 → 5.6.0) whenever a handler fails, and err.message is one line. The
 * simulator must mimic providers exactly (550 5.5.0, 421 4.7.28, multi-line Gmail replies),
 * so it primes the exact reply for the session and wraps the connection's public send():
 * when the primed reply goes out it is sent with context `false`, which smtp-server documents
 * as "no enhanced code of its own", and the lines carry ours.
 */
export class ReplyChannel {
  private readonly primed = new WeakMap<SMTPServerSession, SmtpReply>();

  /** Wraps send() of the connection that owns `session`; false when it cannot be found. */
  attach(server: SMTPServer, session: SMTPServerSession): boolean {
    for (const connection of server.connections) {
      if (connection.session !== session) continue;
      const original: Send = connection.send.bind(connection);
      connection.send = (code, data, context) => {
        const reply = this.primed.get(session);
        if (reply && reply.code === code) {
          this.primed.delete(session);
          const lines = wireLines(reply);
          return original(code, lines.length === 1 ? lines[0] : lines, false);
        }
        return original(code, data, context);
      };
      return true;
    }
    return false;
  }

  /** The error to hand to a smtp-server callback so that `reply` goes out verbatim. */
  reject(session: SMTPServerSession, reply: SmtpReply): SMTPServerError {
    this.primed.set(session, reply);
    const err: SMTPServerError = new Error(reply.lines.join(' '));
    err.responseCode = reply.code;
    return err;
  }

  /** The message to hand to the onData callback so that a 2xx `reply` goes out verbatim. */
  accept(session: SMTPServerSession, reply: SmtpReply): string {
    this.primed.set(session, reply);
    return reply.lines.join(' ');
  }
}
