import 'reflect-metadata';
import { Command } from 'commander';
import { registerAudienceCommands } from './commands/audiences.command';
import { registerBounceCommands } from './commands/bounces.command';
import { registerDeliveryCommands } from './commands/deliveries.command';
import { registerMtaCommands } from './commands/mta.command';
import { registerServerCommands } from './commands/server.command';
import { registerTypologyCommands } from './commands/typologies.command';

const program = new Command('postwave')
  .description('Postwave: plan, send and watch email deliveries (embedded mode by default).')
  .showHelpAfterError()
  .enablePositionalOptions();

registerServerCommands(program);
registerDeliveryCommands(program);
registerAudienceCommands(program);
registerTypologyCommands(program);
registerBounceCommands(program);
registerMtaCommands(program);

program.parseAsync(process.argv).catch((error: Error) => {
  process.stderr.write(`postwave: ${error.message}\n`);
  process.exit(1);
});
