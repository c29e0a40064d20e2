import { createServer, type Socket } from 'node:net';
import { isPermanent, parseSmtpReply, qualifyReply } from '@postwave/bounce-rules';
import { GMAIL, MailboxSimulator } from '@postwave/mail-simulator';
import { SMTPServer, type SMTPServerAddress } from 'smtp-server';
import { smtpData, type SmtpData } from './smtp-data';
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

/**
 * A hand-written MX that records every command line of every connection (the bytes as sent, before
 * any server-side decoding), every byte it read and whether the connection closed, and answers by
 * verb; `replies` overrides an answer ("END" is the one after the message data).
 */
async function scriptedServer(replies: Partial<Record<string, string>> = {}) {
  const connections: string[][] = [];
  const received: string[] = [];
  const closed: boolean[] = [];
  const server = await rawServer((socket) => {
    const commands: string[] = [];
    const index = connections.push(commands) - 1;
    received[index] = '';
    closed[index] = false;
    let buffer = '';
    let inData = false;
    socket.write('220 mx.script.test ESMTP\r\n');
    socket.on('close', () => (closed[index] = true));
    socket.on('data', (chunk: Buffer) => {
      received[index] += chunk.toString('latin1');
      buffer += chunk.toString('latin1');
      for (let eol = buffer.indexOf('\r\n'); eol >= 0; eol = buffer.indexOf('\r\n')) {
        const line = Buffer.from(buffer.slice(0, eol), 'latin1').toString('utf8');
        buffer = buffer.slice(eol + 2);
        if (inData && line !== '.') continue;
        const verb = inData ? 'END' : line.split(/[ :]/)[0]!.toUpperCase();
        inData = verb === 'DATA';
        if (verb !== 'END') commands.push(line);
        const fallback =
          verb === 'EHLO'
            ? '250-mx.script.test\r\n250-8BITMIME\r\n250 ENHANCEDSTATUSCODES\r\n'
            : verb === 'DATA'
              ? '354 End data with <CR><LF>.<CR><LF>\r\n'
              : verb === 'QUIT'
                ? '221 2.0.0 Bye\r\n'
                : '250 2.0.0 Ok\r\n';
        socket.write(replies[verb] ?? fallback);
      }
    });
  });
  return { port: server.port, connections, received, closed };
}

interface SmtpServerLog {
  mailFrom: SMTPServerAddress[];
  rcptTo: SMTPServerAddress[];
  delivered: Array<{ smtpUtf8: boolean; recipients: string[] }>;
  /** The message data of each delivery, as the receiver read it. */
  data: Buffer[];
}

const smtpServers: SMTPServer[] = [];

/** smtp-server as the receiving MX, with SMTPUTF8 announced or not. */
async function smtpServer(announceSmtpUtf8: boolean) {
  const log: SmtpServerLog = { mailFrom: [], rcptTo: [], delivered: [], data: [] };
  const server = new SMTPServer({
    logger: false,
    disableReverseLookup: true, // loopback only: no DNS query for the client's name
    authOptional: true,
    disabledCommands: ['AUTH', 'STARTTLS'],
    hideSMTPUTF8: !announceSmtpUtf8,
    closeTimeout: 200,
    onMailFrom(address, _session, callback) {
      log.mailFrom.push(address);
      callback();
    },
    onRcptTo(address, _session, callback) {
      log.rcptTo.push(address);
      callback();
    },
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (chunk: Buffer) => chunks.push(chunk));
      stream.on('end', () => {
        log.delivered.push({
          smtpUtf8: session.envelope.smtpUtf8 === true,
          recipients: session.envelope.rcptTo.map((rcpt) => rcpt.address),
        });
        log.data.push(Buffer.concat(chunks));
        callback();
      });
    },
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  smtpServers.push(server);
  return { port: (server.server.address() as { port: number }).port, log };
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
    await Promise.all(
      smtpServers.splice(0).map((server) => new Promise<void>((resolve) => server.close(() => resolve()))),
    );
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

  it('keeps lines that start with a dot, and a lone dot line, through the DATA transparency', async () => {
    const { port, log } = await smtpServer(false);
    const session = await open(port);
    const body = '.hidden\r\n.\r\n..two\r\nbare\nline\r\n.';
    const raw = Buffer.from(`Subject: dots\r\n\r\n${body}`);

    expect(await session.send(FROM, 'ada@example.net', raw)).toMatchObject({ kind: 'accepted' });
    // What the receiver reads back once it has undone the stuffing: every dot, and CRLF line breaks.
    expect(log.data[0]?.toString()).toBe(`Subject: dots\r\n\r\n${body.replace('bare\n', 'bare\r\n')}\r\n`);
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

  it('fails the connection of a server that streams without line ends, instead of holding what it sends', async () => {
    const server = await rawServer((socket) => {
      const junk = Buffer.alloc(16 * 1024, 'x');
      const flood = () => {
        if (!socket.destroyed && socket.write(junk)) setImmediate(flood);
      };
      socket.on('drain', flood);
      flood();
    });

    const failure = await open(server.port).catch((error: unknown) => error);

    expect(failure).toBeInstanceOf(ConnectionFailure);
    expect(failure).toMatchObject({ kind: 'unknown', reply: null });
    expect((failure as ConnectionFailure).detail).toMatch(/^EPROTO: .*64 KiB/);
  });

  it('fails to open a connection the server closes before greeting, so the next MX can be tried', async () => {
    const server = await rawServer((socket) => socket.destroy());

    const failure = await open(server.port).catch((error: unknown) => error);

    expect(failure).toBeInstanceOf(ConnectionFailure);
    expect(failure).toMatchObject({ reply: null });
  });

  describe('internationalized addresses', () => {
    it('sends MAIL FROM with SMTPUTF8 for a UTF-8 local part to a server that offers it', async () => {
      const mx = await smtpServer(true);
      const session = await open(mx.port);

      const result = await session.send(FROM, 'josé@example.test', rawMessage('josé@example.test'));

      expect(result).toEqual({ kind: 'accepted', reply: expect.stringMatching(/^250 /) });
      expect(mx.log.mailFrom).toEqual([
        expect.objectContaining({ address: FROM, args: expect.objectContaining({ SMTPUTF8: true }) }),
      ]);
      expect(mx.log.delivered).toEqual([{ smtpUtf8: true, recipients: ['josé@example.test'] }]);
    });

    it('rejects a UTF-8 local part with a permanent 553 5.6.7, unsent, when the server does not offer SMTPUTF8', async () => {
      const mx = await smtpServer(false);
      const session = await open(mx.port);

      const refused = await session.send(FROM, 'josé@example.test', rawMessage('josé@example.test'));
      const next = await session.send(FROM, 'ada@example.test', rawMessage('ada@example.test'));

      expect(refused).toEqual({
        kind: 'rejected',
        code: 553,
        reply: '553 5.6.7 SMTPUTF8 is required for <josé@example.test>, but 127.0.0.1 does not offer it',
      });
      expect(isPermanent(refused.reply)).toBe(true);
      expect(qualifyReply(refused.reply)).toMatchObject({ type: 'Hard', reason: 'Refused' });
      // Nothing of it reached the server, and the session goes on.
      expect(mx.log.rcptTo.map((rcpt) => rcpt.address)).toEqual(['ada@example.test']);
      expect(next.kind).toBe('accepted');
      expect(session.dead).toBe(false);
    });

    it('writes IDN domains as A-labels, so an ASCII local part needs no SMTPUTF8', async () => {
      const mx = await scriptedServer();
      const session = await open(mx.port);

      const result = await session.send(
        'b+m1.abc@bounces.bücher.example',
        'ada@Bücher.example',
        rawMessage('ada@xn--bcher-kva.example'),
      );

      expect(result.kind).toBe('accepted');
      expect(mx.connections).toEqual([
        [
          'EHLO mta.postwave.test',
          'MAIL FROM:<b+m1.abc@bounces.xn--bcher-kva.example>',
          'RCPT TO:<ada@xn--bcher-kva.example>',
          'DATA',
        ],
      ]);
    });

    it('uses A-labels for the domain of a UTF-8 local part sent with SMTPUTF8', async () => {
      const mx = await scriptedServer({
        EHLO: '250-mx.script.test\r\n250-8BITMIME\r\n250 SMTPUTF8\r\n',
      });
      const session = await open(mx.port);

      const result = await session.send(FROM, 'josé@bücher.example', rawMessage('josé@bücher.example'));

      expect(result.kind).toBe('accepted');
      expect(mx.connections[0]).toEqual([
        'EHLO mta.postwave.test',
        // Its To: header is UTF-8 too: 8-bit content, declared where the server offers 8BITMIME.
        `MAIL FROM:<${FROM}> BODY=8BITMIME SMTPUTF8`,
        'RCPT TO:<josé@xn--bcher-kva.example>',
        'DATA',
      ]);
    });
  });

  describe('pipelining and envelope parameters', () => {
    /**
     * An MX that offers PIPELINING (or not) and answers MAIL FROM only once it has read every
     * command up to DATA: a client that waits for each reply before the next command never gets one.
     */
    async function holdingServer(pipelining: boolean) {
      const commands: string[] = [];
      const server = await rawServer((socket) => {
        let buffer = '';
        let inData = false;
        let held: string[] = [];
        socket.write('220 mx.hold.test ESMTP\r\n');
        socket.on('data', (chunk: Buffer) => {
          buffer += chunk.toString('latin1');
          for (let eol = buffer.indexOf('\r\n'); eol >= 0; eol = buffer.indexOf('\r\n')) {
            const line = buffer.slice(0, eol);
            buffer = buffer.slice(eol + 2);
            if (inData) {
              if (line === '.') {
                inData = false;
                socket.write('250 2.0.0 Ok: queued\r\n');
              }
              continue;
            }
            commands.push(line);
            const verb = line.split(/[ :]/)[0]!.toUpperCase();
            if (verb === 'EHLO')
              socket.write(
                `250-mx.hold.test\r\n${pipelining ? '250-PIPELINING\r\n' : ''}250 SIZE 1000000\r\n`,
              );
            else if (verb === 'MAIL' || verb === 'RCPT') {
              held.push('250 2.1.0 Ok\r\n');
              if (!pipelining) socket.write(held.splice(0).join(''));
            } else if (verb === 'DATA') {
              inData = true;
              socket.write(held.splice(0).join('') + '354 Go ahead\r\n');
              held = [];
            } else socket.write('250 2.0.0 Ok\r\n');
          }
        });
      });
      return { port: server.port, commands };
    }

    it('sends MAIL FROM, RCPT TO and DATA without waiting when the server offers PIPELINING', async () => {
      const mx = await holdingServer(true);
      const session = await open(mx.port);
      const raw = rawMessage('ada@example.test');

      const result = await session.send(FROM, 'ada@example.test', raw);

      expect(result).toEqual({ kind: 'accepted', reply: '250 2.0.0 Ok: queued' });
      // SIZE is declared because the server announced it; the message is 7-bit, so no BODY.
      expect(mx.commands).toEqual([
        'EHLO mta.postwave.test',
        `MAIL FROM:<${FROM}> SIZE=${raw.length}`,
        'RCPT TO:<ada@example.test>',
        'DATA',
      ]);
    });

    it('waits for each reply when the server does not offer PIPELINING', async () => {
      const mx = await holdingServer(false);
      const session = await open(mx.port);

      expect((await session.send(FROM, 'ada@example.test', rawMessage('ada@example.test'))).kind).toBe(
        'accepted',
      );
      expect((await session.send(FROM, 'bob@example.test', rawMessage('bob@example.test'))).kind).toBe(
        'accepted',
      );
      expect(mx.commands.filter((line) => line.startsWith('RCPT'))).toEqual([
        'RCPT TO:<ada@example.test>',
        'RCPT TO:<bob@example.test>',
      ]);
    });

    it('keeps a pipelined 421 refusal of MAIL FROM as the answer when the server then hangs up', async () => {
      const server = await rawServer((socket) => {
        socket.write('220 mx.test ESMTP\r\n');
        socket.on('data', (chunk: Buffer) => {
          const text = chunk.toString('latin1');
          if (text.startsWith('EHLO')) socket.write('250-mx.test\r\n250 PIPELINING\r\n');
          else if (text.startsWith('MAIL')) socket.end('421 4.7.0 Too many messages, closing connection\r\n');
        });
      });
      const session = await open(server.port);

      const result = await session.send(FROM, 'ada@example.test', rawMessage('ada@example.test'));

      expect(result).toEqual({
        kind: 'rejected',
        code: 421,
        reply: '421 4.7.0 Too many messages, closing connection',
      });
      expect(session.dead).toBe(true);
    });

    it('fails with a "timeout" and a dead session when the server stops answering after the message', async () => {
      const mx = await scriptedServer({ END: '' });
      const session = await SmtpSession.open(
        { host: '127.0.0.1', port: mx.port },
        { ...options, socketMs: 300 },
      );
      sessions.push(session);

      const failure = await session
        .send(FROM, 'ada@example.test', rawMessage('ada@example.test'))
        .catch((error: unknown) => error);

      expect(failure).toBeInstanceOf(ConnectionFailure);
      expect(failure).toMatchObject({ kind: 'timeout', reply: null });
      expect(session.dead).toBe(true);
    });
  });

  describe('announcing the next message behind the data (RFC 2920 §3.1)', () => {
    const prepared = (to: string, subject: string) => smtpData(rawMessage(to, subject));
    const announce = (to: string, message: SmtpData) => () => ({ mailFrom: FROM, recipient: to, message });

    it("writes the next message's envelope with this message's data, so a server that answers only then still answers", async () => {
      // An MX that answers the end of the first message's data only once it has read the next
      // envelope up to DATA: a client that waits for that answer before the next MAIL FROM never gets it.
      const commands: string[] = [];
      const mx = await rawServer((socket) => {
        let buffer = '';
        let inData = false;
        let held: string | null = null;
        let messages = 0;
        socket.write('220 mx.announce.test ESMTP\r\n');
        socket.on('data', (chunk: Buffer) => {
          buffer += chunk.toString('latin1');
          for (let eol = buffer.indexOf('\r\n'); eol >= 0; eol = buffer.indexOf('\r\n')) {
            const line = buffer.slice(0, eol);
            buffer = buffer.slice(eol + 2);
            if (inData) {
              if (line !== '.') continue;
              inData = false;
              messages++;
              if (messages === 1) held = `250 2.0.0 Ok: queued as ${messages}\r\n`;
              else socket.write(`250 2.0.0 Ok: queued as ${messages}\r\n`);
              continue;
            }
            commands.push(line);
            const verb = line.split(/[ :]/)[0]!.toUpperCase();
            if (verb === 'EHLO')
              socket.write('250-mx.announce.test\r\n250-PIPELINING\r\n250 SIZE 1000000\r\n');
            else if (verb === 'DATA') {
              inData = true;
              socket.write(`${held ?? ''}250 2.1.0 Ok\r\n250 2.1.5 Ok\r\n354 Go ahead\r\n`);
              held = null;
            } else if (verb === 'QUIT') socket.end('221 2.0.0 Bye\r\n');
            else if (verb !== 'MAIL' && verb !== 'RCPT') socket.write('250 2.0.0 Ok\r\n');
          }
        });
      });
      const session = await open(mx.port);
      const second = prepared('bob@example.test', 'Second');

      const first = await session.send(
        FROM,
        'ada@example.test',
        prepared('ada@example.test', 'First'),
        announce('bob@example.test', second),
      );
      const then = await session.send(FROM, 'bob@example.test', second);

      expect(first).toEqual({ kind: 'accepted', reply: '250 2.0.0 Ok: queued as 1' });
      expect(then).toEqual({ kind: 'accepted', reply: '250 2.0.0 Ok: queued as 2' });
      expect(commands.filter((line) => /^(MAIL|RCPT)/.test(line))).toEqual([
        expect.stringMatching(/^MAIL FROM:<b\+m1\.abcdefabcdef@bounces\.postwave\.test> SIZE=\d+$/),
        'RCPT TO:<ada@example.test>',
        expect.stringMatching(/^MAIL FROM:<b\+m1\.abcdefabcdef@bounces\.postwave\.test> SIZE=\d+$/),
        'RCPT TO:<bob@example.test>',
      ]);
    });

    it('delivers a chain of announced messages whole, each to its own recipient (smtp-server)', async () => {
      const { port, log } = await smtpServer(true);
      const session = await open(port);
      const messages = ['ada', 'bob', 'cy'].map((name) => ({
        to: `${name}@example.net`,
        message: prepared(`${name}@example.net`, `For ${name}`),
      }));

      const results = [];
      for (const [i, { to, message }] of messages.entries()) {
        const following = messages[i + 1];
        results.push(
          await session.send(
            FROM,
            to,
            message,
            following ? announce(following.to, following.message) : undefined,
          ),
        );
      }

      expect(results.map((result) => result.kind)).toEqual(['accepted', 'accepted', 'accepted']);
      expect(log.delivered.map((delivery) => delivery.recipients)).toEqual([
        ['ada@example.net'],
        ['bob@example.net'],
        ['cy@example.net'],
      ]);
      expect(log.data.map((data) => /^Subject: (.*)$/m.exec(data.toString())?.[1]?.trim())).toEqual([
        'For ada',
        'For bob',
        'For cy',
      ]);
    });

    it('keeps a refusal of the announced recipient as its answer, and the session after RSET', async () => {
      const session = await open();
      const refused = prepared('bounce-hard@example.sim', 'Refused');

      const first = await session.send(
        FROM,
        'ada@example.sim',
        prepared('ada@example.sim', 'First'),
        announce('bounce-hard@example.sim', refused),
      );
      const second = await session.send(FROM, 'bounce-hard@example.sim', refused);
      const third = await session.send(FROM, 'grace@example.sim', prepared('grace@example.sim', 'Third'));

      expect(first.kind).toBe('accepted');
      expect(second).toMatchObject({ kind: 'rejected', code: 550 });
      expect(third.kind).toBe('accepted');
      expect(sim.stats().connectionsTotal).toBe(1);
      expect(sim.accepted.map((m) => m.recipients)).toEqual([['ada@example.sim'], ['grace@example.sim']]);
    });

    it('sends the announced message after a refusal of the data: that reply ended the transaction, nothing is reset', async () => {
      const session = await open();
      const second = prepared('ada@example.sim', 'Second');

      const first = await session.send(
        FROM,
        'reject-data@example.sim',
        prepared('reject-data@example.sim', 'Refused'),
        announce('ada@example.sim', second),
      );
      // An RSET here would have reset the announced transaction, and its data would be refused.
      const then = await session.send(FROM, 'ada@example.sim', second);

      expect(first).toMatchObject({ kind: 'rejected', code: 554 });
      expect(then.kind).toBe('accepted');
      expect(sim.stats().connectionsTotal).toBe(1);
      expect(sim.accepted.map((m) => m.recipients)).toEqual([['ada@example.sim']]);
    });

    it('drops the connection instead of sending QUIT when it closes with a message announced', async () => {
      const mx = await scriptedServer({ EHLO: '250-mx.script.test\r\n250 PIPELINING\r\n' });
      const session = await open(mx.port);

      const first = await session.send(
        FROM,
        'ada@example.net',
        prepared('ada@example.net', 'First'),
        announce('bob@example.net', prepared('bob@example.net', 'Never sent')),
      );
      session.close();
      await new Promise((resolve) => setTimeout(resolve, 200));

      expect(first.kind).toBe('accepted');
      const [received = ''] = mx.received;
      expect(mx.closed[0]).toBe(true);
      // Nothing after the announced DATA: QUIT would have been read as that message's data.
      expect(received.slice(received.lastIndexOf('\r\nDATA\r\n'))).toBe('\r\nDATA\r\n');
      expect(received).toContain('RCPT TO:<bob@example.net>');
    });

    it('refuses to send another message than the one announced, and drops the connection', async () => {
      const { port, log } = await smtpServer(true);
      const session = await open(port);
      await session.send(
        FROM,
        'ada@example.net',
        prepared('ada@example.net', 'First'),
        announce('bob@example.net', prepared('bob@example.net', 'Announced')),
      );

      const failure = await session
        .send(FROM, 'cy@example.net', prepared('cy@example.net', 'Other'))
        .catch((error: unknown) => error);
      await new Promise((resolve) => setTimeout(resolve, 300));

      expect(failure).toBeInstanceOf(ConnectionFailure);
      expect(failure).toMatchObject({ kind: 'reset' });
      expect(session.dead).toBe(true);
      expect(log.delivered.map((delivery) => delivery.recipients)).toEqual([['ada@example.net']]);
    });
  });

  describe('enhanced status codes and multi-line replies', () => {
    const GMAIL_NO_SUCH_USER = [
      '550-5.1.1 The email account that you tried to reach does not exist. Please try',
      "550-5.1.1 double-checking the recipient's email address for typos or",
      '550 5.1.1 unnecessary spaces. https://support.google.com/mail/?p=NoSuchUser',
    ];

    it('keeps every line of a multi-line 550 5.1.1 RCPT refusal, its code and its enhanced code', async () => {
      const mx = await scriptedServer({ RCPT: GMAIL_NO_SUCH_USER.join('\r\n') + '\r\n' });
      const session = await open(mx.port);

      const result = await session.send(FROM, 'nobody@example.test', rawMessage('nobody@example.test'));

      expect(result).toEqual({ kind: 'rejected', code: 550, reply: GMAIL_NO_SUCH_USER.join('\n') });
      expect(parseSmtpReply(result.reply)).toMatchObject({ code: 550, enhanced: '5.1.1' });
      expect(parseSmtpReply(result.reply).text).toContain('unnecessary spaces');
      expect(qualifyReply(result.reply)).toMatchObject({ type: 'Hard', reason: 'UserUnknown' });
      // The refused transaction was reset, not the connection.
      expect(mx.connections[0]!.slice(-1)).toEqual(['RSET']);
      expect(session.dead).toBe(false);
    });

    it('keeps a multi-line 451 4.7.x refusal of the message data as a transient rejection', async () => {
      const busy = [
        '451-4.7.500 Server busy. Please try again later from [192.0.2.10].',
        '451 4.7.500 (S77714) [mx.script.test]',
      ];
      const mx = await scriptedServer({ END: busy.join('\r\n') + '\r\n' });
      const session = await open(mx.port);

      const result = await session.send(FROM, 'ada@example.test', rawMessage('ada@example.test'));

      expect(result).toEqual({ kind: 'rejected', code: 451, reply: busy.join('\n') });
      expect(parseSmtpReply(result.reply)).toMatchObject({ code: 451, enhanced: '4.7.500' });
      expect(isPermanent(result.reply)).toBe(false);
      expect(qualifyReply(result.reply).type).toBe('Soft');
    });
  });
});
