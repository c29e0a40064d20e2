import SMTPConnection from 'nodemailer/lib/smtp-connection';
import type { Endpoint } from '@postwave/sending/domain';

export type ConnectionFailureKind = 'refused' | 'timeout' | 'tls' | 'reset' | 'unknown';

export class ConnectionFailure extends Error {
  constructor(
    readonly kind: ConnectionFailureKind,
    readonly detail: string,
    /** The server's reply when it refused us with one (e.g. a 421 or 554 greeting). */
    readonly reply: string | null,
  ) {
    super(detail);
  }
}

export type SendResult =
  { kind: 'accepted'; reply: string } | { kind: 'rejected'; reply: string; code: number | null };

export interface SessionOptions {
  readonly heloName: string;
  readonly tls: 'disabled' | 'opportunistic' | 'required';
  readonly connectMs: number;
  readonly greetingMs: number;
  readonly socketMs: number;
  readonly localAddress?: string;
}

/** One SMTP connection, reused for several messages: EHLO once, RSET after a failed transaction. */
export class SmtpSession {
  /** Set once the server closed or broke the connection; later messages need a new session. */
  dead = false;

  private constructor(
    private readonly connection: SMTPConnection,
    readonly endpoint: Endpoint,
  ) {}

  static open(endpoint: Endpoint, options: SessionOptions): Promise<SmtpSession> {
    const connection = new SMTPConnection({
      host: endpoint.address ?? endpoint.host,
      ...(endpoint.address ? { servername: endpoint.host } : {}),
      port: endpoint.port,
      name: options.heloName,
      secure: false,
      ignoreTLS: options.tls === 'disabled',
      requireTLS: options.tls === 'required',
      opportunisticTLS: options.tls === 'opportunistic',
      tls: { rejectUnauthorized: false },
      connectionTimeout: options.connectMs,
      greetingTimeout: options.greetingMs,
      socketTimeout: options.socketMs,
      ...(options.localAddress ? { localAddress: options.localAddress } : {}),
    });
    return new Promise((resolve, reject) => {
      let settled = false;
      connection.once('error', (error: NodeJS.ErrnoException & { response?: string }) => {
        if (settled) return;
        settled = true;
        reject(toConnectionFailure(error));
      });
      connection.connect(() => {
        settled = true;
        connection.on('error', () => undefined);
        resolve(new SmtpSession(connection, endpoint));
      });
    });
  }

  send(mailFrom: string, recipient: string, raw: Buffer): Promise<SendResult> {
    return new Promise((resolve, reject) => {
      this.connection.send({ from: mailFrom, to: [recipient] }, raw, (error, info) => {
        if (!error) return resolve({ kind: 'accepted', reply: info?.response ?? '250' });
        const failed = error as NodeJS.ErrnoException & {
          response?: string;
          responseCode?: number;
          rejectedErrors?: Array<{ response?: string; responseCode?: number }>;
        };
        const rejected = failed.rejectedErrors?.[0];
        const reply = rejected?.response ?? failed.response;
        if (!reply) {
          this.dead = true;
          return reject(toConnectionFailure(failed));
        }
        const code = rejected?.responseCode ?? failed.responseCode ?? null;
        // 421 means the server is closing the channel: the session is over, not just the transaction.
        if (code === 421 || this.connection.destroyed) {
          this.dead = true;
          return resolve({ kind: 'rejected', reply, code });
        }
        // A failed transaction leaves the session usable once it is reset.
        this.connection.reset((resetError) => {
          if (resetError) this.dead = true;
          resolve({ kind: 'rejected', reply, code });
        });
      });
    });
  }

  close(): void {
    try {
      this.connection.quit();
    } catch {
      this.connection.close();
    }
  }
}

function toConnectionFailure(error: NodeJS.ErrnoException & { response?: string }): ConnectionFailure {
  // nodemailer replaces the system error code with its own (ESOCKET) and keeps the original.
  const code = (error as { originalCode?: string }).originalCode ?? error.code ?? '';
  const kind: ConnectionFailureKind =
    code === 'ECONNREFUSED' || code === 'EHOSTUNREACH' || code === 'ENETUNREACH'
      ? 'refused'
      : code === 'ETIMEDOUT' || /timeout/i.test(error.message)
        ? 'timeout'
        : code === 'ETLS' || /tls|certificate|ssl/i.test(error.message)
          ? 'tls'
          : code === 'ECONNRESET' || code === 'EPIPE'
            ? 'reset'
            : 'unknown';
  return new ConnectionFailure(kind, `${code || 'error'}: ${error.message}`, error.response ?? null);
}
