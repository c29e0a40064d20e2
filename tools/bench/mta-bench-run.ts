/**
 * One measured run of the MTA benchmark, in its own process (started by mta-bench.ts, so CPU time,
 * peak RSS and a CPU profile belong to the product alone, not to the sink or the orchestrator).
 *
 * The real product path, in-process, on a temp SQLite file (WAL, synchronous=NORMAL: the durable
 * spool): deliveries created through the HTTP API, messages built, DKIM-signed (rsa-sha256, 2048-bit
 * key generated at first use) and sent over SMTP to a local sink; by the embedded app (`platform`)
 * or by the sending MTA service alone after the planner planned them (`mta-alone`). Prints progress
 * on stderr and one `BENCH_RESULT {json}` line on stdout.
 */
import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { monitorEventLoopDelay, type IntervalHistogram } from 'node:perf_hooks';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { DeliveryContent } from '@postwave/contracts';
import type { Database } from '@postwave/platform/persistence';
import { runService, type RunningService } from '@postwave/platform/runtime';
import { freePort, http, type DeliverySummary } from '@postwave/testing';
import { plannerService } from '../../apps/delivery-planner/src/planner.service';
import { projectorService } from '../../apps/feedback-projector/src/projector.service';
import { embeddedEnv } from '../../apps/postwave/src/embedded-env';
import { embeddedService } from '../../apps/postwave/src/embedded.service';
import { mtaService } from '../../apps/sending-mta/src/mta.service';
import { BENCH_DOMAIN, benchRecipient, calibratedContent } from './bench-content';
import { CpuSampler, networkRetries, retried, startProfiler } from './bench-run-support';
import { installSqlStats, resetSqlStats, sqlStats, type SqlStats } from './sql-stats';

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
  /**
   * `platform`: the embedded default, every service in this process; `mta-alone`: the sending MTA
   * service only.
   */
  readonly mode: 'platform' | 'mta-alone';
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
  /** With sqlStats: the statements of the measured phase (most time first) and who opened transactions. */
  readonly sql?: SqlStats;
}

const SENT = 'postwave.message.sent.v1';
const TAKEN = 'postwave.message.taken-into-account.v1';
const PLANNED = 'postwave.message.planned.v1';
const log = (line: string) => process.stderr.write(`${line}\n`);

async function main(): Promise<void> {
  const params = JSON.parse(process.argv[2] ?? '{}') as RunParams;
  const deadline = Date.now() + params.timeoutMs;
  const dir = mkdtempSync(join(params.workDir || tmpdir(), `postwave-bench-${params.label}-`));
  let service: Closable | undefined;
  const sampler = new CpuSampler();
  try {
    if (params.sqlStats) installSqlStats();
    const calibrated = await calibratedContent(params.targetBytes);
    log(
      `[${params.label}] message size ${calibrated.bytes} bytes (target ${params.targetBytes}, ${calibrated.blocks} loop blocks)`,
    );
    const env = embeddedEnv(await productEnv(params, dir));
    const measured: Measured =
      params.mode === 'mta-alone'
        ? await mtaAlone(params, env, calibrated.content, sampler, deadline)
        : await wholePlatform(params, env, calibrated.content, sampler, deadline);
    service = measured.service;
    const { started, finished, ids, postMs, createRequestMs, totals, loopDelay, sql } = measured;

    // Event times from the log itself (the envelope time is set when the MTA records the outcome).
    const db = measured.db;
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
    const cpuMs = (from: number, to: number) => sampler.cpuMs(from, to);
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
      peakRssMb: Math.max(sampler.peakRss, process.resourceUsage().maxRSS * 1024) / 1024 / 1024,
      timeline: buckets.map((b) => [Number(b.second), Number(b.planned), Number(b.taken), Number(b.sent)]),
      eventsByType: Object.fromEntries(types.map((row) => [row.type, Number(row.n)])),
      sqliteBytes,
      createRequestMs,
      postsDoneAtMs: postMs,
      ...(sql
        ? { sql: { statements: sql.statements.slice(0, 40), transactions: sql.transactions.slice(0, 10) } }
        : {}),
    };
    await new Promise((resolve) => process.stdout.write(`BENCH_RESULT ${JSON.stringify(result)}\n`, resolve));
  } finally {
    sampler.stop();
    await service?.close().catch((error: Error) => log(`[${params.label}] close failed: ${error.message}`));
    rmSync(dir, { recursive: true, force: true });
  }
}

type Env = Record<string, string | undefined>;
type Closable = Pick<RunningService<unknown>, 'close'>;
type Delivery = { readonly id: string; readonly size: number };
type Totals = { success: number; errors: number; pending: number; taken: number };

/** What a mode measured; the event log in `db` gives the rest. */
interface Measured {
  /** What is still running (closed at the end). */
  readonly service: Closable;
  readonly db: Database;
  readonly started: number;
  readonly finished: number;
  readonly ids: readonly Delivery[];
  readonly postMs: readonly number[];
  readonly createRequestMs: number;
  readonly totals: Totals;
  readonly loopDelay: IntervalHistogram;
  readonly sql?: SqlStats;
}

/** The product's settings for the run: the sink as the bench domain's route, DKIM on. */
async function productEnv(params: RunParams, dir: string): Promise<Env> {
  return {
    SQLITE_PATH: join(dir, 'postwave.sqlite'),
    HTTP_PORT: '0',
    HTTP_HOST: '127.0.0.1',
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
  };
}

/** The measured phase's instruments: event-loop delay, SQLite statements, the CPU profile. */
async function instruments(params: RunParams) {
  const profiler = params.profileFile ? await startProfiler() : null;
  if (params.sqlStats) resetSqlStats();
  const loopDelay = monitorEventLoopDelay({ resolution: 10 });
  loopDelay.enable();
  return {
    stop: async (): Promise<Pick<Measured, 'loopDelay' | 'sql'>> => {
      loopDelay.disable();
      const sql = params.sqlStats ? sqlStats() : undefined;
      if (profiler && params.profileFile)
        writeFileSync(params.profileFile, JSON.stringify(await profiler.stop()));
      return { loopDelay, ...(sql ? { sql } : {}) };
    },
  };
}

/**
 * The embedded default as users start it: planner, MTA, bounce and feedback in one process. Measured
 * from the first POST until every message is Sent in the KPIs.
 */
async function wholePlatform(
  params: RunParams,
  env: Env,
  content: DeliveryContent,
  sampler: CpuSampler,
  deadline: number,
): Promise<Measured> {
  const service = await runService(embeddedService, env);
  const measuring = await instruments(params);
  const started = Date.now();
  sampler.sample();
  const { ids, postMs } = await createDeliveries(service.url, params, content, started);
  const createRequestMs = Date.now() - started;
  const totals = await untilAllFinal(service.url, ids, params, started, deadline);
  const finished = Date.now();
  sampler.sample();
  const instrumented = await measuring.stop();
  const phase = { started, finished, ids, postMs, createRequestMs };
  return { service, db: service.platform.db, totals, ...phase, ...instrumented };
}

/**
 * The sending MTA service on its own, as each service runs in the distributed mode, on the durable
 * SQLite spool: the planner (alone) plans the deliveries first, then the MTA takes the planned
 * messages into its spool and sends them, measured from its start until the spool is empty. The
 * feedback projector then catches up from the event log, and every message must be Sent in its KPIs.
 */
async function mtaAlone(
  params: RunParams,
  env: Env,
  content: DeliveryContent,
  sampler: CpuSampler,
  deadline: number,
): Promise<Measured> {
  const planner = await runService(plannerService, env);
  const planningStarted = Date.now();
  const { ids, postMs } = await createDeliveries(planner.url, params, content, planningStarted);
  const createRequestMs = Date.now() - planningStarted;
  await until(deadline, `${params.label}: planning`, async () => {
    const [row] = (await planner.platform.db.read((em) =>
      em.query('SELECT COUNT(*) AS n FROM event_log WHERE type = ?', [PLANNED]),
    )) as Array<{ n: number }>;
    return Number(row?.n ?? 0) >= params.count;
  });
  await planner.close();
  log(
    `[${params.label}] planned ${params.count} messages in ${Date.now() - planningStarted} ms; the MTA starts`,
  );

  const measuring = await instruments(params);
  const started = Date.now();
  sampler.sample();
  const mta = await runService(mtaService, env);
  let lastReport = started;
  try {
    // Polled every 100 ms in the measured process: the queued count reads the spool's state index.
    let spooled = 0;
    await until(deadline, `${params.label}: sending`, async () => {
      const count = async (sql: string) => {
        const [row] = (await mta.platform.db.read((em) => em.query(sql))) as Array<{ n: number }>;
        return Number(row?.n ?? 0);
      };
      if (spooled < params.count) spooled = await count('SELECT COUNT(*) AS n FROM mta_spool');
      const queued = await count("SELECT COUNT(*) AS n FROM mta_spool WHERE state = 'queued'");
      if (Date.now() - lastReport > 2000) {
        lastReport = Date.now();
        log(
          `[${params.label}] ${((Date.now() - started) / 1000).toFixed(1)} s: ${spooled} spooled, ${queued} queued`,
        );
      }
      return spooled >= params.count && queued === 0;
    });
  } catch (error) {
    await mta.close();
    throw error;
  }
  const phase = { started, finished: Date.now(), ids, postMs, createRequestMs };
  sampler.sample();
  const instrumented = await measuring.stop();
  await mta.close();

  // The projection catches up from the log: every message must be Sent in the KPIs.
  const projector = await runService(projectorService, env);
  const caughtUpFrom = Date.now();
  const totals = await untilAllFinal(projector.url, ids, params, caughtUpFrom, deadline);
  log(`[${params.label}] the feedback projection caught up in ${Date.now() - caughtUpFrom} ms`);
  return { service: projector, db: projector.platform.db, totals, ...phase, ...instrumented };
}

async function until(deadline: number, what: string, done: () => Promise<boolean>): Promise<void> {
  while (!(await done())) {
    if (Date.now() > deadline) throw new Error(`${what} timed out`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** Deliveries of at most perDelivery recipients, created one after the other through the API. */
async function createDeliveries(
  api: string,
  params: RunParams,
  content: DeliveryContent,
  started: number,
): Promise<{ ids: Delivery[]; postMs: number[] }> {
  const ids: Delivery[] = [];
  const postMs: number[] = [];
  for (let first = 0, k = 0; first < params.count; first += params.perDelivery, k++) {
    const size = Math.min(params.perDelivery, params.count - first);
    const id = `bench-${params.label}-${k}`;
    const body = {
      deliveryId: id,
      label: `MTA benchmark ${params.label}`,
      approvalMode: 'Automatic',
      content,
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
  return { ids, postMs };
}

/**
 * Polls the projector's KPIs until every message has a final status. A delivery whose messages are
 * all final stays so and is not asked again: the polling runs in the measured process. Every 100 ms
 * it cost the platform run about 5% of its event loop (20 requests each time, an operator's
 * dashboard asks far less often); every 500 ms it stays under 1%, and the end-to-end time is
 * known to half a second (the spool→sink figures come from the events' own times).
 */
async function untilAllFinal(
  api: string,
  ids: readonly Delivery[],
  params: RunParams,
  started: number,
  deadline: number,
): Promise<Totals> {
  let lastReport = 0;
  const latest = new Map<string, DeliverySummary['kpis']>();
  const open = new Set(ids.map(({ id }) => id));
  for (;;) {
    const asked = ids.filter(({ id }) => open.has(id));
    const summaries = await Promise.all(
      asked.map(({ id }) => retried(() => http<DeliverySummary>('GET', `${api}/v1/deliveries/${id}`))),
    );
    summaries.forEach((summary, i) => {
      const { id, size } = asked[i]!;
      if (summary.status !== 200) return;
      const { kpis } = summary.body;
      if (kpis.ignored > 0)
        throw new Error(
          `[${params.label}] ${id}: the analysis excluded ${kpis.ignored} recipients (${summary.body.state})`,
        );
      latest.set(id, kpis);
      if (
        kpis.toDeliver >= size &&
        kpis.success + kpis.errors >= size &&
        kpis.pending + kpis.takenIntoAccount === 0
      )
        open.delete(id);
    });
    const totals: Totals = { success: 0, errors: 0, pending: 0, taken: 0 };
    for (const kpis of latest.values()) {
      totals.success += kpis.success;
      totals.errors += kpis.errors;
      totals.pending += kpis.pending;
      totals.taken += kpis.takenIntoAccount;
    }
    if (open.size === 0) return totals;
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
    await new Promise((resolve) => setTimeout(resolve, KPI_POLL_MS));
  }
}

const KPI_POLL_MS = 500;

main().then(
  () => process.exit(0),
  (error: Error) => {
    process.stderr.write(`mta-bench-run: ${error.stack ?? error.message}\n`);
    process.exit(1);
  },
);
