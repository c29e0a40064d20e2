/**
 * SMTP client benchmark (`npm run bench:smtp-client`): CPU per message of the MTA's own client
 * (SmtpSession, given messages already prepared for DATA as the build threads hand them over)
 * against nodemailer's SMTPConnection, which it replaced, sending the same 20 KB message over the
 * same number of reused connections to Debian's smtp-sink (or the mailbox simulator). Only the
 * client runs in this process, so its CPU time is the client's. The last line is one JSON object.
 *
 *   npm run bench:smtp-client                    5,000 messages per client, 10 connections, 3 rounds
 *   npm run bench:smtp-client -- --messages N --connections N --rounds N --bytes N
 *
 * Loopback only.
 */
import SMTPConnection from 'nodemailer/lib/smtp-connection';
import { smtpData, type SmtpData } from '../../libs/sending/feature/src/lib/smtp-data';
import { SmtpSession } from '../../libs/sending/feature/src/lib/smtp-session';
import { startSink } from './bench-sink';

interface Figures {
  readonly msgPerSec: number;
  readonly cpuMsPerMsg: number;
}

const FROM = 'b+m1.abcdefabcdef@bounces.bench.localhost';
const TO = 'reader@bench.localhost';

function message(bytes: number): Buffer {
  const line = `${'The quick brown fox jumps over the lazy dog. '.repeat(2).slice(0, 76)}\r\n`;
  const head = `From: news@shop.example\r\nTo: ${TO}\r\nSubject: Client bench\r\nMIME-Version: 1.0\r\n\r\n`;
  return Buffer.from(head + line.repeat(Math.ceil((bytes - head.length) / line.length)));
}

async function measure(send: () => Promise<number>): Promise<Figures & { messages: number }> {
  const cpu = process.cpuUsage();
  const started = process.hrtime.bigint();
  const messages = await send();
  const wallMs = Number(process.hrtime.bigint() - started) / 1e6;
  const used = process.cpuUsage(cpu);
  return {
    messages,
    msgPerSec: (messages * 1000) / wallMs,
    cpuMsPerMsg: (used.user + used.system) / 1000 / messages,
  };
}

async function ours(port: number, messages: number, connections: number, data: SmtpData): Promise<number> {
  let count = 0;
  const options = {
    heloName: 'bench.localhost',
    tls: 'disabled' as const,
    connectMs: 5000,
    greetingMs: 5000,
    socketMs: 30_000,
  };
  await Promise.all(
    Array.from({ length: connections }, async () => {
      const session = await SmtpSession.open({ host: '127.0.0.1', port }, options);
      for (let i = 0; i < messages / connections; i++) {
        const result = await session.send(FROM, TO, data);
        if (result.kind !== 'accepted') throw new Error(`the sink refused: ${result.reply}`);
        count++;
      }
      session.close();
    }),
  );
  return count;
}

async function nodemailer(port: number, messages: number, connections: number, raw: Buffer): Promise<number> {
  let count = 0;
  await Promise.all(
    Array.from({ length: connections }, async () => {
      const connection = new SMTPConnection({
        host: '127.0.0.1',
        port,
        name: 'bench.localhost',
        ignoreTLS: true,
      });
      await new Promise<void>((resolve, reject) =>
        connection.connect((error) => (error ? reject(error) : resolve())),
      );
      for (let i = 0; i < messages / connections; i++) {
        await new Promise<void>((resolve, reject) =>
          connection.send({ from: FROM, to: [TO] }, raw, (error) => (error ? reject(error) : resolve())),
        );
        count++;
      }
      connection.quit();
    }),
  );
  return count;
}

function option(name: string, fallback: number): number {
  const at = process.argv.indexOf(`--${name}`);
  if (at < 0) return fallback;
  const value = Number(process.argv[at + 1]);
  if (!Number.isInteger(value) || value <= 0)
    throw new Error(`--${name} takes a positive integer, got ${JSON.stringify(process.argv[at + 1])}`);
  return value;
}

const median = (values: readonly number[]) =>
  [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;

async function main(): Promise<void> {
  const messages = option('messages', 5000);
  const connections = option('connections', 10);
  const rounds = option('rounds', 3);
  const raw = message(option('bytes', 20 * 1024));
  const sink = await startSink('auto');
  process.stderr.write(`sink: ${sink.kind} on 127.0.0.1:${sink.port}; ${raw.length}-byte message\n`);
  const runs: Record<'ours' | 'nodemailer', Figures[]> = { ours: [], nodemailer: [] };
  try {
    for (let round = 1; round <= rounds; round++) {
      // Prepared once, as a build thread prepares each message: the session only writes it.
      const data = smtpData(raw);
      for (const [name, run] of [
        ['ours', () => ours(sink.port, messages, connections, data)],
        ['nodemailer', () => nodemailer(sink.port, messages, connections, raw)],
      ] as const) {
        const figures = await measure(run);
        runs[name].push(figures);
        process.stderr.write(
          `round ${round} ${name.padEnd(10)} ${figures.msgPerSec.toFixed(0).padStart(6)} msg/s, ` +
            `${figures.cpuMsPerMsg.toFixed(3)} ms CPU/msg (${figures.messages} messages)\n`,
        );
      }
    }
  } finally {
    await sink.stop();
  }
  const summary = {
    messageBytes: raw.length,
    connections,
    cpuMsPerMsgOurs: Number(median(runs.ours.map((r) => r.cpuMsPerMsg)).toFixed(4)),
    cpuMsPerMsgNodemailer: Number(median(runs.nodemailer.map((r) => r.cpuMsPerMsg)).toFixed(4)),
    msgPerSecOurs: Math.round(median(runs.ours.map((r) => r.msgPerSec))),
    msgPerSecNodemailer: Math.round(median(runs.nodemailer.map((r) => r.msgPerSec))),
  };
  process.stdout.write(
    `median CPU per message: ours ${summary.cpuMsPerMsgOurs} ms, nodemailer ${summary.cpuMsPerMsgNodemailer} ms\n` +
      `${JSON.stringify(summary)}\n`,
  );
}

main().then(
  () => process.exit(0),
  (error: Error) => {
    process.stderr.write(`smtp-client-bench: ${error.stack ?? error.message}\n`);
    process.exit(1);
  },
);
