import type { RetryPolicy, RouteTable, SourceIp, TlsPolicy, WarmupPlan } from '@postwave/sending/domain';

export const MTA_OPTIONS = Symbol('MtaOptions');

/** Claims the spool worker delivers at once: a new claim starts while earlier ones still send. */
export const CLAIMS_IN_FLIGHT = 3;

/**
 * Messages per claim when MTA_CLAIM_BATCH is not set: enough for the claims in flight together to
 * keep every allowed connection busy for a full connection's worth of messages (700 with the
 * defaults). At 200, three claims fed six sessions of the twenty allowed, and bench:mta sent about
 * a tenth less with more CPU per message.
 */
export function defaultClaimBatch(maxConnections: number, messagesPerConnection: number): number {
  return Math.min(10_000, Math.ceil(maxConnections / CLAIMS_IN_FLIGHT) * messagesPerConnection);
}

export interface MtaOptions {
  /** Instance name: in Message-IDs and in "taken into account" events. */
  readonly instance: string;
  /** EHLO name. */
  readonly heloName: string;
  readonly routes: RouteTable;
  /** DNS servers for MX lookups (`host` or `host:port`); empty = the system's. */
  readonly dnsServers: readonly string[];
  readonly dkim: {
    readonly selector: string;
    readonly keysDir: string;
    /** Embedded default: create a key for a sender domain that has none, and log its DNS record. */
    readonly generateMissing: boolean;
  };
  readonly verp: { readonly domain: string | null; readonly secret: string };
  readonly unsubscribeUrl: string | null;
  readonly retry: RetryPolicy;
  readonly maxConnections: number;
  readonly messagesPerConnection: number;
  readonly timeouts: { readonly connectMs: number; readonly greetingMs: number; readonly socketMs: number };
  readonly leaseMs: number;
  /** Messages one claim takes from the spool. */
  readonly claimBatch: number;
  /** Worker threads that personalize, assemble and sign messages; 0 builds on the event loop. */
  readonly buildThreads: number;
  readonly tls: TlsPolicy;
  /** Certificate authorities (PEM) trusted for `verify` besides the system's; null for the system's only. */
  readonly tlsCa: string | null;
  /** MX rules file (JSON list); the shipped defaults when null. Re-read when it changes. */
  readonly mxRulesFile: string | null;
  /** Addresses the MTA sends from, with HELO names and weights (one path per site × source IP). */
  readonly sourceIps: readonly SourceIp[];
  /** Warm-up plans capping new addresses per site and day. */
  readonly warmup: readonly WarmupPlan[];
}
