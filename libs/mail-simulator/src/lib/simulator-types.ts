import type { ProviderPersonalityInput } from './personality-schema';
import type { DkimSignatureSummary } from './header-parser';

export interface SimulatorOptions {
  /** Interface to listen on; loopback by default so nothing outside the machine can reach it. */
  host?: string;
  /** 0 picks a free port; read it back from `simulator.port`. */
  port: number;
  /** Name in the greeting, the replies and the reports. */
  hostname?: string;
  /** Keep every accepted message as `<id>.eml` here (written atomically). */
  inboxDir?: string;
  /** Replaces the built-in personalities (gmail, yahoo, outlook). Other domains get generic replies. */
  personalities?: readonly ProviderPersonalityInput[];
  /** SMTP server that receives the DSNs, ARF reports and auto-replies (the product's bounce inbox). */
  dsnReturn?: { host: string; port: number };
  /** Default wait before an asynchronous report is sent; `dsn-hard-5000@` overrides it per address. */
  reportDelayMs?: number;
  /** SIZE limit advertised and enforced with `552 5.3.4`. Default 35 MiB. */
  maxMessageSize?: number;
  /** How many AcceptedMessage records to keep in memory (oldest dropped first). Default 10 000. */
  retainAccepted?: number;
  /** How long stop() lets open client connections finish before it cuts them. Default 1 000 ms. */
  closeTimeoutMs?: number;
  /** Structured log sink; the simulator logs nothing by default. */
  logger?: (entry: Record<string, unknown>) => void;
  /** Clock in epoch ms, replaceable to test greylisting delays and rate windows. */
  clock?: () => number;
}

export interface AcceptedMessage {
  /** Queue id, also the .eml file name. */
  id: string;
  receivedAt: Date;
  clientAddress: string;
  /** The name the client gave in EHLO/HELO. */
  clientHelo: string;
  /** Envelope sender; '' for the null sender of a bounce. */
  mailFrom: string;
  /** Recipients accepted at RCPT (rejected ones are not delivered, so not listed). */
  recipients: string[];
  /** Bytes received in DATA. */
  size: number;
  /** The header block as received (capped at 64 KiB); bodies are only kept in the .eml file. */
  rawHeaders: string;
  messageId?: string;
  subject?: string;
  /** Whether at least one DKIM-Signature header is present; signatures are not verified here. */
  dkimSigned: boolean;
  dkimSignatures: DkimSignatureSummary[];
  /** Path of the .eml file when `inboxDir` is set. */
  emlPath?: string;
}

export type ReportKind = 'dsn' | 'arf' | 'autoreply';
export type ReportStatus = 'scheduled' | 'sent' | 'failed' | 'skipped' | 'cancelled';

/** One asynchronous report (DSN, ARF or auto-reply) the simulator generated. */
export interface ReportRecord {
  kind: ReportKind;
  /** Id of the accepted message the report is about. */
  messageId: string;
  /** The simulated recipient that bounced, complained or is away. */
  recipient: string;
  /** Envelope recipient of the report: the original envelope sender (VERP address). */
  to: string;
  status: ReportStatus;
  /** Final reply of the dsnReturn server, or the error. */
  detail?: string;
}

export interface SimulatorStats {
  connectionsTotal: number;
  connectionsOpen: number;
  messagesAccepted: number;
  bytesAccepted: number;
  recipientsAccepted: number;
  /** Non-2xx replies sent by the simulator, keyed `code enhanced` (e.g. `550 5.1.1`). */
  rejections: Record<string, number>;
  reports: Record<ReportStatus, number>;
}
