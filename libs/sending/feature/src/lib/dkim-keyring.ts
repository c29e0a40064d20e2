import { createPrivateKey, createPublicKey, generateKeyPairSync, type KeyObject } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { domainToASCII } from 'node:url';
import type { Logger } from '@postwave/platform/observability';

export interface SigningKey {
  readonly domain: string;
  readonly selector: string;
  /** The PEM text, as read or generated. */
  readonly privateKey: string;
  /** The same key parsed once, when the keyring is scanned: signing never re-parses the PEM. */
  readonly keyObject: KeyObject;
  readonly algorithm: 'rsa-sha256' | 'ed25519-sha256';
}

/** `MTA_DKIM_KEY_<anything>=<domain>:<selector>:<PEM key, with real or \n-escaped line breaks, or its base64>`. */
export const DKIM_KEY_ENV_PREFIX = 'MTA_DKIM_KEY_';

const KEY_FILE = /^(.+)\.([a-z0-9-]+)\.pem$/i;
const SELECTOR = /^[a-z0-9-]+$/i;
const DOMAIN = /^(?=.{1,253}$)[a-z0-9-]+(\.[a-z0-9-]+)+$/i;

/**
 * DKIM keys per sender domain, read from `<domain>.<selector>.pem` files (a mounted Kubernetes
 * secret in production) and from `MTA_DKIM_KEY_*` environment variables. The directory is re-read at
 * most every `rescanMs`, so replacing, adding or removing a file rotates keys without a restart; the
 * environment is fixed for the process. The algorithm follows the key type; several keys for one
 * domain all sign; a file overrides the variable of the same domain and selector.
 */
export class DkimKeyring {
  private keys = new Map<string, SigningKey[]>();
  /** The keys read from each file at the last scan, by file name. */
  private fileKeys = new Map<string, SigningKey>();
  /** What each unusable file held (its text, or the read error) when last reported, by file name. */
  private reported = new Map<string, string>();
  private readonly envKeys: readonly SigningKey[];
  private lastScan = 0;
  /** Why the directory could not be listed at the last scan, reported once per reason. */
  private unreadable: string | null = null;
  /** Domains whose key could not be saved: tried again after the next scan, not for every message. */
  private readonly notGenerated = new Set<string>();

  /** @throws Error naming the variable when an `MTA_DKIM_KEY_*` variable does not hold a usable key. */
  constructor(
    private readonly dir: string,
    private readonly defaultSelector: string,
    private readonly generateMissing: boolean,
    private readonly logger: Logger,
    private readonly rescanMs = 30_000,
    env: Readonly<Record<string, string | undefined>> = process.env,
  ) {
    this.envKeys = keysFromEnv(env);
  }

  keysFor(domain: string): readonly SigningKey[] {
    if (Date.now() - this.lastScan > this.rescanMs) this.scan();
    const found = this.keys.get(domain);
    if (found?.length) return found;
    if (!this.generateMissing || this.notGenerated.has(domain)) return [];
    this.generate(domain);
    return this.keys.get(domain) ?? [];
  }

  /** The TXT record to publish at `<selector>._domainkey.<domain>`. */
  static dnsRecord(key: SigningKey): string {
    const der = createPublicKey(key.keyObject).export({ type: 'spki', format: 'der' });
    return key.algorithm === 'ed25519-sha256'
      ? `v=DKIM1; k=ed25519; p=${der.subarray(der.length - 32).toString('base64')}`
      : `v=DKIM1; k=rsa; p=${der.toString('base64')}`;
  }

  private scan(): void {
    this.lastScan = Date.now();
    this.notGenerated.clear();
    const fileKeys = new Map<string, SigningKey>();
    const reported = new Map<string, string>();
    let files: string[];
    try {
      // Sorted, so that signatures come in the same order on every replica.
      files = existsSync(this.dir) ? readdirSync(this.dir).sort() : [];
    } catch (error) {
      // A broken mount must not stop sending: the keys read before stay until a scan reads it again.
      const reason = (error as Error).message;
      if (this.unreadable !== reason)
        this.logger.warn(
          { dir: this.dir, err: error },
          'unreadable DKIM keys directory; signing goes on with the keys read before',
        );
      this.unreadable = reason;
      return;
    }
    this.unreadable = null;
    for (const file of files) {
      const match = KEY_FILE.exec(file);
      if (!match) continue;
      const path = join(this.dir, file);
      const previous = this.fileKeys.get(file);
      let pem: string | null = null;
      try {
        pem = readFileSync(path, 'utf8');
        fileKeys.set(file, previous?.privateKey === pem ? previous : signingKey(match[1]!, match[2]!, pem));
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'ENOENT') continue; // removed since the listing
        // A file caught mid-write or a broken secret must not stop signing: the key it held stays
        // until a later scan reads a good one.
        if (previous) fileKeys.set(file, previous);
        const state = pem ?? (error as Error).message;
        reported.set(file, state);
        if (this.reported.get(file) === state) continue;
        this.logger.warn(
          { file: path, err: error },
          previous
            ? 'unusable DKIM key file; signing goes on with the key it held before'
            : 'unusable DKIM key file; its domain is not signed with it',
        );
      }
    }
    this.fileKeys = fileKeys;
    this.reported = reported;
    const fromFiles = new Set([...fileKeys.values()].map((key) => `${key.domain} ${key.selector}`));
    const keys = new Map<string, SigningKey[]>();
    const envKeys = this.envKeys.filter((key) => !fromFiles.has(`${key.domain} ${key.selector}`));
    for (const key of [...envKeys, ...fileKeys.values()])
      keys.set(key.domain, [...(keys.get(key.domain) ?? []), key]);
    for (const list of keys.values()) list.sort(bySelector);
    this.keys = keys;
  }

  private generate(domain: string): void {
    const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const pem = privateKey.export({ type: 'pkcs1', format: 'pem' }).toString();
    const file = join(this.dir, `${domain}.${this.defaultSelector}.pem`);
    try {
      mkdirSync(this.dir, { recursive: true });
      writeFileSync(file, pem, { mode: 0o600 });
    } catch (error) {
      // A key that is not saved would be another one after a restart, and its DNS record wrong:
      // the domain goes unsigned, as without generation, until a scan finds the directory writable.
      this.notGenerated.add(domain);
      this.logger.error(
        { domain, file, err: error },
        'could not save a generated DKIM key; the sender domain is not signed until it can be',
      );
      return;
    }
    const key: SigningKey = {
      domain,
      selector: this.defaultSelector,
      privateKey: pem,
      keyObject: privateKey,
      algorithm: 'rsa-sha256',
    };
    this.keys.set(domain, [key]);
    this.logger.warn(
      {
        domain,
        selector: this.defaultSelector,
        record: `${this.defaultSelector}._domainkey.${domain} TXT "${DkimKeyring.dnsRecord(key)}"`,
      },
      'generated a DKIM key for a sender domain that had none; publish this DNS record',
    );
  }
}

/** Parses a PEM private key; only RSA and Ed25519 keys can sign DKIM (RFC 6376, RFC 8463). */
function signingKey(domain: string, selector: string, pem: string): SigningKey {
  const keyObject = createPrivateKey(pem);
  const type = keyObject.asymmetricKeyType;
  if (type !== 'rsa' && type !== 'ed25519')
    throw new Error(
      `${selector}._domainkey.${domain}: ${type ?? 'unknown'} keys cannot sign DKIM (RSA or Ed25519 only)`,
    );
  return {
    domain: domain.toLowerCase(),
    selector,
    privateKey: pem,
    keyObject,
    algorithm: type === 'ed25519' ? 'ed25519-sha256' : 'rsa-sha256',
  };
}

/** Code-point order (not the locale's): every replica signs in the same order. */
function bySelector(a: SigningKey, b: SigningKey): number {
  return a.selector < b.selector ? -1 : a.selector > b.selector ? 1 : 0;
}

/** The keys of the `MTA_DKIM_KEY_*` variables; one domain and selector may be defined once. */
function keysFromEnv(env: Readonly<Record<string, string | undefined>>): SigningKey[] {
  const defined = new Map<string, string>();
  return Object.keys(env)
    .filter((name) => name.startsWith(DKIM_KEY_ENV_PREFIX) && env[name])
    .sort()
    .map((name) => {
      const key = keyFromEnv(name, env[name]!);
      const where = `${key.selector}._domainkey.${key.domain}`;
      const first = defined.get(where);
      if (first) throw new Error(`${name}: ${where} is already defined by ${first}`);
      defined.set(where, name);
      return key;
    });
}

function keyFromEnv(name: string, value: string): SigningKey {
  const [domain = '', selector = '', ...rest] = value.trim().split(':');
  const text = rest.join(':').trim();
  if (!domain || !selector || !text)
    throw new Error(`${name}: expected "<domain>:<selector>:<PEM key or its base64>"`);
  if (!SELECTOR.test(selector))
    throw new Error(`${name}: selector "${selector}" must be letters, digits and dashes`);
  if (!DOMAIN.test(domainToASCII(domain)))
    throw new Error(`${name}: domain "${domain}" is not a domain name`);
  // Variables often cannot hold line breaks: "\n" escapes and base64 stand in for them.
  const pem = text.includes('-----BEGIN')
    ? text.replace(/\\n/g, '\n')
    : Buffer.from(text, 'base64').toString('utf8');
  const where = `${selector}._domainkey.${domain.toLowerCase()}`;
  if (!pem.includes('-----BEGIN')) throw new Error(`${name}: the key of ${where} is not a PEM private key`);
  try {
    return signingKey(domain, selector, pem.endsWith('\n') ? pem : `${pem}\n`);
  } catch (error) {
    // OpenSSL's messages name the failure, never the key material.
    throw new Error(`${name}: the key of ${where} is not usable (${(error as Error).message})`);
  }
}
