import { createPrivateKey, createPublicKey, generateKeyPairSync, type KeyObject } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
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

/**
 * DKIM keys per sender domain, read from `<domain>.<selector>.pem` files (a mounted Kubernetes
 * secret in production). The directory is re-read when it changes, so keys rotate without a
 * restart. The algorithm follows the key type; several keys for one domain all sign.
 */
export class DkimKeyring {
  private keys = new Map<string, SigningKey[]>();
  private lastScan = 0;

  constructor(
    private readonly dir: string,
    private readonly defaultSelector: string,
    private readonly generateMissing: boolean,
    private readonly logger: Logger,
    private readonly rescanMs = 30_000,
  ) {}

  keysFor(domain: string): readonly SigningKey[] {
    if (Date.now() - this.lastScan > this.rescanMs) this.scan();
    const found = this.keys.get(domain);
    if (found?.length) return found;
    if (!this.generateMissing) return [];
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
    const keys = new Map<string, SigningKey[]>();
    if (existsSync(this.dir)) {
      for (const file of readdirSync(this.dir)) {
        const match = /^(.+)\.([a-z0-9-]+)\.pem$/i.exec(file);
        if (!match) continue;
        const privateKey = readFileSync(join(this.dir, file), 'utf8');
        const keyObject = createPrivateKey(privateKey);
        const key: SigningKey = {
          domain: match[1]!.toLowerCase(),
          selector: match[2]!,
          privateKey,
          keyObject,
          algorithm: keyObject.asymmetricKeyType === 'ed25519' ? 'ed25519-sha256' : 'rsa-sha256',
        };
        keys.set(key.domain, [...(keys.get(key.domain) ?? []), key]);
      }
    }
    this.keys = keys;
  }

  private generate(domain: string): void {
    const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    mkdirSync(this.dir, { recursive: true });
    const pem = privateKey.export({ type: 'pkcs1', format: 'pem' }).toString();
    writeFileSync(join(this.dir, `${domain}.${this.defaultSelector}.pem`), pem, { mode: 0o600 });
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
