/**
 * What one rsa-sha256 DKIM signature costs this host: the RSA-2048 private-key operation is the
 * one piece of the per-message work that no code of ours can make cheaper, and it differs threefold
 * between the hosts this benchmark has run on (0.25–1.1 ms). With it the figures of two hosts can
 * be compared, and the rate the host's cores could reach doing nothing but sign is known.
 */
import { generateKeyPairSync, sign } from 'node:crypto';
import { readFileSync } from 'node:fs';

/**
 * The processor, as far as it decides the RSA cost: OpenSSL 3 signs RSA-2048 with AVX-512 IFMA
 * where the CPU has it (Intel Ice Lake and later, AMD Zen 4 and later), two to three times faster
 * than the mulx/adx code older CPUs get (AMD Zen 3: family 25, models 0–15).
 */
export interface HostCpu {
  readonly model: string;
  readonly family: number | null;
  readonly modelNumber: number | null;
  readonly avx512ifma: boolean;
}

/** "AMD EPYC family 25 model 1", as the bench prints and records it. */
export const describeCpu = (cpu: HostCpu): string =>
  `${cpu.model} family ${cpu.family ?? '?'} model ${cpu.modelNumber ?? '?'}`;

export function hostCpu(): HostCpu {
  let info = '';
  try {
    info = readFileSync('/proc/cpuinfo', 'utf8');
  } catch {
    // Not Linux: the model stays unknown.
  }
  const field = (name: string) => new RegExp(`^${name}\\s*:\\s*(.*)$`, 'm').exec(info)?.[1]?.trim();
  const number = (name: string) => {
    const value = field(name);
    return value === undefined ? null : Number(value);
  };
  return {
    model: field('model name') ?? 'unknown',
    family: number('cpu family'),
    modelNumber: number('model'),
    avx512ifma: /\bavx512ifma\b/.test(field('flags') ?? ''),
  };
}

export interface SigningCost {
  /** Milliseconds of one core per RSA-2048 sha256 signature (the median of the rounds). */
  readonly rsaSignMs: number;
  /** Messages per second all cores could sign with nothing else to do: the host's upper bound. */
  readonly boundMsgPerSec: number;
}

export function measureSigningCost(cores: number, rounds = 5, perRound = 200): SigningCost {
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  // What DKIM signs is the canonical header block; its length does not change the RSA cost.
  const data = Buffer.alloc(600, 'x');
  for (let i = 0; i < 50; i++) sign('sha256', data, privateKey);
  const perSignature: number[] = [];
  for (let round = 0; round < rounds; round++) {
    const started = process.cpuUsage();
    for (let i = 0; i < perRound; i++) sign('sha256', data, privateKey);
    const used = process.cpuUsage(started);
    perSignature.push((used.user + used.system) / 1000 / perRound);
  }
  perSignature.sort((a, b) => a - b);
  const rsaSignMs = perSignature[Math.floor(rounds / 2)]!;
  return { rsaSignMs, boundMsgPerSec: (cores * 1000) / rsaSignMs };
}
