/** Pieces both measured runs share: CPU sampling, the profiler and retried API requests. */
import { readFileSync } from 'node:fs';
import { Session } from 'node:inspector';

interface Sample {
  readonly at: number;
  readonly cpuMicros: number;
}

/** The kernel's clock tick, in which /proc reports thread CPU time (USER_HZ, 100 on Linux). */
const TICK_MICROS = 10_000;

/** The main thread's own CPU time (µs) from /proc (Linux); null where there is no /proc. */
function mainThreadCpuMicros(): number | null {
  try {
    const stat = readFileSync(`/proc/self/task/${process.pid}/stat`, 'latin1');
    // Fields after the command name (which may hold spaces): utime and stime are the 12th and 13th.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) * TICK_MICROS;
  } catch {
    return null;
  }
}

/**
 * Samples this process's CPU time, its main thread's (the event loop: SMTP sessions, spool, events)
 * and peak RSS every 50 ms (and on demand).
 */
export class CpuSampler {
  readonly samples: Sample[] = [];
  readonly mainSamples: Sample[] = [];
  peakRss = 0;
  private readonly timer: NodeJS.Timeout;

  constructor() {
    this.timer = setInterval(() => this.sample(), 50);
    this.timer.unref();
  }

  sample(): void {
    const cpu = process.cpuUsage();
    const at = Date.now();
    this.samples.push({ at, cpuMicros: cpu.user + cpu.system });
    const main = mainThreadCpuMicros();
    if (main !== null) this.mainSamples.push({ at, cpuMicros: main });
    this.peakRss = Math.max(this.peakRss, process.memoryUsage.rss());
  }

  /** CPU milliseconds between two wall-clock times. */
  cpuMs(from: number, to: number): number {
    return (interpolate(this.samples, to) - interpolate(this.samples, from)) / 1000;
  }

  /** The main thread's CPU milliseconds between two wall-clock times; null without /proc. */
  mainThreadCpuMs(from: number, to: number): number | null {
    if (this.mainSamples.length === 0) return null;
    return (interpolate(this.mainSamples, to) - interpolate(this.mainSamples, from)) / 1000;
  }

  stop(): void {
    clearInterval(this.timer);
  }
}

/**
 * Retries a request that failed at the network level (the server drops kept-alive connections
 * when its event loop stalls for seconds); counted in the result.
 */
export let networkRetries = 0;
export async function retried<T>(request: () => Promise<T>, attempts = 5): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await request();
    } catch (error) {
      if (attempt >= attempts) throw error;
      networkRetries++;
      await new Promise((resolve) => setTimeout(resolve, 200 * attempt));
    }
  }
}

/** The V8 sampling profiler through the inspector, so start-up and shutdown stay out of the profile. */
export async function startProfiler(): Promise<{ stop(): Promise<object> }> {
  const session = new Session();
  session.connect();
  const post = (method: string, params: object = {}) =>
    new Promise<Record<string, unknown>>((resolve, reject) =>
      session.post(method, params, (error, result) =>
        error ? reject(error) : resolve(result as Record<string, unknown>),
      ),
    );
  await post('Profiler.enable');
  await post('Profiler.setSamplingInterval', { interval: 500 });
  await post('Profiler.start');
  return {
    stop: async () => {
      const { profile } = (await post('Profiler.stop')) as { profile: object };
      session.disconnect();
      return profile;
    },
  };
}

/** CPU time (µs) at `at`, linearly interpolated between the samples around it. */
function interpolate(samples: readonly Sample[], at: number): number {
  if (samples.length === 0) return 0;
  let before = samples[0]!;
  for (const current of samples) {
    if (current.at >= at) {
      if (current.at === before.at) return current.cpuMicros;
      const share = Math.max(0, Math.min(1, (at - before.at) / (current.at - before.at)));
      return before.cpuMicros + share * (current.cpuMicros - before.cpuMicros);
    }
    before = current;
  }
  return before.cpuMicros;
}
