import { Option, type Command } from 'commander';
import { createReadStream, statSync } from 'node:fs';
import { extname } from 'node:path';
import { apiError, call, integerOption, print, queryString, send, withApi } from './deliveries.command';

export type AudienceFormat = 'csv' | 'ndjson';

const FORMAT_BY_EXTENSION: Readonly<Record<string, AudienceFormat>> = {
  '.csv': 'csv',
  '.tsv': 'csv',
  '.ndjson': 'ndjson',
  '.jsonl': 'ndjson',
};

const CONTENT_TYPES: Readonly<Record<AudienceFormat, string>> = {
  csv: 'text/csv',
  ndjson: 'application/x-ndjson',
};

/** Bad lines shown on a rejected import; the report counts them all. */
const SHOWN_ERRORS = 20;
/** A terminal redraw at most this often: faster only costs CPU and flicker. */
const REDRAW_MS = 100;

export interface ImportCliOptions {
  readonly format?: AudienceFormat;
  readonly onError: 'skip' | 'reject';
  readonly replace?: boolean;
  readonly addressField?: string;
  readonly delimiter?: string;
  readonly progress: boolean;
}

interface ImportReport {
  readonly errors?: readonly { readonly line: number; readonly reason: string }[];
  readonly badLines?: number;
}

/** Audience verbs: streamed imports, listing, members, removal. */
export function registerAudienceCommands(program: Command): void {
  const audiences = program
    .command('audiences')
    .description('Import audiences from CSV or NDJSON files and inspect them through the HTTP API.');
  const api = withApi(audiences);
  const audienceUrl = (name: string, path = '') => `${api()}/v1/audiences/${encodeURIComponent(name)}${path}`;

  audiences
    .command('import')
    .description('Stream a CSV or NDJSON file into an audience; prints the import report as JSON.')
    .argument('<name>', 'audience name')
    .argument('<file>', 'the file (.csv, .tsv, .ndjson or .jsonl; other names need --format)')
    .addOption(
      new Option('--format <format>', 'file format (default: from the extension)').choices(['csv', 'ndjson']),
    )
    .addOption(
      new Option('--on-error <policy>', 'skip bad lines, or reject the whole file')
        .choices(['skip', 'reject'])
        .default('reject'),
    )
    .option('--replace', 'the file becomes the whole audience (default: merge into it)')
    .option('--address-field <column>', 'column (or NDJSON key) holding the email address')
    .option('--delimiter <char>', 'CSV delimiter, one character or "\\t" (default: detected from the header)')
    .option('--no-progress', 'no upload progress on stderr')
    .action(async (name: string, file: string, options: ImportCliOptions) => {
      const response = await uploadAudience(audienceUrl(name, '/import'), file, options);
      const payload = (await response.json().catch(() => null)) as unknown;
      if (!response.ok) {
        const error = apiError('POST', audienceUrl(name, '/import'), response.status, payload);
        // A rejected file: the bad lines follow the API's one-line summary.
        if (response.status === 422) error.message = [error.message, ...rejectionLines(payload)].join('\n');
        throw error;
      }
      print(payload);
    });

  audiences
    .command('list')
    .description('List audiences with their member counts.')
    .action(async () => print(await call('GET', `${api()}/v1/audiences`)));

  audiences
    .command('show')
    .description('Show one audience: members, columns, last update.')
    .argument('<name>')
    .action(async (name: string) => print(await call('GET', audienceUrl(name))));

  audiences
    .command('members')
    .description("List an audience's members with their attributes.")
    .argument('<name>')
    .option('--limit <n>', 'at most this many (API default 100)', integerOption('--limit', 1))
    .option('--offset <n>', 'skip this many', integerOption('--offset', 0))
    .action(async (name: string, options: { limit?: number; offset?: number }) =>
      print(await call('GET', audienceUrl(name, `/members${queryString(options)}`))),
    );

  audiences
    .command('delete')
    .description('Delete an audience and its members.')
    .argument('<name>')
    .action(async (name: string) => {
      await call('DELETE', audienceUrl(name));
      print({ audience: name, deleted: true });
    });
}

/** The format named by --format, else by the file's extension. */
export function formatFor(file: string, explicit: AudienceFormat | undefined): AudienceFormat {
  if (explicit) return explicit;
  const format = FORMAT_BY_EXTENSION[extname(file).toLowerCase()];
  if (!format)
    throw new Error(
      `--format: cannot tell csv from ndjson by the file name (got ${JSON.stringify(file)}); give --format csv|ndjson`,
    );
  return format;
}

/** The import query: every choice is explicit so the server's defaults never guess. */
export function importQuery(file: string, options: ImportCliOptions): string {
  return queryString({
    format: formatFor(file, options.format),
    onError: options.onError,
    mode: options.replace ? 'replace' : 'merge',
    addressField: options.addressField,
    delimiter: options.delimiter === undefined ? undefined : delimiterOf(options.delimiter),
  });
}

/** One character; `\t` and `tab` spell a tab, which shells make awkward to type. */
export function delimiterOf(raw: string): string {
  const delimiter = raw === '\\t' || raw.toLowerCase() === 'tab' ? '\t' : raw;
  if (delimiter.length !== 1)
    throw new Error(`--delimiter: must be one character or "\\t" (got ${JSON.stringify(raw)})`);
  return delimiter;
}

/**
 * Sends the file as the request body, read in chunks: memory stays flat whatever the file size.
 * The body is pulled chunk by chunk (`ReadableStream.from` over the file's async iterator): a chunk
 * is read only when the HTTP client asks for one, so a slow server slows the reading, and bytes
 * counted as they are pulled track what was sent (a few MB of socket buffer ahead at most).
 */
async function uploadAudience(url: string, file: string, options: ImportCliOptions): Promise<Response> {
  const query = importQuery(file, options);
  const format = formatFor(file, options.format);
  const size = fileSize(file);
  const progress = options.progress ? createProgress(process.stderr, size) : undefined;
  let sent = 0;
  async function* counted(source: AsyncIterable<Buffer>) {
    for await (const chunk of source) {
      sent += chunk.length;
      progress?.update(sent);
      yield chunk;
    }
  }
  try {
    return await send('POST', url + query, {
      method: 'POST',
      headers: { 'content-type': CONTENT_TYPES[format] },
      body: ReadableStream.from(counted(createReadStream(file))),
      duplex: 'half',
    });
  } finally {
    progress?.done(sent);
  }
}

function fileSize(file: string): number {
  let stats;
  try {
    stats = statSync(file);
  } catch (error) {
    throw new Error(
      `${file}: cannot read (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`,
    );
  }
  if (!stats.isFile()) throw new Error(`${file}: not a regular file`);
  return stats.size;
}

/** A rejected import's first bad lines as "line N: reason", and how many more there are. */
export function rejectionLines(payload: unknown): string[] {
  const report = (payload as { report?: ImportReport } | null)?.report;
  const errors = report?.errors ?? [];
  const shown = errors.slice(0, SHOWN_ERRORS).map((error) => `line ${error.line}: ${error.reason}`);
  const more = (report?.badLines ?? errors.length) - shown.length;
  return [...shown, ...(more > 0 ? [`… and ${more} more bad line(s)`] : [])];
}

export interface ProgressSink {
  readonly isTTY?: boolean;
  write(text: string): unknown;
}

export interface Progress {
  update(sent: number): void;
  /** Draws the final state (and ends the terminal line); idempotent. */
  done(sent: number): void;
}

/**
 * On a terminal: one line redrawn in place (`\r`), at most every 100 ms. Elsewhere (CI logs,
 * redirected stderr): a line at each 10 % step, so logs stay short.
 */
export function createProgress(sink: ProgressSink, total: number, now: () => number = Date.now): Progress {
  const started = now();
  let lastDraw = -Infinity;
  let lastStep = 0;
  let finished = false;
  const line = (sent: number) => formatProgress(sent, total, now() - started);
  return {
    update(sent) {
      if (finished) return;
      if (sink.isTTY) {
        if (now() - lastDraw < REDRAW_MS) return;
        lastDraw = now();
        sink.write(`\r${line(sent)}\x1b[K`);
        return;
      }
      const step = total === 0 ? 10 : Math.floor((sent / total) * 10);
      if (step > lastStep && step < 10) {
        lastStep = step;
        sink.write(`upload ${line(sent)}\n`);
      }
    },
    done(sent) {
      if (finished) return;
      finished = true;
      sink.write(sink.isTTY ? `\r${line(sent)}\x1b[K\n` : `upload ${line(sent)}\n`);
    },
  };
}

/** `[#########-----------]  45.0%  12.3/27.3 MB  8.2 MB/s  1.5s` */
export function formatProgress(sent: number, total: number, elapsedMs: number, width = 20): string {
  const ratio = total === 0 ? 1 : Math.min(1, sent / total);
  const filled = Math.round(ratio * width);
  const seconds = elapsedMs / 1000;
  const rate = seconds > 0 ? sent / 1e6 / seconds : 0;
  return [
    `[${'#'.repeat(filled)}${'-'.repeat(width - filled)}]`,
    `${(ratio * 100).toFixed(1).padStart(5)}%`,
    `${megabytes(sent)}/${megabytes(total)} MB`,
    `${rate.toFixed(1)} MB/s`,
    formatElapsed(seconds),
  ].join('  ');
}

const megabytes = (bytes: number) => (bytes / 1e6).toFixed(1);

function formatElapsed(seconds: number): string {
  if (seconds < 60) return `${seconds.toFixed(1)}s`;
  const minutes = Math.floor(seconds / 60);
  return `${minutes}m${String(Math.floor(seconds % 60)).padStart(2, '0')}s`;
}
