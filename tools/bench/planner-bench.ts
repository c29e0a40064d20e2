/**
 * Planner benchmark (`npm run bench:planner`): imports an audience of 1,000,000 recipients from a
 * CSV file through the HTTP API (streamed), then creates a delivery to it with automatic approval
 * and measures the analysis plus the emission of every planned message, on the embedded mode
 * (SQLite, in-process event log). The planner runs as its own process from the compiled output,
 * the way it runs in production (built first if dist/ lacks it), and its peak RSS is the kernel's
 * high-water mark (VmHWM). The last line printed is one JSON object.
 *
 *   npm run bench:planner                  1,000,000 rows
 *   npm run bench:planner -- --rows 200000 a smaller run
 *   npm run bench:planner -- --verbose     also print the planner's log (time per job phase)
 *   npm run bench:planner -- --profile DIR the planner process writes a V8 CPU profile into DIR
 *   npm run bench:planner -- --in-process  run the planner in this process from source
 *
 * Targets on the 2-core reference machine: import ≥ 100,000 rows/s, analysis + emission ≥ 50,000
 * recipients/s, peak RSS < 400 MB. Loopback only.
 */
import 'reflect-metadata';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import {
  createReadStream,
  existsSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { request } from 'node:http';
import { createServer } from 'node:net';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const ROOT = resolve(__dirname, '..', '..');
const TARGETS = { importRowsPerSec: 100_000, analyzeRecipientsPerSec: 50_000, peakRssMb: 400 };
const COUNTRIES = ['SE', 'NO', 'DK', 'FI', 'DE', 'FR', 'NL', 'ES'];
const verbose = process.argv.includes('--verbose');

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

interface BenchAnswer {
  accepted?: boolean;
  status?: string;
  report?: { targeted: number; toDeliver: number; durationSeconds?: number };
}

async function json(method: string, url: string, body?: unknown) {
  const response = await fetch(url, {
    method,
    headers: { 'content-type': 'application/json' },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
  return (await response.json()) as BenchAnswer;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() =>
        typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port')),
      );
    });
  });
}

interface Planner {
  readonly url: string;
  /** Peak resident set size so far, in bytes. */
  peakRss(): number;
  close(): Promise<void>;
}

/** The compiled planner in a process of its own; VmHWM is the kernel's record of its peak RSS. */
async function startCompiled(env: Record<string, string>): Promise<Planner> {
  const entry = join(ROOT, 'dist/apps/delivery-planner/apps/delivery-planner/src/main.js');
  // Always through Nx: its cache makes this instant when the sources have not changed.
  console.log('building the planner (npx nx run delivery-planner:build)…');
  const built = spawnSync('npx', ['nx', 'run', 'delivery-planner:build', '--output-style=static'], {
    cwd: ROOT,
    stdio: verbose ? 'inherit' : 'ignore',
    env: { ...process.env, NX_DAEMON: 'false', NX_NO_CLOUD: 'true' },
  });
  if (built.status !== 0 || !existsSync(entry)) throw new Error('building the planner failed');
  const port = await freePort();
  // --profile DIR: the planner writes a V8 CPU profile there when it stops.
  const profileAt = process.argv.indexOf('--profile');
  const nodeArgs = profileAt >= 0 ? ['--cpu-prof', `--cpu-prof-dir=${process.argv[profileAt + 1]}`] : [];
  // --node-arg X: a V8/Node flag for the planner process (repeatable), to try runtime settings.
  process.argv.forEach((arg, i) => arg === '--node-arg' && nodeArgs.push(process.argv[i + 1]!));
  const child: ChildProcess = spawn(
    process.execPath,
    [...nodeArgs, 'tools/runtime/start.js', 'delivery-planner'],
    {
      cwd: ROOT,
      env: { ...process.env, ...env, HTTP_PORT: String(port) },
      stdio: ['ignore', verbose ? 'inherit' : 'ignore', 'inherit'],
    },
  );
  const url = `http://127.0.0.1:${port}`;
  for (let i = 0; ; i++) {
    if (child.exitCode !== null) throw new Error(`the planner exited with ${child.exitCode}`);
    const ready = await fetch(`${url}/health`).then(
      (r) => r.ok,
      () => false,
    );
    if (ready) break;
    if (i > 300) throw new Error('the planner did not start within 30 s');
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    url,
    peakRss: () => {
      const status = readFileSync(`/proc/${child.pid}/status`, 'utf8');
      return Number(/VmHWM:\s+(\d+) kB/.exec(status)?.[1] ?? 0) * 1024;
    },
    close: () =>
      new Promise((resolve) => {
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}

/** The planner in this process, from source (SWC): for CPU profiles with `node --cpu-prof`. */
async function startInProcess(env: Record<string, string>): Promise<Planner> {
  const { runService } = await import('@postwave/platform/runtime');
  const { plannerService } = await import('../../apps/delivery-planner/src/planner.service');
  const service = await runService(plannerService, { ...env, HTTP_PORT: '0' });
  let peak = process.memoryUsage().rss;
  const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 50);
  return {
    url: service.url,
    peakRss: () => peak,
    close: async () => {
      clearInterval(sampler);
      await service.close();
    },
  };
}

async function main(): Promise<void> {
  const rows = option('--rows', 1_000_000);
  const dir = mkdtempSync(join(tmpdir(), 'postwave-bench-planner-'));
  try {
    const file = join(dir, 'audience.csv');
    writeAudience(file, rows);
    console.log(`audience file: ${rows} rows, ${(statSync(file).size / 1e6).toFixed(1)} MB`);
    const env = {
      SQLITE_PATH: join(dir, 'planner.sqlite'),
      HTTP_HOST: '127.0.0.1',
      LOG_LEVEL: verbose ? 'info' : 'warn',
    };
    const inProcess = process.argv.includes('--in-process');
    const planner = inProcess ? await startInProcess(env) : await startCompiled(env);
    const baseRss = planner.peakRss();
    try {
      const importStart = process.hrtime.bigint();
      const imported = await upload(`${planner.url}/v1/audiences/bench/import?format=csv&onError=skip`, file);
      const importSeconds = Number(process.hrtime.bigint() - importStart) / 1e9;
      if (imported.status !== 201 || imported.body['imported'] !== rows)
        throw new Error(`import failed: ${imported.status} ${JSON.stringify(imported.body).slice(0, 500)}`);
      const importRss = planner.peakRss();
      console.log(`import: ${rows} rows in ${importSeconds.toFixed(2)} s`);

      const analyzeStart = process.hrtime.bigint();
      const created = await json('POST', `${planner.url}/v1/deliveries?wait=false`, {
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
      let plan: BenchAnswer = {};
      for (;;) {
        plan = await json('GET', `${planner.url}/v1/deliveries/bench-delivery/plan`);
        if (['InProgress', 'Failed', 'Stopped'].includes(plan['status'] ?? '')) break;
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      const totalSeconds = Number(process.hrtime.bigint() - analyzeStart) / 1e9;
      if (plan['status'] !== 'InProgress')
        throw new Error(`delivery ended ${plan['status']}: ${JSON.stringify(plan['report'])}`);
      // The analysis reports its own duration; the rest of the total is the emission.
      const analysisSeconds = plan['report']?.durationSeconds ?? totalSeconds;
      console.log(
        `analysis: ${plan['report']?.toDeliver} to deliver of ${plan['report']?.targeted} in ${analysisSeconds.toFixed(2)} s; ` +
          `with emission of the planned messages: ${totalSeconds.toFixed(2)} s`,
      );
      const peakRss = planner.peakRss();
      const figures = {
        rows,
        mode: inProcess ? 'in-process (source)' : 'planner process (compiled)',
        importSeconds: round(importSeconds),
        importRowsPerSec: Math.round(rows / importSeconds),
        analysisSeconds: round(analysisSeconds),
        emissionSeconds: round(totalSeconds - analysisSeconds),
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
      await planner.close();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const round = (value: number) => Math.round(value * 100) / 100;

main().catch((error: Error) => {
  console.error(`bench:planner failed: ${error.stack ?? error.message}`);
  process.exit(1);
});
