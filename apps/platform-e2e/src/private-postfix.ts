import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import {
  chmodSync,
  chownSync,
  createWriteStream,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { connect, createServer } from 'node:net';
import { join, resolve } from 'node:path';
import { waitFor } from '@postwave/testing';

const ROOT = resolve(__dirname, '../../..');
const TEMPLATES = join(ROOT, 'tools', 'postfix');
const POSTFIX = '/usr/sbin/postfix';
const MASTER = '/usr/lib/postfix/sbin/master';

export interface PrivatePostfixOptions {
  /** The loopback address whose port 25 it listens on. */
  address: string;
  /** The one domain it takes mail for (mydestination). */
  domain: string;
  hostname: string;
  /** recipient → reply (`550 5.1.1 text`), as an access(5) map; other recipients are accepted. */
  replies: Readonly<Record<string, string>>;
}

/**
 * A private Postfix (Debian's package) with its own config_directory and queue_directory in a
 * temporary folder of its own (readable by the postfix user): the system's /etc/postfix is never
 * read or written. The master daemon runs in the foreground as a child process (`master -c
 * <dir>/conf -d`), in a process group of its own so that stopping it stops every Postfix daemon
 * it forked. Needs root, as Postfix does.
 */
export class PrivatePostfix {
  private constructor(
    readonly address: string,
    readonly dir: string,
    private readonly master: ChildProcess,
    private readonly exited: Promise<void>,
  ) {}

  static async start(options: PrivatePostfixOptions): Promise<PrivatePostfix> {
    if (process.getuid?.() !== 0) throw new Error('a private Postfix instance needs root (smtpd on port 25)');
    // Postfix's daemons run as the postfix user and must reach the queue, the map and the log.
    const dir = mkdtempSync(join(tmpdir(), 'postwave-postfix-'));
    chmodSync(dir, 0o755);
    const conf = join(dir, 'conf');
    for (const sub of ['conf', 'queue', 'data']) mkdirSync(join(dir, sub));
    const postfixUid = Number(execFileSync('id', ['-u', 'postfix'], { encoding: 'utf8' }).trim());
    chownSync(join(dir, 'data'), postfixUid, -1);
    const fill = (text: string) =>
      text
        .replaceAll('@@DIR@@', dir)
        .replaceAll('@@ADDRESS@@', options.address)
        .replaceAll('@@DOMAIN@@', options.domain)
        .replaceAll('@@HOSTNAME@@', options.hostname);
    writeFileSync(join(conf, 'main.cf'), fill(readFileSync(join(TEMPLATES, 'main.cf.template'), 'utf8')));
    writeFileSync(join(conf, 'master.cf'), readFileSync(join(TEMPLATES, 'master.cf'), 'utf8'));
    writeFileSync(
      join(conf, 'access'),
      Object.entries(options.replies)
        .map(([recipient, reply]) => `${recipient} ${reply}\n`)
        .join(''),
    );
    // `postfix check` creates the queue's subdirectories with the owners and modes Postfix wants.
    try {
      execFileSync(POSTFIX, ['-c', conf, 'check'], { stdio: 'pipe' });
    } catch (error) {
      const maillog = readFileSync(join(dir, 'maillog'), { encoding: 'utf8', flag: 'a+' });
      rmSync(dir, { recursive: true, force: true });
      throw new Error(`postfix check failed: ${(error as Error).message}\n${maillog}`);
    }

    const log = createWriteStream(join(dir, 'master.out'));
    const master = spawn(MASTER, ['-c', conf, '-d'], { detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
    master.stdout!.pipe(log, { end: false });
    master.stderr!.pipe(log, { end: false });
    master.once('close', () => log.end());
    const exited = new Promise<void>((done) => {
      master.once('exit', () => done());
      master.once('error', () => done());
    });
    const killOnExit = () => killGroup(master, 'SIGKILL');
    process.once('exit', killOnExit);
    void exited.then(() => process.removeListener('exit', killOnExit));
    const postfix = new PrivatePostfix(options.address, dir, master, exited);
    try {
      await postfix.greets();
    } catch (error) {
      const output = `${postfix.maillog()}\n${postfix.masterOutput()}`;
      await postfix.stop();
      throw new Error(`${(error as Error).message}\n${output}`);
    }
    return postfix;
  }

  /** Postfix's own log of the instance (maillog_file, written by postlogd). */
  maillog(): string {
    try {
      return readFileSync(join(this.dir, 'maillog'), 'utf8');
    } catch {
      return '(no maillog)';
    }
  }

  /** Stops every Postfix process of the instance; `removeFiles` then deletes its folder. */
  masterOutput(): string {
    try {
      return readFileSync(join(this.dir, 'master.out'), 'utf8');
    } catch {
      return '';
    }
  }

  async stop({ removeFiles = true } = {}): Promise<void> {
    // SIGTERM makes the master stop its daemons; the group kill catches any that linger.
    if (this.master.exitCode === null && this.master.signalCode === null) killGroup(this.master, 'SIGTERM');
    const timer = setTimeout(() => killGroup(this.master, 'SIGKILL'), 5_000);
    await this.exited;
    clearTimeout(timer);
    killGroup(this.master, 'SIGKILL');
    if (removeFiles) rmSync(this.dir, { recursive: true, force: true });
  }

  private async greets(): Promise<void> {
    const greeted = waitFor(
      `Postfix to greet on ${this.address}:25`,
      async () => ((await banner(this.address, 25)).startsWith('220 ') ? true : undefined),
      20_000,
      200,
    );
    const died = this.exited.then(() => {
      throw new Error('the Postfix master exited');
    });
    await Promise.race([greeted, died]);
  }
}

/**
 * The first loopback address (127.0.0.1, then 127.0.0.2, …) whose port 25 is free, since an MX
 * is always reached on port 25. Every 127.0.0.0/8 address is on the loopback interface.
 */
export async function loopbackWithFreePort25(): Promise<string> {
  for (let last = 1; last < 20; last++) {
    const address = `127.0.0.${last}`;
    const free = await new Promise<boolean>((done) => {
      const server = createServer();
      server.once('error', () => done(false));
      server.listen(25, address, () => server.close(() => done(true)));
    });
    if (free) return address;
  }
  throw new Error('port 25 is taken on 127.0.0.1 to 127.0.0.19');
}

function banner(host: string, port: number): Promise<string> {
  return new Promise((done, fail) => {
    const socket = connect({ host, port });
    socket.setTimeout(2000, () => socket.destroy(new Error('no banner')));
    socket.once('error', fail);
    socket.once('data', (data) => {
      socket.end('QUIT\r\n');
      done(data.toString('utf8'));
    });
  });
}

function killGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  if (child.pid === undefined) return;
  try {
    process.kill(-child.pid, signal);
  } catch {
    // the group is gone already
  }
}
