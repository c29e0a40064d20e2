/**
 * Summarizes a V8 `.cpuprofile` (from `node --cpu-prof`): self time per function, self time per
 * package or project folder, and inclusive time per function (each sample counted once per function
 * on its stack). Used by `npm run bench:mta -- --profile`; also runs alone:
 *
 *   SWC_NODE_PROJECT=tsconfig.base.json node -r @swc-node/register tools/bench/cpu-profile-summary.ts <file> [top]
 */
import { readFileSync } from 'node:fs';

interface ProfileNode {
  readonly id: number;
  readonly callFrame: { functionName: string; url: string; lineNumber: number };
  readonly children?: readonly number[];
}

interface CpuProfile {
  readonly nodes: readonly ProfileNode[];
  readonly samples: readonly number[];
  readonly timeDeltas: readonly number[];
  readonly startTime: number;
  readonly endTime: number;
}

export interface Entry {
  readonly key: string;
  readonly ms: number;
  readonly share: number;
}

export interface ProfileSummary {
  readonly totalMs: number;
  readonly idleMs: number;
  readonly self: readonly Entry[];
  readonly areas: readonly Entry[];
  readonly inclusive: readonly Entry[];
}

const SPECIAL = new Set(['(root)', '(program)', '(idle)', '(garbage collector)']);

/** Where a function lives: a node built-in, an npm package, a project folder, or a V8 pseudo-frame. */
export function areaOf(url: string, functionName: string): string {
  if (SPECIAL.has(functionName)) return functionName;
  if (!url) return '(native)';
  const builtin = /^node:([a-z_/]+)/.exec(url);
  if (builtin) return `node:${builtin[1]!.split('/')[0]}`;
  const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (pkg) return pkg[1]!;
  const project =
    /\/(libs\/[^/]+(?:\/(?:domain|feature|config|eventing|observability|persistence|runtime))?|apps\/[^/]+|tools\/[^/]+)\//.exec(
      url,
    );
  return project ? project[1]! : url.replace(/^file:\/\//, '');
}

function keyOf(node: ProfileNode): string {
  const { functionName, url, lineNumber } = node.callFrame;
  if (SPECIAL.has(functionName)) return functionName;
  const where = url
    ? url
        .replace(/^file:\/\//, '')
        .replace(/^.*node_modules\//, '')
        .replace(/^.*\/(libs|apps|tools)\//, '$1/')
    : 'native';
  return `${functionName || '(anonymous)'} ${where}:${lineNumber + 1}`;
}

export function summarizeProfile(file: string): ProfileSummary {
  const profile = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const parent = new Map<number, number>();
  for (const node of profile.nodes) for (const child of node.children ?? []) parent.set(child, node.id);

  const self = new Map<string, number>();
  const areas = new Map<string, number>();
  const inclusive = new Map<string, number>();
  let total = 0;
  const { samples, timeDeltas } = profile;
  for (let i = 0; i < samples.length; i++) {
    // A sample's time is the gap to the next one (the last sample gets the average gap).
    const micros = timeDeltas[i + 1] ?? (profile.endTime - profile.startTime) / Math.max(1, samples.length);
    const node = byId.get(samples[i]!);
    if (!node) continue;
    total += micros;
    const key = keyOf(node);
    self.set(key, (self.get(key) ?? 0) + micros);
    const area = areaOf(node.callFrame.url, node.callFrame.functionName);
    areas.set(area, (areas.get(area) ?? 0) + micros);
    const seen = new Set<string>();
    for (let id: number | undefined = node.id; id !== undefined; id = parent.get(id)) {
      const frame = byId.get(id);
      if (!frame || frame.callFrame.functionName === '(root)') continue;
      const frameKey = keyOf(frame);
      if (seen.has(frameKey)) continue;
      seen.add(frameKey);
      inclusive.set(frameKey, (inclusive.get(frameKey) ?? 0) + micros);
    }
  }
  const idle = self.get('(idle)') ?? 0;
  const busy = Math.max(1, total - idle);
  const ranked = (map: Map<string, number>) =>
    [...map]
      .filter(([key]) => key !== '(idle)')
      .sort((a, b) => b[1] - a[1])
      .map(([key, micros]) => ({ key, ms: micros / 1000, share: micros / busy }));
  return {
    totalMs: total / 1000,
    idleMs: idle / 1000,
    self: ranked(self),
    areas: ranked(areas),
    inclusive: ranked(inclusive),
  };
}

export function formatProfileSummary(summary: ProfileSummary, top = 20): string {
  const lines = [
    `sampled ${summary.totalMs.toFixed(0)} ms, idle ${summary.idleMs.toFixed(0)} ms; shares below are of the busy time`,
  ];
  const table = (title: string, entries: readonly Entry[], n: number) => {
    lines.push(title);
    for (const entry of entries.slice(0, n))
      lines.push(
        `  ${(entry.share * 100).toFixed(1).padStart(5)}%  ${entry.ms.toFixed(0).padStart(7)} ms  ${entry.key}`,
      );
  };
  table('self time by function:', summary.self, top);
  table('self time by package / folder:', summary.areas, Math.min(top, 20));
  table('inclusive time by function:', summary.inclusive, top);
  return lines.join('\n');
}

if (require.main === module) {
  const [file, top] = process.argv.slice(2);
  if (!file) {
    process.stderr.write('usage: cpu-profile-summary.ts <file.cpuprofile> [top]\n');
    process.exit(2);
  }
  process.stdout.write(`${formatProfileSummary(summarizeProfile(file), Number(top ?? 25))}\n`);
}
