import { domainToASCII } from 'node:url';
import SMTPConnection from 'nodemailer/lib/smtp-connection';
import { rootCertificates } from 'node:tls';
import type { Endpoint, TlsPolicy } from '@postwave/sending/domain';
import { stuffingTransform } from './smtp-data';

/**
 * nodemailer's SMTPConnection, with its DATA stream's transparency done by `stuffChunk` (native
 * scans, same output) instead of a JavaScript loop over every byte of every message.
 */
class Connection extends SMTPConnection {}
const createSendStream = (SMTPConnection.prototype as unknown as SendStreamFactory)._createSendStream;
if (typeof createSendStream !== 'function')
  throw new Error('nodemailer SMTPConnection has no _createSendStream');
(Connection.prototype as unknown as SendStreamFactory)._createSendStream = function (
  this: SMTPConnection,
  ...args: unknown[]
) {
  const stream = createSendStream.apply(this, args);
  stream._transform = stuffingTransform;
  return stream;
};
interface SendStreamFactory {
  _createSendStream(this: SMTPConnection, ...args: unknown[]): { _transform: unknown };
}

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
  readonly tls: TlsPolicy;
  /** With `verify`: certificate authorities (PEM) trusted besides the system's. */
  readonly ca?: string | null;
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

  /**
   * Connects, greets and negotiates STARTTLS per `options.tls`. Under `opportunistic` and `required`
   * certificates are not verified (as between MTAs: an MX's certificate rarely matches its name), so
   * `required` means encrypted, not authenticated; `verify` also needs a certificate that chains to
   * a trusted authority and names the MX host (RFC 8461's "enforce"), else the attempt is a TLS failure.
   */
  static async open(endpoint: Endpoint, options: SessionOptions): Promise<SmtpSession> {
    try {
      return await SmtpSession.connect(endpoint, options);
    } catch (error) {
      // Opportunistic TLS never costs the delivery: a server whose TLS handshake breaks gets the
      // message in clear on a new connection (Exim's tls_tempfail_tryclear). A STARTTLS the server
      // refuses with a reply already goes on in clear within nodemailer.
      if (options.tls === 'opportunistic' && error instanceof ConnectionFailure && error.kind === 'tls')
        return SmtpSession.connect(endpoint, { ...options, tls: 'disabled' });
      throw error;
    }
  }

  private static connect(endpoint: Endpoint, options: SessionOptions): Promise<SmtpSession> {
    const connection = new Connection({
      host: endpoint.address ?? endpoint.host,
      ...(endpoint.address ? { servername: endpoint.host } : {}),
      port: endpoint.port,
      name: options.heloName,
      secure: false,
      ignoreTLS: options.tls === 'disabled',
      requireTLS: options.tls === 'required' || options.tls === 'verify',
      opportunisticTLS: options.tls === 'opportunistic',
      tls:
        options.tls === 'verify'
          ? {
              rejectUnauthorized: true,
              // Node replaces its roots with `ca`: the extra authorities join them instead.
              ...(options.ca ? { ca: [...rootCertificates, options.ca] } : {}),
            }
          : { rejectUnauthorized: false },
      connectionTimeout: options.connectMs,
      greetingTimeout: options.greetingMs,
      socketTimeout: options.socketMs,
      ...(options.localAddress ? { localAddress: options.localAddress } : {}),
    });
    return new Promise((resolve, reject) => {
      let settled = false;
      connection.once('error', (error: NodemailerError) => {
        if (settled) return;
        settled = true;
        reject(toConnectionFailure(error, options.tls));
      });
      // A server that hangs up before its greeting fails the connect callback instead of emitting 'error'.
      connection.connect((error) => {
        if (settled) return;
        settled = true;
        if (error) {
          connection.close();
          return reject(toConnectionFailure(error, options.tls));
        }
        connection.on('error', () => undefined);
        resolve(new SmtpSession(connection, endpoint));
      });
    });
  }

  /**
   * Sends one message to one recipient. IDN domains go out as A-labels, so only a non-ASCII local
   * part needs SMTPUTF8 (RFC 6531); to a server that does not offer it, such an address is rejected
   * here with 553 5.6.7 instead of being sent as raw UTF-8 the server never agreed to read.
   */
  send(mailFrom: string, recipient: string, raw: Buffer): Promise<SendResult> {
    const from = withAsciiDomain(mailFrom);
    const to = withAsciiDomain(recipient);
    const needsUtf8 = [from, to].filter((address) => NON_ASCII.test(address));
    if (needsUtf8.length > 0 && !this.offers('SMTPUTF8')) {
      const reply = `553 5.6.7 SMTPUTF8 is required for <${needsUtf8.join('>, <')}>, but ${this.endpoint.host} does not offer it`;
      return Promise.resolve({ kind: 'rejected', reply, code: 553 });
    }
    return new Promise((resolve, reject) => {
      this.connection.send({ from, to: [to] }, raw, (error, info) => {
        if (!error) return resolve({ kind: 'accepted', reply: info?.response ?? '250' });
        const failed = error as NodemailerError & {
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

  /**
   * Whether the server's last EHLO announced `extension`. nodemailer keeps the list it decides
   * MAIL FROM's parameters by, after STARTTLS or its refusal, but does not type it.
   */
  private offers(extension: string): boolean {
    const announced = (this.connection as unknown as { _supportedExtensions?: unknown })._supportedExtensions;
    return Array.isArray(announced) && announced.includes(extension);
  }

  close(): void {
    try {
      this.connection.quit();
    } catch {
      this.connection.close();
    }
  }
}

type NodemailerError = NodeJS.ErrnoException & { response?: string; command?: string };

const NON_ASCII = /[^\x00-\x7f]/;

/** The address with an internationalized domain written as A-labels (punycode); other addresses as given. */
function withAsciiDomain(address: string): string {
  const at = address.lastIndexOf('@');
  const domain = address.slice(at + 1);
  if (at < 0 || !NON_ASCII.test(domain)) return address;
  // An invalid IDN stays as written: it then needs SMTPUTF8 like any other non-ASCII address.
  const ascii = domainToASCII(domain);
  return ascii ? `${address.slice(0, at)}@${ascii}` : address;
}

function toConnectionFailure(error: NodemailerError, tls?: SessionOptions['tls']): ConnectionFailure {
  // nodemailer replaces the system error code with its own (ESOCKET) and keeps the original.
  const code = (error as { originalCode?: string }).originalCode ?? error.code ?? '';
  const kind = failureKind(error, code, tls);
  // A refused STARTTLS (or an EHLO refusal under required TLS) answers our TLS policy, not our mail:
  // kept as the reply, a 5xx there would read as the server refusing the message for good. A 421 is
  // kept whatever it answered: the server is closing on us, maybe to slow us down.
  const response = error.response ?? null;
  const reply = kind === 'tls' && !response?.startsWith('421') ? null : response;
  return new ConnectionFailure(kind, `${code || 'error'}: ${error.message}`, reply);
}

function failureKind(
  error: NodemailerError,
  code: string,
  tls?: SessionOptions['tls'],
): ConnectionFailureKind {
  if (code === 'ECONNREFUSED' || code === 'EHOSTUNREACH' || code === 'ENETUNREACH') return 'refused';
  if (code === 'ETIMEDOUT' || /timeout/i.test(error.message)) return 'timeout';
  if (isTlsFailure(error, code, tls)) return 'tls';
  if (code === 'ECONNRESET' || code === 'EPIPE') return 'reset';
  return 'unknown';
}

function isTlsFailure(error: NodemailerError, code: string, tls?: SessionOptions['tls']): boolean {
  // nodemailer's own STARTTLS failures, and node:tls's handshake errors.
  if (error.code === 'ETLS' || error.command === 'STARTTLS' || /^ERR_(SSL|TLS)_/.test(code)) return true;
  // HELO has no STARTTLS, so a server that refuses EHLO (but not with 421, which closes) cannot meet required TLS.
  if (
    (tls === 'required' || tls === 'verify') &&
    error.command === 'EHLO' &&
    !/^421/.test(error.response ?? '')
  )
    return true;
  // Without a reply, the error's own words tell (a socket dropped mid-handshake); with one, the reply is the server's.
  return !error.response && /tls|certificate|ssl/i.test(error.message);
}
