/** Pieces both measured runs share: CPU sampling, the profiler and retried API requests. */
import { Session } from 'node:inspector';

interface Sample {
  readonly at: number;
  readonly cpuMicros: number;
}

/** Samples this process's CPU time and peak RSS every 50 ms (and on demand). */
export class CpuSampler {
  readonly samples: Sample[] = [];
  peakRss = 0;
  private readonly timer: NodeJS.Timeout;

  constructor() {
    this.timer = setInterval(() => this.sample(), 50);
    this.timer.unref();
  }

  sample(): void {
    const cpu = process.cpuUsage();
    this.samples.push({ at: Date.now(), cpuMicros: cpu.user + cpu.system });
    this.peakRss = Math.max(this.peakRss, process.memoryUsage.rss());
  }

  /** CPU milliseconds between two wall-clock times. */
  cpuMs(from: number, to: number): number {
    return (interpolate(this.samples, to) - interpolate(this.samples, from)) / 1000;
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
