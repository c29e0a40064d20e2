import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import { join, resolve } from 'node:path';
import { http, waitFor } from '@postwave/testing';
import { LoggedProcess } from './logged-process';

const ROOT = resolve(__dirname, '../../..');

/** One Postwave service started as its own process, exactly as a container would run it. */
export class ServiceProcess extends LoggedProcess {
  private constructor(
    readonly name: string,
    child: ChildProcess,
    logFile: string,
    exited: Promise<number | null>,
  ) {
    super(child, logFile, exited);
  }

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
}
