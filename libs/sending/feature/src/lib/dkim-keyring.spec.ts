import { generateKeyPairSync } from 'node:crypto';
import {
  mkdirSync,
  mkdtempSync,
  readdirSync,
  renameSync,
  rmSync,
  symlinkSync,
  unlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLogger } from '@postwave/platform/observability';
import { dkimVerify } from 'mailauth/lib/dkim/verify';
import { signDkim } from './dkim-signer';
import { DkimKeyring, type SigningKey } from './dkim-keyring';

const RESCAN_MS = 30_000;
const MESSAGE = Buffer.from(
  'From: news@shop.example\r\nTo: ada@example.net\r\nSubject: Spring sale\r\nDate: Mon, 2 Mar 2026 10:00:00 +0000\r\n\r\nHello.\r\n',
);

function ed25519Pem(): string {
  return generateKeyPairSync('ed25519').privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
}

function rsaPem(): string {
  return generateKeyPairSync('rsa', { modulusLength: 1024 })
    .privateKey.export({ type: 'pkcs1', format: 'pem' })
    .toString();
}

/** Lines written to a logger, parsed back. */
function capturingLogger() {
  const lines: Array<Record<string, unknown>> = [];
  const logger = createLogger({
    service: 'test',
    level: 'warn',
    destination: { write: (line: string) => void lines.push(JSON.parse(line) as Record<string, unknown>) },
  });
  return { logger, lines };
}

/** A DNS resolver that answers the TXT record of `key` only, published under its selector. */
function resolverFor(key: SigningKey) {
  const name = `${key.selector}._domainkey.${key.domain}`;
  return async (query: string, rrtype: string) => {
    if (rrtype !== 'TXT' || query !== name)
      throw Object.assign(new Error(`queryTxt ENOTFOUND ${query}`), { code: 'ENOTFOUND' });
    return [[DkimKeyring.dnsRecord(key)]];
  };
}

/** The DKIM result of `MESSAGE` signed with the keyring's keys, verified against `published` in DNS. */
async function signAndVerify(keys: readonly SigningKey[], published: SigningKey): Promise<string[]> {
  const signed = await signDkim(MESSAGE, keys);
  const verified = await dkimVerify(signed, { resolver: resolverFor(published) });
  return verified.results.map((result) => `${result.selector}:${result.status.result}`);
}

describe('DkimKeyring', () => {
  let dir: string;
  let now: number;
  const log = capturingLogger();

  const keyring = (env: Record<string, string | undefined> = {}, keysDir = dir) =>
    new DkimKeyring(keysDir, 'pw1', false, log.logger, RESCAN_MS, env);

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'pw-keyring-'));
    now = Date.parse('2026-03-02T10:00:00Z');
    jest.spyOn(Date, 'now').mockImplementation(() => now);
    log.lines.splice(0);
  });

  afterEach(() => {
    jest.restoreAllMocks();
    rmSync(dir, { recursive: true, force: true });
  });

  describe('key files', () => {
    it('reads <domain>.<selector>.pem files, with the algorithm of the key type, and ignores other files', () => {
      const rsa = rsaPem();
      const ed = ed25519Pem();
      writeFileSync(join(dir, 'shop.example.rsa1.pem'), rsa);
      writeFileSync(join(dir, 'Shop.Example.ed1.pem'), ed);
      writeFileSync(join(dir, 'news.example.pw1.pem'), ed25519Pem());
      writeFileSync(join(dir, 'README.md'), 'not a key');
      mkdirSync(join(dir, '..data'));

      const keys = keyring().keysFor('shop.example');

      expect(keys.map((key) => [key.domain, key.selector, key.algorithm, key.privateKey])).toEqual([
        ['shop.example', 'ed1', 'ed25519-sha256', ed],
        ['shop.example', 'rsa1', 'rsa-sha256', rsa],
      ]);
      expect(log.lines).toEqual([]);
    });

    it('returns no key for a domain without one (and none at all for a missing directory)', () => {
      writeFileSync(join(dir, 'shop.example.pw1.pem'), ed25519Pem());

      expect(keyring().keysFor('other.example')).toEqual([]);
      expect(keyring({}, join(dir, 'missing')).keysFor('shop.example')).toEqual([]);
    });

    it('signs new messages with a replaced key file once the rescan interval has passed, without a new keyring', async () => {
      const file = join(dir, 'shop.example.pw1.pem');
      writeFileSync(file, ed25519Pem());
      const ring = keyring();
      const before = ring.keysFor('shop.example')[0]!;
      const replacement = ed25519Pem();
      // Written beside and renamed over, as a deployment tool does: the swap is atomic.
      writeFileSync(`${file}.tmp`, replacement);
      renameSync(`${file}.tmp`, file);

      now += RESCAN_MS - 1;
      const cached = ring.keysFor('shop.example');
      now += 2;
      const rotated = ring.keysFor('shop.example');

      expect(cached).toEqual([before]);
      expect(rotated).toHaveLength(1);
      expect(rotated[0]!.privateKey).toBe(replacement);
      expect(await signAndVerify(rotated, rotated[0]!)).toEqual(['pw1:pass']);
      expect(await signAndVerify(rotated, before)).toEqual(['pw1:fail']);
    });

    it('follows a Kubernetes secret volume, whose update swaps the ..data symlink', () => {
      const first = ed25519Pem();
      const second = ed25519Pem();
      mkdirSync(join(dir, '..2026_03_01'));
      writeFileSync(join(dir, '..2026_03_01', 'shop.example.pw1.pem'), first);
      symlinkSync('..2026_03_01', join(dir, '..data'));
      symlinkSync(join('..data', 'shop.example.pw1.pem'), join(dir, 'shop.example.pw1.pem'));
      const ring = keyring();
      const before = ring.keysFor('shop.example');

      mkdirSync(join(dir, '..2026_03_02'));
      writeFileSync(join(dir, '..2026_03_02', 'shop.example.pw1.pem'), second);
      symlinkSync('..2026_03_02', join(dir, '..data_tmp'));
      renameSync(join(dir, '..data_tmp'), join(dir, '..data'));
      now += RESCAN_MS + 1;
      const after = ring.keysFor('shop.example');

      expect(before.map((key) => key.privateKey)).toEqual([first]);
      expect(after.map((key) => key.privateKey)).toEqual([second]);
    });

    it('signs with both keys while a second selector is published, and stops with a removed one', async () => {
      writeFileSync(join(dir, 'shop.example.pw1.pem'), ed25519Pem());
      const ring = keyring();
      ring.keysFor('shop.example');

      writeFileSync(join(dir, 'shop.example.pw2.pem'), ed25519Pem());
      now += RESCAN_MS + 1;
      const overlap = ring.keysFor('shop.example');
      unlinkSync(join(dir, 'shop.example.pw1.pem'));
      now += RESCAN_MS + 1;
      const after = ring.keysFor('shop.example');

      expect(overlap.map((key) => key.selector)).toEqual(['pw1', 'pw2']);
      expect(await signAndVerify(overlap, overlap[1]!)).toEqual(['pw1:neutral', 'pw2:pass']);
      expect(after.map((key) => key.selector)).toEqual(['pw2']);
    });

    it('keeps signing with the previous key while a key file is unusable, and warns naming the file', () => {
      const file = join(dir, 'shop.example.pw1.pem');
      const good = ed25519Pem();
      writeFileSync(file, good);
      writeFileSync(join(dir, 'news.example.pw1.pem'), ed25519Pem());
      const ring = keyring();
      ring.keysFor('shop.example');

      // Caught half-written by a rotation that writes in place.
      writeFileSync(file, good.slice(0, 40));
      writeFileSync(join(dir, 'broken.example.pw1.pem'), 'not a key');
      now += RESCAN_MS + 1;
      const during = ring.keysFor('shop.example');
      const other = ring.keysFor('news.example');
      const broken = ring.keysFor('broken.example');
      const replacement = ed25519Pem();
      writeFileSync(file, replacement);
      now += RESCAN_MS + 1;
      const after = ring.keysFor('shop.example');

      expect(during.map((key) => key.privateKey)).toEqual([good]);
      expect(other).toHaveLength(1);
      expect(broken).toEqual([]);
      expect(after.map((key) => key.privateKey)).toEqual([replacement]);
      // Once per unusable content: the still broken file is not reported again at every scan.
      expect(log.lines).toEqual([
        expect.objectContaining({
          level: 'warn',
          file: join(dir, 'broken.example.pw1.pem'),
          msg: 'unusable DKIM key file; its domain is not signed with it',
        }),
        expect.objectContaining({
          level: 'warn',
          file,
          msg: 'unusable DKIM key file; signing goes on with the key it held before',
        }),
      ]);
    });

    it('keeps signing with the keys read before while the directory cannot be listed, and warns once', () => {
      const keysDir = join(dir, 'keys');
      mkdirSync(keysDir);
      const good = ed25519Pem();
      writeFileSync(join(keysDir, 'shop.example.pw1.pem'), good);
      const ring = keyring({}, keysDir);
      ring.keysFor('shop.example');

      // A mount gone bad: the path is there but is no directory any more.
      rmSync(keysDir, { recursive: true });
      writeFileSync(keysDir, 'not a directory');
      now += RESCAN_MS + 1;
      const during = ring.keysFor('shop.example');
      now += RESCAN_MS + 1;
      const still = ring.keysFor('shop.example');
      rmSync(keysDir);
      mkdirSync(keysDir);
      const replacement = ed25519Pem();
      writeFileSync(join(keysDir, 'shop.example.pw1.pem'), replacement);
      now += RESCAN_MS + 1;
      const after = ring.keysFor('shop.example');

      expect(during.map((key) => key.privateKey)).toEqual([good]);
      expect(still.map((key) => key.privateKey)).toEqual([good]);
      expect(after.map((key) => key.privateKey)).toEqual([replacement]);
      expect(log.lines).toEqual([
        expect.objectContaining({
          level: 'warn',
          dir: keysDir,
          msg: 'unreadable DKIM keys directory; signing goes on with the keys read before',
        }),
      ]);
    });

    it('refuses a key that cannot sign DKIM (neither RSA nor Ed25519)', () => {
      const ec = generateKeyPairSync('ec', { namedCurve: 'prime256v1' }).privateKey;
      writeFileSync(join(dir, 'shop.example.pw1.pem'), ec.export({ type: 'pkcs8', format: 'pem' }));

      expect(keyring().keysFor('shop.example')).toEqual([]);
      expect(log.lines).toEqual([
        expect.objectContaining({
          level: 'warn',
          err: expect.objectContaining({ message: expect.stringContaining('ec keys cannot sign DKIM') }),
        }),
      ]);
    });
  });

  describe('keys from environment variables', () => {
    it('reads MTA_DKIM_KEY_* as <domain>:<selector>:<PEM>, with the PEM as is, with \\n escapes or in base64', async () => {
      const multiLine = ed25519Pem();
      const escaped = rsaPem();
      const base64 = ed25519Pem();
      const ring = keyring({
        MTA_DKIM_KEY_SHOP: `Shop.Example:env1:${multiLine}`,
        MTA_DKIM_KEY_SHOP_RSA: `shop.example:env2:${escaped.replace(/\n/g, '\\n')}`,
        MTA_DKIM_KEY_NEWS: `news.example:pw1:${Buffer.from(base64).toString('base64')}`,
        MTA_DKIM_KEYS_DIR: '/not/a/key',
        PATH: '/usr/bin',
      });

      const shop = ring.keysFor('shop.example');
      const news = ring.keysFor('news.example');

      expect(shop.map((key) => [key.domain, key.selector, key.algorithm, key.privateKey])).toEqual([
        ['shop.example', 'env1', 'ed25519-sha256', multiLine],
        ['shop.example', 'env2', 'rsa-sha256', escaped],
      ]);
      expect(news.map((key) => key.privateKey)).toEqual([base64]);
      expect(await signAndVerify(news, news[0]!)).toEqual(['pw1:pass']);
    });

    it('lets a key file override the environment key of the same domain and selector', () => {
      const fromFile = ed25519Pem();
      writeFileSync(join(dir, 'shop.example.pw1.pem'), fromFile);

      const keys = keyring({ MTA_DKIM_KEY_SHOP: `shop.example:pw1:${ed25519Pem()}` }).keysFor('shop.example');

      expect(keys.map((key) => key.privateKey)).toEqual([fromFile]);
    });

    it('leaves a domain unsigned while its generated key cannot be saved, says so once, and saves one later', () => {
      const blocker = join(dir, 'blocker');
      writeFileSync(blocker, 'a file where the keys directory should go');
      const keysDir = join(blocker, 'dkim');
      const ring = new DkimKeyring(keysDir, 'pw1', true, log.logger, RESCAN_MS, {});

      const first = ring.keysFor('shop.example');
      const second = ring.keysFor('shop.example');
      rmSync(blocker);
      mkdirSync(blocker);
      now += RESCAN_MS + 1;
      const later = ring.keysFor('shop.example');

      expect(first).toEqual([]);
      expect(second).toEqual([]);
      expect(later.map((key) => key.selector)).toEqual(['pw1']);
      expect(readdirSync(keysDir)).toEqual(['shop.example.pw1.pem']);
      expect(log.lines.map((line) => [line['level'], line['msg']])).toEqual([
        ['error', 'could not save a generated DKIM key; the sender domain is not signed until it can be'],
        ['warn', 'generated a DKIM key for a sender domain that had none; publish this DNS record'],
      ]);
      expect(log.lines[0]).toMatchObject({
        domain: 'shop.example',
        file: join(keysDir, 'shop.example.pw1.pem'),
      });
    });

    it('generates no key for a domain that has one in the environment', () => {
      const keysDir = join(dir, 'generated');
      const ring = new DkimKeyring(keysDir, 'pw1', true, log.logger, RESCAN_MS, {
        MTA_DKIM_KEY_SHOP: `shop.example:env1:${ed25519Pem()}`,
      });

      expect(ring.keysFor('shop.example').map((key) => key.selector)).toEqual(['env1']);
      expect(ring.keysFor('news.example').map((key) => key.selector)).toEqual(['pw1']);
    });

    it.each([
      [
        'no selector',
        'shop.example',
        'MTA_DKIM_KEY_SHOP: expected "<domain>:<selector>:<PEM key or its base64>"',
      ],
      [
        'a bad selector',
        'shop.example:pw 1:x',
        'MTA_DKIM_KEY_SHOP: selector "pw 1" must be letters, digits and dashes',
      ],
      ['a bad domain', 'shop_example:pw1:x', 'MTA_DKIM_KEY_SHOP: domain "shop_example" is not a domain name'],
      [
        'no key',
        'shop.example:pw1:',
        'MTA_DKIM_KEY_SHOP: expected "<domain>:<selector>:<PEM key or its base64>"',
      ],
      [
        'a key that does not parse',
        'shop.example:pw1:bm90IGEga2V5',
        'MTA_DKIM_KEY_SHOP: the key of pw1._domainkey.shop.example is not a PEM private key',
      ],
    ])('refuses a variable with %s, naming it without echoing the key', (_case, value, message) => {
      expect(() => keyring({ MTA_DKIM_KEY_SHOP: value })).toThrow(message);
    });

    it('refuses two variables for the same domain and selector', () => {
      expect(() =>
        keyring({
          MTA_DKIM_KEY_A: `shop.example:pw1:${ed25519Pem()}`,
          MTA_DKIM_KEY_B: `Shop.Example:pw1:${ed25519Pem()}`,
        }),
      ).toThrow('MTA_DKIM_KEY_B: pw1._domainkey.shop.example is already defined by MTA_DKIM_KEY_A');
    });

    it('does not echo key material in the error for an unusable PEM', () => {
      const pem = ed25519Pem();
      const truncated = pem.slice(0, pem.length - 30);

      const error = (() => {
        try {
          keyring({ MTA_DKIM_KEY_SHOP: `shop.example:pw1:${truncated}` });
        } catch (caught) {
          return caught as Error;
        }
        return null;
      })();

      expect(error?.message).toMatch(/^MTA_DKIM_KEY_SHOP: the key of pw1\._domainkey\.shop\.example /);
      expect(error?.message).not.toContain(truncated.split('\n')[1]!.slice(0, 20));
    });
  });
});
