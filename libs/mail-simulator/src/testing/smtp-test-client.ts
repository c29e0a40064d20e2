import { connect as netConnect } from 'node:net';
import SMTPConnection from 'nodemailer/lib/smtp-connection';

/** What a sender learns from one transaction; SMTP refusals are data here, not exceptions. */
export interface SendOutcome {
  accepted: string[];
  /** Full reply per rejected recipient, as nodemailer reports it. */
  rejected: Record<string, string>;
  /** Final reply after DATA, or the reply that ended the transaction. */
  response?: string;
  responseCode?: number;
  errorCode?: string;
}

/** A real client (nodemailer 10 SMTPConnection, pipelining) for driving the simulator in tests. */
export class TestSmtpClient {
  private closed: Promise<void>;

  private constructor(private readonly connection: SMTPConnection) {
    this.closed = new Promise((resolve) => connection.once('end', () => resolve()));
  }

  static connect(port: number, name = 'client.test'): Promise<TestSmtpClient> {
    const connection = new SMTPConnection({
      host: '127.0.0.1',
      port,
      name,
      ignoreTLS: true,
      socketCloseTimeout: 500,
    });
    const client = new TestSmtpClient(connection);
    return new Promise((resolve, reject) => {
      connection.once('error', reject);
      connection.connect((err) => (err ? reject(err) : resolve(client)));
    });
  }

  send(from: string, to: string[], raw: string, dsn?: SMTPConnection.DSNOptions): Promise<SendOutcome> {
    return new Promise((resolve) => {
      this.connection.send({ from, to, dsn }, raw, (err, info) => {
        if (info) {
          const rejected = Object.fromEntries(
            (info.rejectedErrors ?? []).map((e) => [String(e.recipient), String(e.response)]),
          );
          return resolve({ accepted: info.accepted, rejected, response: info.response, responseCode: 250 });
        }
        const e = err as
          | (Error & { response?: string; responseCode?: number; code?: string; rejectedErrors?: unknown[] })
          | null;
        const rejected = Object.fromEntries(
          ((e?.rejectedErrors ?? []) as Array<{ recipient: string; response: string }>).map((r) => [
            r.recipient,
            r.response,
          ]),
        );
        // After a failed transaction nodemailer needs RSET before the next MAIL.
        const result = {
          accepted: [],
          rejected,
          response: e?.response,
          responseCode: e?.responseCode,
          errorCode: e?.code,
        };
        if (this.connection.destroyed || e?.responseCode === 421) return resolve(result);
        this.connection.reset(() => resolve(result));
      });
    });
  }

  async close(): Promise<void> {
    this.connection.quit();
    await this.closed;
  }

  /** Waits until the server has closed the connection (e.g. after a 421). */
  ended(): Promise<void> {
    return this.closed;
  }
}

/** A message with the given headers and a short body. */
export function testMessage(headers: Record<string, string> = {}): string {
  const all = {
    From: 'sender@postwave.test',
    To: 'rcpt@example.sim',
    Subject: 'Hello',
    'Message-ID': '<m1@postwave.test>',
    ...headers,
  };
  return Object.entries(all)
    .map(([k, v]) => `${k}: ${v}`)
    .join('\r\n')
    .concat('\r\n\r\nHello from the test.\r\n');
}

/**
 * Speaks SMTP over a bare socket and returns each reply exactly as it came on the wire,
 * multi-line replies included: what nodemailer shows is already reformatted.
 */
export function rawDialogue(port: number, commands: string[]): Promise<string[]> {
  return new Promise((resolve, reject) => {
    const socket = netConnect(port, '127.0.0.1');
    const replies: string[] = [];
    let buffer = '';
    let next = 0;
    socket.setEncoding('utf8');
    socket.on('error', reject);
    socket.on('close', () => resolve(replies));
    socket.on('data', (data: string) => {
      buffer += data;
      // A reply is complete at a line whose 4th character is a space (RFC 5321 §4.2).
      let end: RegExpExecArray | null;
      while ((end = /(^|\r\n)\d{3} [^\r\n]*\r\n/.exec(buffer))) {
        const length = end.index + end[0].length;
        replies.push(buffer.slice(0, length).replace(/\r\n$/, ''));
        buffer = buffer.slice(length);
        const command = commands[next++];
        if (command === undefined) socket.end();
        else socket.write(command + '\r\n');
      }
    });
  });
}
