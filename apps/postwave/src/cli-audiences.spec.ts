import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createProgress, formatProgress, importQuery } from './commands/audiences.command';

const BIN = join(__dirname, '..', '..', '..', 'bin', 'postwave.js');

interface Recorded {
  readonly method: string;
  readonly path: string;
  readonly query: URLSearchParams;
  readonly headers: IncomingHttpHeaders;
  readonly body: Buffer;
}

interface Canned {
  readonly status: number;
  readonly body: unknown;
}

/** A stand-in for the Postwave API: records each request whole and answers the canned reply. */
async function fakeApi(canned: Canned): Promise<{ url: string; requests: Recorded[]; server: Server }> {
  const requests: Recorded[] = [];
  const server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const url = new URL(request.url ?? '/', 'http://127.0.0.1');
      requests.push({
        method: request.method ?? '',
        path: url.pathname,
        query: url.searchParams,
        headers: request.headers,
        body: Buffer.concat(chunks),
      });
      response.writeHead(canned.status, { 'content-type': 'application/json' });
      response.end(JSON.stringify(canned.body));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, requests, server };
}

function runCli(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const env = { ...process.env };
    delete env['POSTWAVE_API'];
    const child = spawn(process.execPath, [BIN, ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

const REPORT = {
  audience: 'newsletter',
  importId: '7d9c3a52-0000-4000-8000-000000000001',
  status: 'imported',
  lines: 4000,
  imported: 3999,
  duplicates: 0,
  badLines: 1,
  errors: [{ line: 3, reason: 'invalid address syntax' }],
  members: 3999,
  columns: ['email', 'first_name', 'city'],
  durationSeconds: 0.4,
};

describe('postwave audiences import', () => {
  let dir: string;
  let csv: string;
  let server: Server | undefined;

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'postwave-cli-audiences-'));
    csv = join(dir, 'newsletter.csv');
    const lines = ['email,first_name,city'];
    for (let i = 1; i <= 4000; i++)
      lines.push(`user${i}@example.com,Name ${i},"Lyon, ${'x'.repeat(i % 50)}"`);
    lines[3] = 'not-an-address,Broken,Nowhere';
    writeFileSync(csv, lines.join('\n') + '\n');
  });

  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  afterEach(async () => {
    await new Promise((resolve) => server?.close(resolve));
    server = undefined;
  });

  it('streams the file byte for byte with the chosen options and prints the report', async () => {
    const api = await fakeApi({ status: 200, body: REPORT });
    server = api.server;

    const result = await runCli([
      'audiences',
      '--api',
      api.url,
      'import',
      'newsletter',
      csv,
      '--on-error',
      'skip',
      '--replace',
    ]);

    expect(result.stderr).not.toMatch(/postwave:/);
    expect(result.code).toBe(0);
    expect(api.requests).toHaveLength(1);
    const [request] = api.requests;
    expect(request?.method).toBe('POST');
    expect(request?.path).toBe('/v1/audiences/newsletter/import');
    expect(request?.query.toString()).toBe('format=csv&onError=skip&mode=replace');
    expect(request?.headers['content-type']).toBe('text/csv');
    // Chunked, with no length announced: the CLI streamed the file rather than loading it first.
    expect(request?.headers['transfer-encoding']).toBe('chunked');
    expect(request?.body.equals(readFileSync(csv))).toBe(true);
    expect(JSON.parse(result.stdout)).toEqual(REPORT);
    // stderr is a pipe here, not a terminal: progress comes as plain lines, the last one at 100 %.
    expect(result.stderr.trim().split('\n').at(-1)).toMatch(/^upload \[#+\]\s+100\.0%/);
  });

  it('exits 1 on a rejected file and lists the bad lines on stderr', async () => {
    const rejected = { ...REPORT, status: 'rejected', imported: 0, members: 0 };
    const api = await fakeApi({
      status: 422,
      body: {
        error: 'file rejected: 1 bad line(s); line 3: invalid address syntax',
        field: 'line 3',
        value: 'invalid address syntax',
        report: rejected,
      },
    });
    server = api.server;

    const result = await runCli(['audiences', '--api', api.url, 'import', 'newsletter', csv]);

    expect(result.code).toBe(1);
    expect(result.stdout).toBe('');
    expect(api.requests[0]?.query.toString()).toBe('format=csv&onError=reject&mode=merge');
    expect(result.stderr).toMatch(/→ 422: file rejected: 1 bad line\(s\)/);
    expect(result.stderr.split('\n')).toContain('line 3: invalid address syntax');
  });
});

describe('import options', () => {
  const base = { onError: 'reject', progress: true } as const;

  it('takes the format from the extension unless given, and spells a tab delimiter', () => {
    expect(importQuery('members.jsonl', base)).toBe('?format=ndjson&onError=reject&mode=merge');
    expect(importQuery('members.TSV', { ...base, delimiter: '\\t', addressField: 'mail' })).toBe(
      '?format=csv&onError=reject&mode=merge&addressField=mail&delimiter=%09',
    );
    expect(importQuery('members.txt', { ...base, format: 'ndjson' })).toBe(
      '?format=ndjson&onError=reject&mode=merge',
    );
  });

  it('refuses what it cannot send, naming the option and the value', () => {
    expect(() => importQuery('members.txt', base)).toThrow(
      '--format: cannot tell csv from ndjson by the file name (got "members.txt")',
    );
    expect(() => importQuery('a.csv', { ...base, delimiter: ';;' })).toThrow(
      '--delimiter: must be one character or "\\t" (got ";;")',
    );
  });
});

describe('upload progress', () => {
  it('renders bytes, percentage, rate and elapsed time', () => {
    expect(formatProgress(5_000_000, 20_000_000, 2_000, 10)).toBe(
      '[###-------]   25.0%  5.0/20.0 MB  2.5 MB/s  2.0s',
    );
    expect(formatProgress(0, 0, 0, 4)).toBe('[####]  100.0%  0.0/0.0 MB  0.0 MB/s  0.0s');
    expect(formatProgress(1, 2, 125_000, 2)).toMatch(/ 2m05s$/);
  });

  it('redraws a terminal line in place at most every 100 ms', () => {
    let clock = 0;
    const writes: string[] = [];
    const progress = createProgress({ isTTY: true, write: (text) => writes.push(text) }, 1000, () => clock);
    progress.update(100);
    clock = 50;
    progress.update(200);
    clock = 100;
    progress.update(300);
    progress.done(1000);
    progress.done(1000);

    expect(writes).toHaveLength(3);
    expect(writes.every((text) => text.startsWith('\r'))).toBe(true);
    expect(writes[1]).toMatch(/ 30\.0% /);
    expect(writes[2]).toMatch(/100\.0%.*\n$/);
  });

  it('prints a line per 10 % step when stderr is not a terminal', () => {
    const writes: string[] = [];
    const progress = createProgress({ isTTY: false, write: (text) => writes.push(text) }, 1000, () => 0);
    for (let sent = 50; sent <= 1000; sent += 50) progress.update(sent);
    progress.done(1000);

    expect(writes.map((text) => text.match(/(\d+)\.0%/)?.[1])).toEqual([
      '10',
      '20',
      '30',
      '40',
      '50',
      '60',
      '70',
      '80',
      '90',
      '100',
    ]);
    expect(writes.every((text) => text.endsWith('\n') && !text.includes('\r'))).toBe(true);
  });
});
