import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { http, waitFor } from '@postwave/testing';

const ROOT = resolve(__dirname, '../../..');

/** One Postwave service started as its own process, exactly as a container would run it. */
export class ServiceProcess {
  private constructor(
    readonly name: string,
    private readonly child: ChildProcess,
    readonly logFile: string,
    private exited: Promise<number | null>,
  ) {}

  static start(
    app: string,
    env: Record<string, string>,
    logDir: string,
    args: string[] = [],
    /** Log file name, for several processes of one app. */
    name = `${app}${args.length ? '-' + args.join('-') : ''}`,
  ): ServiceProcess {
    const logFile = join(logDir, `${name}.log`);
    const log = createWriteStream(logFile);
    const child = spawn(
      process.execPath,
      ['-r', '@swc-node/register', join(ROOT, 'apps', app, 'src', 'main.ts'), ...args],
      {
        cwd: ROOT,
        env: { ...process.env, SWC_NODE_PROJECT: join(ROOT, 'tsconfig.base.json'), ...env },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    child.stdout!.pipe(log);
    child.stderr!.pipe(log);
    const exited = new Promise<number | null>((done) => child.once('exit', (code) => done(code)));
    return new ServiceProcess(app, child, logFile, exited);
  }

  async healthy(url: string, timeoutMs = 90_000): Promise<void> {
    let gone = false;
    void this.exited.then(() => (gone = true));
    await waitFor(
      `${this.name} to answer /health`,
      async () => {
        if (gone) throw new Error(`${this.name} exited:\n${this.tail()}`);
        const response = await http('GET', `${url}/health`).catch(() => null);
        return response?.status === 200 ? true : undefined;
      },
      timeoutMs,
      250,
    ).catch((error: Error) => {
      throw new Error(`${error.message}\n--- ${this.name} log ---\n${this.tail()}`);
    });
  }

  /** For one-shot entrypoints: resolves with the exit code. */
  exitCode(): Promise<number | null> {
    return this.exited;
  }

  /** Kills the process at once, as a crash or an evicted pod would: nothing gets to clean up. */
  async kill(): Promise<void> {
    if (this.child.exitCode === null) this.child.kill('SIGKILL');
    await this.exited;
  }

  async stop(): Promise<number | null> {
    if (this.child.exitCode === null) this.child.kill('SIGTERM');
    const timer = setTimeout(() => this.child.kill('SIGKILL'), 15_000);
    const code = await this.exited;
    clearTimeout(timer);
    return code;
  }

  tail(lines = 40): string {
    try {
      return readFileSync(this.logFile, 'utf8').split('\n').slice(-lines).join('\n');
    } catch {
      return '(no log)';
    }
  }
}
