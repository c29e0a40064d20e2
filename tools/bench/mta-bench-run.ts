/**
 * One measured run of the MTA benchmark, in its own process (started by mta-bench.ts, so CPU time,
 * peak RSS and a CPU profile belong to the product alone, not to the sink or the orchestrator).
 *
 * The real product path, in-process: the embedded app (planner, MTA, bounce, feedback) on a temp
 * SQLite file (WAL, synchronous=NORMAL: the durable spool), deliveries created through the HTTP API,
 * messages built, DKIM-signed (rsa-sha256, 2048-bit key generated at first use) and sent over SMTP to
 * a local sink. Prints progress on stderr and one `BENCH_RESULT {json}` line on stdout.
 */
import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { Session } from 'node:inspector';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runService, type RunningService } from '@postwave/platform/runtime';
import { freePort, http, type DeliverySummary } from '@postwave/testing';
import { embeddedEnv } from '../../apps/postwave/src/embedded-env';
import { embeddedService, type EmbeddedConfig } from '../../apps/postwave/src/embedded.service';
import { BENCH_DOMAIN, benchRecipient, calibratedContent } from './bench-content';
import { installSqlStats, resetSqlStats, sqlStats, type SqlStat } from './sql-stats';

export interface RunParams {
  readonly label: string;
  readonly count: number;
  readonly targetBytes: number;
  /** Recipients per delivery: the API's 100 KB JSON body limit caps one request at about 1,300. */
  readonly perDelivery: number;
  readonly sinkPort: number;
  readonly rulesFile: string;
  readonly timeoutMs: number;
  /** Extra product settings (`--env KEY=VALUE` on the command line), applied last. */
  readonly env: Readonly<Record<string, string>>;
  /** Write a V8 CPU profile of the measured phase (first POST → all Sent) here. */
  readonly profileFile: string | null;
  /** Count and time every SQLite statement of the measured phase. */
  readonly sqlStats: boolean;
  /** Parent folder for the run's files (the orchestrator removes it even if this process is killed). */
  readonly workDir: string;
}

export interface RunResult {
  readonly label: string;
  readonly messages: number;
  readonly sent: number;
  readonly errors: number;
  readonly deliveries: number;
  readonly messageBytes: number;
  readonly loopBlocks: number;
  /** create → every message Sent in the KPIs (what a user of the API sees). */
  readonly endToEndMs: number;
  readonly endToEndMsgPerSec: number;
  /** first → last `postwave.message.sent.v1`: the MTA's throughput, spooling included where it overlaps. */
  readonly sendWindowMs: number;
  readonly spoolToSinkMsgPerSec: number;
  /** last "taken into account" → last sent: the spool drain with nothing else left to spool. */
  readonly drainMessages: number;
  readonly drainMsgPerSec: number | null;
  /** create → last message spooled (taken into account). */
  readonly spooledAfterMs: number;
  readonly firstSentAfterMs: number;
  readonly lastSentAfterMs: number;
  readonly cpuMsPerMsg: number;
  readonly cpuMsPerMsgEndToEnd: number;
  readonly cpuMsPerMsgDrain: number | null;
  readonly cpuUtilisation: number;
  readonly peakRssMb: number;
  /** Event-loop delay over the measured phase: a stalled loop delays SMTP, HTTP and timers alike. */
  readonly eventLoopDelayMs: { readonly p50: number; readonly p99: number; readonly max: number };
  /** API requests retried after a network-level failure. */
  readonly networkRetries: number;
  readonly eventsByType: Readonly<Record<string, number>>;
  /** Per second since the first POST: [second, planned, taken into account (spooled), sent]. */
  readonly timeline: ReadonlyArray<readonly [number, number, number, number]>;
  readonly sqliteBytes: number;
  readonly createRequestMs: number;
  /** When each POST /v1/deliveries answered, ms after the first was sent. */
  readonly postsDoneAtMs: readonly number[];
  /** With sqlStats: the statements of the measured phase, most time first. */
  readonly sql?: readonly SqlStat[];
}

interface Sample {
  readonly at: number;
  readonly cpuMicros: number;
}

const SENT = 'postwave.message.sent.v1';
const TAKEN = 'postwave.message.taken-into-account.v1';
const PLANNED = 'postwave.message.planned.v1';
const log = (line: string) => process.stderr.write(`${line}\n`);

async function main(): Promise<void> {
  const params = JSON.parse(process.argv[2] ?? '{}') as RunParams;
  const deadline = Date.now() + params.timeoutMs;
  const dir = mkdtempSync(join(params.workDir || tmpdir(), `postwave-bench-${params.label}-`));
  let service: RunningService<EmbeddedConfig> | undefined;
  const samples: Sample[] = [];
  let peakRss = 0;
  const sample = () => {
    const cpu = process.cpuUsage();
    samples.push({ at: Date.now(), cpuMicros: cpu.user + cpu.system });
    peakRss = Math.max(peakRss, process.memoryUsage.rss());
  };
  const sampler = setInterval(sample, 50);
  sampler.unref();
  try {
    if (params.sqlStats) installSqlStats();
    const calibrated = await calibratedContent(params.targetBytes);
    log(
      `[${params.label}] message size ${calibrated.bytes} bytes (target ${params.targetBytes}, ${calibrated.blocks} loop blocks)`,
    );
    service = await runService(
      embeddedService,
      embeddedEnv({
        SQLITE_PATH: join(dir, 'postwave.sqlite'),
        HTTP_PORT: '0',
        LOG_LEVEL: 'error',
        SIMULATOR_ENABLED: 'false',
        SIMULATOR_PORT: String(await freePort()),
        BOUNCE_SMTP_PORT: '0',
        MTA_ROUTES: `${BENCH_DOMAIN}=127.0.0.1:${params.sinkPort}`,
        MTA_MX_RULES_FILE: params.rulesFile,
        MTA_DKIM_GENERATE: 'true',
        MTA_MAX_CONNECTIONS: '20',
        MTA_HELO_NAME: 'bench.localhost',
        ...params.env,
      }),
    );
    const api = service.url;

    // Deliveries of at most perDelivery recipients, created one after the other.
    const ids: Array<{ id: string; size: number }> = [];
    const postMs: number[] = [];
    const profiler = params.profileFile ? await startProfiler() : null;
    if (params.sqlStats) resetSqlStats();
    const loopDelay = monitorEventLoopDelay({ resolution: 10 });
    loopDelay.enable();
    const started = Date.now();
    sample();
    for (let first = 0, k = 0; first < params.count; first += params.perDelivery, k++) {
      const size = Math.min(params.perDelivery, params.count - first);
      const id = `bench-${params.label}-${k}`;
      const body = {
        deliveryId: id,
        label: `MTA benchmark ${params.label}`,
        approvalMode: 'Automatic',
        content: calibrated.content,
        recipients: Array.from({ length: size }, (_, i) => benchRecipient(first + i)),
      };
      // The idempotency key makes a retry after a dropped connection safe.
      const created = await retried(() =>
        http('POST', `${api}/v1/deliveries`, body, { 'idempotency-key': `create-${id}` }),
      );
      if (created.status !== 201)
        throw new Error(`POST /v1/deliveries ${id} → ${created.status} ${JSON.stringify(created.body)}`);
      ids.push({ id, size });
      postMs.push(Date.now() - started);
    }
    const createRequestMs = Date.now() - started;

    // Poll the projector's KPIs until every message has a final status.
    let lastReport = 0;
    let totals = { success: 0, errors: 0, pending: 0, taken: 0 };
    for (;;) {
      const summaries = await Promise.all(
        ids.map(({ id }) => retried(() => http<DeliverySummary>('GET', `${api}/v1/deliveries/${id}`))),
      );
      const settled = summaries.every((summary, i) => {
        if (summary.status !== 200) return false;
        const { kpis } = summary.body;
        if (kpis.ignored > 0)
          throw new Error(
            `[${params.label}] ${ids[i]!.id}: the analysis excluded ${kpis.ignored} recipients (${summary.body.state})`,
          );
        return (
          kpis.toDeliver >= ids[i]!.size &&
          kpis.success + kpis.errors >= ids[i]!.size &&
          kpis.pending + kpis.takenIntoAccount === 0
        );
      });
      totals = { success: 0, errors: 0, pending: 0, taken: 0 };
      for (const summary of summaries) {
        if (summary.status !== 200) continue;
        totals.success += summary.body.kpis.success;
        totals.errors += summary.body.kpis.errors;
        totals.pending += summary.body.kpis.pending;
        totals.taken += summary.body.kpis.takenIntoAccount;
      }
      if (settled) break;
      if (Date.now() > deadline)
        throw new Error(
          `[${params.label}] timed out after ${params.timeoutMs} ms: ${totals.success} sent, ${totals.errors} failed, ` +
            `${totals.taken} in the spool, ${totals.pending} not yet spooled of ${params.count}`,
        );
      if (Date.now() - lastReport > 2000) {
        lastReport = Date.now();
        log(
          `[${params.label}] ${((Date.now() - started) / 1000).toFixed(1)} s: ${totals.success} sent, ` +
            `${totals.taken} in the spool, ${totals.pending} not yet spooled`,
        );
      }
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    const finished = Date.now();
    loopDelay.disable();
    sample();
    clearInterval(sampler);
    const sql = params.sqlStats ? sqlStats() : undefined;
    if (profiler && params.profileFile)
      writeFileSync(params.profileFile, JSON.stringify(await profiler.stop()));

    // Event times from the log itself (the envelope time is set when the MTA records the outcome).
    const db = service.platform.db;
    const byType = await db.read((em) =>
      em.query(
        `SELECT type, COUNT(*) AS n, MIN(json_extract(envelope, '$.time')) AS first,
                MAX(json_extract(envelope, '$.time')) AS last
           FROM event_log GROUP BY type ORDER BY n DESC`,
      ),
    );
    const types = byType as Array<{ type: string; n: number; first: string; last: string }>;
    const sentRow = types.find((row) => row.type === SENT);
    const takenRow = types.find((row) => row.type === TAKEN);
    if (!sentRow || !takenRow)
      throw new Error(`[${params.label}] no sent or taken-into-account events in the log`);
    const firstSent = Date.parse(sentRow.first);
    const lastSent = Date.parse(sentRow.last);
    const lastTaken = Date.parse(takenRow.last);
    // The drain starts when the last message is spooled, or at the first send if that comes later.
    const drainFrom = Math.max(lastTaken, firstSent);
    const [drain] = (await db.read((em) =>
      em.query(
        `SELECT COUNT(*) AS n FROM event_log WHERE type = ? AND json_extract(envelope, '$.time') > ?`,
        [SENT, new Date(drainFrom).toISOString()],
      ),
    )) as Array<{ n: number }>;
    const drainMessages = Number(drain?.n ?? 0);
    // Messages planned, spooled and sent per second since the first POST.
    const buckets = (await db.read((em) =>
      em.query(
        `SELECT CAST((julianday(json_extract(envelope, '$.time')) - julianday(?)) * 86400 AS INTEGER) AS second,
                SUM(type = ?) AS planned, SUM(type = ?) AS taken, SUM(type = ?) AS sent
           FROM event_log WHERE type IN (?, ?, ?) GROUP BY second ORDER BY second`,
        [new Date(started).toISOString(), PLANNED, TAKEN, SENT, PLANNED, TAKEN, SENT],
      ),
    )) as Array<{ second: number; planned: number; taken: number; sent: number }>;
    const sqliteBytes = ['postwave.sqlite', 'postwave.sqlite-wal']
      .map((file) => {
        try {
          return statSync(join(dir, file)).size;
        } catch {
          return 0;
        }
      })
      .reduce((a, b) => a + b, 0);

    const sent = Number(sentRow.n);
    const cpuAt = (at: number) => interpolate(samples, at);
    const cpuMs = (from: number, to: number) => (cpuAt(to) - cpuAt(from)) / 1000;
    const windowMs = Math.max(1, lastSent - firstSent);
    const drainMs = lastSent - drainFrom;
    const result: RunResult = {
      label: params.label,
      messages: params.count,
      sent,
      errors: totals.errors,
      deliveries: ids.length,
      messageBytes: calibrated.bytes,
      loopBlocks: calibrated.blocks,
      endToEndMs: finished - started,
      endToEndMsgPerSec: (sent * 1000) / (finished - started),
      sendWindowMs: windowMs,
      spoolToSinkMsgPerSec: (sent * 1000) / windowMs,
      drainMessages,
      drainMsgPerSec: drainMessages > 20 && drainMs > 0 ? (drainMessages * 1000) / drainMs : null,
      spooledAfterMs: lastTaken - started,
      firstSentAfterMs: firstSent - started,
      lastSentAfterMs: lastSent - started,
      cpuMsPerMsg: cpuMs(firstSent, lastSent) / sent,
      cpuMsPerMsgEndToEnd: cpuMs(started, finished) / sent,
      cpuMsPerMsgDrain: drainMessages > 20 && drainMs > 0 ? cpuMs(drainFrom, lastSent) / drainMessages : null,
      cpuUtilisation: cpuMs(firstSent, lastSent) / windowMs,
      eventLoopDelayMs: {
        p50: loopDelay.percentile(50) / 1e6,
        p99: loopDelay.percentile(99) / 1e6,
        max: loopDelay.max / 1e6,
      },
      networkRetries,
      peakRssMb: Math.max(peakRss, process.resourceUsage().maxRSS * 1024) / 1024 / 1024,
      timeline: buckets.map((b) => [Number(b.second), Number(b.planned), Number(b.taken), Number(b.sent)]),
      eventsByType: Object.fromEntries(types.map((row) => [row.type, Number(row.n)])),
      sqliteBytes,
      createRequestMs,
      postsDoneAtMs: postMs,
      ...(sql
        ? {
            sql: [
              ...sql.filter((s) => !s.sql.startsWith('BEGIN →')).slice(0, 40),
              ...sql.filter((s) => s.sql.startsWith('BEGIN →')),
            ],
          }
        : {}),
    };
    await new Promise((resolve) => process.stdout.write(`BENCH_RESULT ${JSON.stringify(result)}\n`, resolve));
  } finally {
    clearInterval(sampler);
    await service?.close().catch((error: Error) => log(`[${params.label}] close failed: ${error.message}`));
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * Retries a request that failed at the network level (the server drops kept-alive connections
 * when its event loop stalls for seconds); counted in the result.
 */
let networkRetries = 0;
async function retried<T>(request: () => Promise<T>, attempts = 5): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await request();
    } catch (error) {
      if (attempt >= attempts) throw error;
      networkRetries++;
      await new Promise((resolve) => setTimeout(resolve, 200 * attempt));
    }
  }
}

/** The V8 sampling profiler through the inspector, so start-up and shutdown stay out of the profile. */
async function startProfiler(): Promise<{ stop(): Promise<object> }> {
  const session = new Session();
  session.connect();
  const post = (method: string, params: object = {}) =>
    new Promise<Record<string, unknown>>((resolve, reject) =>
      session.post(method, params, (error, result) =>
        error ? reject(error) : resolve(result as Record<string, unknown>),
      ),
    );
  await post('Profiler.enable');
  await post('Profiler.setSamplingInterval', { interval: 500 });
  await post('Profiler.start');
  return {
    stop: async () => {
      const { profile } = (await post('Profiler.stop')) as { profile: object };
      session.disconnect();
      return profile;
    },
  };
}

/** CPU time (µs) at `at`, linearly interpolated between the samples around it. */
function interpolate(samples: readonly Sample[], at: number): number {
  if (samples.length === 0) return 0;
  let before = samples[0]!;
  for (const current of samples) {
    if (current.at >= at) {
      if (current.at === before.at) return current.cpuMicros;
      const share = Math.max(0, Math.min(1, (at - before.at) / (current.at - before.at)));
      return before.cpuMicros + share * (current.cpuMicros - before.cpuMicros);
    }
    before = current;
  }
  return before.cpuMicros;
}

main().then(
  () => process.exit(0),
  (error: Error) => {
    process.stderr.write(`mta-bench-run: ${error.stack ?? error.message}\n`);
    process.exit(1);
  },
);
