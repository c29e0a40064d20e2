import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MailboxSimulator, type SimulatorOptions } from '@postwave/mail-simulator';
import { runService, type RunningService } from '@postwave/platform/runtime';
import { DEFAULT_MX_RULES, type MxRuleInput } from '@postwave/sending/domain';
import { freePort, http } from '@postwave/testing';
import { embeddedEnv } from './embedded-env';
import { embeddedService, type EmbeddedConfig } from './embedded.service';

export interface EmbeddedUnderTest {
  readonly service: RunningService<EmbeddedConfig>;
  readonly simulator: MailboxSimulator;
  readonly dir: string;
  /** Posts a delivery that starts at once (automatic approval). */
  deliver(deliveryId: string, recipients: readonly string[]): Promise<void>;
  close(): Promise<void>;
}

/**
 * The embedded app in a temp folder, with its own mailbox simulator as the only receiver (the
 * built-in one is off) for `domain`, and MX rules put in front of the shipped catch-all.
 */
export async function startEmbedded(options: {
  readonly prefix: string;
  readonly domain: string;
  readonly rules?: readonly MxRuleInput[];
  readonly simulator?: Omit<SimulatorOptions, 'port'>;
  readonly env?: Readonly<Record<string, string>>;
  readonly files?: Readonly<Record<string, unknown>>;
}): Promise<EmbeddedUnderTest> {
  const dir = mkdtempSync(join(tmpdir(), `postwave-${options.prefix}-`));
  const simulator = await MailboxSimulator.start({ port: 0, ...options.simulator });
  const rulesFile = join(dir, 'mx-rules.json');
  writeFileSync(rulesFile, JSON.stringify([...(options.rules ?? []), ...DEFAULT_MX_RULES.slice(-1)]));
  for (const [name, content] of Object.entries(options.files ?? {}))
    writeFileSync(join(dir, name), JSON.stringify(content));
  const service = await runService(
    embeddedService,
    embeddedEnv({
      SQLITE_PATH: join(dir, 'postwave.sqlite'),
      HTTP_PORT: '0',
      SIMULATOR_ENABLED: 'false',
      SIMULATOR_PORT: String(await freePort()),
      BOUNCE_SMTP_PORT: '0',
      MTA_ROUTES: `${options.domain}=127.0.0.1:${simulator.port}`,
      MTA_MX_RULES_FILE: rulesFile,
      LOG_LEVEL: 'error',
      ...Object.fromEntries(
        Object.entries(options.env ?? {}).map(([key, value]) => [key, value.replace('$DIR', dir)]),
      ),
    }),
  );
  return {
    service,
    simulator,
    dir,
    deliver: async (deliveryId, recipients) => {
      const response = await http('POST', `${service.url}/v1/deliveries`, {
        deliveryId,
        approvalMode: 'Automatic',
        content: { sender: { address: 'news@shop.example' }, subject: 'Hi', text: 'Hello' },
        recipients: recipients.map((address) => ({ address, attributes: {} })),
      });
      if (response.status !== 201)
        throw new Error(`delivery ${deliveryId} refused: ${JSON.stringify(response.body)}`);
    },
    close: async () => {
      await service.close();
      await simulator.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export const addresses = (count: number, domain: string, prefix = 'user') =>
  Array.from({ length: count }, (_, i) => `${prefix}${i}@${domain}`);
