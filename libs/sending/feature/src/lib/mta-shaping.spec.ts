import { createLogger } from '@postwave/platform/observability';
import { Database } from '@postwave/platform/persistence';
import {
  DEFAULT_MX_RULES,
  parseSourceIps,
  validateMxRules,
  type MxRuleInput,
} from '@postwave/sending/domain';
import { writeFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Fact } from '@postwave/contracts';
import { MtaShaping } from './mta-shaping';
import { sendingEntities } from './sending.entities';

const logger = createLogger({ service: 'test', level: 'silent' });

describe('MTA shaping at run time', () => {
  let dir: string;
  let db: Database;
  const emitted: Fact[] = [];

  const shaping = (rules: MxRuleInput[], ips = '127.0.0.2,127.0.0.3', warmup: unknown[] = []) => {
    const file = join(dir, `rules-${Math.random()}.json`);
    writeFileSync(file, JSON.stringify([...rules, ...DEFAULT_MX_RULES.slice(-1)]));
    return new MtaShaping(
      db,
      logger,
      file,
      async (_em, facts) => void emitted.push(...facts),
      parseSourceIps(ips),
      warmup as never,
    );
  };
  const rule = (over: Partial<MxRuleInput> = {}): MxRuleInput => ({
    id: 'site-a',
    mxHosts: ['*.a.example'],
    domains: ['a.sim'],
    maxConnections: 4,
    messagesPerConnection: 10,
    messagesPerHour: 36_000,
    ...over,
  });
  const throttle = { kind: 'throttled' as const, reply: '421 4.7.0 slow down', at: Date.now() };

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'pw-shaping-'));
    db = await Database.open({ kind: 'sqlite', location: ':memory:', entities: sendingEntities() });
    emitted.length = 0;
  });
  afterEach(async () => {
    await db.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('keeps one path per source address by default, so a throttled address does not slow the others', async () => {
    const s = shaping([rule()]);
    const match = s.site('a.sim', null);
    await db.transaction((em) => s.persist(em, [s.observed(match, '127.0.0.2', throttle, 'deferred')]));
    expect(s.path(match, '127.0.0.2').maxConnections).toBe(2);
    expect(s.path(match, '127.0.0.3').maxConnections).toBe(4);
    expect(s.chooseSourceIp(match)?.address).toBe('127.0.0.3');
    expect(emitted).toMatchObject([
      { type: 'postwave.mta.path-limits-changed.v1', data: { site: 'site-a', sourceIp: '127.0.0.2' } },
    ]);
  });

  it('shares one path across addresses when the rule says the limits are shared', async () => {
    const s = shaping([rule({ limitScope: 'shared' })]);
    const match = s.site('a.sim', null);
    await db.transaction((em) => s.persist(em, [s.observed(match, '127.0.0.2', throttle, 'deferred')]));
    expect(s.path(match, '127.0.0.3').maxConnections).toBe(2);
    expect(s.chooseSourceIp(match)).toBeNull();
    expect(s.nextOpportunity(match)).toBeGreaterThan(Date.now());
  });

  it('starts from the limits learned before a restart', async () => {
    const first = shaping([rule()]);
    const match = first.site('a.sim', null);
    await db.transaction((em) =>
      first.persist(em, [first.observed(match, '127.0.0.2', throttle, 'deferred')]),
    );
    const second = shaping([rule()]);
    await second.load();
    expect(second.path(second.site('a.sim', null), '127.0.0.2').maxConnections).toBe(2);
  });

  it('keeps the running rules when the file is replaced by a bad one', () => {
    const file = join(dir, 'rules.json');
    writeFileSync(file, JSON.stringify([rule(), ...DEFAULT_MX_RULES.slice(-1)]));
    const s = new MtaShaping(db, logger, file, async () => undefined, parseSourceIps(undefined), []);
    writeFileSync(file, JSON.stringify([{ id: 'broken' }]));
    s.reloadRules(Date.now() + 2000);
    expect(s.site('a.sim', null).rule.id).toBe('site-a');
    writeFileSync(file, JSON.stringify([rule({ id: 'site-b' }), ...DEFAULT_MX_RULES.slice(-1)]));
    s.reloadRules(Date.now() + 4000);
    expect(s.site('a.sim', null).rule.id).toBe('site-b');
    expect(validateMxRules(DEFAULT_MX_RULES)).toHaveLength(DEFAULT_MX_RULES.length);
  });
});
