import { execFile, spawnSync } from 'node:child_process';
import { createHash, generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLogger } from '@postwave/platform/observability';
import { dkimVerify } from 'mailauth/lib/dkim/verify';
import { DkimKeyring, type SigningKey } from './dkim-keyring';
import { canonicalBody, canonicalHeader, DkimSignError, DKIM_SIGNED_HEADERS, signDkim } from './dkim-signer';

const DOMAIN = 'example.com';
const EMPTY_SHA256 = '47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=';

/** Debian's interpreter: python3-dkim (dkimpy) and python3-nacl live there, not in a pyenv python3. */
const PYTHON = '/usr/bin/python3';
const DKIMPY = spawnSync(PYTHON, ['-c', 'import dkim, nacl'], { stdio: 'ignore' }).status === 0;
const DKIMPY_VERIFY = `
import base64, json, sys
import dkim
from dkim.util import parse_tag_value
request = json.load(sys.stdin)
records = request['records']
def dnsfunc(name, timeout=5):
    name = name.decode('ascii') if isinstance(name, bytes) else name
    record = records.get(name.rstrip('.'))
    return record.encode('ascii') if record else None
checker = dkim.DKIM(base64.b64decode(request['message']))
fields = [value for name, value in checker.headers if name.lower() == b'dkim-signature']
out = []
for index, field in enumerate(fields):
    selector = parse_tag_value(field)[b's'].decode('ascii')
    try:
        out.append([selector, 'pass' if checker.verify(idx=index, dnsfunc=dnsfunc) else 'fail'])
    except dkim.DKIMException as error:
        out.append([selector, 'fail'])
print(json.dumps(out))
`;

type Verdicts = Array<[selector: string, result: string]>;
type Verifier = (raw: Buffer, keys: readonly SigningKey[]) => Promise<Verdicts>;

const records = (keys: readonly SigningKey[]) =>
  Object.fromEntries(
    keys.map((key) => [`${key.selector}._domainkey.${key.domain}`, DkimKeyring.dnsRecord(key)]),
  );

/** mailauth's verifier, answering TXT lookups for the given keys only. */
const mailauth: Verifier = async (raw, keys) => {
  const known = records(keys);
  const resolver = async (name: string, rrtype: string) => {
    const record = rrtype === 'TXT' ? known[name] : undefined;
    if (!record) throw Object.assign(new Error(`queryTxt ENOTFOUND ${name}`), { code: 'ENOTFOUND' });
    return [[record]];
  };
  const verified = await dkimVerify(raw, { resolver });
  return verified.results.map((r): [string, string] => [r.selector ?? '(none)', r.status.result]).sort();
};

/** dkimpy (Debian's python3-dkim), the implementation the platform e2e test checks against. */
const dkimpy: Verifier = (raw, keys) =>
  new Promise((resolve, reject) => {
    const child = execFile(PYTHON, ['-c', DKIMPY_VERIFY], (error, stdout) =>
      error ? reject(error) : resolve((JSON.parse(stdout) as Verdicts).sort()),
    );
    child.stdin!.end(JSON.stringify({ message: raw.toString('base64'), records: records(keys) }));
  });

/** Every independent verifier installed here: mailauth always, dkimpy where Debian's package is. */
const verifiers: Array<[string, Verifier]> = [
  ['mailauth', mailauth],
  ...(DKIMPY ? [['dkimpy', dkimpy] as [string, Verifier]] : []),
];

function message(headers: string, body: string, eol = '\r\n'): Buffer {
  return Buffer.from(`${headers.trim().split('\n').join(eol)}${eol}${eol}${body}`, 'utf8');
}

const PLAIN_HEADERS = `
From: Shop News <news@example.com>
To: ada@example.net
Subject: Your code
Date: Fri, 27 Nov 2026 10:00:00 +0000
Message-ID: <m1.mta-7@example.com>
MIME-Version: 1.0
Content-Type: text/plain; charset=utf-8
Content-Transfer-Encoding: 7bit
X-Postwave-Message-Id: m1`;

/** The DKIM-Signature fields of a signed message, unfolded, in order. */
function signatures(raw: Buffer): string[] {
  const head = raw
    .toString('latin1')
    .split(/\r?\n\r?\n/)[0]!
    .replace(/\r?\n[ \t]+/g, ' ');
  return head
    .split(/\r?\n/)
    .filter((line) => /^DKIM-Signature:/i.test(line))
    .map((line) => line.slice('DKIM-Signature:'.length).trim());
}

function tag(signature: string, name: string): string | undefined {
  for (const part of signature.split(';')) {
    const [key, ...value] = part.split('=');
    if (key!.trim() === name) return value.join('=').replace(/\s+/g, '');
  }
  return undefined;
}

describe('signDkim', () => {
  let dir: string;
  let rsa: SigningKey;
  let ed: SigningKey;
  let both: readonly SigningKey[];

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'pw-dkim-signer-'));
    const rsaKey = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey;
    const edKey = generateKeyPairSync('ed25519').privateKey;
    writeFileSync(join(dir, `${DOMAIN}.rsa1.pem`), rsaKey.export({ type: 'pkcs1', format: 'pem' }));
    writeFileSync(join(dir, `${DOMAIN}.ed1.pem`), edKey.export({ type: 'pkcs8', format: 'pem' }));
    const silent = createLogger({
      service: 'test',
      level: 'silent',
      destination: { write: () => undefined },
    });
    const keys = new DkimKeyring(dir, 'unused', false, silent).keysFor(DOMAIN);
    rsa = keys.find((key) => key.selector === 'rsa1')!;
    ed = keys.find((key) => key.selector === 'ed1')!;
    both = [rsa, ed];
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('parses each PEM key once, when the keyring is scanned', () => {
    expect(rsa.keyObject.type).toBe('private');
    expect(rsa.keyObject.asymmetricKeyType).toBe('rsa');
    expect(rsa.algorithm).toBe('rsa-sha256');
    expect(ed.keyObject.asymmetricKeyType).toBe('ed25519');
    expect(ed.algorithm).toBe('ed25519-sha256');
  });

  it('signs a plain message so that mailauth verifies it, with mailauth-like tags on folded lines', async () => {
    const unsigned = message(PLAIN_HEADERS, 'Dear Ada,\r\nyour code is X1.\r\n');

    const signed = await signDkim(unsigned, [rsa], { now: new Date('2026-11-27T10:00:00.900Z') });

    expect(await mailauth(signed, [rsa])).toEqual([['rsa1', 'pass']]);
    expect(signed.subarray(signed.length - unsigned.length).equals(unsigned)).toBe(true);
    const [signature] = signatures(signed);
    expect(signature).toMatch(
      /^v=1; a=rsa-sha256; c=relaxed\/relaxed; d=example\.com; s=rsa1; t=1795773600; h=.+; bh=[A-Za-z0-9+/]{43}=; b=[A-Za-z0-9+/= ]+$/,
    );
    // Bottom-up, only the listed fields present, and From once more than it occurs.
    expect(tag(signature!, 'h')).toBe(
      'Content-Transfer-Encoding:Content-Type:MIME-Version:Message-ID:Date:Subject:To:From:From',
    );
    const field = signed.toString('latin1').slice(0, signed.length - unsigned.length);
    for (const line of field.split('\r\n')) expect(line.length).toBeLessThanOrEqual(76);
    expect(field.endsWith('\r\n')).toBe(true);
  });

  it('verifies a message whose headers are folded with spaces and tabs', async () => {
    const headers = PLAIN_HEADERS.replace(
      'Subject: Your code',
      'Subject:   Your\t code,\n\tfolded  over\n     three lines   ',
    ).replace('To: ada@example.net', 'To: Ada Lovelace\n <ada@example.net>,\n\tgrace@example.net');

    const signed = await signDkim(message(headers, 'Hello\r\n'), both);

    for (const [, verify] of verifiers) {
      expect(await verify(signed, both)).toEqual([
        ['ed1', 'pass'],
        ['rsa1', 'pass'],
      ]);
    }
  });

  it('lists a repeated field once per instance, bottom-up, so that reordering the instances breaks it', async () => {
    const headers = `Received: from a by b; Fri, 27 Nov 2026 10:00:01 +0000
Received: from c by d; Fri, 27 Nov 2026 10:00:02 +0000
${PLAIN_HEADERS.trim()}
Received: from e by f; Fri, 27 Nov 2026 10:00:03 +0000`;
    const unsigned = message(headers, 'Hello\r\n');

    const signed = await signDkim(unsigned, [rsa], { headerList: [...DKIM_SIGNED_HEADERS, 'Received'] });

    expect(
      tag(signatures(signed)[0]!, 'h')
        ?.split(':')
        .filter((name) => name === 'Received'),
    ).toHaveLength(3);
    expect(await mailauth(signed, [rsa])).toEqual([['rsa1', 'pass']]);
    const swapped = Buffer.from(
      signed
        .toString('latin1')
        .replace('from a by b; Fri, 27 Nov 2026 10:00:01', 'from TMP')
        .replace('from c by d; Fri, 27 Nov 2026 10:00:02', 'from a by b; Fri, 27 Nov 2026 10:00:01')
        .replace('from TMP', 'from c by d; Fri, 27 Nov 2026 10:00:02'),
      'latin1',
    );
    expect(await mailauth(swapped, [rsa])).toEqual([['rsa1', 'fail']]);
  });

  it('hashes the body without trailing whitespace, with one space per whitespace run and no trailing blank lines', async () => {
    const body = 'Dear  Ada, \t\r\n\tyour code\t\tis X1.   \r\n  \r\n\r\n\r\n \t \r\n';
    const unsigned = message(PLAIN_HEADERS, body);

    const signed = await signDkim(unsigned, both);

    expect(canonicalBody(Buffer.from(body)).toString()).toBe('Dear Ada,\r\n your code is X1.\r\n');
    expect(await mailauth(signed, both)).toEqual([
      ['ed1', 'pass'],
      ['rsa1', 'pass'],
    ]);
    // Relaxed: a relay that strips trailing whitespace and blank lines leaves the signature valid.
    const relayed = Buffer.from(
      signed.toString('latin1').replace(body, 'Dear Ada,\r\n your code is X1.\r\n'),
      'latin1',
    );
    expect(await mailauth(relayed, both)).toEqual([
      ['ed1', 'pass'],
      ['rsa1', 'pass'],
    ]);
  });

  it('hashes an empty body, and a body of blank lines, as empty (RFC 6376 §3.4.4)', async () => {
    for (const body of ['', '\r\n\r\n', ' \r\n\t\r\n']) {
      const signed = await signDkim(message(PLAIN_HEADERS, body), both);

      expect(signatures(signed).map((s) => tag(s, 'bh'))).toEqual([EMPTY_SHA256, EMPTY_SHA256]);
      expect(await mailauth(signed, both)).toEqual([
        ['ed1', 'pass'],
        ['rsa1', 'pass'],
      ]);
    }
    // No blank line at all after the header: no body either.
    const headersOnly = await signDkim(Buffer.from(`${PLAIN_HEADERS.trim().split('\n').join('\r\n')}\r\n`), [
      rsa,
    ]);
    expect(tag(signatures(headersOnly)[0]!, 'bh')).toBe(EMPTY_SHA256);
  });

  it('adds the CRLF a non-empty body lacks at its end', () => {
    expect(canonicalBody(Buffer.from('a\r\n\r\nb')).toString()).toBe('a\r\n\r\nb\r\n');
    expect(canonicalBody(Buffer.from('a  \t')).toString()).toBe('a\r\n');
  });

  it('canonicalizes the example of RFC 6376 §3.4.5', () => {
    expect(canonicalHeader('A: X')).toBe('a:X');
    expect(canonicalHeader('B : Y\t\r\n\tZ  ')).toBe('b:Y Z');
    expect(canonicalBody(Buffer.from(' C \r\nD \t E\r\n\r\n\r\n')).toString()).toBe(' C\r\nD E\r\n');
  });

  it('treats only SP and HTAB as whitespace, keeping every other byte of raw 8-bit headers', () => {
    // "à" is C3 A0 in UTF-8; A0 is no-break space in latin1, which a \\s regex would take for whitespace.
    const raw = Buffer.from('Subject:  Voilà\u000b  ok ', 'utf8').toString('latin1');

    expect(Buffer.from(canonicalHeader(raw), 'latin1').toString('utf8')).toBe('subject:Voilà\u000b ok');
  });

  it('signs bare-LF input as its CRLF form, with its own field in bare LF too', async () => {
    const body = 'Dear Ada,  \nyour code is X1.\n\n';
    const bareLf = message(PLAIN_HEADERS, body, '\n');
    const crlf = message(PLAIN_HEADERS, body.replace(/\n/g, '\r\n'));

    const signed = await signDkim(bareLf, both);
    const reference = await signDkim(crlf, both);

    expect(signed.includes('\r')).toBe(false);
    expect(signatures(signed).map((s) => tag(s, 'bh'))).toEqual(
      signatures(reference).map((s) => tag(s, 'bh')),
    );
    for (const [, verify] of verifiers) {
      expect(await verify(signed, both)).toEqual([
        ['ed1', 'pass'],
        ['rsa1', 'pass'],
      ]);
    }
  });

  it('signs a 100 KB body, clean or full of whitespace to fix, in linear time', async () => {
    const base64Lines = Array.from({ length: 1350 }, (_, i) =>
      createHash('sha512').update(String(i)).digest('base64').slice(0, 76),
    ).join('\r\n');
    const messy = Array.from({ length: 3000 }, (_, i) => `line ${i}\t with  runs \t of   space  `).join('\n');
    const spaces = `${' '.repeat(100_000)}x${' '.repeat(100_000)}\r\n`;

    for (const body of [`${base64Lines}\r\n`, messy, spaces]) {
      expect(body.length).toBeGreaterThan(50_000);
      const unsigned = message(PLAIN_HEADERS, body);
      const started = process.hrtime.bigint();
      const signed = await signDkim(unsigned, both);
      const elapsedMs = Number(process.hrtime.bigint() - started) / 1e6;

      expect(elapsedMs).toBeLessThan(500);
      expect(await mailauth(signed, both)).toEqual([
        ['ed1', 'pass'],
        ['rsa1', 'pass'],
      ]);
    }
    expect(canonicalBody(Buffer.from(spaces)).toString()).toBe(' x\r\n');
  });

  it('signs with an RSA and an Ed25519 key together, one field per key in key order, body hashed once', async () => {
    const signed = await signDkim(message(PLAIN_HEADERS, 'Hello\r\n'), both);

    const [first, second] = signatures(signed);
    expect([tag(first!, 's'), tag(first!, 'a')]).toEqual(['rsa1', 'rsa-sha256']);
    expect([tag(second!, 's'), tag(second!, 'a')]).toEqual(['ed1', 'ed25519-sha256']);
    expect(tag(first!, 'bh')).toBe(tag(second!, 'bh'));
    const verified = await dkimVerify(signed, {
      resolver: async (name: string) => [[records(both)[name]!]],
    });
    expect(verified.results.map((r) => [r.selector, (r as { algo?: string }).algo, r.status.result])).toEqual(
      [
        ['rsa1', 'rsa-sha256', 'pass'],
        ['ed1', 'ed25519-sha256', 'pass'],
      ],
    );
  });

  it('verifies an RSA and an Ed25519 signature with every independent verifier here (mailauth; dkimpy when Debian has it)', async () => {
    const signed = await signDkim(
      message(PLAIN_HEADERS, 'Dear Ada,\r\n\r\nyour code is X1.  \r\n\r\n'),
      both,
    );

    expect(verifiers.map(([name]) => name)).toEqual(DKIMPY ? ['mailauth', 'dkimpy'] : ['mailauth']);
    for (const [, verify] of verifiers) {
      expect(await verify(signed, both)).toEqual([
        ['ed1', 'pass'],
        ['rsa1', 'pass'],
      ]);
    }
  });

  it('fails both signatures once one body byte or the Subject changes', async () => {
    const signed = await signDkim(message(PLAIN_HEADERS, 'Dear Ada,\r\nyour code is X1.\r\n'), both);
    // Change the body only: 'X1' may also occur by chance in a signature's base64.
    const text = signed.toString('latin1');
    const bodyStart = text.indexOf('\r\n\r\n');
    const bodyChanged = Buffer.from(
      text.slice(0, bodyStart) + text.slice(bodyStart).replace('X1', 'X2'),
      'latin1',
    );
    const subjectChanged = Buffer.from(
      signed.toString('latin1').replace('Subject: Your code', 'Subject: Your coda'),
      'latin1',
    );

    for (const [, verify] of verifiers) {
      for (const tampered of [bodyChanged, subjectChanged]) {
        // mailauth says "neutral" for a body hash mismatch, "fail" for a bad signature.
        const verdicts = await verify(tampered, both);
        expect(verdicts.map(([selector, result]) => [selector, result === 'pass'])).toEqual([
          ['ed1', false],
          ['rsa1', false],
        ]);
      }
    }
  });

  it('oversigns From, so that a second From added later breaks the signature', async () => {
    const signed = await signDkim(message(PLAIN_HEADERS, 'Hello\r\n'), [rsa]);
    const text = signed.toString('latin1');
    const bodyStart = text.indexOf('\r\n\r\n');
    const withSecondFrom = Buffer.from(
      `${text.slice(0, bodyStart)}\r\nFrom: ceo@example.com${text.slice(bodyStart)}`,
      'latin1',
    );

    expect(await mailauth(withSecondFrom, [rsa])).toEqual([['rsa1', 'fail']]);
  });

  it('leaves out a key that cannot sign its algorithm, and rejects when no key can sign', async () => {
    const ec = generateKeyPairSync('ec', { namedCurve: 'prime256v1' }).privateKey;
    const wrong: SigningKey = {
      domain: DOMAIN,
      selector: 'ec1',
      privateKey: ec.export({ type: 'pkcs8', format: 'pem' }).toString(),
      keyObject: ec,
      algorithm: 'rsa-sha256',
    };
    const unsigned = message(PLAIN_HEADERS, 'Hello\r\n');

    const signed = await signDkim(unsigned, [wrong, ed]);

    expect(signatures(signed).map((s) => tag(s, 's'))).toEqual(['ed1']);
    expect(await mailauth(signed, [ed])).toEqual([['ed1', 'pass']]);
    await expect(signDkim(unsigned, [wrong])).rejects.toThrow(DkimSignError);
    await expect(signDkim(unsigned, [wrong])).rejects.toThrow(
      /^DKIM signing failed: .*ec key cannot sign rsa-sha256/,
    );
  });

  it('returns the message unchanged when there is no key', async () => {
    const unsigned = message(PLAIN_HEADERS, 'Hello\r\n');

    expect(await signDkim(unsigned, [])).toBe(unsigned);
  });
});
