import { spawn, type ChildProcess } from 'node:child_process';
import { LoggedProcess } from './logged-process';
import { createWriteStream, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { freePort, http, waitFor } from '@postwave/testing';

const ROOT = resolve(__dirname, '../../..');
const INHERITED = ['PATH', 'HOME', 'TMPDIR', 'LANG', 'LC_ALL', 'TZ'];

export interface EmbeddedPostwaveOptions {
  /** Folder for the SQLite database, the log and (with `resolvConf`) the resolv.conf. */
  dir: string;
  env: Record<string, string>;
  /**
   * Nameservers (`host:port`) for the process's system resolver. The app then runs in a mount
   * namespace of its own (`unshare --mount`, root only) where /etc/resolv.conf names them, as
   * on a host whose resolver knows the test's names; the machine's /etc/resolv.conf is untouched.
   */
  resolvConf?: readonly string[];
}

/**
 * The embedded default (`postwave start`: planner, MTA, bounce qualifier, projector and, unless
 * SIMULATOR_ENABLED=false, the mailbox simulator in one process on SQLite) as a child process,
 * the way an operator runs it.
 */
export class EmbeddedPostwave extends LoggedProcess {
  private constructor(
    readonly url: string,
    child: ChildProcess,
    logFile: string,
    exited: Promise<number | null>,
  ) {
    super(child, logFile, exited);
  }

  static async start(options: EmbeddedPostwaveOptions): Promise<EmbeddedPostwave> {
    const port = await freePort();
    const env = {
      // Only what a shell hands any program: the runner's own KAFKA_BROKERS, DATABASE_URL, MTA_*
      // and the like would change the mode or the configuration under test.
      ...Object.fromEntries(
        INHERITED.filter((name) => process.env[name]).map((name) => [name, process.env[name]]),
      ),
      SQLITE_PATH: join(options.dir, 'postwave.sqlite'),
      HTTP_HOST: '127.0.0.1',
      HTTP_PORT: String(port),
      BOUNCE_SMTP_PORT: '0',
      LOG_LEVEL: 'info',
      ...options.env,
    };
    const command = [process.execPath, join(ROOT, 'bin', 'postwave.js'), 'start'];
    let argv = command;
    if (options.resolvConf) {
      const resolvConf = join(options.dir, 'resolv.conf');
      writeFileSync(resolvConf, options.resolvConf.map((server) => `nameserver ${server}\n`).join(''));
      argv = [
        'unshare',
        '--mount',
        '--propagation',
        'private',
        '--',
        'sh',
        '-c',
        'mount --bind "$0" /etc/resolv.conf && exec "$@"',
        resolvConf,
        ...command,
      ];
    }
    const logFile = join(options.dir, 'postwave.log');
    const log = createWriteStream(logFile);
    const child = spawn(argv[0]!, argv.slice(1), { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout!.pipe(log, { end: false });
    child.stderr!.pipe(log, { end: false });
    child.once('close', () => log.end());
    const exited = new Promise<number | null>((done) => {
      child.once('exit', (code) => done(code));
      child.once('error', () => done(null));
    });
    const killOnExit = () => child.kill('SIGKILL');
    process.once('exit', killOnExit);
    void exited.then(() => process.removeListener('exit', killOnExit));

    const app = new EmbeddedPostwave(`http://127.0.0.1:${port}`, child, logFile, exited);
    let gone = false;
    void exited.then(() => (gone = true));
    try {
      await waitFor(
        'postwave start to answer /health',
        async () => {
          if (gone) throw new Error('postwave start exited');
          const response = await http('GET', `${app.url}/health`).catch(() => null);
          return response?.status === 200 ? true : undefined;
        },
        60_000,
        200,
      );
    } catch (error) {
      await app.stop();
      throw new Error(`${(error as Error).message}\n--- postwave log ---\n${app.tail()}`);
    }
    return app;
  }
}
