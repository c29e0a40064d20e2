import { spawn, type ChildProcess } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { connect } from 'node:net';
import { delimiter, join } from 'node:path';
import { MailboxSimulator } from '@postwave/mail-simulator';
import { freePort } from '@postwave/testing';

/** A local SMTP receiver the MTA delivers to. Loopback only. */
export interface BenchSink {
  readonly kind: 'smtp-sink' | 'mailbox-simulator';
  readonly port: number;
  /** Messages the sink says it accepted, when it can tell (the simulator can; smtp-sink cannot). */
  accepted(): number | null;
  stop(): Promise<void>;
}

/** The absolute path of a program on PATH (plus the sbin folders Debian puts postfix tools in), or null. */
export function findProgram(name: string): string | null {
  const dirs = [...(process.env['PATH'] ?? '').split(delimiter), '/usr/sbin', '/usr/local/sbin', '/sbin'];
  for (const dir of dirs) {
    if (!dir) continue;
    const candidate = join(dir, name);
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not here
    }
  }
  return null;
}

/** Resolves once something accepts TCP connections on 127.0.0.1:port. */
export async function waitForPort(port: number, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const ok = await new Promise<boolean>((resolve) => {
      const socket = connect({ host: '127.0.0.1', port });
      socket.once('connect', () => {
        socket.destroy();
        resolve(true);
      });
      socket.once('error', () => resolve(false));
    });
    if (ok) return;
    if (Date.now() > deadline) throw new Error(`nothing listens on 127.0.0.1:${port} after ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/**
 * Debian's smtp-sink when it is installed (C, not our code, so it does not compete with the MTA for
 * the event loop), else the project's mailbox simulator (in this process, not in the measured one).
 */
export async function startSink(prefer: 'auto' | 'smtp-sink' | 'simulator'): Promise<BenchSink> {
  const smtpSink = prefer === 'simulator' ? null : findProgram('smtp-sink');
  if (prefer === 'smtp-sink' && !smtpSink)
    throw new Error('smtp-sink is not installed (apt-get install postfix)');
  const port = await freePort();
  if (smtpSink) {
    // As root smtp-sink must drop privileges (-u). 256 is the listen backlog.
    const args = [...(process.getuid?.() === 0 ? ['-u', 'nobody'] : []), `127.0.0.1:${port}`, '256'];
    const child: ChildProcess = spawn(smtpSink, args, { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    try {
      await waitForPort(port);
    } catch (error) {
      child.kill('SIGKILL');
      throw new Error(`smtp-sink did not start: ${(error as Error).message} ${stderr.trim()}`);
    }
    return {
      kind: 'smtp-sink',
      port,
      accepted: () => null,
      stop: async () => {
        if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
        await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, 2000))]);
      },
    };
  }
  const simulator = await MailboxSimulator.start({ port: 0, host: '127.0.0.1', retainAccepted: 1 });
  return {
    kind: 'mailbox-simulator',
    port: simulator.port,
    accepted: () => simulator.stats().messagesAccepted,
    stop: () => simulator.stop(),
  };
}

export interface CeilingResult {
  readonly messages: number;
  readonly bytes: number;
  readonly wallMs: number;
  readonly msgPerSec: number;
}

/**
 * The machine's loopback SMTP ceiling: Debian's smtp-source, 20 sessions reusing their connections
 * (`-d`), against the sink. Null when postfix tools are missing or the sink is not smtp-sink.
 */
export async function measureCeiling(
  sink: BenchSink,
  messages: number,
  bytes: number,
  timeoutMs: number,
): Promise<CeilingResult | null> {
  const smtpSource = findProgram('smtp-source');
  if (!smtpSource || sink.kind !== 'smtp-sink') return null;
  const args = ['-d', '-s', '20', '-m', String(messages), '-l', String(bytes), `127.0.0.1:${sink.port}`];
  const started = process.hrtime.bigint();
  await new Promise<void>((resolve, reject) => {
    const child = spawn(smtpSource, args, { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`smtp-source took more than ${timeoutMs} ms`));
    }, timeoutMs);
    child.once('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      if (code === 0) resolve();
      else reject(new Error(`smtp-source exited with ${code}: ${stderr.trim()}`));
    });
  });
  const wallMs = Number(process.hrtime.bigint() - started) / 1e6;
  return { messages, bytes, wallMs, msgPerSec: (messages * 1000) / wallMs };
}
