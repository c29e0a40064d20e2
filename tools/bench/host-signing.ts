/**
 * What one rsa-sha256 DKIM signature costs this host: the RSA-2048 private-key operation is the
 * one piece of the per-message work that no code of ours can make cheaper, and it differs threefold
 * between the hosts this benchmark has run on (0.25–1.1 ms). With it the figures of two hosts can
 * be compared, and the rate the host's cores could reach doing nothing but sign is known.
 */
import { generateKeyPairSync, sign } from 'node:crypto';

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
