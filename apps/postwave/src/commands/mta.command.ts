import { readFileSync } from 'node:fs';
import { validateMxRules } from '@postwave/sending/domain';
import type { Command } from 'commander';

const DEFAULT_API = process.env['POSTWAVE_API'] ?? 'http://127.0.0.1:8080';

export function registerMtaCommands(program: Command): void {
  const mta = program.command('mta').description('The sending MTA: MX rules and learned path limits.');

  mta
    .command('validate-rules')
    .description(
      'Check an MX rules file (JSON list, last rule "*"); prints the rule ids or the first error naming rule and field.',
    )
    .argument('<file>', 'MX rules JSON file')
    .action((file: string) => {
      const rules = validateMxRules(JSON.parse(readFileSync(file, 'utf8')));
      process.stdout.write(JSON.stringify({ valid: true, rules: rules.map((rule) => rule.id) }) + '\n');
    });

  mta
    .command('paths')
    .description(
      'Show each delivery path (site × source IP): live limits, suspension and its cause, hourly history.',
    )
    .option('--api <url>', 'Postwave API base URL (env POSTWAVE_API)', DEFAULT_API)
    .action(async (options: { api: string }) => {
      const response = await fetch(`${options.api.replace(/\/$/, '')}/v1/mta/paths`);
      if (!response.ok) throw new Error(`GET /v1/mta/paths → ${response.status}`);
      process.stdout.write(JSON.stringify(await response.json(), null, 2) + '\n');
    });
}
