import { FAILURE_REASONS } from '@postwave/contracts';
import { Option, type Command } from 'commander';
import { readFileSync } from 'node:fs';

const DEFAULT_API = process.env['POSTWAVE_API'] ?? 'http://127.0.0.1:8080';

/** Delivery verbs talk to a running Postwave over its HTTP API, like any internal service would. */
export function registerDeliveryCommands(program: Command): void {
  const deliveries = program
    .command('deliveries')
    .description('Create, confirm and inspect deliveries through the HTTP API.');
  const api = withApi(deliveries);
  const deliveryUrl = (id: string, path = '') => `${api()}/v1/deliveries/${encodeURIComponent(id)}${path}`;

  deliveries
    .command('create')
    .description('Create (and analyze) a delivery from a CreateDelivery JSON file ("-" reads stdin).')
    .argument('<file>', 'CreateDelivery JSON')
    .option('--confirm', 'confirm right after a clean analysis')
    .action(async (file: string, options: { confirm?: boolean }) => {
      const body = readJsonObject(file) as { deliveryId?: string };
      const created = await call('POST', `${api()}/v1/deliveries`, body);
      print(created);
      if (options.confirm && body.deliveryId)
        print(
          await call('POST', `${api()}/v1/deliveries/${encodeURIComponent(body.deliveryId)}/confirm`, {}),
        );
    });

  deliveries
    .command('confirm')
    .description('Confirm an analyzed delivery: its messages are handed to the MTA.')
    .argument('<deliveryId>')
    .action(async (id: string) =>
      print(await call('POST', `${api()}/v1/deliveries/${encodeURIComponent(id)}/confirm`, {})),
    );

  for (const [verb, help] of [
    ['pause', 'Pause a delivery in progress: the MTA holds what it has not sent.'],
    ['resume', 'Resume a paused delivery.'],
    ['stop', 'Stop a delivery: what was not sent ends "Delivery canceled"; it cannot be resumed.'],
  ] as const) {
    deliveries
      .command(verb)
      .description(help)
      .argument('<deliveryId>')
      .option('--reason <text>', 'why (kept in the event)')
      .action(async (id: string, options: { reason?: string }) =>
        print(
          await call(
            'POST',
            `${api()}/v1/deliveries/${encodeURIComponent(id)}/${verb}`,
            options.reason ? { reason: options.reason } : {},
          ),
        ),
      );
  }

  deliveries
    .command('list')
    .description('List deliveries with their state and KPIs.')
    .action(async () => print(await call('GET', `${api()}/v1/deliveries`)));

  deliveries
    .command('show')
    .description('Show one delivery: state and KPIs (to deliver, processed, success, errors, ignored).')
    .argument('<deliveryId>')
    .action(async (id: string) =>
      print(await call('GET', `${api()}/v1/deliveries/${encodeURIComponent(id)}`)),
    );

  deliveries
    .command('messages')
    .description("Show a delivery's log: each message's status, failure type and reason.")
    .argument('<deliveryId>')
    .option(
      '--status <status>',
      'only messages in this status (Pending, TakenIntoAccount, Sent, Failed, Ignored, Canceled)',
    )
    .action(async (id: string, options: { status?: string }) => {
      const query = options.status ? `?status=${encodeURIComponent(options.status)}` : '';
      print(await call('GET', `${api()}/v1/deliveries/${encodeURIComponent(id)}/messages${query}`));
    });

  deliveries
    .command('update')
    .description(
      'Edit a delivery being prepared from a JSON file of changes ("-" reads stdin); analyze it again after.',
    )
    .argument('<deliveryId>')
    .argument('<changes>', 'JSON object of the settings to change (label, content, target, typology, ...)')
    .action(async (id: string, file: string) =>
      print(await call('PATCH', deliveryUrl(id), readJsonObject(file))),
    );

  deliveries
    .command('analyze')
    .description('Run the analysis: target, typology rules, exclusions and the wave plan.')
    .argument('<deliveryId>')
    .action(async (id: string) => print(await call('POST', deliveryUrl(id, '/analyze'), {})));

  deliveries
    .command('schedule')
    .description('Set the contact date: analyze now and start then, or (--analyze-at-date) analyze then.')
    .argument('<deliveryId>')
    .requiredOption('--at <contactDate>', 'ISO 8601 date; without an offset it is read in --time-zone')
    .option('--time-zone <tz>', 'IANA time zone for a contact date without offset (API default UTC)')
    .option('--analyze-at-date', 'run the analysis at the contact date instead of now')
    .action(async (id: string, options: { at: string; timeZone?: string; analyzeAtDate?: boolean }) =>
      print(
        await call('POST', deliveryUrl(id, '/schedule'), {
          contactDate: options.at,
          ...(options.timeZone ? { timeZone: options.timeZone } : {}),
          mode: options.analyzeAtDate ? 'analyze-at-date' : 'start-at-date',
        }),
      ),
    );

  deliveries
    .command('proof')
    .description('Send a proof of the delivery to a few addresses (subject prefixed "Proof #n").')
    .argument('<deliveryId>')
    .argument('<address...>', 'proof recipients')
    .option('--prefix <text>', 'subject prefix instead of "Proof #n"')
    .action(async (id: string, recipients: string[], options: { prefix?: string }) =>
      print(
        await call('POST', deliveryUrl(id, '/proofs'), {
          recipients,
          ...(options.prefix !== undefined ? { subjectPrefix: options.prefix } : {}),
        }),
      ),
    );

  deliveries
    .command('plan')
    .description("Show the planner's view: state, settings, analysis report and wave plan.")
    .argument('<deliveryId>')
    .action(async (id: string) => print(await call('GET', deliveryUrl(id, '/plan'))));

  deliveries
    .command('recipients')
    .description('Show the analysis log: each targeted recipient, kept or excluded with its reason.')
    .argument('<deliveryId>')
    .addOption(
      new Option('--reason <reason>', 'only recipients excluded for this reason').choices(
        Object.keys(FAILURE_REASONS),
      ),
    )
    .option('--kept', 'only the recipients the analysis kept')
    .option('--limit <n>', 'at most this many (API default 1000)', integerOption('--limit', 1))
    .option('--offset <n>', 'skip this many', integerOption('--offset', 0))
    .action(
      async (id: string, options: { reason?: string; kept?: boolean; limit?: number; offset?: number }) => {
        if (options.kept && options.reason !== undefined)
          throw new Error(
            `--kept: lists the recipients kept, which have no exclusion reason; drop --reason (got ${JSON.stringify(options.reason)})`,
          );
        const query = queryString({
          reason: options.reason,
          kept: options.kept ? 'true' : undefined,
          limit: options.limit,
          offset: options.offset,
        });
        print(await call('GET', deliveryUrl(id, `/recipients${query}`)));
      },
    );
}

export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

/** What the API answers on failure: `error` already names the field and value; both also come apart. */
export interface ApiFailure {
  readonly error?: string;
  readonly field?: string;
  readonly value?: unknown;
}

/** Adds the `--api` option to a command group and returns a getter for the base URL (no trailing slash). */
export function withApi(group: Command): () => string {
  group.option('--api <url>', 'Postwave API base URL (env POSTWAVE_API)', DEFAULT_API);
  return () => (group.opts() as { api: string }).api.replace(/\/+$/, '');
}

/** One JSON request; a non-2xx answer throws an error carrying the API's own message (field and value). */
export async function call(method: HttpMethod, url: string, body?: unknown): Promise<unknown> {
  const response = await send(method, url, {
    method,
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const payload = (await response.json().catch(() => null)) as unknown;
  if (!response.ok) throw apiError(method, url, response.status, payload);
  return payload;
}

/** `fetch` that says which request failed and why (fetch's own message is just "fetch failed"). */
export async function send(method: HttpMethod, url: string, init: RequestInit): Promise<Response> {
  try {
    return await fetch(url, init);
  } catch (error) {
    const cause = (error as { cause?: { message?: string; code?: string } }).cause;
    throw new Error(`${method} ${url}: ${cause?.code ?? cause?.message ?? (error as Error).message}`);
  }
}

export function apiError(method: HttpMethod, url: string, status: number, payload: unknown): Error {
  return new Error(`${method} ${url} → ${status}: ${describeFailure(payload)}`);
}

/** The API's message, with field and value added when the message does not already lead with them. */
export function describeFailure(payload: unknown): string {
  if (payload === null || typeof payload !== 'object') return JSON.stringify(payload);
  const { error, field, value } = payload as ApiFailure;
  if (typeof error !== 'string') return JSON.stringify(payload);
  if (field === undefined || error.startsWith(`${field}:`)) return error;
  return `${error} (field ${field}, value ${JSON.stringify(value)})`;
}

export function print(value: unknown): void {
  process.stdout.write(JSON.stringify(value, null, 2) + '\n');
}

/** Reads a JSON file ("-" reads stdin); the error names the file. */
export function readJson(file: string): unknown {
  let text: string;
  try {
    text = readFileSync(file === '-' ? 0 : file, 'utf8');
  } catch (error) {
    throw new Error(
      `${file}: cannot read (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`,
    );
  }
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    throw new Error(`${file}: not valid JSON (${(error as Error).message})`);
  }
}

/** Reads a JSON file that must hold an object (a request body). */
export function readJsonObject(file: string): Record<string, unknown> {
  const value = readJson(file);
  if (value === null || typeof value !== 'object' || Array.isArray(value))
    throw new Error(
      `${file}: must hold a JSON object (got ${Array.isArray(value) ? 'an array' : JSON.stringify(value)})`,
    );
  return value as Record<string, unknown>;
}

/** Commander parser for counts: the error names the option and the value. */
export function integerOption(name: string, min: number): (raw: string) => number {
  return (raw) => {
    const value = Number(raw);
    if (!/^\d+$/.test(raw.trim()) || !Number.isSafeInteger(value) || value < min)
      throw new Error(`${name}: must be an integer ≥ ${min} (got ${JSON.stringify(raw)})`);
    return value;
  };
}

/** `?a=1&b=2` from the defined entries, or "" when none are. */
export function queryString(params: Record<string, string | number | boolean | undefined>): string {
  const search = new URLSearchParams();
  for (const [key, value] of Object.entries(params)) if (value !== undefined) search.set(key, String(value));
  const text = search.toString();
  return text ? `?${text}` : '';
}
