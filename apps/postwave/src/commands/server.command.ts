import type { Command } from 'commander';
import { rebuildReadModel } from '@postwave/feedback/feature';
import { runService, runTask } from '@postwave/platform/runtime';
import { MailboxSimulator } from '@postwave/mail-simulator';
import { embeddedEnv } from '../embedded-env';
import { embeddedEnvSchema, embeddedService } from '../embedded.service';

export function registerServerCommands(program: Command): void {
  program
    .command('start')
    .description(
      'Run the embedded default: planner, MTA, bounce qualifier, projector and simulator in one process on SQLite.',
    )
    .action(async () => {
      const service = await runService(embeddedService, embeddedEnv(process.env));
      process.stdout.write(`Postwave is running: API ${service.url} (Ctrl-C to stop)\n`);
      await untilSignal();
      await service.close();
    });

  program
    .command('simulator')
    .description(
      'Run the mailbox simulator alone: an SMTP server whose answers depend on the recipient address.',
    )
    .option('--host <host>', 'interface to listen on', '127.0.0.1')
    .option('--port <port>', 'port to listen on', '2525')
    .option('--inbox <dir>', 'keep every accepted message as an .eml file in this folder')
    .option('--dsn-return <host:port>', 'where asynchronous DSNs, complaints and auto-replies are sent')
    .action(async (options: { host: string; port: string; inbox?: string; dsnReturn?: string }) => {
      const [returnHost, returnPort] = options.dsnReturn?.split(':') ?? [];
      const simulator = await MailboxSimulator.start({
        host: options.host,
        port: portOption('--port', options.port),
        ...(options.inbox ? { inboxDir: options.inbox } : {}),
        ...(returnHost && returnPort
          ? { dsnReturn: { host: returnHost, port: portOption('--dsn-return', returnPort) } }
          : {}),
      });
      process.stdout.write(`mailbox simulator listening on ${options.host}:${simulator.port}\n`);
      await untilSignal();
      await simulator.stop();
    });

  program
    .command('rebuild')
    .description(
      'Drop the delivery log and KPI read model and replay it from the event log (embedded database).',
    )
    .action(async () => {
      const result = await runTask(
        { name: 'postwave-rebuild', envSchema: embeddedEnvSchema, entities: embeddedService.entities },
        embeddedEnv(process.env),
        rebuildReadModel,
      );
      process.stdout.write(JSON.stringify(result) + '\n');
    });
}

function portOption(name: string, value: string): number {
  const port = Number(value);
  if (!Number.isInteger(port) || port < 0 || port > 65535)
    throw new Error(`${name}: ${JSON.stringify(value)} is not a port number`);
  return port;
}

function untilSignal(): Promise<void> {
  return new Promise((resolve) => {
    process.once('SIGINT', () => resolve());
    process.once('SIGTERM', () => resolve());
  });
}
