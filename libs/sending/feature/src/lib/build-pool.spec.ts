import { generateKeyPairSync } from 'node:crypto';
import type { Worker } from 'node:worker_threads';
import type { DeliveryContent } from '@postwave/contracts';
import { createLogger } from '@postwave/platform/observability';
import { dkimVerify } from 'mailauth/lib/dkim/verify';
import { BuildPool } from './build-pool';
import { DkimKeyring, type SigningKey } from './dkim-keyring';
import type { BuilderSettings, PreparedResult } from './message-builder';

const settings: BuilderSettings = {
  instance: 'mta-pool',
  verpDomain: 'bounces.shop.example',
  verpSecret: 'verp-secret-for-the-pool-test',
  unsubscribeUrl: 'https://u.shop.example/u',
};

const content: DeliveryContent = {
  sender: { address: 'news@shop.example', name: 'Shop News' },
  subject: 'Picks for {{ firstName }}',
  html: '<p>Hello {{ firstName }}</p>{% for i in (1..3) %}<p>Item {{ i }} for {{ code }}</p>{% endfor %}',
};

const silent = createLogger({ service: 'test', level: 'silent', destination: { write: () => undefined } });

function key(selector: string, type: 'rsa' | 'ed25519'): SigningKey {
  const { privateKey } =
    type === 'rsa' ? generateKeyPairSync('rsa', { modulusLength: 2048 }) : generateKeyPairSync('ed25519');
  return {
    domain: 'shop.example',
    selector,
    privateKey: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
    keyObject: privateKey,
    algorithm: type === 'rsa' ? 'rsa-sha256' : 'ed25519-sha256',
  };
}

/** DKIM verdicts of a message against the published keys, one "selector:result" per signature. */
async function verdicts(raw: Buffer, published: readonly SigningKey[]): Promise<string[]> {
  const records = new Map(
    published.map((k) => [`${k.selector}._domainkey.${k.domain}`, DkimKeyring.dnsRecord(k)]),
  );
  const resolver = async (name: string, rrtype: string) => {
    const record = rrtype === 'TXT' ? records.get(name) : undefined;
    if (!record) throw Object.assign(new Error(`queryTxt ENOTFOUND ${name}`), { code: 'ENOTFOUND' });
    return [[record]];
  };
  const verified = await dkimVerify(raw, { resolver });
  return verified.results.map((r) => `${r.selector}:${r.status.result}`).sort();
}

const message = (
  i: number,
  attributes: Record<string, string> = { firstName: `Reader${i}`, code: `C${i}` },
) => ({
  messageId: `m-pool-${String(i).padStart(6, '0')}`,
  deliveryId: 'd-pool',
  address: `r${i}@example.net`,
  attributes,
});

/**
 * The message as built, read back from the DATA form the pool returns: the final dot line removed
 * and the dots doubled at line starts undone (a built message has CRLF line ends only).
 */
function built(result: PreparedResult): { mailFrom: string; raw: Buffer } {
  if (!result.ok) throw new Error(result.error);
  const { data, size } = result.message.smtp;
  const text = data.subarray(0, data.length - 3).toString('latin1');
  expect(data.subarray(data.length - 5).toString('latin1')).toBe('\r\n.\r\n');
  const raw = Buffer.from(text.replace(/^\.\./, '.').replace(/\r\n\.\./g, '\r\n.'), 'latin1');
  expect(raw.length).toBe(size);
  return { mailFrom: result.message.mailFrom, raw };
}

describe('BuildPool', () => {
  let pool: BuildPool | undefined;
  afterEach(async () => {
    await pool?.close();
    pool = undefined;
  });

  it('builds on a thread what the MTA builds in-process: personalized, signed, each message its own', async () => {
    const keys = [key('rsa1', 'rsa'), key('ed1', 'ed25519')];
    pool = new BuildPool(settings, { keysFor: () => keys }, 1, silent);
    const results = await Promise.all(Array.from({ length: 40 }, (_, i) => pool!.build(content, message(i))));
    expect(pool.stats()).toMatchObject({ threads: 1, threaded: 40, inProcess: 0 });
    for (const [i, result] of results.entries()) {
      const { raw, mailFrom } = built(result);
      const text = raw.toString('utf8');
      expect(text).toContain(`Subject: Picks for Reader${i}\r\n`);
      expect(text).toContain(`Item 3 for C${i}`);
      expect(mailFrom).toMatch(/@bounces\.shop\.example$/);
      expect(await verdicts(raw, keys)).toEqual(['ed1:pass', 'rsa1:pass']);
    }
  });

  it('returns a personalization failure as the message outcome, not as a thread failure', async () => {
    pool = new BuildPool(settings, { keysFor: () => [] }, 1, silent);
    const result = await pool.build(content, message(1, { firstName: 'Ada' }));
    expect(result).toEqual({
      ok: false,
      error: expect.stringMatching(/personalization failed in html: .*code/),
    });
    expect(pool.stats()).toMatchObject({ threaded: 1, inProcess: 0 });
  });

  it('gives a thread the sender domain keys again when they rotate', async () => {
    const original = [key('old', 'ed25519')];
    const rotated = [key('new', 'ed25519')];
    let keys = original;
    pool = new BuildPool(settings, { keysFor: () => keys }, 1, silent);
    const before = built(await pool.build(content, message(1)));
    keys = rotated;
    const after = built(await pool.build(content, message(2)));
    expect(await verdicts(before.raw, original)).toEqual(['old:pass']);
    expect(await verdicts(after.raw, rotated)).toEqual(['new:pass']);
  });

  it('builds in-process whatever a thread that died still held', async () => {
    const keys = [key('ed1', 'ed25519')];
    pool = new BuildPool(settings, { keysFor: () => keys }, 1, silent);
    built(await pool.build(content, message(0))); // the thread is up
    const pending = Array.from({ length: 10 }, (_, i) => pool!.build(content, message(i + 1)));
    await new Promise((resolve) => setImmediate(resolve)); // the batch left for the thread
    const threads = (pool as unknown as { threads: Array<{ worker: Worker } | null> }).threads;
    await threads[0]!.worker.terminate();
    const results = await Promise.all(pending);
    for (const result of results) expect(await verdicts(built(result).raw, keys)).toEqual(['ed1:pass']);
    expect(pool.stats()).toMatchObject({ threads: 0, threaded: 1 });
    expect(pool.stats().inProcess).toBeGreaterThanOrEqual(1);
    expect(pool.stats().threaded + pool.stats().inProcess).toBe(11);
  });

  it.each([
    ['on a thread', 1],
    ['in-process', 0],
  ])(
    'fails the attempt, not the message, while the keyring cannot be read (%s), and goes on after',
    async (_where, threads) => {
      const keys = [key('ed1', 'ed25519')];
      let broken = true;
      pool = new BuildPool(
        settings,
        {
          keysFor: () => {
            if (broken) throw new Error("EIO: i/o error, scandir '/etc/postwave/dkim'");
            return keys;
          },
        },
        threads,
        silent,
      );
      const failed = await Promise.allSettled([
        pool.build(content, message(1)),
        pool.build(content, message(2)),
      ]);
      broken = false;
      const after = built(await pool.build(content, message(3)));

      expect(failed).toEqual([
        { status: 'rejected', reason: expect.objectContaining({ message: expect.stringContaining('EIO') }) },
        { status: 'rejected', reason: expect.objectContaining({ message: expect.stringContaining('EIO') }) },
      ]);
      expect(await verdicts(after.raw, keys)).toEqual(['ed1:pass']);
    },
  );

  it('builds in-process when threads are switched off', async () => {
    pool = new BuildPool(settings, { keysFor: () => [] }, 0, silent);
    built(await pool.build(content, message(1)));
    expect(pool.stats()).toEqual({ threads: 0, threaded: 0, inProcess: 1 });
  });
});
