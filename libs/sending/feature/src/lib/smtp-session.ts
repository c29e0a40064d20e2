import { connect as netConnect, isIP, type Socket } from 'node:net';
import { StringDecoder } from 'node:string_decoder';
import { checkServerIdentity, connect as tlsConnect, rootCertificates } from 'node:tls';
import { domainToASCII } from 'node:url';
import type { Endpoint, TlsPolicy } from '@postwave/sending/domain';
import { smtpData, type SmtpData } from './smtp-data';

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
  /** How long the server may stay silent while we wait for a reply. */
  readonly socketMs: number;
  readonly localAddress?: string;
}

/** One reply: its code and every line as the server wrote it, joined by "\n". */
interface Reply {
  readonly code: number;
  readonly text: string;
}

/** The session's next message, announced with the data of the one before it (see `send`). */
export interface NextMessage {
  readonly mailFrom: string;
  readonly recipient: string;
  readonly message: SmtpData;
}

/**
 * The replies to commands written at once, in order: all of them, or those that came before the
 * connection failed, with the failure.
 */
interface Replies {
  readonly replies: readonly Reply[];
  readonly failure: ConnectionFailure | null;
}

/** A next message whose MAIL FROM, RCPT TO and DATA went out behind the data of the message before. */
interface Announced extends NextMessage {
  readonly replies: Promise<Replies>;
}

/**
 * The SMTP client of the sending MTA: one connection, reused for several messages (EHLO once,
 * RSET after a failed transaction), with PIPELINING (RFC 2920), STARTTLS by policy, SIZE,
 * 8BITMIME, SMTPUTF8 and per-phase timeouts.
 *
 * It replaced nodemailer's SMTPConnection on the send path: `npm run bench:smtp-client` measured
 * nodemailer's streams at about three times the CPU per 20 KB message of one socket write of a
 * message the build thread already prepared, on the event loop every outcome also has to pass through.
 */
export class SmtpSession {
  /** Set once the server closed or broke the connection; later messages need a new session. */
  dead = false;
  /** The next message's envelope, already sent: the server ends in DATA mode waiting for its data. */
  private announced: Announced | null = null;

  private constructor(
    private readonly wire: Wire,
    readonly endpoint: Endpoint,
    private readonly extensions: ReadonlySet<string>,
  ) {
    wire.onClose = () => (this.dead = true);
  }

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
      // refuses with a reply goes on in clear on the same connection.
      if (options.tls === 'opportunistic' && error instanceof ConnectionFailure && error.kind === 'tls')
        return SmtpSession.connect(endpoint, { ...options, tls: 'disabled' });
      throw error;
    }
  }

  private static async connect(endpoint: Endpoint, options: SessionOptions): Promise<SmtpSession> {
    const wire = await Wire.connect(endpoint, options);
    try {
      const greeting = await wire.read();
      wire.silenceMs(options.socketMs);
      if (greeting.code !== 220)
        throw new ConnectionFailure('unknown', `greeting: ${greeting.text}`, greeting.text);
      const mustEncrypt = options.tls === 'required' || options.tls === 'verify';
      let extensions = await SmtpSession.hello(wire, options, mustEncrypt);
      if (options.tls !== 'disabled' && (mustEncrypt || extensions.has('STARTTLS'))) {
        const answer = await wire.command('STARTTLS');
        if (answer.code === 220) {
          await wire.upgrade(endpoint, options);
          extensions = await SmtpSession.hello(wire, options, true);
        } else if (answer.code === 421) {
          // The server is closing on us, maybe to slow us down: its reply counts, not our TLS policy.
          throw new ConnectionFailure('tls', `STARTTLS: ${answer.text}`, answer.text);
        } else if (mustEncrypt) {
          // It answers our TLS policy, not our mail: kept as the reply, a 5xx would read as a permanent refusal.
          throw new ConnectionFailure('tls', `ETLS: STARTTLS: ${answer.text}`, null);
        }
      }
      return new SmtpSession(wire, endpoint, extensions);
    } catch (error) {
      wire.destroy();
      throw error;
    }
  }

  /** EHLO, or HELO when the server refuses it and nothing needs an extension. */
  private static async hello(wire: Wire, options: SessionOptions, needsEhlo: boolean): Promise<Set<string>> {
    const ehlo = await wire.command(`EHLO ${options.heloName}`);
    if (ehlo.code === 250) return extensionsOf(ehlo);
    if (ehlo.code === 421) throw new ConnectionFailure('unknown', `EHLO: ${ehlo.text}`, ehlo.text);
    // HELO has no STARTTLS: a server that refuses EHLO cannot meet a TLS requirement.
    if (needsEhlo) throw new ConnectionFailure('tls', `ETLS: EHLO: ${ehlo.text}`, null);
    const helo = await wire.command(`HELO ${options.heloName}`);
    if (helo.code !== 250) throw new ConnectionFailure('unknown', `HELO: ${helo.text}`, helo.text);
    return new Set();
  }

  /**
   * Sends one message to one recipient. IDN domains go out as A-labels, so only a non-ASCII local
   * part needs SMTPUTF8 (RFC 6531); to a server that does not offer it, such an address is rejected
   * here with 553 5.6.7 instead of being sent as raw UTF-8 the server never agreed to read.
   * `message` is the message as built, or already prepared for DATA (`smtpData`).
   *
   * With PIPELINING, `next` is asked for the session's next message once the server has said 354:
   * its MAIL FROM, RCPT TO and DATA then go out in the same write as this message's data (RFC 2920
   * §3.1 lets message content open a group), so each message costs one round trip instead of two,
   * on both sides of the connection. The caller then must send exactly that message next, or close
   * the session: the server waits for its data, and closing drops the connection instead of
   * ending with QUIT (which would be read as message content, never delivered without its final dot).
   */
  async send(
    mailFrom: string,
    recipient: string,
    message: Buffer | SmtpData,
    next?: () => NextMessage | null,
  ): Promise<SendResult> {
    const prepared = Buffer.isBuffer(message) ? smtpData(message) : message;
    const announced = this.announced;
    this.announced = null;
    if (
      announced &&
      (announced.message !== prepared || announced.mailFrom !== mailFrom || announced.recipient !== recipient)
    ) {
      // The server waits for the data of the message announced: only dropping the connection ends that.
      this.dead = true;
      this.wire.destroy();
      throw new ConnectionFailure('reset', 'ECONNRESET: the session had announced another message', null);
    }
    const envelope = announced ? null : this.envelope(mailFrom, recipient, prepared);
    if (envelope && !Array.isArray(envelope)) return envelope;
    if (this.dead) throw new ConnectionFailure('reset', 'ECONNRESET: the connection is closed', null);
    try {
      const replies: Reply[] = [];
      if (announced || this.extensions.has('PIPELINING')) {
        // RFC 2920: the envelope and DATA in one write (or behind the previous message's data); the
        // replies come back in order.
        const pending = await (announced ? announced.replies : this.wire.commands(envelope!));
        replies.push(...pending.replies);
        // A server that refuses with 421 closes before answering the rest: its refusal is the answer.
        if (pending.failure && !replies.some((earlier) => earlier.code >= 400)) throw pending.failure;
      } else {
        for (const command of envelope!) {
          const reply = await this.wire.command(command);
          replies.push(reply);
          if (command !== 'DATA' && reply.code >= 300) break;
        }
      }
      const [mail, rcpt, data] = replies;
      const refusal = [mail, rcpt].find((reply) => reply && reply.code >= 300);
      if (refusal || !data || data.code !== 354) {
        // A server that said 354 anyway gets an empty message, which it must refuse for want of recipients.
        if (data?.code === 354) await this.wire.command('.');
        return await this.rejected(refusal ?? data ?? mail!, true);
      }
      const following = next && this.extensions.has('PIPELINING') ? this.announceable(next()) : null;
      let final: Reply;
      if (following) {
        const [reply, envelopeReplies] = this.wire.writeThen(prepared.data, following.commands);
        const { mailFrom, recipient, message } = following.next;
        this.announced = { mailFrom, recipient, message, replies: envelopeReplies };
        final = await reply;
      } else {
        final = await this.wire.write(prepared.data);
      }
      if (final.code >= 200 && final.code < 300) return { kind: 'accepted', reply: final.text };
      // The reply to the data ends the transaction (RFC 5321 §4.1.1.4): nothing is left to reset.
      return await this.rejected(final, false);
    } catch (error) {
      this.dead = true;
      this.wire.destroy();
      throw error;
    }
  }

  /** MAIL FROM, RCPT TO and DATA for a message, or its rejection when it cannot be sent here. */
  private envelope(mailFrom: string, recipient: string, prepared: SmtpData): string[] | SendResult {
    const from = withAsciiDomain(mailFrom);
    const to = withAsciiDomain(recipient);
    const needsUtf8 = [from, to].filter((address) => NON_ASCII.test(address));
    if (needsUtf8.length > 0 && !this.extensions.has('SMTPUTF8')) {
      const reply = `553 5.6.7 SMTPUTF8 is required for <${needsUtf8.join('>, <')}>, but ${this.endpoint.host} does not offer it`;
      return { kind: 'rejected', reply, code: 553 };
    }
    let params = '';
    if (this.extensions.has('SIZE')) params += ` SIZE=${prepared.size}`;
    if (prepared.eightBit && this.extensions.has('8BITMIME')) params += ' BODY=8BITMIME';
    if (needsUtf8.length > 0) params += ' SMTPUTF8';
    return [`MAIL FROM:<${from}>${params}`, `RCPT TO:<${to}>`, 'DATA'];
  }

  /** The next message's envelope, when it can go out now; one this session refuses waits for its turn. */
  private announceable(next: NextMessage | null): { next: NextMessage; commands: string[] } | null {
    if (!next) return null;
    const envelope = this.envelope(next.mailFrom, next.recipient, next.message);
    return Array.isArray(envelope) ? { next, commands: envelope } : null;
  }

  /**
   * A refused transaction: the session goes on (after RSET when the transaction is still open)
   * unless the server is closing it (421).
   */
  private async rejected(reply: Reply, open: boolean): Promise<SendResult> {
    const result: SendResult = { kind: 'rejected', reply: reply.text, code: reply.code || null };
    if (reply.code === 421 || this.wire.closed) {
      this.dead = true;
      this.wire.destroy();
      return result;
    }
    if (!open) return result;
    const reset = await this.wire.command('RSET').catch(() => null);
    if (!reset || reset.code !== 250) {
      this.dead = true;
      this.wire.destroy();
    }
    return result;
  }

  close(): void {
    this.dead = true;
    // A server waiting for an announced message's data would read QUIT as part of it.
    if (this.announced) this.wire.destroy();
    else this.wire.quit();
  }
}

const NON_ASCII = /[^\x00-\x7f]/;

/** The EHLO keywords (upper case), without their parameters. */
function extensionsOf(ehlo: Reply): Set<string> {
  const keywords = new Set<string>();
  for (const line of ehlo.text.split('\n').slice(1)) {
    const keyword = line.slice(4).trim().split(/\s+/)[0];
    if (keyword) keywords.add(keyword.toUpperCase());
  }
  return keywords;
}

/** The address with an internationalized domain written as A-labels (punycode); other addresses as given. */
function withAsciiDomain(address: string): string {
  const at = address.lastIndexOf('@');
  const domain = address.slice(at + 1);
  if (at < 0 || !NON_ASCII.test(domain)) return address;
  // An invalid IDN stays as written: it then needs SMTPUTF8 like any other non-ASCII address.
  const ascii = domainToASCII(domain);
  return ascii ? `${address.slice(0, at)}@${ascii}` : address;
}

/** Unread text and lines a peer may leave waiting: far beyond any real reply, small enough to hold. */
const MAX_UNREAD = 64 * 1024;
const MAX_UNREAD_LINES = 1000;
const PROTOCOL_ABUSE = 'the server sent more than 64 KiB without a line end, or 1,000 lines nobody asked for';

interface Waiter {
  resolve(reply: Reply): void;
  reject(failure: ConnectionFailure): void;
}

/**
 * Waiters for the replies to `count` commands, settling one promise (that never rejects) once all
 * have come or the connection failed: one promise per group of pipelined commands, not one per
 * command, on a path every message takes.
 */
function collect(count: number, waiters: Waiter[]): Promise<Replies> {
  return new Promise<Replies>((resolve) => {
    const replies: Reply[] = [];
    let settled = false;
    const waiter: Waiter = {
      resolve(reply) {
        replies.push(reply);
        if (replies.length === count) {
          settled = true;
          resolve({ replies, failure: null });
        }
      },
      reject(failure) {
        if (settled) return;
        settled = true;
        resolve({ replies, failure });
      },
    };
    for (let i = 0; i < count; i++) waiters.push(waiter);
  });
}

/**
 * The connection itself: writes commands, reads replies in order (a multi-line reply is one reply)
 * and turns every socket-level failure into one ConnectionFailure for everything still waiting.
 */
class Wire {
  closed = false;
  onClose: (() => void) | null = null;
  private decoder = new StringDecoder('utf8');
  private buffered = '';
  private lines: string[] = [];
  private readonly waiters: Waiter[] = [];
  private failure: ConnectionFailure | null = null;

  private constructor(
    private socket: Socket,
    /** How long the server may stay silent while a reply is awaited: the greeting's time at first. */
    private replyMs: number,
  ) {
    this.listen(socket);
  }

  silenceMs(ms: number): void {
    this.replyMs = ms;
    this.socket.setTimeout(ms);
  }

  static connect(endpoint: Endpoint, options: SessionOptions): Promise<Wire> {
    return new Promise((resolve, reject) => {
      const socket = netConnect({
        host: endpoint.address ?? endpoint.host,
        port: endpoint.port,
        ...(options.localAddress ? { localAddress: options.localAddress } : {}),
      });
      socket.setNoDelay(true);
      const timer = setTimeout(() => {
        socket.destroy();
        reject(
          new ConnectionFailure('timeout', `ETIMEDOUT: no connection within ${options.connectMs} ms`, null),
        );
      }, options.connectMs);
      const failed = (error: NodeJS.ErrnoException) => {
        clearTimeout(timer);
        reject(socketFailure(error));
      };
      socket.once('error', failed);
      socket.once('connect', () => {
        clearTimeout(timer);
        socket.off('error', failed);
        resolve(new Wire(socket, options.greetingMs));
      });
    });
  }

  /** The next reply. */
  read(): Promise<Reply> {
    return new Promise<Reply>((resolve, reject) => {
      if (this.failure) return reject(this.failure);
      this.waiters.push({ resolve, reject });
      this.drain();
    });
  }

  command(line: string): Promise<Reply> {
    return this.write(`${line}\r\n`);
  }

  /** Writes the lines at once; their replies come in order, in one settlement. */
  commands(lines: readonly string[]): Promise<Replies> {
    if (this.failure) return Promise.resolve({ replies: [], failure: this.failure });
    const replies = collect(lines.length, this.waiters);
    this.socket.write(`${lines.join('\r\n')}\r\n`);
    this.drain();
    return replies;
  }

  /** Writes prepared message data (or a command line) and returns the reply to it. */
  write(data: Buffer | string): Promise<Reply> {
    const reply = this.read();
    if (!this.failure) this.socket.write(data);
    return reply;
  }

  /**
   * Writes prepared message data and the lines after it at once (one writev, no copy), and returns
   * the reply to the data, then the lines' replies (see `commands`).
   */
  writeThen(data: Buffer, lines: readonly string[]): [Promise<Reply>, Promise<Replies>] {
    this.socket.cork();
    try {
      return [this.write(data), this.commands(lines)];
    } finally {
      this.socket.uncork();
    }
  }

  /** STARTTLS accepted: the same connection goes on encrypted, checked per the policy. */
  upgrade(endpoint: Endpoint, options: SessionOptions): Promise<void> {
    const plain = this.socket;
    plain.removeAllListeners('data');
    plain.removeAllListeners('close');
    plain.removeAllListeners('error');
    plain.removeAllListeners('timeout');
    plain.setTimeout(0);
    plain.on('error', () => undefined);
    const verify = options.tls === 'verify';
    // The MX host's name, not the address dialled for it: that is what its certificate names.
    const name = endpoint.host;
    return new Promise((resolve, reject) => {
      const secure = tlsConnect({
        socket: plain,
        ...(isIP(name) ? {} : { servername: name }),
        rejectUnauthorized: verify,
        ...(verify
          ? {
              checkServerIdentity: (_host: string, cert) => checkServerIdentity(name, cert),
              // Node replaces its roots with `ca`: the extra authorities join them instead.
              ...(options.ca ? { ca: [...rootCertificates, options.ca] } : {}),
            }
          : {}),
      });
      const timer = setTimeout(
        () =>
          failed(
            Object.assign(new Error(`TLS handshake took over ${this.replyMs} ms`), { code: 'ETIMEDOUT' }),
          ),
        this.replyMs,
      );
      const failed = (error: NodeJS.ErrnoException) => {
        clearTimeout(timer);
        secure.destroy();
        this.closed = true;
        const failure =
          error.code === 'ETIMEDOUT'
            ? new ConnectionFailure('timeout', `ETIMEDOUT: ${error.message}`, null)
            : new ConnectionFailure('tls', `${error.code ?? 'ETLS'}: ${error.message}`, null);
        this.failure = failure;
        reject(failure);
      };
      secure.once('error', failed);
      secure.once('secureConnect', () => {
        clearTimeout(timer);
        secure.off('error', failed);
        this.socket = secure;
        this.decoder = new StringDecoder('utf8');
        this.listen(secure);
        resolve();
      });
      // Whatever came in clear after the 220 is dropped, never read as an answer once encrypted
      // (the STARTTLS command injection of CVE-2011-0411, from the other side).
      this.buffered = '';
      this.lines = [];
    });
  }

  /** QUIT, then the connection closes whatever the server answers. */
  quit(): void {
    if (this.closed) return;
    const socket = this.socket;
    this.failure ??= new ConnectionFailure('reset', 'ECONNRESET: the session was closed', null);
    socket.end('QUIT\r\n');
    setTimeout(() => socket.destroy(), this.replyMs).unref();
  }

  destroy(): void {
    this.failure ??= new ConnectionFailure('reset', 'ECONNRESET: the session was closed', null);
    this.socket.destroy();
  }

  private listen(socket: Socket): void {
    // The socket's own inactivity timer: restarted by every byte either way, cheaper than a timer per reply.
    socket.setTimeout(this.replyMs);
    socket.on('timeout', () => {
      if (this.waiters.length === 0) return;
      this.fail(new ConnectionFailure('timeout', `ETIMEDOUT: no reply within ${this.replyMs} ms`, null));
      socket.destroy();
    });
    socket.on('data', (chunk: Buffer) => this.received(chunk));
    socket.on('error', (error: NodeJS.ErrnoException) => this.fail(socketFailure(error)));
    socket.on('close', () =>
      this.fail(new ConnectionFailure('reset', 'ECONNRESET: the server closed the connection', null)),
    );
  }

  private received(chunk: Buffer): void {
    this.buffered += this.decoder.write(chunk);
    // RFC 5321 allows 512 octets per reply line; a peer that streams without end is cut off.
    if (this.buffered.length > MAX_UNREAD || this.lines.length > MAX_UNREAD_LINES) {
      this.fail(new ConnectionFailure('unknown', `EPROTO: ${PROTOCOL_ABUSE}`, null));
      this.socket.destroy();
      return;
    }
    let eol = this.buffered.indexOf('\n');
    if (eol < 0) return;
    let from = 0;
    do {
      const end = eol > from && this.buffered.charCodeAt(eol - 1) === 13 ? eol - 1 : eol;
      this.lines.push(this.buffered.slice(from, end));
      from = eol + 1;
      eol = this.buffered.indexOf('\n', from);
    } while (eol >= 0);
    this.buffered = this.buffered.slice(from);
    this.drain();
  }

  /** Hands complete replies to their waiters: a reply ends on a line whose fourth character is not "-". */
  private drain(): void {
    while (this.waiters.length > 0) {
      const last = this.lines.findIndex((line) => line.charCodeAt(3) !== 45 /* - */);
      if (last < 0) return;
      const lines = this.lines.splice(0, last + 1);
      const code = Number(lines[lines.length - 1]!.slice(0, 3));
      const reply = { code: Number.isInteger(code) ? code : 0, text: lines.join('\n') };
      this.waiters.shift()!.resolve(reply);
    }
  }

  private fail(failure: ConnectionFailure): void {
    if (!this.closed) {
      this.closed = true;
      this.onClose?.();
    }
    this.failure ??= failure;
    for (const waiter of this.waiters.splice(0)) waiter.reject(this.failure);
  }
}

function socketFailure(error: NodeJS.ErrnoException): ConnectionFailure {
  const code = error.code ?? '';
  const kind: ConnectionFailureKind =
    code === 'ECONNREFUSED' || code === 'EHOSTUNREACH' || code === 'ENETUNREACH'
      ? 'refused'
      : code === 'ETIMEDOUT'
        ? 'timeout'
        : /^ERR_(SSL|TLS)_/.test(code)
          ? 'tls'
          : code === 'ECONNRESET' || code === 'EPIPE'
            ? 'reset'
            : 'unknown';
  return new ConnectionFailure(kind, `${code || 'error'}: ${error.message}`, null);
}
