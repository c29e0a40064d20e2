/**
 * Planner benchmark (`npm run bench:planner`): imports an audience of 1,000,000 recipients from a
 * CSV file through the HTTP API (streamed), then creates a delivery to it with automatic approval
 * and measures the analysis plus the emission of every planned message, on the embedded mode
 * (SQLite, in-process event log). Peak RSS is sampled every 50 ms in this process, which hosts the
 * planner. The last line printed is one JSON object.
 *
 *   npm run bench:planner                  1,000,000 rows
 *   npm run bench:planner -- --rows 200000 a smaller run
 *
 * Targets on the 2-core reference machine: import ≥ 100,000 rows/s, analysis + emission ≥ 50,000
 * recipients/s, peak RSS < 400 MB. Loopback only.
 */
import 'reflect-metadata';
import { createReadStream, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { runService } from '@postwave/platform/runtime';
import { plannerService } from '../../apps/delivery-planner/src/planner.service';

const TARGETS = { importRowsPerSec: 100_000, analyzeRecipientsPerSec: 50_000, peakRssMb: 400 };
const COUNTRIES = ['SE', 'NO', 'DK', 'FI', 'DE', 'FR', 'NL', 'ES'];

function option(name: string, fallback: number): number {
  const index = process.argv.indexOf(name);
  const value = index >= 0 ? Number(process.argv[index + 1]) : fallback;
  if (!Number.isSafeInteger(value) || value <= 0)
    throw new Error(`${name}: must be a positive integer (got ${process.argv[index + 1]})`);
  return value;
}

function writeAudience(path: string, rows: number): void {
  writeFileSync(path, 'email,firstName,country,age\n');
  const parts: string[] = [];
  for (let i = 0; i < rows; i++) {
    parts.push(
      `user${i}@d${i % 5000}.bench.example,Name${i},${COUNTRIES[i % COUNTRIES.length]},${18 + (i % 60)}`,
    );
    if (parts.length === 50_000) {
      writeFileSync(path, parts.join('\n') + '\n', { flag: 'a' });
      parts.length = 0;
    }
  }
  if (parts.length) writeFileSync(path, parts.join('\n') + '\n', { flag: 'a' });
}

/** Streams the file as the request body, as the CLI does. */
function upload(url: string, path: string): Promise<{ status: number; body: Record<string, unknown> }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method: 'POST', headers: { 'content-type': 'text/csv' } }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (data: string) => (text += data));
      res.on('end', () =>
        resolve({ status: res.statusCode ?? 0, body: JSON.parse(text) as Record<string, unknown> }),
      );
    });
    req.on('error', reject);
    createReadStream(path, { highWaterMark: 256 * 1024 }).pipe(req);
  });
}

async function json(method: string, url: string, body?: unknown) {
  const response = await fetch(url, {
    method,
    headers: { 'content-type': 'application/json' },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
  return (await response.json()) as BenchAnswer;
}

interface BenchAnswer {
  accepted?: boolean;
  status?: string;
  report?: { targeted: number; toDeliver: number; durationSeconds?: number };
}

async function main(): Promise<void> {
  const rows = option('--rows', 1_000_000);
  const dir = mkdtempSync(join(tmpdir(), 'postwave-bench-planner-'));
  let peakRss = process.memoryUsage().rss;
  const sampler = setInterval(() => (peakRss = Math.max(peakRss, process.memoryUsage().rss)), 50);
  try {
    const file = join(dir, 'audience.csv');
    writeAudience(file, rows);
    const bytes = statSync(file).size;
    console.log(`audience file: ${rows} rows, ${(bytes / 1e6).toFixed(1)} MB`);

    const service = await runService(plannerService, {
      SQLITE_PATH: join(dir, 'planner.sqlite'),
      HTTP_PORT: '0',
      HTTP_HOST: '127.0.0.1',
      LOG_LEVEL: 'warn',
    });
    const baseRss = process.memoryUsage().rss;
    peakRss = baseRss;
    try {
      const importStart = process.hrtime.bigint();
      const imported = await upload(`${service.url}/v1/audiences/bench/import?format=csv&onError=skip`, file);
      const importSeconds = Number(process.hrtime.bigint() - importStart) / 1e9;
      if (imported.status !== 201 || imported.body['imported'] !== rows)
        throw new Error(`import failed: ${imported.status} ${JSON.stringify(imported.body).slice(0, 500)}`);
      const importRss = peakRss;
      console.log(`import: ${rows} rows in ${importSeconds.toFixed(2)} s`);

      const analyzeStart = process.hrtime.bigint();
      const created = await json('POST', `${service.url}/v1/deliveries?wait=false`, {
        deliveryId: 'bench-delivery',
        approvalMode: 'Automatic',
        content: {
          sender: { address: 'news@shop.example', name: 'Shop' },
          subject: 'Hello {{ firstName }}',
          html: '<p>Hi {{ firstName }} from {{ country }}</p><a href="{{ unsubscribeUrl }}">Unsubscribe</a>',
        },
        target: { audience: 'bench' },
      });
      if (!created['accepted']) throw new Error(`create failed: ${JSON.stringify(created)}`);
      let analysedAt = 0n;
      let plan: BenchAnswer = {};
      for (;;) {
        plan = await json('GET', `${service.url}/v1/deliveries/bench-delivery/plan`);
        if (!analysedAt && plan['report']) analysedAt = process.hrtime.bigint();
        if (['InProgress', 'Failed', 'Stopped'].includes(plan['status'] ?? '')) break;
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      const totalSeconds = Number(process.hrtime.bigint() - analyzeStart) / 1e9;
      // The analysis reports its own duration; the rest of the total is the emission.
      const analysisSeconds = Number(
        plan['report']?.durationSeconds ??
          Number((analysedAt || process.hrtime.bigint()) - analyzeStart) / 1e9,
      );
      if (plan['status'] !== 'InProgress')
        throw new Error(`delivery ended ${plan['status']}: ${JSON.stringify(plan['report'])}`);
      console.log(
        `analysis: ${plan['report']?.toDeliver} to deliver of ${plan['report']?.targeted} in ${analysisSeconds.toFixed(2)} s; ` +
          `with emission of the planned messages: ${totalSeconds.toFixed(2)} s`,
      );
      const figures = {
        rows,
        importSeconds: round(importSeconds),
        importRowsPerSec: Math.round(rows / importSeconds),
        analysisSeconds: round(analysisSeconds),
        analyzeRecipientsPerSec: Math.round(rows / totalSeconds),
        analysisOnlyRecipientsPerSec: Math.round(rows / analysisSeconds),
        peakRssMb: Math.round(peakRss / 1e6),
        importPeakRssMb: Math.round(importRss / 1e6),
        baseRssMb: Math.round(baseRss / 1e6),
        cores: cpus().length,
        load1: round(loadavg()[0] ?? 0),
        targets: TARGETS,
        met: {
          import: rows / importSeconds >= TARGETS.importRowsPerSec,
          analysis: rows / totalSeconds >= TARGETS.analyzeRecipientsPerSec,
          rss: peakRss / 1e6 < TARGETS.peakRssMb,
        },
      };
      console.log(JSON.stringify(figures));
    } finally {
      await service.close();
    }
  } finally {
    clearInterval(sampler);
    rmSync(dir, { recursive: true, force: true });
  }
}

const round = (value: number) => Math.round(value * 100) / 100;

main().catch((error: Error) => {
  console.error(`bench:planner failed: ${error.stack ?? error.message}`);
  process.exit(1);
});
