import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { SIMULATOR_DEFAULT_DOMAINS } from '@postwave/mail-simulator';

type Env = Record<string, string | undefined>;

/**
 * Defaults only the embedded mode can take: a VERP secret created once and kept beside the
 * database, and routes that send the simulator's domains to the simulator.
 */
export function embeddedEnv(base: Readonly<Env>): Env {
  const env: Env = { ...base };
  const dataDir = dirname(env['SQLITE_PATH'] ?? './data/postwave.sqlite');
  env['MTA_DKIM_KEYS_DIR'] ??= join(dataDir, 'dkim');
  if (!env['MTA_VERP_SECRET']) {
    const file = join(dataDir, 'verp.secret');
    if (!existsSync(file)) {
      mkdirSync(dataDir, { recursive: true });
      writeFileSync(file, randomBytes(24).toString('base64url'), { mode: 0o600 });
    }
    env['MTA_VERP_SECRET'] = readFileSync(file, 'utf8').trim();
  }
  const simulatorOn = !['false', '0', 'no'].includes(env['SIMULATOR_ENABLED'] ?? 'true');
  if (simulatorOn) {
    const target = `${env['SIMULATOR_HOST'] ?? '127.0.0.1'}:${env['SIMULATOR_PORT'] ?? '2525'}`;
    const simulatorRoutes = SIMULATOR_DEFAULT_DOMAINS.map((domain) => `${domain}=${target}`);
    env['MTA_ROUTES'] = [env['MTA_ROUTES'], ...simulatorRoutes].filter(Boolean).join(';');
  }
  return env;
}
