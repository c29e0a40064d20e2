import type { Command } from 'commander';
import { call, print, readJsonObject, withApi } from './deliveries.command';

/** Typology verbs: the named rule sets (control, filtering, pressure, capacity) an analysis applies. */
export function registerTypologyCommands(program: Command): void {
  const typologies = program
    .command('typologies')
    .description('List, show and write typologies (the rules a delivery analysis applies).');
  const api = withApi(typologies);
  const typologyUrl = (name: string) => `${api()}/v1/typologies/${encodeURIComponent(name)}`;

  typologies
    .command('list')
    .description('List typologies with their rules.')
    .action(async () => print(await call('GET', `${api()}/v1/typologies`)));

  typologies
    .command('show')
    .description('Show one typology.')
    .argument('<name>')
    .action(async (name: string) => print(await call('GET', typologyUrl(name))));

  typologies
    .command('put')
    .description('Create or replace a typology from a JSON file ("-" reads stdin); every rule must compile.')
    .argument('<name>')
    .argument('<file>', 'JSON object {description?, rules: [...]}; its "name", if any, must match <name>')
    .action(async (name: string, file: string) => {
      const body = readJsonObject(file);
      // The URL names the typology; a different name in the file is more likely a copy-paste slip.
      if (body['name'] !== undefined && body['name'] !== name)
        throw new Error(
          `${file}: name: does not match the typology ${JSON.stringify(name)} (got ${JSON.stringify(body['name'])})`,
        );
      print(await call('PUT', typologyUrl(name), body));
    });
}
