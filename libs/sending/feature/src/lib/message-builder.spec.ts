import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  parseUnsubscribeToken,
  parseVerpAddress,
  unsubscribeToken,
  type DeliveryContent,
} from '@postwave/contracts';
import { createLogger } from '@postwave/platform/observability';
import { simpleParser } from 'mailparser';
import { dkimVerify } from 'mailauth/lib/dkim/verify';
import { DkimKeyring, type SigningKey } from './dkim-keyring';
import { MessageBuilder, type BuildResult, type BuilderSettings } from './message-builder';

const SECRET = 'verp-secret-for-tests-0123456789';
const MESSAGE_ID = 'm0123456789abcdef01234567';

const settings: BuilderSettings = {
  instance: 'mta-7',
  verpDomain: 'bounces.example.com',
  verpSecret: SECRET,
  unsubscribeUrl: null,
};

const content: DeliveryContent = {
  sender: { address: 'news@Shop.Example', name: 'Shop News' },
  replyTo: 'help@shop.example',
  subject: 'Hello {{ firstName }}',
  html: '<p>Dear {{ firstName | upcase }}, your code is <b>{{ code }}</b>.</p>',
  text: 'Dear {{ firstName }}, your code is {{ code }}.',
};

const outgoing = {
  messageId: MESSAGE_ID,
  deliveryId: 'd-spring',
  address: 'ada@example.net',
  attributes: { firstName: 'Ada', code: 'X1' },
};

/** Lines written to a logger, parsed back. */
function capturingLogger(level = 'warn') {
  const lines: Array<Record<string, unknown>> = [];
  const logger = createLogger({
    service: 'test',
    level,
    destination: { write: (line: string) => void lines.push(JSON.parse(line) as Record<string, unknown>) },
  });
  return { logger, lines };
}

const silent = () =>
  createLogger({ service: 'test', level: 'silent', destination: { write: () => undefined } });

/** A header's value from a raw message, unfolded. */
function header(raw: Buffer, name: string): string | undefined {
  const head = raw
    .toString('utf8')
    .split(/\r?\n\r?\n/)[0]!
    .replace(/\r?\n[ \t]+/g, ' ');
  const line = head.split(/\r?\n/).find((l) => l.toLowerCase().startsWith(`${name.toLowerCase()}:`));
  return line?.slice(name.length + 1).trim();
}

/** A DNS resolver that answers the `<selector>._domainkey.<domain>` TXT records of the given keys only. */
function resolverFor(keys: readonly SigningKey[]) {
  const records = new Map(
    keys.map((key) => [`${key.selector}._domainkey.${key.domain}`, DkimKeyring.dnsRecord(key)]),
  );
  return async (name: string, rrtype: string) => {
    const record = rrtype === 'TXT' ? records.get(name) : undefined;
    if (!record) throw Object.assign(new Error(`queryTxt ENOTFOUND ${name}`), { code: 'ENOTFOUND' });
    return [[record]];
  };
}

function built(result: BuildResult) {
  if (!result.ok) throw new Error(`build failed: ${result.error}`);
  return result.message;
}

describe('MessageBuilder', () => {
  let dir: string;

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'pw-dkim-'));
  });
  afterEach(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  it('renders the personalized subject, html and text of one recipient', async () => {
    const builder = new MessageBuilder(settings, new DkimKeyring(dir, 'pw1', false, silent()));

    const message = built(await builder.build(content, outgoing));

    const parsed = await simpleParser(message.raw);
    expect(parsed.subject).toBe('Hello Ada');
    expect(parsed.html).toBe('<p>Dear ADA, your code is <b>X1</b>.</p>');
    expect(parsed.text?.trim()).toBe('Dear Ada, your code is X1.');
    expect(parsed.from?.value).toEqual([{ address: 'news@shop.example', name: 'Shop News' }]);
    expect(parsed.replyTo?.text).toBe('help@shop.example');
    expect(parsed.to && !Array.isArray(parsed.to) ? parsed.to.value[0]?.address : null).toBe(
      'ada@example.net',
    );
  });

  it('keeps every header on a text-only message, whose only part is the root', async () => {
    const builder = new MessageBuilder(settings, new DkimKeyring(dir, 'pw1', false, silent()));
    const { html: _html, ...textOnly } = content;

    const message = built(
      await builder.build({ ...textOnly, text: 'Hej {{ firstName }} = välkommen' }, outgoing),
    );
    const parsed = await simpleParser(message.raw);

    expect(parsed.subject).toBe('Hello Ada');
    expect(parsed.text?.trim()).toBe('Hej Ada = välkommen');
    expect(parsed.html).toBe(false);
    expect(header(message.raw, 'List-Unsubscribe')).toMatch(/^<mailto:unsubscribe\+/);
    expect(header(message.raw, 'Feedback-ID')).toBe('d-spring:postwave:shop.example');
  });

  it('encodes html and text parts as quoted-printable that decodes to the rendered content', async () => {
    const builder = new MessageBuilder(settings, new DkimKeyring(dir, 'pw1', false, silent()));
    const long = `<p>Hej {{ firstName }} = ${'välkommen '.repeat(40)}</p>`;

    const message = built(await builder.build({ ...content, html: long }, outgoing));
    const parsed = await simpleParser(message.raw);

    expect(parsed.html).toBe(`<p>Hej Ada = ${'välkommen '.repeat(40)}</p>`);
    expect(message.raw.toString('latin1')).toMatch(/Content-Transfer-Encoding: quoted-printable/);
    expect(
      message.raw
        .toString('latin1')
        .split('\r\n')
        .every((line) => line.length <= 998),
    ).toBe(true);
  });

  it("gives each recipient of a delivery their own html while the template's text is encoded once", async () => {
    const builder = new MessageBuilder(settings, new DkimKeyring(dir, 'pw1', false, silent()));
    const html = `{% for i in (1..3) %}<p>${'Rad '.repeat(30)}{{ i }} för {{ firstName }} ({{ code }})</p>\n{% endfor %}`;
    const expected = (name: string, code: string) =>
      [1, 2, 3].map((i) => `<p>${'Rad '.repeat(30)}${i} för ${name} (${code})</p>\n`).join('');

    for (const [firstName, code] of [
      ['Ada', 'X1'],
      ['Bo Ek', 'Y2 '],
      ['Åsa', '=3D'],
    ] as const) {
      const message = built(
        await builder.build({ ...content, html }, { ...outgoing, attributes: { firstName, code } }),
      );
      const parsed = await simpleParser(message.raw);
      expect(parsed.html).toBe(expected(firstName, code));
    }
  });

  it('encodes the html of a message with attachments from the same pieces, and keeps the attachment', async () => {
    const builder = new MessageBuilder(settings, new DkimKeyring(dir, 'pw1', false, silent()));
    const attachment = {
      filename: 'terms.txt',
      contentType: 'text/plain',
      contentBase64: Buffer.from('Terms = conditions').toString('base64'),
    };

    const message = built(await builder.build({ ...content, attachments: [attachment] }, outgoing));
    const parsed = await simpleParser(message.raw);

    expect(parsed.html).toBe('<p>Dear ADA, your code is <b>X1</b>.</p>');
    expect(parsed.attachments.map((a) => [a.filename, a.content.toString()])).toEqual([
      ['terms.txt', 'Terms = conditions'],
    ]);
  });

  it('adds the bulk-sender headers: Message-ID with the instance, message id, Feedback-ID and a VERP unsubscribe mailto', async () => {
    const builder = new MessageBuilder(settings, new DkimKeyring(dir, 'pw1', false, silent()));

    const message = built(await builder.build(content, outgoing));

    expect(header(message.raw, 'Message-ID')).toBe(`<${MESSAGE_ID}.mta-7@shop.example>`);
    expect(header(message.raw, 'X-Postwave-Message-Id')).toBe(MESSAGE_ID);
    expect(header(message.raw, 'Feedback-ID')).toBe('d-spring:postwave:shop.example');
    const unsubscribe = header(message.raw, 'List-Unsubscribe');
    const mailto = /^<mailto:([^>]+)>$/.exec(unsubscribe ?? '')?.[1];
    expect(mailto).toMatch(/^unsubscribe\+.+@bounces\.example\.com$/);
    expect(parseVerpAddress(mailto!, SECRET)).toBe(MESSAGE_ID);
    expect(header(message.raw, 'List-Unsubscribe-Post')).toBeUndefined();
  });

  it('offers one-click https unsubscription when an unsubscribe URL is configured', async () => {
    const builder = new MessageBuilder(
      { ...settings, unsubscribeUrl: 'https://unsub.example.com/u/' },
      new DkimKeyring(dir, 'pw1', false, silent()),
    );

    const message = built(await builder.build(content, outgoing));

    const links = (header(message.raw, 'List-Unsubscribe') ?? '').split(/,\s*/);
    expect(links).toHaveLength(2);
    expect(links[0]).toMatch(/^<mailto:unsubscribe\+/);
    // The link carries the message id with its HMAC tag, so nobody can unsubscribe others by guessing ids.
    expect(links[1]).toBe(`<https://unsub.example.com/u/${unsubscribeToken(MESSAGE_ID, SECRET)}>`);
    expect(parseUnsubscribeToken(links[1]!.slice('<https://unsub.example.com/u/'.length, -1), SECRET)).toBe(
      MESSAGE_ID,
    );
    expect(header(message.raw, 'List-Unsubscribe-Post')).toBe('List-Unsubscribe=One-Click');
  });

  it('uses a VERP return path that maps back to the message id', async () => {
    const builder = new MessageBuilder(settings, new DkimKeyring(dir, 'pw1', false, silent()));

    const message = built(await builder.build(content, outgoing));

    expect(message.mailFrom).toMatch(/^b\+.+@bounces\.example\.com$/);
    expect(parseVerpAddress(message.mailFrom, SECRET)).toBe(MESSAGE_ID);
    expect(parseVerpAddress(message.mailFrom, 'another-secret-0123456789')).toBeNull();
  });

  it('returns to the sender domain when no VERP domain is configured', async () => {
    const builder = new MessageBuilder(
      { ...settings, verpDomain: null },
      new DkimKeyring(dir, 'pw1', false, silent()),
    );

    const message = built(await builder.build(content, outgoing));

    expect(message.mailFrom.endsWith('@shop.example')).toBe(true);
    expect(parseVerpAddress(message.mailFrom, SECRET)).toBe(MESSAGE_ID);
  });

  it('fails a message whose only key cannot sign, built whole or prepared for DATA, naming the key', async () => {
    const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey;
    const unusable: SigningKey = {
      domain: 'shop.example',
      selector: 'ed1',
      privateKey: rsa.export({ type: 'pkcs1', format: 'pem' }).toString(),
      keyObject: rsa,
      algorithm: 'ed25519-sha256',
    };
    const builder = new MessageBuilder(settings, { keysFor: () => [unusable] });

    const failure = {
      ok: false,
      error: expect.stringMatching(
        /^DKIM signing failed: ed1\._domainkey\.shop\.example: a rsa key cannot sign/,
      ),
    };
    expect(await builder.build(content, outgoing)).toEqual(failure);
    expect(await builder.prepare(content, outgoing)).toEqual(failure);
  });

  it('lets a keyring that cannot be read fail the attempt instead of failing the message', async () => {
    const builder = new MessageBuilder(settings, {
      keysFor: () => {
        throw Object.assign(new Error(`EACCES: permission denied, scandir '${dir}'`), { code: 'EACCES' });
      },
    });

    await expect(builder.prepare(content, outgoing)).rejects.toThrow('EACCES');
  });

  it('prepares for DATA the message it builds, signed and stuffed', async () => {
    const keyring = new DkimKeyring(dir, 'pw1', true, silent());
    const builder = new MessageBuilder(settings, keyring);
    const dotted = { ...content, text: '.{{ firstName }}\n..starts with dots' };

    const prepared = await builder.prepare(dotted, outgoing);
    if (!prepared.ok) throw new Error(prepared.error);
    const data = prepared.message.smtp.data.toString('latin1');
    expect(data.endsWith('\r\n.\r\n')).toBe(true);
    // Undone: the terminator, then the doubled dots at line starts.
    const raw = Buffer.from(data.slice(0, -3).replace(/\r\n\.\./g, '\r\n.'), 'latin1');
    expect(raw.length).toBe(prepared.message.smtp.size);
    expect(header(raw, 'DKIM-Signature')).toBeDefined();
    expect(data).toContain('\r\n..Ada\r\n');
    const verified = await dkimVerify(raw, { resolver: resolverFor(keyring.keysFor('shop.example')) });
    expect(verified.results).toEqual([
      expect.objectContaining({ status: expect.objectContaining({ result: 'pass' }) }),
    ]);
  });

  it('sends unsigned mail when the sender domain has no key and keys are not generated', async () => {
    const builder = new MessageBuilder(settings, new DkimKeyring(dir, 'pw1', false, silent()));

    const message = built(await builder.build(content, outgoing));

    expect(header(message.raw, 'DKIM-Signature')).toBeUndefined();
    expect(readdirSync(dir)).toEqual([]);
  });

  it('generates a DKIM key for a new sender domain, logs its DNS record and signs so that verification passes', async () => {
    const { logger, lines } = capturingLogger();
    const keyring = new DkimKeyring(join(dir, 'keys'), 'pw1', true, logger);
    const builder = new MessageBuilder(settings, keyring);

    const message = built(await builder.build(content, outgoing));

    expect(readdirSync(join(dir, 'keys'))).toEqual(['shop.example.pw1.pem']);
    const keys = keyring.keysFor('shop.example');
    expect(keys).toHaveLength(1);
    expect(lines).toEqual([
      expect.objectContaining({
        level: 'warn',
        domain: 'shop.example',
        record: `pw1._domainkey.shop.example TXT "${DkimKeyring.dnsRecord(keys[0]!)}"`,
      }),
    ]);
    const verified = await dkimVerify(message.raw, { resolver: resolverFor(keys) });
    expect(verified.results).toEqual([
      expect.objectContaining({
        signingDomain: 'shop.example',
        selector: 'pw1',
        status: expect.objectContaining({ result: 'pass' }),
      }),
    ]);
  });

  it('fails DKIM verification once the signed content is altered', async () => {
    const keyring = new DkimKeyring(dir, 'pw1', true, silent());
    const builder = new MessageBuilder(settings, keyring);

    const message = built(await builder.build(content, outgoing));
    const tampered = Buffer.from(message.raw.toString('utf8').replace('Hello Ada', 'Hello Eve'));

    const verified = await dkimVerify(tampered, { resolver: resolverFor(keyring.keysFor('shop.example')) });
    expect(verified.results[0]?.status.result).toBe('fail');
  });

  it('signs with every key of the domain: an ed25519 key beside an RSA key gives two passing signatures', async () => {
    const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey;
    const ed = generateKeyPairSync('ed25519').privateKey;
    writeFileSync(join(dir, 'shop.example.rsa1.pem'), rsa.export({ type: 'pkcs1', format: 'pem' }));
    writeFileSync(join(dir, 'shop.example.ed1.pem'), ed.export({ type: 'pkcs8', format: 'pem' }));
    const keyring = new DkimKeyring(dir, 'pw1', true, silent());
    const builder = new MessageBuilder(settings, keyring);

    const message = built(await builder.build(content, outgoing));

    const keys = keyring.keysFor('shop.example');
    expect(keys.map((key) => [key.selector, key.algorithm]).sort()).toEqual([
      ['ed1', 'ed25519-sha256'],
      ['rsa1', 'rsa-sha256'],
    ]);
    expect(DkimKeyring.dnsRecord(keys.find((key) => key.selector === 'ed1')!)).toMatch(
      /^v=DKIM1; k=ed25519; p=[A-Za-z0-9+/]{43}=$/,
    );
    const verified = await dkimVerify(message.raw, { resolver: resolverFor(keys) });
    expect(
      verified.results.map((r) => [r.selector, r.status.result, (r as { algo?: string }).algo]).sort(),
    ).toEqual([
      ['ed1', 'pass', 'ed25519-sha256'],
      ['rsa1', 'pass', 'rsa-sha256'],
    ]);
    // No key was generated: the domain already had two.
    expect(readdirSync(dir).sort()).toEqual(['shop.example.ed1.pem', 'shop.example.rsa1.pem']);
  });

  it('reports a missing personalization variable as a failure naming the part', async () => {
    const builder = new MessageBuilder(settings, new DkimKeyring(dir, 'pw1', false, silent()));

    const result = await builder.build(content, { ...outgoing, attributes: { firstName: 'Ada' } });

    expect(result.ok).toBe(false);
    expect(!result.ok && result.error).toMatch(/^personalization failed in html: .*code/);
  });

  it('reports a template syntax error naming the part', async () => {
    const builder = new MessageBuilder(settings, new DkimKeyring(dir, 'pw1', false, silent()));

    const result = await builder.build({ ...content, subject: 'Hello {{ firstName ' }, outgoing);

    expect(result.ok).toBe(false);
    expect(!result.ok && result.error).toMatch(/^template error in subject: /);
  });
});
