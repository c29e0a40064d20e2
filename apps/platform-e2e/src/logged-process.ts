import type { ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';

/** A child process the tests started, with its log file: stop it, kill it, read its log. */
export abstract class LoggedProcess {
  protected constructor(
    protected readonly child: ChildProcess,
    readonly logFile: string,
    protected readonly exited: Promise<number | null>,
  ) {}

  /** Resolves with the exit code (for one-shot entrypoints). */
  exitCode(): Promise<number | null> {
    return this.exited;
  }

  /** Kills the process at once, as a crash or an evicted pod would: nothing gets to clean up. */
  async kill(): Promise<void> {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill('SIGKILL');
    await this.exited;
  }

  /** SIGTERM (as Ctrl-C or Kubernetes would), SIGKILL after 15 s; resolves with the exit code. */
  async stop(): Promise<number | null> {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill('SIGTERM');
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
