import { createServer, type Socket } from 'node:net';
import {
  connect as tlsConnect,
  createSecureContext,
  createServer as createTlsServer,
  TLSSocket,
} from 'node:tls';
import { qualifyConnectionFailure } from '@postwave/bounce-rules';
import { selfSignedCertificate, testAuthority } from '@postwave/fixtures/tls';
import { SMTPServer } from 'smtp-server';
import { ConnectionFailure, SmtpSession, type SessionOptions } from './smtp-session';

const FROM = 'b+m1.abcdefabcdef@bounces.postwave.test';
const TO = 'ada@example.test';
const RAW = Buffer.from('From: news@shop.example\r\nTo: ada@example.test\r\nSubject: Hi\r\n\r\nHello.\r\n');

const base: Omit<SessionOptions, 'tls'> = {
  heloName: 'mta.postwave.test',
  connectMs: 2000,
  greetingMs: 2000,
  socketMs: 5000,
};

interface Received {
  secure: boolean;
  mailFrom: string | false;
  recipients: string[];
}

const closers: Array<() => Promise<void>> = [];
const sessions: SmtpSession[] = [];

/** An smtp-server MX on a loopback port that offers STARTTLS with `cert` unless `starttls` is false. */
async function receiver(tls: { key: string; cert: string }, starttls: boolean) {
  const received: Received[] = [];
  const secured: boolean[] = [];
  const server = new SMTPServer({
    logger: false,
    disableReverseLookup: true, // loopback only: no DNS query for the client's name
    authOptional: true,
    closeTimeout: 200,
    disabledCommands: starttls ? ['AUTH'] : ['AUTH', 'STARTTLS'],
    key: tls.key,
    cert: tls.cert,
    onSecure(_socket, session, callback) {
      secured.push(session.secure);
      callback();
    },
    onData(stream, session, callback) {
      stream.resume();
      stream.on('end', () => {
        received.push({
          secure: session.secure,
          mailFrom: session.envelope.mailFrom && session.envelope.mailFrom.address,
          recipients: session.envelope.rcptTo.map((rcpt) => rcpt.address),
        });
        callback(null, '2.0.0 Ok: queued');
      });
    },
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  closers.push(() => new Promise<void>((resolve) => server.close(() => resolve())));
  return { port: (server.server.address() as { port: number }).port, received, secured };
}

/**
 * A hand-written MX for the STARTTLS answers smtp-server cannot give: it records each connection's
 * commands and answers STARTTLS as told ("garbage": 220, then bytes that are not TLS; "inject": 220
 * with two more replies slipped in clear behind it, then a real handshake with `tls`, after which
 * it answers over TLS and says so when it queues a message).
 */
async function scriptedServer(script: {
  ehlo: string;
  starttls: 'garbage' | 'inject' | string;
  tls?: { key: string; cert: string };
}) {
  const connections: string[][] = [];
  const sockets = new Set<Socket>();
  const server = createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => undefined);
    const commands: string[] = [];
    connections.push(commands);
    let buffer = '';
    let inData = false;
    let upgrading = false;
    let out: Socket = socket;
    const startTls = () => {
      socket.off('data', received);
      out = new TLSSocket(socket, { isServer: true, secureContext: createSecureContext(script.tls) });
      out.on('error', () => undefined);
      out.on('data', received);
    };
    const received = (chunk: Buffer) => {
      if (upgrading) return;
      buffer += chunk.toString('latin1');
      for (let eol = buffer.indexOf('\r\n'); eol >= 0; eol = buffer.indexOf('\r\n')) {
        const line = buffer.slice(0, eol);
        buffer = buffer.slice(eol + 2);
        if (inData) {
          if (line === '.') {
            inData = false;
            out.write(`250 2.0.0 Ok: queued${out === socket ? '' : ' over TLS'}\r\n`);
          }
          continue;
        }
        commands.push(line);
        const verb = line.split(/[ :]/)[0]!.toUpperCase();
        if (verb === 'EHLO') out.write(script.ehlo);
        else if (verb === 'STARTTLS' && script.starttls === 'garbage') {
          upgrading = true;
          socket.write('220 2.0.0 Ready to start TLS\r\n');
          setTimeout(() => socket.end('this is not a TLS record\r\n'), 20);
        } else if (verb === 'STARTTLS' && script.starttls === 'inject') {
          socket.write('220 2.0.0 Ready to start TLS\r\n250-injected\r\n250 2.0.0 injected\r\n');
          startTls();
          return;
        } else if (verb === 'STARTTLS') out.write(script.starttls);
        else if (verb === 'DATA') {
          inData = true;
          out.write('354 End data with <CR><LF>.<CR><LF>\r\n');
        } else if (verb === 'QUIT') out.end('221 2.0.0 Bye\r\n');
        else out.write('250 2.0.0 Ok\r\n');
      }
    };
    socket.write('220 mx.script.test ESMTP\r\n');
    socket.on('data', received);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  closers.push(
    () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  );
  return { port: (server.address() as { port: number }).port, connections };
}

const STARTTLS_EHLO = '250-mx.script.test\r\n250-8BITMIME\r\n250 STARTTLS\r\n';

async function open(port: number, tls: SessionOptions['tls']): Promise<SmtpSession> {
  const session = await SmtpSession.open({ host: '127.0.0.1', port }, { ...base, tls });
  sessions.push(session);
  return session;
}

async function openFailure(port: number, tls: SessionOptions['tls']): Promise<ConnectionFailure> {
  const failure = await open(port, tls).then(
    () => new Error('the session opened'),
    (error: unknown) => error,
  );
  expect(failure).toBeInstanceOf(ConnectionFailure);
  return failure as ConnectionFailure;
}

describe('SmtpSession STARTTLS', () => {
  let certificate: { key: string; cert: string };

  beforeAll(() => {
    // For a name that is not the one dialled: verification fails on both the issuer and the name.
    certificate = selfSignedCertificate('mx.self-signed.test');
  });

  afterEach(async () => {
    for (const session of sessions.splice(0)) session.close();
    await Promise.all(closers.splice(0).map((close) => close()));
  });

  describe('opportunistic', () => {
    it('upgrades with STARTTLS when the server offers it and delivers over TLS', async () => {
      const mx = await receiver(certificate, true);

      const result = await (await open(mx.port, 'opportunistic')).send(FROM, TO, RAW);

      expect(result).toEqual({ kind: 'accepted', reply: expect.stringMatching(/^250 /) });
      expect(mx.secured).toEqual([true]);
      expect(mx.received).toEqual([{ secure: true, mailFrom: FROM, recipients: [TO] }]);
    });

    it('delivers in clear to a server without STARTTLS', async () => {
      const mx = await receiver(certificate, false);

      const result = await (await open(mx.port, 'opportunistic')).send(FROM, TO, RAW);

      expect(result.kind).toBe('accepted');
      expect(mx.secured).toEqual([]);
      expect(mx.received).toEqual([{ secure: false, mailFrom: FROM, recipients: [TO] }]);
    });

    it('delivers over TLS although the certificate fails verification (self-signed, another name)', async () => {
      // Proof that the certificate does fail: Node's verifying client refuses it.
      const plain = createTlsServer(certificate, (socket) => socket.end());
      await new Promise<void>((resolve) => plain.listen(0, '127.0.0.1', resolve));
      closers.push(() => new Promise<void>((resolve) => plain.close(() => resolve())));
      const verification = await new Promise<Error | null>((resolve) => {
        const socket = tlsConnect({
          host: '127.0.0.1',
          port: (plain.address() as { port: number }).port,
          servername: 'mx.self-signed.test',
        });
        socket.once('secureConnect', () => resolve(null));
        socket.once('error', resolve);
      });
      expect(verification).toMatchObject({ code: 'DEPTH_ZERO_SELF_SIGNED_CERT' });
      const mx = await receiver(certificate, true);

      const result = await (await open(mx.port, 'opportunistic')).send(FROM, TO, RAW);

      expect(result.kind).toBe('accepted');
      expect(mx.received).toEqual([expect.objectContaining({ secure: true })]);
    });

    it('ignores answers sent in clear after the 220 to STARTTLS, and reads only what comes encrypted', async () => {
      // A server (or someone on the path) that slips replies in before the handshake: read after it,
      // they would answer EHLO and every command after it, one step out of line.
      const mx = await scriptedServer({ ehlo: STARTTLS_EHLO, starttls: 'inject', tls: certificate });

      const session = await open(mx.port, 'required');
      const result = await session.send(FROM, TO, RAW);

      expect(result).toEqual({ kind: 'accepted', reply: '250 2.0.0 Ok: queued over TLS' });
      expect(mx.connections[0]).toEqual([
        'EHLO mta.postwave.test',
        'STARTTLS',
        'EHLO mta.postwave.test',
        `MAIL FROM:<${FROM}>`,
        `RCPT TO:<${TO}>`,
        'DATA',
      ]);
    });

    it('goes on in clear on the same connection when the server refuses STARTTLS with 454', async () => {
      const mx = await scriptedServer({
        ehlo: STARTTLS_EHLO,
        starttls: '454 4.7.0 TLS not available due to local problem\r\n',
      });

      const result = await (await open(mx.port, 'opportunistic')).send(FROM, TO, RAW);

      expect(result.kind).toBe('accepted');
      expect(mx.connections).toEqual([
        ['EHLO mta.postwave.test', 'STARTTLS', `MAIL FROM:<${FROM}>`, `RCPT TO:<${TO}>`, 'DATA'],
      ]);
    });

    it('retries in clear on a new connection when the TLS handshake breaks', async () => {
      const mx = await scriptedServer({ ehlo: STARTTLS_EHLO, starttls: 'garbage' });

      const result = await (await open(mx.port, 'opportunistic')).send(FROM, TO, RAW);

      expect(result.kind).toBe('accepted');
      expect(mx.connections).toEqual([
        ['EHLO mta.postwave.test', 'STARTTLS'],
        ['EHLO mta.postwave.test', `MAIL FROM:<${FROM}>`, `RCPT TO:<${TO}>`, 'DATA'],
      ]);
    });
  });

  describe('required', () => {
    it('delivers over TLS to a server that offers STARTTLS, whatever its certificate', async () => {
      const mx = await receiver(certificate, true);

      const result = await (await open(mx.port, 'required')).send(FROM, TO, RAW);

      expect(result.kind).toBe('accepted');
      expect(mx.secured).toEqual([true]);
      expect(mx.received).toEqual([{ secure: true, mailFrom: FROM, recipients: [TO] }]);
    });

    it('fails to open, Soft and Unreachable without the server reply, when the server has no STARTTLS', async () => {
      const mx = await receiver(certificate, false);

      const failure = await openFailure(mx.port, 'required');

      // The server's "500 command not recognized" answers our STARTTLS, not our message: carried as
      // the reply it would be read as a permanent refusal of the mail.
      expect(failure).toMatchObject({ kind: 'tls', reply: null });
      expect(failure.detail).toMatch(/STARTTLS: 500 /);
      expect(qualifyConnectionFailure(failure)).toMatchObject({
        type: 'Soft',
        reason: 'Unreachable',
        rule: 'connection.tls',
      });
      expect(mx.received).toEqual([]);
    });

    it('fails to open, Soft and Unreachable, when the server refuses STARTTLS with 454', async () => {
      const mx = await scriptedServer({
        ehlo: STARTTLS_EHLO,
        starttls: '454 4.7.0 TLS not available due to local problem\r\n',
      });

      const failure = await openFailure(mx.port, 'required');

      expect(failure).toMatchObject({ kind: 'tls', reply: null });
      expect(failure.detail).toContain('454 4.7.0 TLS not available');
      expect(qualifyConnectionFailure(failure)).toMatchObject({ type: 'Soft', reason: 'Unreachable' });
    });

    it('keeps a 421 answer to STARTTLS as the reply: the server is closing on us, not refusing TLS', async () => {
      const mx = await scriptedServer({
        ehlo: STARTTLS_EHLO,
        starttls: '421 4.7.0 mx.script.test Try again later, closing connection\r\n',
      });

      const failure = await openFailure(mx.port, 'required');

      expect(failure).toMatchObject({
        kind: 'tls',
        reply: '421 4.7.0 mx.script.test Try again later, closing connection',
      });
    });

    it('fails to open with a "tls" failure and no fallback to clear when the TLS handshake breaks', async () => {
      const mx = await scriptedServer({ ehlo: STARTTLS_EHLO, starttls: 'garbage' });

      const failure = await openFailure(mx.port, 'required');

      expect(failure).toMatchObject({ kind: 'tls', reply: null });
      expect(qualifyConnectionFailure(failure)).toMatchObject({ type: 'Soft', reason: 'Unreachable' });
      expect(mx.connections).toEqual([['EHLO mta.postwave.test', 'STARTTLS']]);
    });

    it('fails to open with a "tls" failure when the server refuses EHLO (HELO has no STARTTLS)', async () => {
      const mx = await scriptedServer({ ehlo: '502 5.5.1 EHLO not implemented\r\n', starttls: '502 no\r\n' });

      const failure = await openFailure(mx.port, 'required');

      expect(failure).toMatchObject({ kind: 'tls', reply: null });
      expect(failure.detail).toContain('502 5.5.1 EHLO not implemented');
    });
  });

  describe('verify', () => {
    const authority = testAuthority();
    const valid = authority.issue(['DNS:mx.verified.test', 'IP:127.0.0.1']);
    const verifying = (port: number, ca: string | null = authority.cert) =>
      SmtpSession.open({ host: '127.0.0.1', port }, { ...base, tls: 'verify', ca }).then((session) => {
        sessions.push(session);
        return session;
      });
    const verifyFailure = async (port: number, ca: string | null = authority.cert) => {
      const failure = await verifying(port, ca).then(
        () => new Error('the session opened'),
        (error: unknown) => error,
      );
      expect(failure).toBeInstanceOf(ConnectionFailure);
      return failure as ConnectionFailure;
    };

    it('delivers over TLS when the certificate chains to a trusted authority and names the host', async () => {
      const mx = await receiver(valid, true);

      const result = await (await verifying(mx.port)).send(FROM, TO, RAW);

      expect(result.kind).toBe('accepted');
      expect(mx.received).toEqual([{ secure: true, mailFrom: FROM, recipients: [TO] }]);
    });

    it.each([
      ['a self-signed certificate', () => certificate, /self[- ]signed/i],
      [
        'a certificate for another name',
        () => authority.issue(['DNS:mx.other.test']),
        /altnames|does not match/i,
      ],
      [
        'a certificate from an authority nobody trusts',
        () => testAuthority('Rogue CA').issue(['IP:127.0.0.1']),
        /issuer|local issuer|verify/i,
      ],
    ])('fails to open, Soft and Unreachable, with nothing sent, on %s', async (_name, cert, detail) => {
      const mx = await receiver(cert(), true);

      const failure = await verifyFailure(mx.port);

      expect(failure).toMatchObject({ kind: 'tls', reply: null });
      expect(failure.detail).toMatch(detail);
      expect(qualifyConnectionFailure(failure)).toMatchObject({ type: 'Soft', reason: 'Unreachable' });
      expect(mx.received).toEqual([]);
    });

    it('checks the MX host name, not the address it dialled, when the route resolved one', async () => {
      const mx = await receiver(authority.issue(['DNS:mx.verified.test']), true);
      const session = await SmtpSession.open(
        { host: 'mx.verified.test', address: '127.0.0.1', port: mx.port },
        { ...base, tls: 'verify', ca: authority.cert },
      );
      sessions.push(session);

      expect((await session.send(FROM, TO, RAW)).kind).toBe('accepted');
      const wrongName = await SmtpSession.open(
        { host: 'mx.elsewhere.test', address: '127.0.0.1', port: mx.port },
        { ...base, tls: 'verify', ca: authority.cert },
      ).then(
        () => null,
        (error: unknown) => error,
      );
      expect(wrongName).toMatchObject({ kind: 'tls' });
    });

    it('trusts only the system authorities when given none', async () => {
      const mx = await receiver(valid, true);

      const failure = await verifyFailure(mx.port, null);

      expect(failure).toMatchObject({ kind: 'tls' });
      expect(mx.received).toEqual([]);
    });

    it('fails to open when the server offers no STARTTLS, as required does', async () => {
      const mx = await receiver(valid, false);

      expect(await verifyFailure(mx.port)).toMatchObject({ kind: 'tls', reply: null });
      expect(mx.received).toEqual([]);
    });
  });

  describe('disabled', () => {
    it('never sends STARTTLS, even to a server that offers it', async () => {
      const mx = await receiver(certificate, true);

      const result = await (await open(mx.port, 'disabled')).send(FROM, TO, RAW);

      expect(result.kind).toBe('accepted');
      expect(mx.secured).toEqual([]);
      expect(mx.received).toEqual([{ secure: false, mailFrom: FROM, recipients: [TO] }]);
    });
  });
});
