import { spawn, type ChildProcess } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { createWriteStream, readFileSync, writeFileSync } from 'node:fs';
import { Resolver } from 'node:dns/promises';
import { join } from 'node:path';
import { freePort, waitFor } from '@postwave/testing';

const DNSMASQ = '/usr/sbin/dnsmasq';
const READY_NAME = 'ready.loopback-dns.test';

/** Zone data for the private DNS server, in dnsmasq's own configuration words. */
export interface DnsRecords {
  /** Domains answered from these records only: other names in them are NXDOMAIN, never forwarded. */
  localDomains: readonly string[];
  mx?: ReadonlyArray<{ domain: string; host: string; preference: number }>;
  a?: ReadonlyArray<{ name: string; address: string }>;
  /** One TXT record each, made of one or more character-strings (at most 255 bytes each). */
  txt?: ReadonlyArray<{ name: string; strings: readonly string[] }>;
}

/**
 * A private dnsmasq (Debian's dnsmasq-base) on 127.0.0.1 and a free port, answering only from
 * the records it is given: no upstream, no /etc/hosts, no system configuration file.
 */
export class LoopbackDns {
  private constructor(
    readonly port: number,
    private readonly child: ChildProcess,
    readonly logFile: string,
    private readonly exited: Promise<void>,
  ) {}

  /** `host:port`, the form MTA_DNS_SERVERS and resolv.conf (as c-ares reads it) take. */
  get server(): string {
    return `127.0.0.1:${this.port}`;
  }

  static async start(dir: string, records: DnsRecords): Promise<LoopbackDns> {
    let lastError: unknown;
    for (let attempt = 0; attempt < 5; attempt++) {
      const port = await freeUdpAndTcpPort();
      const dns = LoopbackDns.spawn(dir, records, port);
      try {
        await dns.ready();
        return dns;
      } catch (error) {
        lastError = error;
        await dns.stop();
      }
    }
    throw lastError;
  }

  private static spawn(dir: string, records: DnsRecords, port: number): LoopbackDns {
    const quote = (text: string) => {
      if (/["\\]/.test(text)) throw new Error(`TXT string ${JSON.stringify(text)} needs escaping`);
      return `"${text}"`;
    };
    const lines = [
      'no-resolv',
      'no-hosts',
      'no-poll',
      'bind-interfaces',
      'listen-address=127.0.0.1',
      `port=${port}`,
      'cache-size=0',
      ...records.localDomains.map((domain) => `local=/${domain}/`),
      ...(records.mx ?? []).map((mx) => `mx-host=${mx.domain},${mx.host},${mx.preference}`),
      ...(records.a ?? []).map((a) => `host-record=${a.name},${a.address}`),
      ...(records.txt ?? []).map((txt) => `txt-record=${txt.name},${txt.strings.map(quote).join(',')}`),
      `txt-record=${READY_NAME},ready`,
    ];
    const conf = join(dir, `dnsmasq-${port}.conf`);
    writeFileSync(conf, lines.join('\n') + '\n');
    const logFile = join(dir, `dnsmasq-${port}.log`);
    const log = createWriteStream(logFile);
    const child = spawn(
      DNSMASQ,
      [`--conf-file=${conf}`, '--keep-in-foreground', '--pid-file=', '--log-facility=-', '--log-queries'],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    child.stdout!.pipe(log, { end: false });
    child.stderr!.pipe(log, { end: false });
    child.once('close', () => log.end());
    const exited = new Promise<void>((done) => {
      child.once('exit', () => done());
      child.once('error', () => done());
    });
    const dns = new LoopbackDns(port, child, logFile, exited);
    const killOnExit = () => child.kill('SIGKILL');
    process.once('exit', killOnExit);
    void exited.then(() => process.removeListener('exit', killOnExit));
    return dns;
  }

  private async ready(): Promise<void> {
    let gone = false;
    void this.exited.then(() => (gone = true));
    const resolver = new Resolver({ timeout: 500, tries: 1 });
    resolver.setServers([this.server]);
    await waitFor(
      'dnsmasq to answer',
      async () => {
        if (gone) throw new Error(`dnsmasq exited:\n${this.log()}`);
        const answer = await resolver.resolveTxt(READY_NAME);
        return answer.flat().join('') === 'ready' ? true : undefined;
      },
      10_000,
      100,
    );
  }

  /** What dnsmasq logged: every query it answered, and how. */
  log(): string {
    try {
      return readFileSync(this.logFile, 'utf8');
    } catch {
      return '(no log)';
    }
  }

  async stop(): Promise<void> {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill('SIGTERM');
    const timer = setTimeout(() => this.child.kill('SIGKILL'), 5_000);
    await this.exited;
    clearTimeout(timer);
  }
}

/** A loopback port free for TCP (checked by freePort) and for UDP, which dnsmasq binds too. */
async function freeUdpAndTcpPort(): Promise<number> {
  for (;;) {
    const port = await freePort();
    const udpFree = await new Promise<boolean>((resolve) => {
      const socket = createSocket('udp4');
      socket.once('error', () => resolve(false));
      socket.bind(port, '127.0.0.1', () => socket.close(() => resolve(true)));
    });
    if (udpFree) return port;
  }
}

/** Splits a TXT value into character-strings of at most `size` characters, as DNS wants them. */
export function txtStrings(value: string, size = 200): string[] {
  const strings: string[] = [];
  for (let i = 0; i < value.length; i += size) strings.push(value.slice(i, i + size));
  return strings;
}
