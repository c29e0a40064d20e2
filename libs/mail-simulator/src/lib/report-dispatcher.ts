import SMTPConnection from 'nodemailer/lib/smtp-connection';
import type { ComposedReport } from './report-composer';
import type { ReportRecord } from './simulator-types';

export interface ReportTarget {
  host: string;
  port: number;
}

/** Short timeouts: the target is a local bounce inbox, and stop() waits for in-flight sends. */
const TIMEOUTS = {
  connectionTimeout: 5_000,
  greetingTimeout: 5_000,
  socketTimeout: 10_000,
  socketCloseTimeout: 1_000,
};

/** One SMTP transaction with nodemailer's SMTPConnection; resolves with the final reply. */
export function deliverReport(
  target: ReportTarget,
  clientName: string,
  report: ComposedReport,
): Promise<string> {
  return new Promise((resolve, reject) => {
    // The target is a loopback bounce inbox: no STARTTLS, it would need a trusted certificate.
    const connection = new SMTPConnection({ ...target, name: clientName, ignoreTLS: true, ...TIMEOUTS });
    let settled = false;
    const finish = (err: Error | null, response?: string) => {
      if (settled) return;
      settled = true;
      if (err) connection.close();
      else connection.quit();
      if (err) reject(err);
      else resolve(response ?? '');
    };
    connection.on('error', (err: Error) => finish(err));
    connection.connect((err) => {
      if (err) return finish(err);
      connection.send(report.envelope, report.raw, (sendErr, info) => finish(sendErr, info?.response));
    });
  });
}

/**
 * Sends reports "later", like a provider that accepted a message and bounces it afterwards.
 * Keeps track of scheduled and in-flight sends so that stop() leaves no timer or socket.
 */
export class ReportDispatcher {
  private readonly timers = new Set<NodeJS.Timeout>();
  private readonly inFlight = new Set<Promise<void>>();
  /** Records whose timer has not fired yet, to be marked cancelled by close(). */
  private readonly pending = new Set<ReportRecord>();
  private closed = false;

  constructor(
    private readonly target: ReportTarget | undefined,
    private readonly clientName: string,
    /** Called on every status change after the initial `scheduled`. */
    private readonly onUpdate: (record: ReportRecord, previous: ReportRecord['status']) => void,
  ) {}

  /** `record` arrives with status `scheduled`. */
  schedule(record: ReportRecord, compose: () => Promise<ComposedReport>, delayMs: number): void {
    if (this.closed) return this.update(record, 'cancelled', 'simulator stopping');
    if (!this.target) return this.update(record, 'skipped', 'no dsnReturn configured');
    const target = this.target;
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      this.pending.delete(record);
      const run = compose()
        .then((report) => deliverReport(target, this.clientName, report))
        .then(
          (response) => this.update(record, 'sent', response),
          (err: Error) => this.update(record, 'failed', err.message),
        )
        .finally(() => this.inFlight.delete(run));
      this.inFlight.add(run);
    }, delayMs);
    this.timers.add(timer);
    this.pending.add(record);
  }

  /** Cancels what has not started and waits for what has. */
  async close(): Promise<void> {
    this.closed = true;
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
    for (const record of this.pending) this.update(record, 'cancelled', 'simulator stopped');
    this.pending.clear();
    await Promise.all([...this.inFlight]);
  }

  /** Resolves once nothing is scheduled or in flight (useful before asserting on reports). */
  async idle(): Promise<void> {
    while (this.timers.size || this.inFlight.size) {
      await Promise.all([...this.inFlight]);
      if (this.timers.size) await new Promise((r) => setTimeout(r, 5));
    }
  }

  private update(record: ReportRecord, status: ReportRecord['status'], detail?: string): void {
    const previous = record.status;
    record.status = status;
    record.detail = detail;
    this.onUpdate(record, previous);
  }
}
