import { createInterface } from 'node:readline';
import { qualifyReply, type Qualification } from '@postwave/bounce-rules';
import type { Command } from 'commander';

const line = (q: Qualification) =>
  JSON.stringify({ type: q.type, reason: q.reason, reasonCode: q.reasonCode, rule: q.rule });

export function registerBounceCommands(program: Command): void {
  const bounces = program.command('bounces').description('Bounce qualification tools.');
  bounces
    .command('qualify-reply')
    .description(
      'Qualify an SMTP reply (type, reason, reason code, rule) as one JSON object; "-" reads one reply per line from stdin.',
    )
    .argument('<reply>', 'the reply text, e.g. "550 5.1.1 user unknown", or - for stdin')
    .action(async (reply: string) => {
      if (reply !== '-') {
        process.stdout.write(line(qualifyReply(reply)) + '\n');
        return;
      }
      for await (const input of createInterface({ input: process.stdin, crlfDelay: Infinity })) {
        process.stdout.write(line(qualifyReply(input)) + '\n');
      }
    });
}
