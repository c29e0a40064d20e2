import { createServer, type Socket } from 'node:net';
import { GMAIL, MailboxSimulator } from '@postwave/mail-simulator';
import { ConnectionFailure, SmtpSession, type SessionOptions } from './smtp-session';

const options: SessionOptions = {
  heloName: 'mta.postwave.test',
  tls: 'disabled',
  connectMs: 2000,
  greetingMs: 2000,
  socketMs: 5000,
};

const FROM = 'b+m1.abcdefabcdef@bounces.postwave.test';

function rawMessage(to: string, subject = 'Spring sale'): Buffer {
  return Buffer.from(
    [
      'From: news@shop.example',
      `To: ${to}`,
      `Subject: ${subject}`,
      `Message-ID: <${subject.replace(/\W/g, '')}.${Math.random().toString(36).slice(2)}@shop.example>`,
      'MIME-Version: 1.0',
      'Content-Type: text/plain; charset=utf-8',
      '',
      'Hello.',
      '',
    ].join('\r\n'),
  );
}

/** A loopback port nobody listens on: bound once to learn a free number, then released. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

const rawServers: Array<{ close(): Promise<void> }> = [];

/** A bare TCP server on a loopback port that runs `onConnection` for each client; closed after each test. */
async function rawServer(onConnection: (socket: Socket) => void) {
  const sockets = new Set<Socket>();
  const server = createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => undefined);
    onConnection(socket);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const handle = {
    port: (server.address() as { port: number }).port,
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
  rawServers.push(handle);
  return handle;
}

describe('SmtpSession', () => {
  let sim: MailboxSimulator;
  const sessions: SmtpSession[] = [];

  const open = async (port = sim.port) => {
    const session = await SmtpSession.open({ host: '127.0.0.1', port }, options);
    sessions.push(session);
    return session;
  };

  beforeEach(async () => {
    sim = await MailboxSimulator.start({
      port: 0,
      // A throttled Gmail so the rate limit is reached in a few messages (the default is 600 a minute).
      personalities: [{ ...GMAIL, limits: { ...GMAIL.limits, messagesPerMinutePerIp: 2 } }],
    });
  });

  afterEach(async () => {
    for (const session of sessions.splice(0)) session.close();
    await Promise.all(rawServers.splice(0).map((server) => server.close()));
    await sim.stop();
  });

  it('delivers a message the receiver accepts with 250', async () => {
    const session = await open();

    const result = await session.send(FROM, 'ada@example.sim', rawMessage('ada@example.sim'));

    expect(result).toEqual({ kind: 'accepted', reply: expect.stringMatching(/^250 2\.0\.0 Ok: queued as /) });
    expect(session.dead).toBe(false);
    expect(sim.accepted).toEqual([
      expect.objectContaining({ mailFrom: FROM, recipients: ['ada@example.sim'], subject: 'Spring sale' }),
    ]);
  });

  it('returns a 550 5.1.1 RCPT refusal as rejected and still delivers the next message on the same connection', async () => {
    const session = await open();

    const refused = await session.send(
      FROM,
      'bounce-hard@example.sim',
      rawMessage('bounce-hard@example.sim'),
    );
    const next = await session.send(FROM, 'grace@example.sim', rawMessage('grace@example.sim', 'Second'));

    expect(refused).toEqual({
      kind: 'rejected',
      code: 550,
      reply: expect.stringContaining('550 5.1.1 <bounce-hard@example.sim>: Recipient address rejected'),
    });
    expect(next).toEqual({ kind: 'accepted', reply: expect.stringMatching(/^250 /) });
    expect(session.dead).toBe(false);
    expect(sim.stats().connectionsTotal).toBe(1);
    expect(sim.accepted.map((m) => m.recipients)).toEqual([['grace@example.sim']]);
  });

  it('returns a full mailbox as a 452 rejection', async () => {
    const session = await open();

    const result = await session.send(
      FROM,
      'mailbox-full@example.sim',
      rawMessage('mailbox-full@example.sim'),
    );

    expect(result).toEqual({
      kind: 'rejected',
      code: 452,
      reply: expect.stringContaining('452 4.2.2 Mailbox full'),
    });
    expect(session.dead).toBe(false);
  });

  it('returns a refusal of the message after DATA as a 554 rejection', async () => {
    const session = await open();

    const result = await session.send(FROM, 'reject-data@example.sim', rawMessage('reject-data@example.sim'));
    const next = await session.send(FROM, 'ada@example.sim', rawMessage('ada@example.sim'));

    expect(result).toEqual({
      kind: 'rejected',
      code: 554,
      reply: expect.stringContaining('554 5.7.1 Message content rejected'),
    });
    expect(next.kind).toBe('accepted');
  });

  it('fails to open a connection to a closed port with a "refused" ConnectionFailure', async () => {
    const port = await closedPort();

    const failure = await SmtpSession.open({ host: '127.0.0.1', port }, options).catch(
      (error: unknown) => error,
    );

    expect(failure).toBeInstanceOf(ConnectionFailure);
    expect(failure).toMatchObject({ kind: 'refused', reply: null });
    expect((failure as ConnectionFailure).detail).toMatch(/ECONNREFUSED/);
  });

  it('fails to open a connection refused with a 554 greeting, keeping the reply', async () => {
    const server = await rawServer((socket) => socket.end('554 5.7.1 mx.test No SMTP service here\r\n'));

    const failure = await open(server.port).catch((error: unknown) => error);

    expect(failure).toBeInstanceOf(ConnectionFailure);
    expect((failure as ConnectionFailure).reply).toBe('554 5.7.1 mx.test No SMTP service here');
  });

  it('fails to open a connection whose server never greets with a "timeout" ConnectionFailure', async () => {
    const server = await rawServer(() => undefined);

    const failure = await SmtpSession.open(
      { host: '127.0.0.1', port: server.port },
      { ...options, greetingMs: 200 },
    ).catch((error: unknown) => error);

    expect(failure).toBeInstanceOf(ConnectionFailure);
    expect(failure).toMatchObject({ kind: 'timeout', reply: null });
  });

  it('rejects a send with a ConnectionFailure and marks the session dead when the server drops the connection', async () => {
    // Greets and answers EHLO and MAIL like a server, then hangs up at RCPT.
    const server = await rawServer((socket) => {
      socket.write('220 mx.test ESMTP\r\n');
      socket.on('data', (chunk: Buffer) => {
        const command = chunk.toString('utf8').slice(0, 4).toUpperCase();
        if (command === 'EHLO') socket.write('250-mx.test\r\n250 8BITMIME\r\n');
        else if (command === 'MAIL') socket.write('250 2.1.0 Ok\r\n');
        else socket.destroy();
      });
    });
    const session = await open(server.port);

    const failure = await session
      .send(FROM, 'ada@example.test', rawMessage('ada@example.test'))
      .catch((error: unknown) => error);

    expect(failure).toBeInstanceOf(ConnectionFailure);
    expect(failure).toMatchObject({ reply: null });
    expect(session.dead).toBe(true);
  });

  it('marks the session dead when a gmail.sim rate limit answers 421 and closes the connection', async () => {
    const session = await open();

    const first = await session.send(FROM, 'ada@gmail.sim', rawMessage('ada@gmail.sim', 'One'));
    const second = await session.send(FROM, 'bob@gmail.sim', rawMessage('bob@gmail.sim', 'Two'));
    const third = await session.send(FROM, 'cy@gmail.sim', rawMessage('cy@gmail.sim', 'Three'));

    expect([first.kind, second.kind]).toEqual(['accepted', 'accepted']);
    expect(third).toEqual({ kind: 'rejected', code: 421, reply: expect.stringMatching(/^421[ -]4\.7\./) });
    expect(session.dead).toBe(true);
    expect(sim.accepted).toHaveLength(2);
  });
});
