import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError, loadConfig } from '@postwave/platform/config';
import { testAuthority } from '@postwave/fixtures/tls';
import { z } from 'zod';
import { mtaEnvShape, mtaOptionsFrom, refineMta } from './mta-config';

const schema = z.object(mtaEnvShape).superRefine(refineMta);
const SECRET = 'a-verp-secret-of-32-characters!!';

describe('MTA configuration', () => {
  it('builds the MTA options from the defaults and a minimal environment', () => {
    const config = schema.parse({ MTA_VERP_SECRET: SECRET });

    const options = mtaOptionsFrom(config, 'mta-1');

    expect(options).toMatchObject({
      instance: 'mta-1',
      routes: { routes: [], relay: null },
      dnsServers: [],
      dkim: { selector: 'pw1', keysDir: './data/dkim', generateMissing: false },
      verp: { domain: null, secret: SECRET },
      unsubscribeUrl: null,
      retry: { firstDelayMs: 300_000, factor: 2, maxDelayMs: 4 * 3_600_000, jitter: 0.5 },
      maxConnections: 20,
      messagesPerConnection: 100,
      timeouts: { connectMs: 30_000, greetingMs: 60_000, socketMs: 120_000 },
      leaseMs: 300_000,
      // Three claims in flight, each enough for a third of the 20 connections at 100 messages.
      claimBatch: 700,
      tls: 'opportunistic',
    });
    expect(options.heloName.length).toBeGreaterThan(0);
  });

  it('turns the environment strings into typed MTA options', () => {
    const config = schema.parse({
      MTA_VERP_SECRET: SECRET,
      MTA_HELO_NAME: 'mta.shop.example',
      MTA_ROUTES: 'example.test=127.0.0.1:2525; *.sim=[::1]:2526',
      MTA_RELAY: 'smarthost.internal:587',
      MTA_DNS_SERVERS: '10.0.0.53, 10.0.0.54:5353',
      MTA_DKIM_SELECTOR: 'k2026',
      MTA_DKIM_GENERATE: 'yes',
      MTA_VERP_DOMAIN: 'bounces.shop.example',
      MTA_UNSUBSCRIBE_URL: 'https://unsub.shop.example/u',
      MTA_RETRY_FIRST_MS: '60000',
      MTA_RETRY_FACTOR: '3',
      MTA_MAX_CONNECTIONS: '5',
      MTA_TLS: 'disabled',
    });

    const options = mtaOptionsFrom(config, 'mta-2');
    const claimed = mtaOptionsFrom(schema.parse({ MTA_VERP_SECRET: SECRET, MTA_CLAIM_BATCH: '50' }), 'mta-3');

    expect(options).toMatchObject({
      heloName: 'mta.shop.example',
      routes: {
        routes: [
          { pattern: 'example.test', endpoint: { host: '127.0.0.1', port: 2525 } },
          { pattern: '*.sim', endpoint: { host: '::1', port: 2526 } },
        ],
        relay: { host: 'smarthost.internal', port: 587 },
      },
      dnsServers: ['10.0.0.53', '10.0.0.54:5353'],
      dkim: { selector: 'k2026', generateMissing: true },
      verp: { domain: 'bounces.shop.example', secret: SECRET },
      unsubscribeUrl: 'https://unsub.shop.example/u',
      retry: { firstDelayMs: 60_000, factor: 3 },
      maxConnections: 5,
      // The default claim follows the connections: two per claim, 100 messages each.
      claimBatch: 200,
      tls: 'disabled',
    });
    expect(claimed.claimBatch).toBe(50);
  });

  it('rejects a malformed MTA_ROUTES entry, naming the variable and the entry', () => {
    const result = schema.safeParse({
      MTA_VERP_SECRET: SECRET,
      MTA_ROUTES: 'example.test=127.0.0.1:2525;gmail.sim->127.0.0.1',
    });

    expect(result.success).toBe(false);
    expect(result.error?.issues).toEqual([
      expect.objectContaining({
        path: ['MTA_ROUTES'],
        message: 'MTA_ROUTES: "gmail.sim->127.0.0.1" is not domain=host:port',
      }),
    ]);
  });

  it('rejects a route whose port is out of range, naming MTA_ROUTES', () => {
    const result = schema.safeParse({ MTA_VERP_SECRET: SECRET, MTA_ROUTES: 'example.test=127.0.0.1:70000' });

    expect(result.error?.issues).toEqual([
      expect.objectContaining({
        path: ['MTA_ROUTES'],
        message: expect.stringContaining('"127.0.0.1:70000"'),
      }),
    ]);
  });

  it('reports a bad relay against MTA_RELAY, not MTA_ROUTES', () => {
    const result = schema.safeParse({ MTA_VERP_SECRET: SECRET, MTA_RELAY: 'smarthost.internal' });

    expect(result.error?.issues).toEqual([
      expect.objectContaining({
        path: ['MTA_RELAY'],
        message: 'MTA_RELAY: "smarthost.internal" is not host:port',
      }),
    ]);
  });

  it('lists a bad route with its value in the start-up configuration error', () => {
    const load = () => loadConfig(schema, { MTA_VERP_SECRET: SECRET, MTA_ROUTES: 'nonsense' });

    expect(load).toThrow(ConfigError);
    expect(load).toThrow('MTA_ROUTES="nonsense": MTA_ROUTES: "nonsense" is not domain=host:port');
  });

  describe('MTA_TLS_CA_FILE', () => {
    let dir: string;
    beforeAll(() => (dir = mkdtempSync(join(tmpdir(), 'pw-ca-file-'))));
    afterAll(() => rmSync(dir, { recursive: true, force: true }));

    it('reads the authorities a verify policy trusts besides the system ones', () => {
      const authority = testAuthority();
      const file = join(dir, 'ca.pem');
      writeFileSync(file, `# private MXs\n${authority.cert}`);

      const options = mtaOptionsFrom(
        schema.parse({ MTA_VERP_SECRET: SECRET, MTA_TLS: 'verify', MTA_TLS_CA_FILE: file }),
        'mta-1',
      );

      expect(options).toMatchObject({ tls: 'verify', tlsCa: authority.cert.trim() });
    });

    it.each([
      ['a file that does not exist', () => join(dir, 'missing.pem'), /cannot read .*missing\.pem/],
      [
        'a file without a certificate',
        () => write('empty.pem', 'not a certificate'),
        /holds no PEM certificate/,
      ],
      [
        'a damaged certificate',
        () => write('bad.pem', '-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n'),
        /certificate 1 of .*bad\.pem is not valid/,
      ],
    ])('refuses %s, naming the variable', (_name, file, message) => {
      const path = file();
      const result = schema.safeParse({ MTA_VERP_SECRET: SECRET, MTA_TLS_CA_FILE: path });

      expect(result.error?.issues).toEqual([
        expect.objectContaining({ path: ['MTA_TLS_CA_FILE'], message: expect.stringMatching(message) }),
      ]);
    });

    const write = (name: string, text: string) => {
      writeFileSync(join(dir, name), text);
      return join(dir, name);
    };
  });

  it('refuses a TLS policy it does not know, listing the ones it does', () => {
    const result = schema.safeParse({ MTA_VERP_SECRET: SECRET, MTA_TLS: 'strict' });

    expect(result.error?.issues).toEqual([
      expect.objectContaining({
        path: ['MTA_TLS'],
        message: expect.stringMatching(/disabled.*opportunistic.*required.*verify/),
      }),
    ]);
  });

  it('refuses a VERP secret shorter than 16 characters', () => {
    const result = schema.safeParse({ MTA_VERP_SECRET: 'short' });

    expect(result.error?.issues).toEqual([
      expect.objectContaining({ path: ['MTA_VERP_SECRET'], message: 'must be at least 16 characters' }),
    ]);
  });
});
