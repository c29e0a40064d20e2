import { execFile } from 'node:child_process';
import { generateKeyPairSync, type KeyObject } from 'node:crypto';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { freePort, http, settledDelivery } from '@postwave/testing';
import { EmbeddedPostwave } from './embedded-postwave';
import { LoopbackDns, txtStrings } from './loopback-dns';

const ROOT = resolve(__dirname, '../../..');
const VERIFIER = join(ROOT, 'tools', 'dns', 'verify-dkim.py');
// Debian's interpreter, where python3-dkim and python3-dnspython are installed; a python3
// earlier on PATH (pyenv) has neither.
const PYTHON = '/usr/bin/python3';
const DOMAIN = 'dkim.test';

interface VerifierReport {
  files: Array<{
    file: string;
    signatures: Array<{
      index: number;
      domain: string | null;
      selector: string | null;
      algorithm: string | null;
      verified: boolean;
      error: string | null;
    }>;
  }>;
  queries: string[];
}

/** The public key as a DKIM TXT record (RFC 6376 for RSA, RFC 8463 for Ed25519), made here. */
function dkimRecord(publicKey: KeyObject): string {
  if (publicKey.asymmetricKeyType === 'ed25519') {
    const raw = Buffer.from(publicKey.export({ format: 'jwk' }).x!, 'base64url');
    return `v=DKIM1; k=ed25519; p=${raw.toString('base64')}`;
  }
  return `v=DKIM1; k=rsa; p=${publicKey.export({ type: 'spki', format: 'der' }).toString('base64')}`;
}

/** The message with one letter of its body changed. */
function tamper(raw: Buffer): Buffer {
  const copy = Buffer.from(raw);
  const bodyStart = copy.indexOf('\r\n\r\n') + 4;
  for (let i = bodyStart; i < copy.length; i++) {
    const byte = copy[i]!;
    if ((byte >= 0x41 && byte <= 0x5a) || (byte >= 0x61 && byte <= 0x7a)) {
      copy[i] = byte === 0x78 ? 0x79 : 0x78; // 'x', or 'y' where it was 'x'
      return copy;
    }
  }
  throw new Error('no letter in the body to change');
}

/**
 * Every DKIM signature Postwave puts on a message verifies with an independent implementation
 * (dkimpy, from Debian's python3-dkim) against public keys it fetches from DNS: a private
 * dnsmasq publishes one RSA-2048 and one Ed25519 key for the sender domain, both of which sign.
 */
describe('DKIM signatures checked by an independent verifier against keys published in DNS', () => {
  const dir = mkdtempSync(join(tmpdir(), 'postwave-dkim-'));
  const keysDir = join(dir, 'dkim');
  const inbox = join(dir, 'inbox');
  let dns: LoopbackDns | undefined;
  let app: EmbeddedPostwave | undefined;

  beforeAll(async () => {
    mkdirSync(keysDir);
    const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const ed = generateKeyPairSync('ed25519');
    writeFileSync(
      join(keysDir, `${DOMAIN}.rsa1.pem`),
      rsa.privateKey.export({ type: 'pkcs1', format: 'pem' }),
      { mode: 0o600 },
    );
    writeFileSync(
      join(keysDir, `${DOMAIN}.ed1.pem`),
      ed.privateKey.export({ type: 'pkcs8', format: 'pem' }),
      { mode: 0o600 },
    );
    const rsaRecord = dkimRecord(rsa.publicKey);
    expect(rsaRecord.length).toBeGreaterThan(255); // so it must go out as several strings
    mkdirSync(join(dir, 'dns'));
    dns = await LoopbackDns.start(join(dir, 'dns'), {
      localDomains: [DOMAIN],
      txt: [
        { name: `rsa1._domainkey.${DOMAIN}`, strings: txtStrings(rsaRecord, 200) },
        { name: `ed1._domainkey.${DOMAIN}`, strings: [dkimRecord(ed.publicKey)] },
      ],
    });
    mkdirSync(join(dir, 'app'));
    app = await EmbeddedPostwave.start({
      dir: join(dir, 'app'),
      env: {
        SIMULATOR_PORT: String(await freePort()),
        SIMULATOR_INBOX_DIR: inbox,
        MTA_DKIM_KEYS_DIR: keysDir,
        MTA_DKIM_GENERATE: 'false',
      },
    });
  }, 90_000);

  afterAll(async () => {
    const code = await app?.stop();
    await dns?.stop();
    if (process.env['KEEP_E2E_LOGS']) process.stdout.write(`dkim files kept in ${dir}\n`);
    else rmSync(dir, { recursive: true, force: true });
    expect(code).toBe(0);
  });

  const verify = async (files: string[]): Promise<VerifierReport> => {
    const { stdout } = await promisify(execFile)(PYTHON, [VERIFIER, '--server', dns!.server, ...files]);
    return JSON.parse(stdout) as VerifierReport;
  };

  it('signs each message with rsa-sha256 and ed25519-sha256, and dkimpy verifies both from DNS', async () => {
    const created = await http('POST', `${app!.url}/v1/deliveries`, {
      deliveryId: 'dkim-independent',
      approvalMode: 'Automatic',
      content: {
        sender: { address: `news@${DOMAIN}`, name: 'DKIM Test' },
        subject: 'Signed twice, {{ firstName }}',
        text: 'Hello {{ firstName }}, this message carries two DKIM signatures.',
        html: '<p>Hello <b>{{ firstName }}</b>, this message carries two DKIM signatures.</p>',
      },
      recipients: ['Ada', 'Grace', 'Alan'].map((firstName) => ({
        address: `${firstName.toLowerCase()}@dkim-readers.sim`,
        attributes: { firstName },
      })),
    });
    expect(created.status).toBe(201);
    const { summary } = await settledDelivery(app!.url, 'dkim-independent', 3, 30_000).catch(
      (error: Error) => {
        throw new Error(`${error.message}\n--- postwave ---\n${app!.tail(20)}`);
      },
    );
    expect(summary.kpis).toMatchObject({ success: 3, errors: 0 });

    const files = readdirSync(inbox)
      .filter((file) => file.endsWith('.eml'))
      .map((file) => join(inbox, file));
    expect(files).toHaveLength(3);
    const report = await verify(files);

    expect(report.files).toHaveLength(3);
    for (const file of report.files) {
      const bySelector = Object.fromEntries(file.signatures.map((s) => [s.selector, s]));
      expect(file.signatures).toHaveLength(2);
      expect(bySelector['rsa1']).toMatchObject({
        domain: DOMAIN,
        algorithm: 'rsa-sha256',
        verified: true,
        error: null,
      });
      expect(bySelector['ed1']).toMatchObject({
        domain: DOMAIN,
        algorithm: 'ed25519-sha256',
        verified: true,
        error: null,
      });
    }
    // The keys came from the DNS server, and nowhere else.
    expect(new Set(report.queries)).toEqual(
      new Set([`rsa1._domainkey.${DOMAIN}`, `ed1._domainkey.${DOMAIN}`]),
    );
    expect(dns!.log()).toMatch(/query\[TXT\] rsa1\._domainkey\.dkim\.test from 127\.0\.0\.1/);
    expect(dns!.log()).toMatch(/query\[TXT\] ed1\._domainkey\.dkim\.test from 127\.0\.0\.1/);
  });

  it('fails both signatures of a copy with one body byte changed, and of one with another subject', async () => {
    const original = readdirSync(inbox).find((file) => file.endsWith('.eml'))!;
    const raw = readFileSync(join(inbox, original));
    const bodyChanged = join(dir, 'tampered-body.eml');
    const subjectChanged = join(dir, 'tampered-subject.eml');
    writeFileSync(bodyChanged, tamper(raw));
    writeFileSync(
      subjectChanged,
      raw.toString('latin1').replace(/^Subject: Signed/m, 'Subject: Signet'),
      'latin1',
    );

    const report = await verify([bodyChanged, subjectChanged]);

    const [body, subject] = report.files;
    expect(body!.signatures.map((s) => `${s.selector}: ${s.verified}`).sort()).toEqual([
      'ed1: false',
      'rsa1: false',
    ]);
    for (const signature of body!.signatures) expect(signature.error).toMatch(/^body hash mismatch/);
    // The body still matches its hash here: only the signature over the headers, checked with the
    // public key from DNS, can catch this one.
    expect(subject!.signatures.map((s) => `${s.selector}: ${s.verified}`).sort()).toEqual([
      'ed1: false',
      'rsa1: false',
    ]);
    for (const signature of subject!.signatures) expect(signature.error).toBe('signature did not verify');
  });
});
