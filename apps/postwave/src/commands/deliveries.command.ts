import { readFileSync } from 'node:fs';
import type { Command } from 'commander';

const DEFAULT_API = process.env['POSTWAVE_API'] ?? 'http://127.0.0.1:8080';

/** Delivery verbs talk to a running Postwave over its HTTP API, like any internal service would. */
export function registerDeliveryCommands(program: Command): void {
  const deliveries = program
    .command('deliveries')
    .description('Create, confirm and inspect deliveries through the HTTP API.')
    .option('--api <url>', 'Postwave API base URL (env POSTWAVE_API)', DEFAULT_API);

  const api = () => (deliveries.opts() as { api: string }).api.replace(/\/$/, '');

  deliveries
    .command('create')
    .description('Create (and analyze) a delivery from a CreateDelivery JSON file ("-" reads stdin).')
    .argument('<file>', 'CreateDelivery JSON')
    .option('--confirm', 'confirm right after a clean analysis')
    .action(async (file: string, options: { confirm?: boolean }) => {
      const body = JSON.parse(readFileSync(file === '-' ? 0 : file, 'utf8')) as { deliveryId?: string };
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
}

async function call(method: 'GET' | 'POST', url: string, body?: unknown): Promise<unknown> {
  const response = await fetch(url, {
    method,
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const payload = (await response.json().catch(() => null)) as { error?: string } | null;
  if (!response.ok)
    throw new Error(`${method} ${url} → ${response.status}: ${payload?.error ?? JSON.stringify(payload)}`);
  return payload;
}

function print(value: unknown): void {
  process.stdout.write(JSON.stringify(value, null, 2) + '\n');
}
